//! Router tests: the alerts routes through the shared conventions with `oneshot`, wired as deployed (the
//! DynamoDB stores, the alert queue, the data key and cursor key in the emulator), fed the checked-in API
//! Gateway events and requests made from them for other users, bodies and routes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use alerts_api::{AlertsApiConfig, AlertsState, router};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use tradesense_adapters::alerts::AlertsConfig;
use tradesense_adapters::config::AwsSettings;
use tradesense_domain::alerts::trigger::RetryPolicy;
use tradesense_domain::alerts::webhook::UrlPolicy;
use tradesense_domain::testing::FixedClock;
use tradesense_http::{HttpConfig, with_conventions};
use tradesense_local::testing::TestStack;

const OTHER_TRADER: &str = "01JDQ8ZK3M4N5P6Q7R8S9T0TR2";
const CREATE: &str = include_str!("../../../events/alerts-create.json");
const CREATE_AS_VIEWER: &str = include_str!("../../../events/alerts-create-viewer.json");
const INBOX: &str = include_str!("../../../events/notifications-list.json");

struct Api {
    _stack: TestStack,
    app: Router,
}

impl Api {
    async fn new() -> Self {
        let stack = TestStack::provision().await;
        let cfg = AlertsApiConfig {
            aws: AwsSettings {
                endpoint_url: None,
                warm_up_table: None,
            },
            http: HttpConfig::default(),
            alerts: AlertsConfig {
                table_name: stack.reference("Table"),
                queue_url: stack.reference("AlertQueue"),
                data_key_secret_id: stack.reference("DataKeySecret"),
                market_seed: 7,
                clock: Arc::new(FixedClock(
                    DateTime::parse_from_rfc3339("2026-11-25T11:00:00+05:30")
                        .unwrap()
                        .with_timezone(&Utc),
                )),
                url_policy: UrlPolicy::PublicHttps,
                retry: RetryPolicy::default(),
                stream_queue_url: None,
            },
            cursor_key_secret_id: stack.reference("CursorKeySecret"),
        };
        let state = AlertsState::from_aws(&stack.aws, &cfg).unwrap();
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

/// The inbox fixture turned into `method path` (with `body`) for `user`.
fn route(method: &str, path: &str, user: &str, body: Option<Value>) -> Value {
    let mut event = fixture(INBOX);
    event["routeKey"] = format!("{method} {path}").into();
    event["rawPath"] = path.into();
    event["rawQueryString"] = "".into();
    event.as_object_mut().unwrap().remove("queryStringParameters");
    event["requestContext"]["http"]["method"] = method.into();
    event["requestContext"]["http"]["path"] = path.into();
    event["requestContext"]["routeKey"] = format!("{method} {path}").into();
    event["requestContext"]["authorizer"]["lambda"]["user_id"] = user.into();
    if let Some(body) = body {
        event["headers"]["content-type"] = "application/json".into();
        event["body"] = body.to_string().into();
    }
    event
}

fn trader() -> String {
    fixture(CREATE)["requestContext"]["authorizer"]["lambda"]["user_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_checked_in_events_create_refuse_a_viewer_and_list_the_inbox() {
    let api = Api::new().await;
    let (status, alert) = api.call(fixture(CREATE)).await;
    assert_eq!(status, StatusCode::CREATED, "{alert}");
    assert_eq!(alert["status"], "ACTIVE");
    assert_eq!(alert["target"], "1600");
    assert_eq!(alert["condition"], "ABOVE");
    let (status, body) = api.call(fixture(CREATE_AS_VIEWER)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, inbox) = api.call(fixture(INBOX)).await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    assert_eq!(inbox["items"], json!([]));

    let id = alert["id"].as_str().unwrap();
    let path = format!("/v1/alerts/{id}");
    let (status, got) = api.call(route("GET", &path, &trader(), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["triggers"], json!([]));
    let (status, _) = api.call(route("GET", &path, OTHER_TRADER, None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another account's alert");
    let (status, _) = api
        .call(route("GET", "/v1/alerts/not-an-id", &trader(), None))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, paused) = api
        .call(route(
            "PATCH",
            &path,
            &trader(),
            Some(json!({"status": "PAUSED"})),
        ))
        .await;
    assert_eq!(
        (status, paused["status"].as_str()),
        (StatusCode::OK, Some("PAUSED"))
    );
    let (status, body) = api
        .call(route(
            "PATCH",
            &path,
            &trader(),
            Some(json!({"target": "1600.07"})),
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "target");
    let (status, _) = api.call(route("DELETE", &path, &trader(), None)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = api
        .call(route(
            "PATCH",
            &path,
            &trader(),
            Some(json!({"status": "ACTIVE"})),
        ))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, listed) = api.call(route("GET", "/v1/alerts", &trader(), None)).await;
    assert_eq!(listed["items"][0]["status"], "CANCELLED");
}

#[tokio::test]
async fn bad_bodies_are_named_and_change_nothing() {
    let api = Api::new().await;
    let user = trader();
    let base = json!({"instrument": "NSE:INFY", "condition": "ABOVE", "target": "1600",
        "channels": ["in_app"], "trigger_mode": "once"});
    let with = |patch: Value| {
        let mut body = base.clone();
        body.as_object_mut()
            .unwrap()
            .extend(patch.as_object().unwrap().clone());
        body
    };
    for (body, status, field) in [
        (
            with(json!({"condition": "SIDEWAYS"})),
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            with(json!({"instrument": "INFY"})),
            StatusCode::BAD_REQUEST,
            Some("instrument"),
        ),
        (with(json!({"extra": 1})), StatusCode::BAD_REQUEST, None),
        (
            with(json!({"instrument": "NSE:NOPE"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("instrument"),
        ),
        (
            with(json!({"target": "0"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("target"),
        ),
        (
            with(json!({"channels": []})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("channels"),
        ),
        (
            with(json!({"trigger_mode": "cooldown"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("cooldown_minutes"),
        ),
        (
            with(json!({"expires_at": "2020-01-01T00:00:00Z"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("expires_at"),
        ),
    ] {
        let (got, answer) = api
            .call(route("POST", "/v1/alerts", &user, Some(body.clone())))
            .await;
        assert_eq!(got, status, "{body} → {answer}");
        if let Some(field) = field {
            assert_eq!(answer["error"]["details"][0]["field"], field, "{answer}");
        }
    }
    for url in [
        "http://hooks.example.com/",
        "https://127.0.0.1/",
        "https://169.254.169.254/",
        "nope",
    ] {
        let (got, answer) = api
            .call(route("POST", "/v1/webhooks", &user, Some(json!({"url": url}))))
            .await;
        assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY, "{url} → {answer}");
    }
    let (_, alerts) = api.call(route("GET", "/v1/alerts", &user, None)).await;
    let (_, hooks) = api.call(route("GET", "/v1/webhooks", &user, None)).await;
    assert_eq!(
        (alerts["items"].clone(), hooks["items"].clone()),
        (json!([]), json!([]))
    );
}

#[tokio::test]
async fn a_webhook_is_registered_rotated_and_deleted_by_its_owner_only() {
    let api = Api::new().await;
    let user = trader();
    let (status, hook) = api
        .call(route(
            "POST",
            "/v1/webhooks",
            &user,
            Some(json!({"url": "https://hooks.example.com/ts"})),
        ))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = hook["id"].as_str().unwrap();
    let (status, rotated) = api
        .call(route("POST", &format!("/v1/webhooks/{id}/rotate"), &user, None))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(rotated["secret"].as_str().unwrap(), secret);
    let (status, _) = api
        .call(route("DELETE", &format!("/v1/webhooks/{id}"), OTHER_TRADER, None))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api
        .call(route(
            "POST",
            &format!("/v1/webhooks/{id}/test"),
            OTHER_TRADER,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api
        .call(route("DELETE", &format!("/v1/webhooks/{id}"), &user, None))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api
        .call(route("DELETE", &format!("/v1/webhooks/{id}"), &user, None))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn storage_that_does_not_answer_is_a_503_with_retry_after() {
    let aws = tradesense_adapters::AwsClients::load(&AwsSettings {
        endpoint_url: Some("http://127.0.0.1:9".into()),
        warm_up_table: None,
    })
    .await;
    let cfg = AlertsApiConfig {
        aws: AwsSettings {
            endpoint_url: None,
            warm_up_table: None,
        },
        http: HttpConfig::default(),
        alerts: AlertsConfig {
            table_name: "t".into(),
            queue_url: "http://127.0.0.1:9/q".into(),
            data_key_secret_id: "k".into(),
            market_seed: 7,
            clock: Arc::new(FixedClock(Utc::now())),
            url_policy: UrlPolicy::PublicHttps,
            retry: RetryPolicy::default(),
            stream_queue_url: None,
        },
        cursor_key_secret_id: "c".into(),
    };
    let app = with_conventions(
        router(AlertsState::from_aws(&aws, &cfg).unwrap()),
        &HttpConfig::default(),
    );
    let event = route("POST", "/v1/notifications/read-all", &trader(), None);
    let request: Request<Body> = lambda_http::request::from_str(&event.to_string())
        .unwrap()
        .map(|b| Body::from(b.to_vec()));
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
}
