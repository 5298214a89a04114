//! The ticker's run, wired as deployed over the emulator with the `@connections` pusher recorded: it ticks
//! about once a second for as long as it is told, quoting a subscribed instrument to its subscriber each time.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;
use tradesense_adapters::dynamo::stream::DynamoConnectionStore;
use tradesense_domain::kernel::ids::{SessionId, UserId};
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::stream::connection::{Connection, ConnectionId, QuoteMode};
use tradesense_domain::stream::ports::ConnectionStore as _;
use tradesense_domain::testing::RecordingPusher;
use tradesense_local::testing::TestStack;

#[tokio::test]
async fn a_run_ticks_once_a_second_and_quotes_each_subscriber_every_tick() {
    let stack = TestStack::provision().await;
    let pusher = Arc::new(RecordingPusher::default());
    let stream = stack.stream_service(pusher.clone());
    let connections = DynamoConnectionStore::new(stack.table());
    let id: ConnectionId = "tick1".parse().unwrap();
    let opened = Connection::open(
        id.clone(),
        UserId::from_ulid(ulid::Ulid::new()),
        SessionId::from_ulid(ulid::Ulid::new()),
        Utc::now(),
    );
    connections.put(&opened).await.unwrap();
    let infy = InstrumentKey::parse("NSE:INFY").unwrap();
    let subscribed = opened.subscribe_quotes(&[infy], QuoteMode::Ltp).unwrap();
    connections.update(&opened, &subscribed).await.unwrap();

    // Ticks at 0, 1 and 2 seconds; the run ends at 2.5.
    let report = stream_ticker::run(&stream, Duration::from_millis(2500), Duration::from_secs(1)).await;
    assert_eq!((report.ticks, report.failed, report.sent), (3, 0, 3));
    let frames = pusher.frames_to(&id);
    assert_eq!(frames.len(), 3);
    for frame in frames {
        let frame: Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(frame["quotes"][0]["instrument"], "NSE:INFY");
    }
}

#[test]
fn the_checked_in_schedule_event_is_what_the_handler_accepts() {
    let event: aws_lambda_events::event::eventbridge::EventBridgeEvent<Value> =
        serde_json::from_str(include_str!("../../../events/stream-tick.json")).unwrap();
    assert_eq!(event.source, "tradesense.stream");
    assert_eq!(event.detail["job"], "stream-tick");
}
