//! The pusher fed the checked-in SQS batch, wired as deployed over the emulator with the `@connections`
//! pusher recorded: an order change reaches its owner's connection subscribed to orders, as the REST API
//! shows the order; a body that is not an envelope is acknowledged, not retried.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::Utc;
use serde_json::Value;
use tradesense_adapters::dynamo::stream::DynamoConnectionStore;
use tradesense_domain::stream::connection::{Connection, ConnectionId};
use tradesense_domain::stream::ports::ConnectionStore as _;
use tradesense_domain::testing::RecordingPusher;
use tradesense_local::testing::TestStack;

const BATCH: &str = include_str!("../../../events/stream-pusher-sqs.json");

#[tokio::test]
async fn an_order_change_reaches_its_owners_connection_and_garbage_is_acknowledged() {
    let stack = TestStack::provision().await;
    let pusher = Arc::new(RecordingPusher::default());
    let stream = stack.stream_service(pusher.clone());
    // The demo trader's connection of a live session, subscribed to orders.
    let connections = DynamoConnectionStore::new(stack.table());
    let id: ConnectionId = "L0SM9cOFvHcCIhw=".parse().unwrap();
    let trader = "01JDQ8ZK3M4N5P6Q7R8S9T0TR1".parse().unwrap();
    let session = stack.sign_in(trader).await;
    let opened = Connection::open(id.clone(), trader, session, Utc::now());
    connections.put(&opened).await.unwrap();
    connections
        .update(&opened, &opened.with_orders(true))
        .await
        .unwrap();

    let batch: SqsEvent = serde_json::from_str(BATCH).unwrap();
    let response = stream_pusher::handle(&stream, batch).await;
    assert!(response.batch_item_failures.is_empty(), "nothing retried");
    let frames = pusher.frames_to(&id);
    assert_eq!(frames.len(), 1);
    let frame: Value = serde_json::from_str(&frames[0]).unwrap();
    assert_eq!(frame["type"], "order");
    assert_eq!(frame["order"]["id"], "01JDQ8ZK3M4N5P6Q7R8S9T0RD1");
    assert_eq!(frame["order"]["status"], "OPEN");
    assert_eq!(
        frame["order"]["history"][0]["status"], "OPEN",
        "the REST shape, history included"
    );
}
