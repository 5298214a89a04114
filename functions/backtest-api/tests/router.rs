//! Router tests: the backtest routes through the shared conventions with `oneshot`, wired as deployed (the
//! DynamoDB store, the backtest queue and the cursor key in the emulator), fed the checked-in API Gateway
//! events and requests made from them for other users, bodies and routes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use backtest_api::{BacktestApiConfig, BacktestState, router};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use tradesense_adapters::backtest::BacktestConfig;
use tradesense_adapters::config::AwsSettings;
use tradesense_domain::backtest::run::BacktestRequested;
use tradesense_domain::kernel::events::Envelope;
use tradesense_domain::testing::FixedClock;
use tradesense_http::{HttpConfig, with_conventions};
use tradesense_local::testing::TestStack;

const TRADER: &str = "01JDQ8ZK3M4N5P6Q7R8S9T0TR1";
const OTHER_TRADER: &str = "01JDQ8ZK3M4N5P6Q7R8S9T0TR2";
const SUBMIT: &str = include_str!("../../../events/backtests-submit.json");
const SUBMIT_AS_VIEWER: &str = include_str!("../../../events/backtests-submit-viewer.json");
const LIST: &str = include_str!("../../../events/backtests-list.json");

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T11:00:00+05:30")
        .unwrap()
        .with_timezone(&Utc)
}

struct Api {
    stack: TestStack,
    state: BacktestState,
    app: Router,
}

impl Api {
    async fn new() -> Self {
        Self::with_queue(|stack| stack.reference("BacktestQueue")).await
    }

    /// The API over a fresh stack, sending to the queue `queue` names.
    async fn with_queue(queue: impl FnOnce(&TestStack) -> String) -> Self {
        let stack = TestStack::provision().await;
        let cfg = BacktestApiConfig {
            aws: AwsSettings {
                endpoint_url: None,
                warm_up_table: None,
            },
            http: HttpConfig::default(),
            backtest: BacktestConfig {
                table_name: stack.reference("Table"),
                queue_url: queue(&stack),
                market_seed: 7,
                clock: Arc::new(FixedClock(now())),
            },
            cursor_key_secret_id: stack.reference("CursorKeySecret"),
        };
        let state = BacktestState::from_aws(&stack.aws, &cfg).unwrap();
        let app = with_conventions(router(state.clone()), &HttpConfig::default());
        Self { stack, state, app }
    }

    async fn call(&self, event: Value) -> (StatusCode, axum::http::HeaderMap, Value) {
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
        (parts.status, parts.headers, json)
    }

    /// The messages on the backtest queue, taken off it.
    async fn queued(&self) -> Vec<BacktestRequested> {
        let out = self
            .stack
            .aws
            .sqs
            .receive_message()
            .queue_url(self.stack.reference("BacktestQueue"))
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        out.messages
            .unwrap_or_default()
            .iter()
            .map(|m| Envelope::parse(m.body().unwrap()).unwrap().open().unwrap())
            .collect()
    }
}

fn fixture(json: &str) -> Value {
    serde_json::from_str(json).unwrap()
}

/// The list fixture turned into `method path` for `user`.
fn route(method: &str, path: &str, user: &str) -> Value {
    let mut event = fixture(LIST);
    event["routeKey"] = format!("{method} {path}").into();
    event["rawPath"] = path.into();
    event["rawQueryString"] = "".into();
    event.as_object_mut().unwrap().remove("queryStringParameters");
    event["requestContext"]["http"]["method"] = method.into();
    event["requestContext"]["http"]["path"] = path.into();
    event["requestContext"]["routeKey"] = format!("{method} {path}").into();
    event["requestContext"]["authorizer"]["lambda"]["user_id"] = user.into();
    event
}

/// The submit fixture with `body` in place of its own, under no idempotency key.
fn submit_with(body: &Value) -> Value {
    let mut event = fixture(SUBMIT);
    event["body"] = body.to_string().into();
    event["headers"]
        .as_object_mut()
        .unwrap()
        .remove("idempotency-key");
    event
}

fn submitted_body() -> Value {
    serde_json::from_str(fixture(SUBMIT)["body"].as_str().unwrap()).unwrap()
}

fn list_page(user: &str, query: &[(&str, &str)]) -> Value {
    let mut event = route("GET", "/v1/backtests", user);
    event["rawQueryString"] = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
        .into();
    event["queryStringParameters"] = query.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
    event
}

#[tokio::test]
async fn a_trader_submits_and_the_run_is_queued_once_however_often_the_request_is_repeated() {
    let api = Api::new().await;
    let (status, _, run) = api.call(fixture(SUBMIT)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{run}");
    assert_eq!(run["status"], "QUEUED");
    assert_eq!(run["progress_pct"], 0);
    assert_eq!(
        run["request"]["from"], "2024-12-31T18:30:00Z",
        "an IST day starts at its midnight"
    );
    assert_eq!(
        run["request"]["to"], "2025-12-31T18:30:00Z",
        "an IST day is included to its end"
    );
    assert_eq!(run["request"]["initial_capital"], "100000");
    assert_eq!(run["request"]["charges"], "none");
    assert_eq!(run["request"]["product"], "DELIVERY");
    assert!(run["metrics"].is_null());

    let queued = api.queued().await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].run_id.to_string(), run["id"].as_str().unwrap());
    assert_eq!(queued[0].user_id.to_string(), TRADER);

    let (status, _, replay) = api.call(fixture(SUBMIT)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(replay["id"], run["id"]);
    assert!(api.queued().await.is_empty(), "a replay queues nothing");

    let mut other_body = fixture(SUBMIT);
    let mut body = submitted_body();
    body["initial_capital"] = "200000".into();
    other_body["body"] = body.to_string().into();
    let (status, _, error) = api.call(other_body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert!(api.queued().await.is_empty());
}

#[tokio::test]
async fn a_viewer_may_list_but_not_submit_and_nothing_is_queued() {
    let api = Api::new().await;
    let (status, _, error) = api.call(fixture(SUBMIT_AS_VIEWER)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["error"]["code"], "FORBIDDEN");
    assert!(api.queued().await.is_empty());

    let mut list = fixture(LIST);
    list["requestContext"]["authorizer"]["lambda"] =
        fixture(SUBMIT_AS_VIEWER)["requestContext"]["authorizer"]["lambda"].clone();
    let (status, _, page) = api.call(list).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"], json!([]));
}

#[tokio::test]
async fn every_bad_field_is_named_and_nothing_is_kept_or_queued() {
    let api = Api::new().await;
    let mut body = submitted_body();
    body["strategy"]["params"] = json!({"fast": 30, "slow": 10});
    body["initial_capital"] = "0".into();
    body["from"] = "2026-01-10".into();
    body["to"] = "2026-01-05".into();
    body["instrument"] = "NSE:NOSUCHCO".into();
    let (status, _, error) = api.call(submit_with(&body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["code"], "VALIDATION_FAILED");
    let fields: Vec<&str> = error["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["strategy.params.fast", "instrument", "to", "initial_capital"]
    );

    for (field, value) in [
        ("from", json!("yesterday")),
        ("instrument", json!("INFY")),
        ("strategy", json!({"kind": "martingale", "params": {}})),
        ("initial_capital", json!(100000)),
    ] {
        let mut body = submitted_body();
        body[field] = value.clone();
        let (status, _, error) = api.call(submit_with(&body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}={value}: {error}");
        assert!(
            error["error"].to_string().contains(field),
            "{field} not named: {error}"
        );
    }

    let mut too_long = submitted_body();
    too_long["interval"] = "1m".into();
    let (status, _, error) = api.call(submit_with(&too_long)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["details"][0]["field"], "to", "{error}");

    assert!(api.queued().await.is_empty());
    let (_, _, page) = api.call(fixture(LIST)).await;
    assert_eq!(page["items"], json!([]), "nothing stored");
}

#[tokio::test]
async fn another_accounts_run_is_404_to_read_and_to_delete_and_stays() {
    let api = Api::new().await;
    let (_, _, run) = api.call(fixture(SUBMIT)).await;
    let path = format!("/v1/backtests/{}", run["id"].as_str().unwrap());
    for method in ["GET", "DELETE"] {
        let (status, _, error) = api.call(route(method, &path, OTHER_TRADER)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(error["error"]["code"], "NOT_FOUND");
    }
    let (status, _, error) = api.call(route("GET", "/v1/backtests/not-a-run", TRADER)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    let (status, _, own) = api.call(route("GET", &path, TRADER)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own["status"], "QUEUED");
    let (_, _, others) = api.call(list_page(OTHER_TRADER, &[])).await;
    assert_eq!(others["items"], json!([]));
}

#[tokio::test]
async fn lists_newest_first_a_page_at_a_time_and_refuses_another_accounts_cursor() {
    let api = Api::new().await;
    let mut ids = Vec::new();
    for capital in ["100000", "200000", "300000"] {
        let mut body = submitted_body();
        body["initial_capital"] = capital.into();
        let (status, _, run) = api.call(submit_with(&body)).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        ids.push(run["id"].as_str().unwrap().to_owned());
    }
    let (status, _, first) = api.call(list_page(TRADER, &[("limit", "2")])).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let listed = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(listed(&first), [ids[2].clone(), ids[1].clone()]);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();

    let (_, _, second) = api
        .call(list_page(TRADER, &[("limit", "2"), ("cursor", &cursor)]))
        .await;
    assert_eq!(listed(&second), [ids[0].clone()]);
    assert!(second["next_cursor"].is_null());

    let (status, _, error) = api.call(list_page(OTHER_TRADER, &[("cursor", &cursor)])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["details"][0]["field"], "cursor");
    let (status, _, _) = api.call(list_page(TRADER, &[("limit", "0")])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_finished_run_reads_back_whole_and_deleting_it_removes_it() {
    let api = Api::new().await;
    let (_, _, run) = api.call(fixture(SUBMIT)).await;
    let job = api.queued().await.remove(0);
    api.state.backtests.execute(&job, 1).await.unwrap();

    let path = format!("/v1/backtests/{}", run["id"].as_str().unwrap());
    let (status, _, done) = api.call(route("GET", &path, TRADER)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(done["status"], "DONE", "{}", done["error"]);
    assert_eq!(done["progress_pct"], 100);
    let curve = done["equity_curve"].as_array().unwrap();
    assert!(curve.len() > 240, "a year of sessions: {}", curve.len());
    assert_eq!(
        curve[0],
        json!(["2025-01-01", "100000"]),
        "no trade before the first bar closes"
    );
    let trades = done["trades"].as_array().unwrap();
    assert_eq!(done["metrics"]["trades"], trades.len());
    for trade in trades {
        assert!(
            trade["entry_price"].is_string() && trade["net_pnl"].is_string(),
            "{trade}"
        );
    }
    assert_eq!(done["drawdown_curve"].as_array().unwrap().len(), curve.len());
    assert!(done["timings"]["compute_ms"].is_u64());

    let (_, _, page) = api.call(fixture(LIST)).await;
    assert_eq!(page["items"][0]["status"], "DONE");
    assert!(page["items"][0]["trades"].is_null(), "lists carry no results");

    let (status, _, body) = api.call(route("DELETE", &path, TRADER)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(body.is_null());
    let (status, _, _) = api.call(route("GET", &path, TRADER)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deleting_a_queued_run_cancels_it_and_its_message_then_does_nothing() {
    let api = Api::new().await;
    let (_, _, run) = api.call(fixture(SUBMIT)).await;
    let path = format!("/v1/backtests/{}", run["id"].as_str().unwrap());
    let (status, _, cancelled) = api.call(route("DELETE", &path, TRADER)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["status"], "CANCELLED");
    assert!(cancelled["finished_at"].is_string());

    let job = api.queued().await.remove(0);
    api.state.backtests.execute(&job, 1).await.unwrap();
    let (_, _, after) = api.call(route("GET", &path, TRADER)).await;
    assert_eq!(
        after["status"], "CANCELLED",
        "the worker never runs a cancelled run"
    );
    assert!(after["metrics"].is_null());

    let (status, _, _) = api.call(route("DELETE", &path, TRADER)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, _, page) = api.call(fixture(LIST)).await;
    assert_eq!(page["items"], json!([]));
}

#[tokio::test]
async fn an_unreachable_queue_is_a_503_with_retry_after_and_keeps_nothing() {
    let api = Api::with_queue(|stack| {
        let url = stack.reference("BacktestQueue");
        format!("{}-gone", url)
    })
    .await;
    let (status, headers, error) = api.call(fixture(SUBMIT)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{error}");
    assert_eq!(error["error"]["code"], "UNAVAILABLE");
    assert_eq!(headers["retry-after"], "2");
    let (_, _, page) = api.call(fixture(LIST)).await;
    assert_eq!(page["items"], json!([]), "the unqueued run is not kept");
    let (status, _, _) = api.call(fixture(SUBMIT)).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "the key is free to retry"
    );
}
