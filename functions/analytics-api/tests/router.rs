//! Router tests: the analytics route through the shared conventions with `oneshot`, wired as deployed (the
//! paper book in the emulator), fed the checked-in API Gateway event and requests made from it. Fills are
//! written through the ledger as placements would write them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use analytics_api::{AnalyticsConfig, AnalyticsState, router};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use tradesense_adapters::config::AwsSettings;
use tradesense_domain::testing::FixedClock;
use tradesense_http::{HttpConfig, with_conventions};
use tradesense_local::testing::TestStack;

const TAX_PNL: &str = include_str!("../../../events/analytics-tax-pnl.json");

struct Api {
    _stack: TestStack,
    app: Router,
}

impl Api {
    async fn new() -> Self {
        let stack = TestStack::provision().await;
        let cfg = AnalyticsConfig {
            aws: AwsSettings {
                endpoint_url: None,
                warm_up_table: None,
            },
            http: HttpConfig::default(),
            table_name: stack.reference("Table"),
            clock: Arc::new(FixedClock(
                DateTime::parse_from_rfc3339("2027-04-02T11:00:00+05:30")
                    .unwrap()
                    .with_timezone(&Utc),
            )),
        };
        let app = with_conventions(
            router(AnalyticsState::from_aws(&stack.aws, &cfg).unwrap()),
            &HttpConfig::default(),
        );
        Self { _stack: stack, app }
    }

    async fn call(&self, event: Value) -> (StatusCode, Value) {
        let request: Request<Body> = lambda_http::request::from_str(&event.to_string())
            .expect("valid API Gateway event")
            .map(|b| Body::from(b.to_vec()));
        let response = self.app.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            parts.status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

fn with_query(query: Option<&str>) -> Value {
    let mut event: Value = serde_json::from_str(TAX_PNL).unwrap();
    match query {
        Some(q) => {
            event["rawQueryString"] = format!("fy={q}").into();
            event["queryStringParameters"] = serde_json::json!({"fy": q});
        }
        None => {
            event["rawQueryString"] = "".into();
            event.as_object_mut().unwrap().remove("queryStringParameters");
        }
    }
    event
}

#[tokio::test]
async fn the_checked_in_event_answers_every_head_of_the_year_and_a_bad_year_is_refused() {
    let api = Api::new().await;
    let (status, body) = api.call(serde_json::from_str(TAX_PNL).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["fy"], "2026-27");
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("2026-04-01"), Some("2027-03-31"))
    );
    let heads: Vec<&str> = body["heads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["head"].as_str().unwrap())
        .collect();
    assert_eq!(
        heads,
        [
            "intraday_equity",
            "futures_and_options",
            "short_term_capital_gain",
            "long_term_capital_gain"
        ]
    );
    assert!(
        body["heads"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["lots"] == 0 && h["net_pnl"] == "0")
    );

    // No year: the market clock's (2 April 2027 falls in 2027-28).
    let (status, body) = api.call(with_query(None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["fy"], "2027-28");
    for bad in ["2026-28", "2026", "latest"] {
        let (status, error) = api.call(with_query(Some(bad))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {error}");
    }
    let mut viewer_of_nothing: Value = serde_json::from_str(TAX_PNL).unwrap();
    viewer_of_nothing["requestContext"]["authorizer"]["lambda"]["roles"] = "viewer".into();
    let (status, _) = api.call(viewer_of_nothing).await;
    assert_eq!(status, StatusCode::OK, "analytics:read is every role's");

    let mut trades: Value = serde_json::from_str(TAX_PNL).unwrap();
    trades["rawPath"] = "/v1/analytics/trades".into();
    trades["routeKey"] = "GET /v1/analytics/trades".into();
    trades["requestContext"]["http"]["path"] = "/v1/analytics/trades".into();
    trades["requestContext"]["routeKey"] = "GET /v1/analytics/trades".into();
    trades["rawQueryString"] = "group_by=weekday".into();
    trades["queryStringParameters"] = serde_json::json!({"group_by": "weekday"});
    let (status, body) = api.call(trades).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The last 30 days to the market clock's date, nothing traded.
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("2027-03-04"), Some("2027-04-02"))
    );
    assert_eq!(body["groups"], serde_json::json!([]));
}

const EQUITY_CURVE: &str = include_str!("../../../events/analytics-equity-curve.json");
const PERFORMANCE: &str = include_str!("../../../events/analytics-performance.json");

/// `event` with its query replaced by `query` (`None`: no query string).
fn querying(event: &str, query: Option<(&str, &str)>) -> Value {
    let mut event: Value = serde_json::from_str(event).unwrap();
    match query {
        Some((from, to)) => {
            event["rawQueryString"] = format!("from={from}&to={to}").into();
            event["queryStringParameters"] = serde_json::json!({"from": from, "to": to});
        }
        None => {
            event["rawQueryString"] = "".into();
            event.as_object_mut().unwrap().remove("queryStringParameters");
        }
    }
    event
}

#[tokio::test]
async fn the_curve_and_performance_of_an_account_without_snapshots_are_empty_and_bad_ranges_are_refused() {
    let api = Api::new().await;
    let (status, curve) = api.call(serde_json::from_str(EQUITY_CURVE).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{curve}");
    assert_eq!(
        (curve["from"].as_str(), curve["to"].as_str()),
        (Some("2026-11-02"), Some("2026-11-30"))
    );
    assert_eq!(
        (curve["equity"].clone(), curve["points"].clone()),
        (serde_json::json!([]), serde_json::json!([]))
    );

    let (status, report) = api.call(serde_json::from_str(PERFORMANCE).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (report["first_day"].clone(), report["max_drawdown"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(
        (report["sharpe"].clone(), report["trades"]["closed"].clone()),
        (Value::Null, 0.into())
    );
    assert_eq!(report["charges"]["total"], "0");

    // No range: the year to the market clock's date.
    let (status, body) = api.call(querying(PERFORMANCE, None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("2026-04-03"), Some("2027-04-02"))
    );
    for event in [EQUITY_CURVE, PERFORMANCE] {
        for (from, to) in [
            ("2026-12-01", "2026-11-01"),
            ("2010-01-01", "2026-11-01"),
            ("yesterday", "2026-11-01"),
        ] {
            let (status, error) = api.call(querying(event, Some((from, to)))).await;
            assert!(
                status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
                "{from}..{to}: {status} {error}"
            );
        }
    }
}
