//! The WebSocket routes fed the checked-in API Gateway events, wired as deployed over the emulator (the
//! `@connections` pusher recorded): refusals on `$connect` store nothing, `$default` answers every message
//! with one frame, `$disconnect` forgets. Accepting a real ticket is end to end in `tests/stream.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use serde_json::{Value, json};
use tradesense_domain::stream::connection::ConnectionId;
use tradesense_domain::stream::ports::ConnectionStore as _;
use tradesense_domain::stream::service::StreamService;
use tradesense_domain::testing::RecordingPusher;
use tradesense_local::testing::TestStack;

const CONNECT: &str = include_str!("../../../events/stream-connect.json");
const MESSAGE: &str = include_str!("../../../events/stream-message.json");
const DISCONNECT: &str = include_str!("../../../events/stream-disconnect.json");

struct Routes {
    stack: TestStack,
    stream: StreamService,
}

impl Routes {
    async fn new() -> Self {
        let stack = TestStack::provision().await;
        let stream = stack.stream_service(Arc::new(RecordingPusher::default()));
        Self { stack, stream }
    }

    async fn call(&self, event: ApiGatewayWebsocketProxyRequest) -> (i64, Option<Value>) {
        let ApiGatewayProxyResponse {
            status_code, body, ..
        } = stream::handle(&self.stream, event).await;
        let body = match body {
            Some(Body::Text(text)) => Some(serde_json::from_str(&text).unwrap()),
            _ => None,
        };
        (status_code, body)
    }

    async fn stored(&self) -> bool {
        let store = tradesense_adapters::dynamo::stream::DynamoConnectionStore::new(self.stack.table());
        let id: ConnectionId = "L0SM9cOFvHcCIhw=".parse().unwrap();
        store.get(&id).await.unwrap().is_some()
    }
}

fn event(fixture: &str) -> ApiGatewayWebsocketProxyRequest {
    serde_json::from_str(fixture).unwrap()
}

fn message(body: &str) -> ApiGatewayWebsocketProxyRequest {
    let mut e = event(MESSAGE);
    e.body = Some(body.to_owned());
    e
}

#[tokio::test]
async fn connect_refuses_an_unknown_or_missing_ticket_before_the_connection_exists() {
    let routes = Routes::new().await;
    assert_eq!(routes.call(event(CONNECT)).await, (401, None), "never issued");
    let mut bare = event(CONNECT);
    bare.query_string_parameters = Default::default();
    assert_eq!(routes.call(bare).await, (401, None), "no ticket");
    assert!(!routes.stored().await);
}

#[tokio::test]
async fn every_message_gets_one_frame_and_a_forgotten_connection_is_told_to_reconnect() {
    let routes = Routes::new().await;
    // The checked-in subscribe, on a connection never accepted.
    assert_eq!(
        routes.call(event(MESSAGE)).await,
        (200, Some(json!({"type": "reconnect"})))
    );
    assert_eq!(
        routes.call(message(r#"{"action":"ping"}"#)).await,
        (200, Some(json!({"type": "pong"})))
    );
    let (status, frame) = routes.call(message("{")).await;
    assert_eq!((status, frame.unwrap()["code"].clone()), (200, json!("not_json")));
    let mut binary = message("AQID");
    binary.is_base64_encoded = true;
    let (_, frame) = routes.call(binary).await;
    assert_eq!(frame.unwrap()["code"], "not_json");
}

#[tokio::test]
async fn disconnect_answers_ok_and_an_event_without_a_connection_id_is_refused() {
    let routes = Routes::new().await;
    assert_eq!(routes.call(event(DISCONNECT)).await, (200, None));
    let mut anonymous = event(MESSAGE);
    anonymous.request_context.connection_id = None;
    assert_eq!(routes.call(anonymous).await.0, 400);
}
