//! Router tests: the ticket route through the shared conventions with `oneshot`, wired as deployed over the
//! emulator, fed the checked-in API Gateway event.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use stream_api::{StreamApiState, router};
use tower::ServiceExt;
use tradesense_adapters::dynamo::stream::DynamoTicketStore;
use tradesense_domain::stream::ports::TicketStore as _;
use tradesense_domain::stream::ticket::TicketHash;
use tradesense_domain::testing::RecordingPusher;
use tradesense_http::{HttpConfig, with_conventions};
use tradesense_local::testing::TestStack;

const TICKET: &str = include_str!("../../../events/stream-ticket.json");
/// The socket URL the test stack's push channel names.
const SOCKET_URL: &str = "wss://abc123.execute-api.ap-south-1.amazonaws.com/v1";

async fn app(stack: &TestStack) -> Router {
    let stream = stack.stream_service(Arc::new(RecordingPusher::default()));
    with_conventions(
        router(StreamApiState {
            stream: Arc::new(stream),
        }),
        &HttpConfig::default(),
    )
}

async fn call(app: &Router, event: Value) -> (StatusCode, Value) {
    let request: Request<Body> = lambda_http::request::from_str(&event.to_string())
        .expect("valid API Gateway event")
        .map(|b| Body::from(b.to_vec()));
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn any_signed_in_role_gets_a_single_use_ticket_stored_only_as_its_hash() {
    let stack = TestStack::provision().await;
    let app = app(&stack).await;
    let (status, body) = call(&app, serde_json::from_str(TICKET).unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (body["url"].as_str(), body["expires_in"].as_i64()),
        (Some(SOCKET_URL), Some(30))
    );
    let ticket = body["ticket"].as_str().unwrap();
    assert_eq!(ticket.len(), 43);

    let tickets = DynamoTicketStore::new(stack.table());
    let hash = TicketHash::of_presented(ticket).unwrap();
    let record = tickets.take(&hash).await.unwrap().expect("stored by its hash");
    assert_eq!(record.user_id.to_string(), "01JDQ8ZK3M4N5P6Q7R8S9T0VW1");
    assert!(tickets.take(&hash).await.unwrap().is_none(), "taken once");
}

#[tokio::test]
async fn no_principal_no_ticket() {
    let stack = TestStack::provision().await;
    let app = app(&stack).await;
    let mut event: Value = serde_json::from_str(TICKET).unwrap();
    event["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    let (status, body) = call(&app, event).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}
