//! The alert worker against the emulator, wired as deployed (DynamoDB, the alert queue, the data key in
//! Secrets Manager, real HTTP to a receiver on 127.0.0.1), fed the messages the scan really queued and the
//! checked-in SQS event: a redelivered trigger is recorded and notified once and a second message for the
//! same minute does nothing; a webhook that answers 500 then 200 is retried through the queue and logged as
//! two attempts and one delivery; poison is acknowledged; a storage outage is reported back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use alert_worker::handle;
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use chrono::{DateTime, Duration, Utc};
use rust_decimal_macros::dec;
use tradesense_adapters::alerts::AlertsConfig;
use tradesense_domain::alerts::alert::{AlertDraft, AlertStatus, Channel, TriggerMode};
use tradesense_domain::alerts::condition::ConditionKind;
use tradesense_domain::alerts::service::AlertService;
use tradesense_domain::alerts::trigger::{DeliveryStatus, RetryPolicy};
use tradesense_domain::alerts::webhook::UrlPolicy;
use tradesense_domain::kernel::events::Envelope;
use tradesense_domain::kernel::ids::{EventId, UserId};
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::testing::FixedClock;
use tradesense_local::testing::TestStack;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn user() -> UserId {
    "01JDQ8ZK3M4N5P6Q7R8S9T0TR1".parse().unwrap()
}

fn config(stack: &TestStack, table: String) -> AlertsConfig {
    AlertsConfig {
        table_name: table,
        queue_url: stack.reference("AlertQueue"),
        data_key_secret_id: stack.reference("DataKeySecret"),
        market_seed: 7,
        clock: Arc::new(FixedClock(at("2026-11-25T11:00:20+05:30"))),
        url_policy: UrlPolicy::AlsoLoopbackHttp,
        // A second attempt one second (less jitter) after the first: the test waits for it on the queue.
        retry: RetryPolicy {
            base: Duration::seconds(1),
            ..RetryPolicy::default()
        },
        stream_queue_url: None,
    }
}

struct Worker {
    stack: TestStack,
    alerts: AlertService,
}

impl Worker {
    async fn new() -> Self {
        let stack = TestStack::provision().await;
        let alerts = config(&stack, stack.reference("Table"))
            .service(&stack.aws)
            .unwrap();
        Self { stack, alerts }
    }

    /// An alert INFY's price already meets, delivered to `channels` (`webhook` to `hook`).
    async fn met_alert(
        &self,
        channels: Vec<Channel>,
        hook: Option<&str>,
    ) -> tradesense_domain::alerts::alert::Alert {
        let webhook_id = match hook {
            Some(url) => Some(
                self.alerts
                    .create_webhook(user(), url, None)
                    .await
                    .unwrap()
                    .endpoint
                    .id,
            ),
            None => None,
        };
        let draft = AlertDraft {
            instrument: InstrumentKey::parse("NSE:INFY").unwrap(),
            kind: ConditionKind::Above,
            target: Some(dec!(1)),
            period: None,
            channels,
            webhook_id,
            trigger_mode: TriggerMode::Once,
            cooldown_minutes: None,
            max_triggers: None,
            expires_at: None,
            note: None,
        };
        self.alerts.create(user(), draft).await.unwrap()
    }

    /// The queue's next message as SQS delivers it, waiting up to `wait` seconds for a delayed one.
    async fn delivery(&self, wait: i32) -> SqsEvent {
        let out = self
            .stack
            .aws
            .sqs
            .receive_message()
            .queue_url(self.stack.reference("AlertQueue"))
            .wait_time_seconds(wait)
            .send()
            .await
            .unwrap();
        let message = out
            .messages
            .unwrap_or_default()
            .pop()
            .expect("a message on the alert queue");
        event(message.message_id.unwrap(), message.body.unwrap())
    }
}

fn event(message_id: String, body: String) -> SqsEvent {
    let mut record = SqsMessage::default();
    record.message_id = Some(message_id);
    record.body = Some(body);
    record
        .attributes
        .insert("ApproximateReceiveCount".into(), "1".into());
    let mut event = SqsEvent::default();
    event.records = vec![record];
    event
}

#[tokio::test]
async fn the_checked_in_batch_is_acknowledged_whole() {
    // Its first record names an alert that does not exist (cancelled and gone); its second is poison.
    let worker = Worker::new().await;
    let batch: SqsEvent =
        serde_json::from_str(include_str!("../../../events/alert-worker-sqs.json")).unwrap();
    assert!(handle(&worker.alerts, batch).await.batch_item_failures.is_empty());
}

#[tokio::test]
async fn a_redelivered_trigger_is_recorded_and_notified_once_and_a_twin_does_nothing() {
    let worker = Worker::new().await;
    let alert = worker.met_alert(vec![Channel::InApp], None).await;
    let report = worker.alerts.scan().await.unwrap();
    assert_eq!((report.alerts, report.instruments, report.triggered), (1, 1, 1));
    let delivery = worker.delivery(1).await;
    for _ in 0..2 {
        assert!(
            handle(&worker.alerts, delivery.clone())
                .await
                .batch_item_failures
                .is_empty()
        );
    }
    // A second message for the same trigger (the scan run twice in a minute, before the first was handled).
    let mut twin = Envelope::parse(delivery.records[0].body.as_deref().unwrap()).unwrap();
    twin.id = EventId::from_ulid(ulid::Ulid::new());
    let twin = event("twin".into(), serde_json::to_string(&twin).unwrap());
    assert!(handle(&worker.alerts, twin).await.batch_item_failures.is_empty());

    let view = worker.alerts.get(&user(), &alert.id).await.unwrap();
    assert_eq!(
        (view.alert.status, view.alert.trigger_count),
        (AlertStatus::Triggered, 1)
    );
    assert_eq!(view.triggers.len(), 1);
    let inbox = worker
        .alerts
        .notifications(&user(), false, 10, None)
        .await
        .unwrap()
        .items;
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].data["alert_id"], alert.id.to_string());
}

#[tokio::test]
async fn a_webhook_answering_500_then_200_is_retried_through_the_queue_once() {
    let worker = Worker::new().await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let alert = worker
        .met_alert(vec![Channel::Webhook], Some(&format!("{}/hook", receiver.uri())))
        .await;
    worker.alerts.scan().await.unwrap();
    assert!(
        handle(&worker.alerts, worker.delivery(1).await)
            .await
            .batch_item_failures
            .is_empty()
    );
    let first = worker.alerts.get(&user(), &alert.id).await.unwrap().triggers[0].deliveries[0].clone();
    assert_eq!((first.status, first.attempts), (DeliveryStatus::Retrying, 1));
    assert_eq!(first.last_error.as_deref(), Some("HTTP 500"));

    // The retry is a delayed message on the same queue.
    let retry = worker.delivery(5).await;
    assert!(
        retry.records[0]
            .body
            .as_deref()
            .unwrap()
            .contains("webhook.retry")
    );
    assert!(
        handle(&worker.alerts, retry.clone())
            .await
            .batch_item_failures
            .is_empty()
    );
    assert!(
        handle(&worker.alerts, retry).await.batch_item_failures.is_empty(),
        "redelivered: stale"
    );
    let logged = worker.alerts.get(&user(), &alert.id).await.unwrap().triggers[0].deliveries[0].clone();
    assert_eq!(
        (logged.status, logged.attempts, logged.last_error),
        (DeliveryStatus::Delivered, 2, None)
    );
    let requests = receiver.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "one failed attempt, one delivery");
    assert_eq!(
        requests[0].headers.get("webhook-id"),
        requests[1].headers.get("webhook-id")
    );
    assert_eq!(requests[0].body, requests[1].body);
}

#[tokio::test]
async fn a_storage_outage_is_reported_back_for_another_delivery() {
    let worker = Worker::new().await;
    worker.met_alert(vec![Channel::InApp], None).await;
    worker.alerts.scan().await.unwrap();
    let delivery = worker.delivery(1).await;
    let broken = config(&worker.stack, "no-such-table".into())
        .service(&worker.stack.aws)
        .unwrap();
    let response = handle(&broken, delivery).await;
    assert_eq!(response.batch_item_failures.len(), 1);
}
