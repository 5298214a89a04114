//! Router tests: the strategies routes through the shared conventions with `oneshot`, wired as deployed (the
//! DynamoDB stores in the emulator, the simulated market at a fixed instant in market hours), fed the
//! checked-in API Gateway events and requests made from them for other users, bodies and routes. Execution
//! needs a registered account: the end-to-end tests in `tests/` place baskets.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use strategies_api::{StrategiesConfig, StrategiesState, router};
use tower::ServiceExt;
use tradesense_adapters::config::AwsSettings;
use tradesense_adapters::live::LiveConfig;
use tradesense_adapters::paper::PaperConfig;
use tradesense_domain::testing::FixedClock;
use tradesense_domain::trading::risk::RiskLimits;
use tradesense_http::{HttpConfig, with_conventions};
use tradesense_local::testing::TestStack;

const OTHER_TRADER: &str = "01JDQ8ZK3M4N5P6Q7R8S9T0TR2";
const ANALYZE: &str = include_str!("../../../events/strategies-analyze.json");
const SAVE: &str = include_str!("../../../events/strategies-save.json");
const SAVE_AS_VIEWER: &str = include_str!("../../../events/strategies-save-viewer.json");

struct Api {
    _stack: TestStack,
    app: Router,
}

impl Api {
    async fn new() -> Self {
        let stack = TestStack::provision().await;
        let cfg = StrategiesConfig {
            aws: AwsSettings {
                endpoint_url: None,
                warm_up_table: None,
            },
            http: HttpConfig::default(),
            paper: PaperConfig {
                table_name: stack.reference("Table"),
                market_seed: 7,
                clock: Arc::new(FixedClock(
                    DateTime::parse_from_rfc3339("2026-11-25T11:00:00+05:30")
                        .unwrap()
                        .with_timezone(&Utc),
                )),
                limits: RiskLimits::default(),
                order_events_queue_url: None,
                stream_queue_url: None,
            },
            live: LiveConfig {
                data_key_secret_id: stack.reference("DataKeySecret"),
                // Nobody here trades live: the broker is never called.
                upstox_base_url: "http://127.0.0.1:9".into(),
                upstox_order_base_url: "http://127.0.0.1:9".into(),
                upstox_instruments_url: "http://127.0.0.1:9/instruments".into(),
            },
            cursor_key_secret_id: stack.reference("CursorKeySecret"),
        };
        let state = StrategiesState::from_aws(&stack.aws, &cfg).unwrap();
        let app = with_conventions(router(state), &HttpConfig::default());
        Self { _stack: stack, app }
    }

    async fn call(&self, event: Value) -> (StatusCode, Value) {
        let request: Request<Body> = lambda_http::request::from_str(&event.to_string())
            .expect("valid API Gateway event")
            .map(|b| Body::from(b.to_vec()));
        let response = self.app.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (parts.status, json)
    }
}

fn fixture(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

/// The analyze fixture turned into `method path` (with `body`) for `user`.
fn route(method: &str, path: &str, user: &str, body: Option<Value>) -> Value {
    let mut event = fixture(ANALYZE);
    event["routeKey"] = format!("{method} {path}").into();
    event["rawPath"] = path.into();
    event["requestContext"]["http"]["method"] = method.into();
    event["requestContext"]["http"]["path"] = path.into();
    event["requestContext"]["routeKey"] = format!("{method} {path}").into();
    event["requestContext"]["authorizer"]["lambda"]["user_id"] = user.into();
    match body {
        Some(body) => event["body"] = body.to_string().into(),
        None => {
            event.as_object_mut().unwrap().remove("body");
        }
    }
    event
}

fn trader() -> String {
    fixture(SAVE)["requestContext"]["authorizer"]["lambda"]["user_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn decimal(value: &Value) -> Decimal {
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_catalogue_lists_every_template_with_its_parameters() {
    let api = Api::new().await;
    let (status, body) = api
        .call(route("GET", "/v1/strategies/templates", &trader(), None))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let names: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 13);
    assert!(names.contains(&"iron_condor") && names.contains(&"calendar_spread"));
    let condor = &body["items"][6];
    assert_eq!(condor["name"], "iron_condor");
    assert!(
        condor["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "short_call" && p["kind"] == "strike" && p["default"] == "OTM2")
    );
}

#[tokio::test]
async fn the_checked_in_analyze_event_answers_a_long_straddle_with_its_breakevens() {
    let api = Api::new().await;
    let (status, body) = api.call(fixture(ANALYZE)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["template"], "straddle");
    let legs = body["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 2);
    let strike = decimal(&legs[0]["strike"]);
    let premium = decimal(&legs[0]["price"]) + decimal(&legs[1]["price"]);
    let breakevens: Vec<Decimal> = body["breakevens"]
        .as_array()
        .unwrap()
        .iter()
        .map(decimal)
        .collect();
    assert_eq!(breakevens, vec![strike - premium, strike + premium]);
    assert_eq!(body["max_profit"], "unlimited");
    assert_eq!(decimal(&body["max_loss"]), premium * Decimal::from(65));
    assert_eq!(body["net_premium"]["kind"], "debit");
    assert_eq!(body["payoff_at_expiry"].as_array().unwrap().len(), 500);
    assert_eq!(body["payoff_today"][0].as_array().unwrap().len(), 2);
    assert!(legs.iter().all(|l| l["iv"].as_f64().unwrap() > 0.0));
    let pop = body["probability_of_profit"].as_f64().unwrap();
    assert!((0.0..1.0).contains(&pop));
}

#[tokio::test]
async fn bad_bodies_are_refused_with_the_reason_and_nothing_saved() {
    let api = Api::new().await;
    let analyze = |body: Value| route("POST", "/v1/strategies/analyze", &trader(), Some(body));
    for (body, expected) in [
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"template": "straddle", "legs": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"template": "moonshot"}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"template": "straddle", "params": {"underlying": "NSE:NIFTY", "strike": "OTM99"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"legs": [{"instrument": "NSE:INFY", "side": "BUY", "quantity": 1}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"legs": [{"instrument": "NFO:NIFTY26D0126000CE", "side": "HOLD", "quantity": 65}]}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({"legs": "all of them"}), StatusCode::BAD_REQUEST),
        (
            json!({"template": "straddle", "colour": "red"}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, error) = api.call(analyze(body.clone())).await;
        assert_eq!(status, expected, "{body} → {error}");
        assert!(error["error"]["message"].is_string());
    }
    let mut nameless = fixture(SAVE);
    nameless["body"] = json!({"name": "", "template": "straddle", "params": {"underlying": "NSE:NIFTY"}})
        .to_string()
        .into();
    let (status, _) = api.call(nameless).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, list) = api.call(route("GET", "/v1/strategies", &trader(), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn a_saved_strategy_is_its_owners_alone_and_a_viewer_cannot_save_or_execute() {
    let api = Api::new().await;
    let (status, saved) = api.call(fixture(SAVE)).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["template"], "iron_condor");
    assert_eq!(saved["legs"].as_array().unwrap().len(), 4);
    assert_eq!(saved["execution"], Value::Null);
    let (status, _) = api.call(fixture(SAVE_AS_VIEWER)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let id = saved["id"].as_str().unwrap();
    let path = format!("/v1/strategies/{id}");
    let (status, got) = api.call(route("GET", &path, &trader(), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["name"], "Weekly condor");
    for user in [OTHER_TRADER] {
        let (status, _) = api.call(route("GET", &path, user, None)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another account's strategy");
        let (status, _) = api.call(route("DELETE", &path, user, None)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let mut execute = route("POST", &format!("{path}/execute"), user, None);
        execute["headers"]["idempotency-key"] = "k-1".into();
        let (status, _) = api.call(execute).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = api
        .call(route("GET", "/v1/strategies/not-an-id", &trader(), None))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let mut as_viewer = route("POST", &format!("{path}/execute"), &trader(), None);
    as_viewer["requestContext"]["authorizer"]["lambda"]["roles"] = "viewer".into();
    as_viewer["headers"]["idempotency-key"] = "k-2".into();
    let (status, _) = api.call(as_viewer).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, error) = api
        .call(route("POST", &format!("{path}/execute"), &trader(), None))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no Idempotency-Key: {error}");

    let (status, list) = api.call(route("GET", "/v1/strategies", &trader(), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (status, _) = api.call(route("DELETE", &path, &trader(), None)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.call(route("GET", &path, &trader(), None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
