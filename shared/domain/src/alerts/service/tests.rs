//! The alert use cases over in-memory fakes: creation rules and the active cap, the scan (one quote read per
//! instrument, a crossing needs a previous evaluation), and the worker (a redelivered or duplicated trigger
//! is recorded and notified once, a webhook that fails then succeeds is logged as two attempts, poison
//! messages are rejected, order events notify once).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use ulid::Ulid;

use super::*;
use crate::alerts::alert::{AlertDraft, AlertStatus, Channel, TriggerMode};
use crate::alerts::condition::ConditionKind;
use crate::alerts::notification::NotificationKind;
use crate::alerts::ports::{AlertStore as _, NotificationStore as _};
use crate::alerts::trigger::{AlertTriggered, DeliveryStatus};
use crate::alerts::webhook::{SendOutcome, WebhookSecret, signature};
use crate::kernel::error::Retryable as _;
use crate::kernel::events::{DomainEvent as _, Envelope};
use crate::kernel::ids::{EventId, UserId};
use crate::kernel::time::Clock as _;
use crate::market::instrument::InstrumentKey;
use crate::market::service::current::CurrentMaster;
use crate::testing::{
    ContextSealer, FixedMarket, InMemoryAlertStore, InMemoryInstrumentStore, InMemoryNotificationStore,
    InMemoryWebhookStore, ManualClock, RecordingPublisher, ScriptedTransport, SequentialIds,
};
use crate::trading::events::{OrderChange, OrderUpdated};
use crate::trading::request::Side;
use crate::trading::status::OrderStatus;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The real time, days after the simulated market's: webhook timestamps must be real.
fn wall() -> DateTime<Utc> {
    at("2026-12-04T03:00:00Z")
}

struct World {
    service: AlertService,
    alerts: Arc<InMemoryAlertStore>,
    notifications: Arc<InMemoryNotificationStore>,
    transport: Arc<ScriptedTransport>,
    queue: Arc<RecordingPublisher>,
    market: Arc<FixedMarket>,
    clock: Arc<ManualClock>,
    user: UserId,
}

fn world(outcomes: Vec<SendOutcome>) -> World {
    let calendar = Arc::new(crate::market::calendar::MarketCalendar::nse().unwrap());
    let alerts = Arc::new(InMemoryAlertStore::default());
    let notifications = Arc::new(InMemoryNotificationStore::default());
    let transport = Arc::new(ScriptedTransport::answering(outcomes));
    let queue = Arc::new(RecordingPublisher::default());
    let market = Arc::new(FixedMarket::default());
    market.set("NSE:INFY", dec!(1549.90), dec!(1550.10), None);
    market.set("NSE:TCS", dec!(3999.90), dec!(4000.10), None);
    let clock = Arc::new(ManualClock::at(at("2026-11-25T11:00:20+05:30")));
    let service = AlertService::new(AlertsContext {
        alerts: alerts.clone(),
        webhooks: Arc::new(InMemoryWebhookStore::default()),
        notifications: notifications.clone(),
        sealer: Arc::new(ContextSealer),
        transport: transport.clone(),
        limiter: Arc::new(crate::testing::InMemoryRateLimiter::default()),
        queue: queue.clone(),
        market: market.clone(),
        master: Arc::new(CurrentMaster::new(
            Arc::new(InMemoryInstrumentStore::default()),
            calendar.clone(),
        )),
        calendar,
        clock: clock.clone(),
        wall_clock: Arc::new(crate::testing::FixedClock(wall())),
        ids: Arc::new(SequentialIds::default()),
        url_policy: crate::alerts::webhook::UrlPolicy::AlsoLoopbackHttp,
        retry: crate::alerts::trigger::RetryPolicy::default(),
    });
    World {
        service,
        alerts,
        notifications,
        transport,
        queue,
        market,
        clock,
        user: UserId::from_ulid(Ulid::from_parts(9_000, 9)),
    }
}

fn draft(instrument: &str, kind: ConditionKind, target: Decimal) -> AlertDraft {
    AlertDraft {
        instrument: InstrumentKey::parse(instrument).unwrap(),
        kind,
        target: Some(target),
        period: None,
        channels: vec![Channel::InApp],
        webhook_id: None,
        trigger_mode: TriggerMode::Once,
        cooldown_minutes: None,
        max_triggers: None,
        expires_at: None,
        note: None,
    }
}

impl World {
    fn tick(&self, seconds: i64) {
        self.clock.set(self.clock.now() + Duration::seconds(seconds));
    }

    async fn triggered_messages(&self) -> Vec<Envelope> {
        self.queue
            .drain()
            .into_iter()
            .filter(|e| e.event_type == AlertTriggered::TYPE)
            .collect()
    }
}

#[tokio::test]
async fn an_unlisted_instrument_or_a_foreign_webhook_is_refused_and_the_cap_is_200_active() {
    let w = world(vec![]);
    let err = w
        .service
        .create(w.user, draft("NSE:NOPE", ConditionKind::Above, dec!(1)))
        .await
        .unwrap_err();
    assert!(matches!(err, AlertError::Invalid(v) if v[0].field == "instrument"));
    let other = UserId::from_ulid(Ulid::from_parts(1, 1));
    let theirs = w
        .service
        .create_webhook(other, "http://127.0.0.1:9/hook", None)
        .await
        .unwrap();
    let mut d = draft("NSE:INFY", ConditionKind::Above, dec!(1600));
    d.channels = vec![Channel::InApp, Channel::Webhook];
    d.webhook_id = Some(theirs.endpoint.id);
    let err = w.service.create(w.user, d).await.unwrap_err();
    assert!(matches!(err, AlertError::Invalid(v) if v[0].field == "webhook_id"));
    for _ in 0..200 {
        w.service
            .create(w.user, draft("NSE:INFY", ConditionKind::Above, dec!(1600)))
            .await
            .unwrap();
    }
    let err = w
        .service
        .create(w.user, draft("NSE:INFY", ConditionKind::Above, dec!(1600)))
        .await
        .unwrap_err();
    assert!(matches!(err, AlertError::LimitReached));
    // Pausing one frees a place; resuming it while another took the place is refused.
    let first = w
        .service
        .list(&w.user, None, 1, None)
        .await
        .unwrap()
        .items
        .remove(0);
    let pause = crate::alerts::alert::AlertEdit {
        status: Some(AlertStatus::Paused),
        ..Default::default()
    };
    w.service.edit(&w.user, &first.id, pause).await.unwrap();
    w.service
        .create(w.user, draft("NSE:INFY", ConditionKind::Above, dec!(1600)))
        .await
        .unwrap();
    let resume = crate::alerts::alert::AlertEdit {
        status: Some(AlertStatus::Active),
        ..Default::default()
    };
    assert!(matches!(
        w.service.edit(&w.user, &first.id, resume).await,
        Err(AlertError::LimitReached)
    ));
}

#[tokio::test]
async fn the_scan_reads_one_quote_per_instrument_and_a_cross_needs_a_previous_evaluation() {
    let w = world(vec![]);
    let up = w
        .service
        .create(w.user, draft("NSE:INFY", ConditionKind::CrossesUp, dec!(1560)))
        .await
        .unwrap();
    let above = w
        .service
        .create(w.user, draft("NSE:TCS", ConditionKind::Above, dec!(4000)))
        .await
        .unwrap();
    w.service
        .create(w.user, draft("NSE:TCS", ConditionKind::Below, dec!(3000)))
        .await
        .unwrap();
    // 11:01: INFY 1550 (no previous evaluation: nothing crosses), TCS 4000 ≥ 4000.
    w.tick(40);
    let report = w.service.scan().await.unwrap();
    assert_eq!((report.alerts, report.instruments, report.triggered), (3, 2, 1));
    let sent = w.triggered_messages().await;
    let event: AlertTriggered = sent[0].open().unwrap();
    assert_eq!((event.alert_id, event.price), (above.id, dec!(4000)));
    assert_eq!(event.minute, at("2026-11-25T11:01:00+05:30"));
    // 11:02: INFY at 1560.05 from 1550 crosses up.
    w.market.set("NSE:INFY", dec!(1560.00), dec!(1560.10), None);
    w.tick(60);
    w.service.scan().await.unwrap();
    let crossed: Vec<AlertTriggered> = w
        .triggered_messages()
        .await
        .iter()
        .map(|e| e.open().unwrap())
        .collect();
    assert!(
        crossed
            .iter()
            .any(|e| e.alert_id == up.id && e.price == dec!(1560.05)),
        "{crossed:?}"
    );
    // At 21:00 IST only MCX trades: the NSE alerts wait for the next session.
    w.clock.set(at("2026-11-25T21:00:00+05:30"));
    let evening = w.service.scan().await.unwrap();
    assert_eq!(
        (evening.market_closed, evening.alerts, evening.instruments),
        (false, 0, 0)
    );
    // At midnight every exchange is closed: the scan reads nothing.
    w.clock.set(at("2026-11-25T23:45:00+05:30"));
    assert!(w.service.scan().await.unwrap().market_closed);
}

async fn fired(w: &World, channels: Vec<Channel>) -> (Envelope, crate::alerts::alert::Alert) {
    let mut d = draft("NSE:TCS", ConditionKind::Above, dec!(4000));
    if channels.contains(&Channel::Webhook) {
        let hook = w
            .service
            .create_webhook(w.user, "http://127.0.0.1:9/hook", None)
            .await
            .unwrap();
        d.webhook_id = Some(hook.endpoint.id);
    }
    d.channels = channels;
    let alert = w.service.create(w.user, d).await.unwrap();
    w.tick(40);
    w.service.scan().await.unwrap();
    (w.triggered_messages().await.remove(0), alert)
}

#[tokio::test]
async fn a_redelivered_or_duplicated_trigger_is_recorded_and_notified_once() {
    let w = world(vec![]);
    let (message, alert) = fired(&w, vec![Channel::InApp]).await;
    assert_eq!(
        w.service.handle_message(&message).await.unwrap(),
        Handled::Triggered
    );
    assert_eq!(
        w.service.handle_message(&message).await.unwrap(),
        Handled::Triggered,
        "redelivery"
    );
    // Another message for the same alert and minute (a scan run twice).
    let twin = Envelope {
        id: EventId::from_ulid(Ulid::from_parts(77, 77)),
        ..message.clone()
    };
    assert_eq!(w.service.handle_message(&twin).await.unwrap(), Handled::Duplicate);
    assert_eq!(w.alerts.all_triggers().len(), 1);
    assert_eq!(w.notifications.len(), 1);
    let view = w.service.get(&w.user, &alert.id).await.unwrap();
    assert_eq!(
        (view.alert.status, view.alert.trigger_count),
        (AlertStatus::Triggered, 1)
    );
    let delivery = view.triggers[0].delivery(Channel::InApp).unwrap();
    assert_eq!(
        (delivery.status, delivery.attempts),
        (DeliveryStatus::Delivered, 1)
    );
    let inbox = w
        .service
        .notifications(&w.user, true, 10, None)
        .await
        .unwrap()
        .items;
    assert_eq!(inbox[0].kind, NotificationKind::AlertTriggered);
    assert_eq!(inbox[0].data["price"], "4000.00");
    assert_eq!(inbox[0].data["alert_id"], alert.id.to_string());
    w.service.read_all_notifications(&w.user).await.unwrap();
    assert!(
        w.service
            .notifications(&w.user, true, 10, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn a_webhook_that_fails_then_succeeds_logs_two_attempts_and_one_delivery() {
    let w = world(vec![SendOutcome::Failed {
        error: "HTTP 500".into(),
        retryable: true,
    }]);
    let (message, alert) = fired(&w, vec![Channel::Webhook]).await;
    w.service.handle_message(&message).await.unwrap();
    let retry = w.queue.drain().pop().unwrap();
    assert_eq!(retry.event_type, WebhookRetry::TYPE);
    let delay = w.queue.delays()[0];
    assert!(
        (15..=30).contains(&delay.as_secs()),
        "30 s less up to half of jitter: {delay:?}"
    );
    let logged = w.service.get(&w.user, &alert.id).await.unwrap().triggers[0].clone();
    let d = logged.delivery(Channel::Webhook).unwrap();
    assert_eq!(
        (d.status, d.attempts, d.last_error.as_deref()),
        (DeliveryStatus::Retrying, 1, Some("HTTP 500"))
    );
    w.tick(30);
    assert_eq!(w.service.handle_message(&retry).await.unwrap(), Handled::Retried);
    assert_eq!(
        w.service.handle_message(&retry).await.unwrap(),
        Handled::Stale,
        "a redelivered retry"
    );
    let logged = w.service.get(&w.user, &alert.id).await.unwrap().triggers[0].clone();
    let d = logged.delivery(Channel::Webhook).unwrap();
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Delivered, 2));
    let sent = w.transport.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[0].1.timestamp,
        wall().timestamp(),
        "signed at the real time, not the market's"
    );
    assert_eq!(sent[0].1.id, sent[1].1.id, "the same webhook-id on every attempt");
    assert_eq!(sent[0].1.body, sent[1].1.body);
    let body: serde_json::Value = serde_json::from_str(&sent[1].1.body).unwrap();
    assert_eq!(body["type"], "alert.triggered");
    assert_eq!(body["data"]["instrument"], "NSE:TCS");
    assert_eq!(body["data"]["target"], "4000");
    // The signature verifies with the key the endpoint was given (sealed for it, opened for the send).
    let endpoint = w.service.webhooks(&w.user).await.unwrap().remove(0);
    let key = crate::alerts::ports::SecretSealer::open(
        &ContextSealer,
        &endpoint.secrets[0].sealed,
        &crate::alerts::webhook::secret_context(&w.user, &endpoint.id),
    )
    .await
    .unwrap();
    let expected = signature(
        &WebhookSecret(key).0,
        &sent[1].1.id,
        sent[1].1.timestamp,
        &sent[1].1.body,
    );
    assert_eq!(sent[1].1.signature, expected);
}

#[tokio::test]
async fn a_refused_address_fails_for_good_and_poison_messages_are_rejected() {
    let w = world(vec![SendOutcome::Failed {
        error: "refused: 10.0.0.5 is private".into(),
        retryable: false,
    }]);
    let (message, alert) = fired(&w, vec![Channel::Webhook]).await;
    w.service.handle_message(&message).await.unwrap();
    assert!(w.queue.drain().is_empty(), "no retry queued");
    let d = w.service.get(&w.user, &alert.id).await.unwrap().triggers[0].deliveries[0].clone();
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Failed, 1));
    let poison = Envelope {
        event_type: "rm.rf".into(),
        ..message.clone()
    };
    let err = w.service.handle_message(&poison).await.unwrap_err();
    assert!(!err.is_retryable());
    let garbled = Envelope {
        data: serde_json::json!({"alert_id": 5}),
        ..message
    };
    assert!(
        !w.service
            .handle_message(&garbled)
            .await
            .unwrap_err()
            .is_retryable()
    );
}

#[tokio::test]
async fn an_order_event_notifies_once_and_goes_to_every_webhook() {
    let w = world(vec![]);
    w.service
        .create_webhook(w.user, "http://127.0.0.1:9/a", None)
        .await
        .unwrap();
    let event = OrderUpdated {
        user_id: w.user,
        order_id: crate::kernel::ids::OrderId::from_ulid(Ulid::from_parts(5, 5)),
        change: OrderChange::Filled,
        instrument: InstrumentKey::parse("NSE:INFY").unwrap(),
        side: Side::Buy,
        quantity: 10,
        filled_quantity: 10,
        average_price: Some(dec!(1580.60)),
        status: OrderStatus::Complete,
        message: None,
        at: at("2026-11-25T11:00:00+05:30"),
    };
    let envelope = Envelope::wrap(EventId::from_ulid(Ulid::from_parts(6, 6)), event.at, &event).unwrap();
    assert_eq!(
        w.service.handle_message(&envelope).await.unwrap(),
        Handled::OrderNotified
    );
    assert_eq!(
        w.service.handle_message(&envelope).await.unwrap(),
        Handled::OrderAlreadyNotified
    );
    let inbox = w
        .service
        .notifications(&w.user, false, 10, None)
        .await
        .unwrap()
        .items;
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].title, "BUY 10 NSE:INFY filled at 1580.60");
    assert_eq!(w.transport.sent().len(), 1);
    assert!(w.transport.sent()[0].1.body.contains("\"order.updated\""));
    assert!(w.alerts.active().await.unwrap().is_empty());
    assert!(
        w.notifications
            .get(&w.user, &inbox[0].id)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn the_scan_records_an_expired_alert_and_frees_its_place() {
    let w = world(vec![]);
    let mut d = draft("NSE:INFY", ConditionKind::Above, dec!(9000));
    d.expires_at = Some(at("2026-11-25T11:02:00+05:30"));
    let alert = w.service.create(w.user, d).await.unwrap();
    w.tick(40);
    assert_eq!(w.service.scan().await.unwrap().expired, 0);
    w.clock.set(at("2026-11-25T11:02:10+05:30"));
    let report = w.service.scan().await.unwrap();
    assert_eq!((report.expired, report.triggered), (1, 0));
    let view = w.service.get(&w.user, &alert.id).await.unwrap();
    assert_eq!(view.alert.status, AlertStatus::Expired);
    assert!(w.alerts.active().await.unwrap().is_empty());
}

#[tokio::test]
async fn test_messages_are_limited_to_five_a_minute_per_user_found_or_not() {
    let w = world(vec![]);
    let hook = w
        .service
        .create_webhook(w.user, "http://127.0.0.1:9/hook", None)
        .await
        .unwrap();
    let missing = crate::kernel::ids::WebhookId::from_ulid(Ulid::from_parts(3, 3));
    assert!(matches!(
        w.service.test_webhook(&w.user, &missing).await,
        Err(WebhookError::NotFound)
    ));
    for _ in 0..4 {
        let result = w.service.test_webhook(&w.user, &hook.endpoint.id).await.unwrap();
        assert_eq!(result.outcome, SendOutcome::Delivered { status: 200 });
    }
    match w.service.test_webhook(&w.user, &hook.endpoint.id).await {
        Err(WebhookError::RateLimited(d)) => assert!(d.retry_after_secs >= 1),
        other => panic!("{other:?}"),
    }
    assert_eq!(w.transport.sent().len(), 4, "the refused one sent nothing");
}
