//! The backtest worker against the emulator, wired as deployed, fed the messages the backtest API really
//! queued (and the checked-in SQS event): a run is done once however often its message comes back, a
//! poison message or a deleted run's message is acknowledged, a cancelled run is never run, a run over no
//! bars fails for good with its reason, a run another worker holds and a storage outage are reported back
//! for another delivery; and the template's timings make a dead worker's run restart.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use backtest_worker::handle;
use chrono::{DateTime, Utc};
use rust_decimal_macros::dec;
use tradesense_adapters::backtest::{BacktestConfig, LEASE_MINUTES};
use tradesense_adapters::dynamo::backtests::DynamoBacktestStore;
use tradesense_domain::backtest::ports::BacktestStore;
use tradesense_domain::backtest::request::{BacktestRequest, ChargeModel, Crossover, Strategy};
use tradesense_domain::backtest::run::{BacktestRun, RunStatus};
use tradesense_domain::backtest::service::{BacktestService, Deleted, SubmitCommand, Submitted};
use tradesense_domain::kernel::ids::{BacktestId, UserId};
use tradesense_domain::market::candles::Interval;
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::testing::FixedClock;
use tradesense_domain::trading::request::Product;
use tradesense_local::emulator::workspace_root;
use tradesense_local::template::Template;
use tradesense_local::testing::TestStack;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn user() -> UserId {
    "01JDQ8ZK3M4N5P6Q7R8S9T0TR1".parse().unwrap()
}

struct Worker {
    stack: TestStack,
    backtests: BacktestService,
}

impl Worker {
    async fn new() -> Self {
        let stack = TestStack::provision().await;
        let backtests = config(&stack, stack.reference("Table"))
            .service(&stack.aws)
            .unwrap();
        Self { stack, backtests }
    }

    /// Submits `request` as the trader; the run as queued.
    async fn submit(&self, request: BacktestRequest) -> BacktestRun {
        let command = SubmitCommand {
            request,
            idempotency_key: None,
            request_hash: "h".into(),
        };
        match self.backtests.submit(user(), command).await.unwrap() {
            Submitted::Created(run) => run,
            Submitted::Replayed(_) => unreachable!("no idempotency key"),
        }
    }

    /// The queue's next message, as SQS delivers it to the function on its `receive_count`th delivery.
    async fn delivery(&self, receive_count: u32) -> SqsEvent {
        let out = self
            .stack
            .aws
            .sqs
            .receive_message()
            .queue_url(self.stack.reference("BacktestQueue"))
            .send()
            .await
            .unwrap();
        let message = out.messages.unwrap().remove(0);
        event(message.message_id.unwrap(), message.body.unwrap(), receive_count)
    }

    async fn run(&self, id: &BacktestId) -> BacktestRun {
        self.backtests
            .get(&user(), id)
            .await
            .unwrap()
            .expect("the run")
            .run
    }
}

fn config(stack: &TestStack, table_name: String) -> BacktestConfig {
    BacktestConfig {
        table_name,
        queue_url: stack.reference("BacktestQueue"),
        market_seed: 7,
        clock: Arc::new(FixedClock(at("2026-11-25T11:00:00+05:30"))),
    }
}

fn event(message_id: String, body: String, receive_count: u32) -> SqsEvent {
    let mut record = SqsMessage::default();
    record.message_id = Some(message_id);
    record.body = Some(body);
    record
        .attributes
        .insert("ApproximateReceiveCount".into(), receive_count.to_string());
    let mut event = SqsEvent::default();
    event.records = vec![record];
    event
}

/// SMA(10, 30) over 2025's daily bars of INFY.
fn year_of_infy() -> BacktestRequest {
    BacktestRequest {
        strategy: Strategy::SmaCrossover(Crossover { fast: 10, slow: 30 }),
        instrument: InstrumentKey::parse("NSE:INFY").unwrap(),
        interval: Interval::D1,
        from: at("2025-01-01T00:00:00+05:30"),
        to: at("2026-01-01T00:00:00+05:30"),
        initial_capital: dec!(100000),
        commission_pct: dec!(0.03),
        slippage_bps: dec!(5),
        charges: ChargeModel::None,
        product: Product::Delivery,
    }
}

#[tokio::test]
async fn the_checked_in_batch_is_acknowledged_whole() {
    // Its first record names a run that does not exist (deleted before it ran); its second is poison.
    let worker = Worker::new().await;
    let batch: SqsEvent =
        serde_json::from_str(include_str!("../../../events/backtest-worker-sqs.json")).unwrap();
    let response = handle(&worker.backtests, batch).await;
    assert!(response.batch_item_failures.is_empty());
}

#[tokio::test]
async fn a_run_is_done_once_however_often_its_message_is_delivered() {
    let worker = Worker::new().await;
    let queued = worker.submit(year_of_infy()).await;
    let delivery = worker.delivery(1).await;

    let response = handle(&worker.backtests, delivery.clone()).await;
    assert!(response.batch_item_failures.is_empty());
    let done = worker.run(&queued.id).await;
    assert_eq!(done.status, RunStatus::Done, "{:?}", done.error);
    assert_eq!(done.progress_pct, 100);
    let result = worker
        .backtests
        .get(&user(), &queued.id)
        .await
        .unwrap()
        .unwrap()
        .result
        .expect("a done run has its result");
    assert!(result.equity_curve.len() > 240);

    let mut redelivered = delivery;
    redelivered.records[0]
        .attributes
        .insert("ApproximateReceiveCount".into(), "2".into());
    let response = handle(&worker.backtests, redelivered).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(
        worker.run(&queued.id).await,
        done,
        "a done run is never run again"
    );
}

#[tokio::test]
async fn a_cancelled_run_is_never_run_and_its_message_is_acknowledged() {
    let worker = Worker::new().await;
    let queued = worker.submit(year_of_infy()).await;
    let cancelled = match worker.backtests.delete(&user(), &queued.id).await.unwrap() {
        Deleted::Cancelled(run) => *run,
        Deleted::Removed => panic!("a queued run is cancelled, not removed"),
    };
    let response = handle(&worker.backtests, worker.delivery(1).await).await;
    assert!(response.batch_item_failures.is_empty());
    let after = worker.run(&queued.id).await;
    assert_eq!(after, cancelled);
    assert!(
        worker
            .backtests
            .get(&user(), &queued.id)
            .await
            .unwrap()
            .unwrap()
            .result
            .is_none()
    );
}

#[tokio::test]
async fn a_range_without_bars_fails_for_good_with_its_reason() {
    let worker = Worker::new().await;
    let weekend = BacktestRequest {
        from: at("2026-11-21T00:00:00+05:30"),
        to: at("2026-11-23T00:00:00+05:30"),
        ..year_of_infy()
    };
    let queued = worker.submit(weekend).await;
    let response = handle(&worker.backtests, worker.delivery(1).await).await;
    assert!(response.batch_item_failures.is_empty(), "bad data is not retried");
    let failed = worker.run(&queued.id).await;
    assert_eq!(failed.status, RunStatus::Failed);
    assert_eq!(
        failed.error.as_deref(),
        Some("no 1d bars of NSE:INFY from 2026-11-20T18:30:00+00:00 to 2026-11-22T18:30:00+00:00")
    );
}

#[tokio::test]
async fn a_storage_outage_is_reported_back_for_another_delivery() {
    let worker = Worker::new().await;
    worker.submit(year_of_infy()).await;
    let delivery = worker.delivery(1).await;
    let message_id = delivery.records[0].message_id.clone().unwrap();
    let down = config(&worker.stack, "table-that-is-down".into())
        .service(&worker.stack.aws)
        .unwrap();
    let response = handle(&down, delivery).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, [message_id]);
}

#[tokio::test]
async fn a_run_another_worker_holds_keeps_its_message_for_another_delivery() {
    let worker = Worker::new().await;
    let queued = worker.submit(year_of_infy()).await;
    let store = DynamoBacktestStore::new(worker.stack.table());
    let now = at("2026-11-25T11:00:00+05:30");
    let held = queued
        .start(now, chrono::Duration::minutes(LEASE_MINUTES))
        .unwrap();
    store.update(&held).await.unwrap();

    let delivery = worker.delivery(1).await;
    let message_id = delivery.records[0].message_id.clone().unwrap();
    let response = handle(&worker.backtests, delivery).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, [message_id], "kept, in case the holder dies");
    assert_eq!(worker.run(&queued.id).await, held, "left to its holder");
}

/// A seconds value of a resource's property in template.yaml.
fn seconds(resource_type: &str, logical_id: &str, property: &str) -> i64 {
    let template = Template::load(&workspace_root().join("template.yaml")).unwrap();
    let (_, properties) = template
        .resources_of_type(resource_type)
        .into_iter()
        .find(|(id, _)| id == logical_id)
        .unwrap_or_else(|| panic!("{logical_id} in template.yaml"));
    properties[property].as_i64().unwrap()
}

#[test]
fn a_lease_outlives_its_worker_and_lapses_before_sqs_redelivers() {
    let timeout = seconds("AWS::Serverless::Function", "BacktestWorkerFunction", "Timeout");
    let visibility = seconds("AWS::SQS::Queue", "BacktestQueue", "VisibilityTimeout");
    let lease = LEASE_MINUTES * 60;
    assert!(
        timeout < lease,
        "a live worker's run is never restarted: {timeout} s < {lease} s"
    );
    assert!(
        lease < visibility,
        "a dead worker's run restarts on redelivery: {lease} s < {visibility} s"
    );
}
