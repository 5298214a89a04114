//! The alert stores against the emulator: the active cap holds under concurrent creates (the counter moves
//! in the same transaction as each alert), pausing frees a place, a trigger is written once per alert and
//! minute together with the alert it fires, only active alerts are in the scan's worklist, and the inbox
//! reports reads (one by one and read-all) as its contract says.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use chrono::{DateTime, Duration, Utc};
use rust_decimal_macros::dec;
use tradesense_adapters::dynamo::alerts::{DynamoAlertStore, DynamoNotificationStore};
use tradesense_domain::alerts::alert::{Alert, AlertStatus, Channel, TriggerMode};
use tradesense_domain::alerts::condition::{Condition, ConditionKind};
use tradesense_domain::alerts::notification::{Notification, NotificationKind};
use tradesense_domain::alerts::ports::{AlertStore, NotificationStore};
use tradesense_domain::alerts::trigger::{AlertTriggered, TriggerRecord};
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::{AlertId, EventId, NotificationId, UserId};
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_local::testing::TestStack;
use ulid::Ulid;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T11:00:00+05:30")
        .unwrap()
        .with_timezone(&Utc)
}

fn alert(user: UserId, n: u64) -> Alert {
    Alert {
        id: AlertId::from_ulid(Ulid::from_parts(n, u128::from(n))),
        user_id: user,
        instrument: InstrumentKey::parse("NSE:INFY").unwrap(),
        condition: Condition {
            kind: ConditionKind::Above,
            target: Some(dec!(1600)),
            period: None,
        },
        channels: vec![Channel::InApp],
        webhook_id: None,
        trigger_mode: TriggerMode::Once,
        cooldown_minutes: None,
        max_triggers: None,
        expires_at: None,
        note: None,
        status: AlertStatus::Active,
        created_at: t0(),
        updated_at: t0(),
        armed_at: t0(),
        trigger_count: 0,
        last_triggered_at: None,
        last_triggered_price: None,
        version: 1,
    }
}

#[tokio::test]
async fn the_active_cap_holds_under_concurrent_creates_and_pausing_frees_a_place() {
    let stack = TestStack::provision().await;
    let store = DynamoAlertStore::new(stack.table());
    let user = UserId::from_ulid(Ulid::from_parts(1, 1));
    const CAP: u32 = 5;
    for n in 1..=3 {
        store.create(&alert(user, n), CAP).await.unwrap();
    }
    // Six at once for the last two places: exactly two get in.
    let attempts = (10..16).map(|n| {
        let store = store.clone();
        async move { store.create(&alert(user, n), CAP).await }
    });
    let results = futures::future::join_all(attempts).await;
    let created = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(created, 2, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(()) | Err(RepoError::Conflict)))
    );
    assert_eq!(store.active().await.unwrap().len(), 5);

    // Pausing one frees a place; the paused one leaves the scan's worklist.
    let first = store.get(&user, &alert(user, 1).id).await.unwrap().unwrap();
    let paused = Alert {
        status: AlertStatus::Paused,
        version: 2,
        ..first.clone()
    };
    store.save(&first, &paused, CAP).await.unwrap();
    assert!(
        matches!(store.save(&first, &paused, CAP).await, Err(RepoError::Conflict)),
        "stale version"
    );
    assert_eq!(store.active().await.unwrap().len(), 4);
    store.create(&alert(user, 20), CAP).await.unwrap();
    assert!(matches!(
        store.create(&alert(user, 21), CAP).await,
        Err(RepoError::Conflict)
    ));
    // Another user has a cap of their own.
    store
        .create(&alert(UserId::from_ulid(Ulid::from_parts(2, 2)), 30), CAP)
        .await
        .unwrap();
    let listed = store
        .page(&user, Some(AlertStatus::Paused), 10, None)
        .await
        .unwrap();
    assert_eq!(listed.items.iter().map(|a| a.id).collect::<Vec<_>>(), [first.id]);
}

#[tokio::test]
async fn a_trigger_is_written_once_per_alert_and_minute_with_the_alert_it_fires() {
    let stack = TestStack::provision().await;
    let store = DynamoAlertStore::new(stack.table());
    let user = UserId::from_ulid(Ulid::from_parts(1, 1));
    let before = alert(user, 1);
    store.create(&before, 200).await.unwrap();
    let minute = t0() + Duration::minutes(1);
    let fired = before.fire(minute, dec!(1601)).unwrap();
    let event = AlertTriggered {
        alert_id: before.id,
        user_id: user,
        minute,
        price: dec!(1601),
    };
    let record = TriggerRecord::new(
        &event,
        EventId::from_ulid(Ulid::from_parts(9, 9)),
        &before.channels,
    );
    store.record_trigger(&before, &fired, &record).await.unwrap();
    // A second record for the same minute (another worker, another message) writes nothing.
    let again = TriggerRecord::new(
        &event,
        EventId::from_ulid(Ulid::from_parts(10, 10)),
        &before.channels,
    );
    assert!(matches!(
        store.record_trigger(&before, &fired, &again).await,
        Err(RepoError::Conflict)
    ));
    assert_eq!(
        store.trigger(&user, &before.id, minute).await.unwrap(),
        Some(record.clone())
    );
    assert_eq!(store.triggers(&user, &before.id, 10).await.unwrap().len(), 1);
    let stored = store.get(&user, &before.id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.trigger_count), (AlertStatus::Triggered, 1));
    assert!(
        store.active().await.unwrap().is_empty(),
        "a fired once alert leaves the worklist"
    );
    // Its place under the cap is free again.
    store.create(&alert(user, 2), 1).await.unwrap();
}

#[tokio::test]
async fn the_inbox_reports_reads_one_by_one_and_read_all() {
    let stack = TestStack::provision().await;
    let inbox = DynamoNotificationStore::new(stack.table());
    let user = UserId::from_ulid(Ulid::from_parts(1, 1));
    let note = |n: u64, minutes: i64| Notification {
        id: NotificationId::from_ulid(Ulid::from_parts(n, u128::from(n))),
        user_id: user,
        kind: NotificationKind::AlertTriggered,
        title: format!("note {n}"),
        data: serde_json::json!({"n": n}),
        created_at: t0() + Duration::minutes(minutes),
        read_at: None,
    };
    for (n, m) in [(1, 0), (2, 1), (3, 2)] {
        inbox.create(&note(n, m)).await.unwrap();
    }
    assert!(matches!(
        inbox.create(&note(1, 0)).await,
        Err(RepoError::Conflict)
    ));
    assert!(
        inbox
            .mark_read(&user, &note(3, 2).id, t0() + Duration::minutes(5))
            .await
            .unwrap()
    );
    let other = UserId::from_ulid(Ulid::from_parts(2, 2));
    assert!(
        !inbox.mark_read(&other, &note(1, 0).id, t0()).await.unwrap(),
        "not theirs"
    );
    let unread: Vec<String> = inbox
        .page(&user, true, 10, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|n| n.title)
        .collect();
    assert_eq!(unread, ["note 2", "note 1"]);
    inbox
        .mark_all_read(&user, t0() + Duration::minutes(1))
        .await
        .unwrap();
    inbox.create(&note(4, 3)).await.unwrap();
    let unread: Vec<String> = inbox
        .page(&user, true, 10, None)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|n| n.title)
        .collect();
    assert_eq!(unread, ["note 4"]);
    let all = inbox.page(&user, false, 2, None).await.unwrap();
    assert_eq!(all.items.len(), 2);
    let rest = inbox.page(&user, false, 2, all.resume_after).await.unwrap();
    assert_eq!(
        rest.items.iter().map(|n| n.title.as_str()).collect::<Vec<_>>(),
        ["note 2", "note 1"]
    );
    assert_eq!(
        rest.items[1].read_at,
        Some(t0() + Duration::minutes(1)),
        "read by read-all"
    );
    assert!(
        inbox
            .get(&user, &note(3, 2).id)
            .await
            .unwrap()
            .unwrap()
            .read_at
            .is_some()
    );
}

#[tokio::test]
async fn the_endpoint_cap_holds_under_concurrent_registrations_and_deleting_frees_a_place() {
    use tradesense_adapters::dynamo::alerts::DynamoWebhookStore;
    use tradesense_domain::alerts::ports::WebhookStore;
    use tradesense_domain::alerts::webhook::WebhookEndpoint;
    use tradesense_domain::kernel::ids::WebhookId;

    let stack = TestStack::provision().await;
    let store = DynamoWebhookStore::new(stack.table());
    let user = UserId::from_ulid(Ulid::from_parts(1, 1));
    let endpoint = |n: u64| WebhookEndpoint {
        id: WebhookId::from_ulid(Ulid::from_parts(n, u128::from(n))),
        user_id: user,
        url: format!("https://hooks.example.com/{n}"),
        description: None,
        created_at: t0(),
        secrets: vec![],
        version: 1,
    };
    store.create(&endpoint(1), 3).await.unwrap();
    let attempts = (2..8).map(|n| {
        let store = store.clone();
        async move { store.create(&endpoint(n), 3).await }
    });
    let created = futures::future::join_all(attempts)
        .await
        .iter()
        .filter(|r| r.is_ok())
        .count();
    assert_eq!(created, 2);
    assert_eq!(store.list(&user).await.unwrap().len(), 3);
    assert!(store.delete(&user, &endpoint(1).id).await.unwrap());
    assert!(
        !store.delete(&user, &endpoint(1).id).await.unwrap(),
        "already gone: the count is not moved again"
    );
    store.create(&endpoint(9), 3).await.unwrap();
    assert!(matches!(
        store.create(&endpoint(10), 3).await,
        Err(RepoError::Conflict)
    ));
}
