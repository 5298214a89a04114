//! Adapter tests against the moto emulator (a private server for this test binary, a fresh copy of
//! template.yaml's resources per test).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use aws_sdk_sqs::types::MessageAttributeValue;
use chrono::{TimeZone, Utc};
use secrecy::ExposeSecret;
use tradesense_adapters::dynamo::audit::DynamoAuditLog;
use tradesense_adapters::dynamo::cursor::{CursorError, SignedCursors};
use tradesense_adapters::dynamo::jobs::DynamoJobRunLog;
use tradesense_adapters::dynamo::keys::{self, Key};
use tradesense_adapters::dynamo::rate_limits::DynamoRateLimiter;
use tradesense_adapters::dynamo::sessions::DynamoSessionRepository;
use tradesense_adapters::dynamo::users::DynamoUserRepository;
use tradesense_adapters::dynamo::{Item, PageFilter, PageQuery, Table};
use tradesense_adapters::health::{DynamoDbCheck, SecretsManagerCheck, SqsCheck};
use tradesense_adapters::secrets::{SecretsProvider, Stage};
use tradesense_adapters::sqs::{SqsDeadLetters, SqsPublisher};
use tradesense_domain::audit::ports::{AuditLog, AuditQuery};
use tradesense_domain::audit::search::AuditPosition;
use tradesense_domain::audit::{AuditEvent, AuditKind};
use tradesense_domain::identity::mfa::MfaState;
use tradesense_domain::identity::ports::{RateLimiter, SessionRepository, UserRepository};
use tradesense_domain::identity::rbac::Role;
use tradesense_domain::identity::session::Session;
use tradesense_domain::identity::user::{LoginGuard, PasswordHash, User};
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::events::{Envelope, EventPublisher};
use tradesense_domain::kernel::ids::{EventId, SessionId, UserId};
use tradesense_domain::kernel::rate_limit::RateRule;
use tradesense_domain::ops::dead_letters::RedrivableQueue;
use tradesense_domain::ops::jobs::ScheduledJob;
use tradesense_domain::ops::ports::DeadLetters as _;
use tradesense_domain::ops::ports::{DependencyCheck, JobRunLog};
use tradesense_domain::trading::account::PaperAccount;
use tradesense_local::provision::rotate_signing_key;
use tradesense_local::testing::TestStack;
use ulid::Ulid;

fn item(pk: &str, sk: &str) -> Item {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(pk.to_owned())),
        ("sk".to_owned(), AttributeValue::S(sk.to_owned())),
        ("note".to_owned(), AttributeValue::S(format!("{pk}/{sk}"))),
    ])
}

fn put(item: Item, table: &Table, condition: &str) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table.name())
                .set_item(Some(item))
                .condition_expression(condition)
                .build()
                .unwrap(),
        )
        .build()
}

fn audit_event(user: Option<&str>, at_secs: i64) -> AuditEvent {
    AuditEvent {
        id: EventId::from_ulid(Ulid::new()),
        kind: AuditKind::LoginFailed,
        user_id: user.map(|u| u.parse().unwrap()),
        occurred_at: Utc.timestamp_opt(1_795_400_000 + at_secs, 0).unwrap(),
        detail: serde_json::json!({"ip": "203.0.113.7", "attempt": 2}),
        actor: None,
        request_id: None,
        source_ip: None,
    }
}

#[tokio::test]
async fn a_conditional_put_on_an_existing_key_is_a_conflict_and_writes_nothing() {
    let stack = TestStack::provision().await;
    let table = stack.table();
    table.put_new(item("USER#A", "EMAIL")).await.unwrap();
    let mut second = item("USER#A", "EMAIL");
    second.insert("note".into(), AttributeValue::S("overwritten".into()));
    assert!(matches!(table.put_new(second).await, Err(RepoError::Conflict)));
    let stored = table
        .get(&Key {
            pk: "USER#A".into(),
            sk: "EMAIL".into(),
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored["note"].as_s().unwrap(), "USER#A/EMAIL");
    assert!(
        table
            .get(&Key {
                pk: "USER#A".into(),
                sk: "NOPE".into()
            })
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_cancelled_transaction_names_the_failing_item_and_writes_nothing() {
    let stack = TestStack::provision().await;
    let table = stack.table();
    table
        .put_new(item("EMAIL#taken@example.com", "EMAIL"))
        .await
        .unwrap();
    let err = table
        .transact(vec![
            put(item("USER#B", "PROFILE"), &table, "attribute_not_exists(pk)"),
            put(
                item("EMAIL#taken@example.com", "EMAIL"),
                &table,
                "attribute_not_exists(pk)",
            ),
        ])
        .await
        .unwrap_err();
    assert_eq!(err.failed_conditions(), vec![1]);
    assert!(matches!(RepoError::from(err), RepoError::Conflict));
    let first = table
        .get(&Key {
            pk: "USER#B".into(),
            sk: "PROFILE".into(),
        })
        .await
        .unwrap();
    assert!(
        first.is_none(),
        "the transaction must not have written its first item"
    );
}

#[tokio::test]
async fn pages_through_a_partition_newest_first_without_gaps_or_repeats() {
    let stack = TestStack::provision().await;
    let table = stack.table();
    for i in 0..7 {
        table
            .put_new(item("USER#P", &format!("AUDIT#{i:02}")))
            .await
            .unwrap();
    }
    table.put_new(item("USER#P", "PROFILE")).await.unwrap();
    table.put_new(item("USER#Q", "AUDIT#99")).await.unwrap();
    let mut seen = Vec::new();
    let mut start = None;
    let mut pages = 0;
    let query = PageQuery {
        on_gsi1: false,
        partition: "USER#P".into(),
        sort_prefix: Some("AUDIT#".into()),
        filter: None,
        limit: 3,
        descending: true,
    };
    loop {
        let (items, resume) = table.query_from(&query, start).await.unwrap();
        pages += 1;
        seen.extend(items.iter().map(|i| i["sk"].as_s().unwrap().clone()));
        match resume {
            Some(key) => start = Some(key),
            None => break,
        }
    }
    assert_eq!(
        pages, 3,
        "7 items at 3 per page is 3 pages, the last without a cursor"
    );
    let expected: Vec<String> = (0..7).rev().map(|i| format!("AUDIT#{i:02}")).collect();
    assert_eq!(seen, expected);

    // A filter drops items after DynamoDB reads them: pages may come back short, but following the cursor
    // still yields exactly the matching items (here the even ones), newest first.
    let evens = PageFilter {
        conditions: vec!["#sk IN (:a, :b, :c, :d)".into()],
        names: [("#sk".to_owned(), "sk".to_owned())].into(),
        values: [
            (":a", "AUDIT#00"),
            (":b", "AUDIT#02"),
            (":c", "AUDIT#04"),
            (":d", "AUDIT#06"),
        ]
        .map(|(k, v)| (k.to_owned(), AttributeValue::S(v.into())))
        .into(),
    };
    let (mut kept, mut start) = (Vec::new(), None);
    loop {
        let query = PageQuery {
            on_gsi1: false,
            partition: "USER#P".into(),
            sort_prefix: Some("AUDIT#".into()),
            filter: Some(evens.clone()),
            limit: 2,
            descending: true,
        };
        let (items, resume) = table.query_from(&query, start).await.unwrap();
        assert!(items.len() <= 2);
        kept.extend(items.iter().map(|i| i["sk"].as_s().unwrap().clone()));
        match resume {
            Some(key) => start = Some(key),
            None => break,
        }
    }
    assert_eq!(kept, ["AUDIT#06", "AUDIT#04", "AUDIT#02", "AUDIT#00"]);
}

#[tokio::test]
async fn rejects_a_tampered_cursor_one_carried_to_another_listing_and_one_signed_with_another_key() {
    let stack = TestStack::provision().await;
    let secrets = || SecretsProvider::new(stack.aws.secrets.clone(), Duration::ZERO);
    let cursors = SignedCursors::new(secrets(), stack.reference("CursorKeySecret"));
    let owner = "orders|01JDQ8ZK3M4N5P6Q7R8S9T0V1W";
    let cursor = cursors.seal(owner, "ORDER-1").await.unwrap();
    let invalid = |result: Result<String, CursorError>| matches!(result, Err(CursorError::Invalid(_)));
    assert!(
        invalid(cursors.open("orders|01JDQ8ZK3M4N5P6Q7R8S9T0V1X", &cursor).await),
        "another account's listing"
    );
    assert!(
        invalid(cursors.open("trades|01JDQ8ZK3M4N5P6Q7R8S9T0V1W", &cursor).await),
        "another list of the same account"
    );
    let mut tampered = cursor.clone();
    tampered.insert(3, 'x');
    assert!(invalid(cursors.open(owner, &tampered).await));
    stack
        .aws
        .secrets
        .create_secret()
        .name("another-cursor-key")
        .secret_string("another-key")
        .send()
        .await
        .unwrap();
    let forger = SignedCursors::new(secrets(), "another-cursor-key");
    let forged = forger.seal(owner, "ORDER-1").await.unwrap();
    assert!(
        invalid(cursors.open(owner, &forged).await),
        "signed with another key"
    );
    assert_eq!(cursors.open(owner, &cursor).await.unwrap(), "ORDER-1");
}

#[tokio::test]
async fn records_an_audit_event_once_and_lists_it_by_day_on_the_index() {
    let stack = TestStack::provision().await;
    let table = stack.table();
    let log = DynamoAuditLog::new(table.clone());
    let event = audit_event(Some("01JDQ8ZK3M4N5P6Q7R8S9T0V1X"), 0);
    log.record(&event).await.unwrap();
    assert!(matches!(log.record(&event).await, Err(RepoError::Conflict)));
    log.record(&audit_event(None, 1)).await.unwrap();
    let day = PageQuery {
        on_gsi1: true,
        partition: keys::audit_day_partition(event.occurred_at.date_naive()),
        sort_prefix: None,
        filter: None,
        limit: 10,
        descending: false,
    };
    let (items, resume) = table.query_from(&day, None).await.unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"].as_s().unwrap(), &event.id.to_string());
    assert_eq!(
        items[0]["detail"].as_s().unwrap(),
        r#"{"attempt":2,"ip":"203.0.113.7"}"#
    );
    assert!(resume.is_none());
}

/// Every event `query` finds, page after page, and the pages' sizes.
async fn search_all(log: &DynamoAuditLog, mut query: AuditQuery) -> (Vec<EventId>, Vec<usize>) {
    let (mut ids, mut sizes) = (Vec::new(), Vec::new());
    loop {
        let page = log.search(&query).await.unwrap();
        sizes.push(page.items.len());
        ids.extend(page.items.iter().map(|e| e.id));
        match page.resume_after {
            Some(before) => query.before = before,
            None => return (ids, sizes),
        }
    }
}

#[tokio::test]
async fn searches_audit_events_by_user_or_day_by_day_by_kind_newest_first_page_by_page() {
    let stack = TestStack::provision().await;
    let table = stack.table();
    let log = DynamoAuditLog::new(table.clone());
    let (admin, trader, viewer) = (
        "01JDQ8ZK3M4N5P6Q7R8S9T0AD1".parse::<UserId>().unwrap(),
        "01JDQ8ZK3M4N5P6Q7R8S9T0TR1",
        "01JDQ8ZK3M4N5P6Q7R8S9T0VW1",
    );
    let at = |d, h, m, s, ms| {
        Utc.with_ymd_and_hms(2026, 11, d, h, m, s).unwrap() + chrono::Duration::milliseconds(ms)
    };
    let event = |user: Option<&str>, kind, occurred_at| AuditEvent {
        kind,
        occurred_at,
        ..audit_event(user, 0)
    };
    // Over three UTC days; two events in one millisecond (twin_a the lower id).
    let first = event(Some(trader), AuditKind::LoginSucceeded, at(21, 10, 0, 0, 0));
    let old = event(Some(trader), AuditKind::LoginFailed, at(22, 12, 0, 0, 0));
    let late = event(Some(viewer), AuditKind::LoginFailed, at(22, 23, 59, 59, 999));
    let midnight = AuditEvent {
        actor: Some(admin),
        request_id: Some("Jt1Hh3pXBcwEJbQ=".into()),
        source_ip: Some("203.0.113.7".into()),
        ..event(Some(trader), AuditKind::RoleChanged, at(23, 0, 0, 0, 0))
    };
    let login = event(Some(trader), AuditKind::LoginSucceeded, at(23, 5, 0, 0, 0));
    let system = event(None, AuditKind::KillSwitchChanged, at(23, 6, 0, 0, 0));
    let mut twins = [0, 1].map(|_| event(Some(trader), AuditKind::LoginFailed, at(23, 7, 0, 0, 0)));
    twins.sort_by_key(|e| e.id);
    let [twin_a, twin_b] = twins;
    for e in [&first, &old, &late, &midnight, &login, &system, &twin_a, &twin_b] {
        log.record(e).await.unwrap();
    }
    // `old` as an event stored before events had an actor, a request id and a source IP.
    table
        .client()
        .update_item()
        .table_name(table.name())
        .set_key(Some(keys::audit_event(&old).key.to_attributes()))
        .update_expression("REMOVE actor, request_id, source_ip")
        .send()
        .await
        .unwrap();

    let query = AuditQuery {
        user: Some(trader.parse().unwrap()),
        kind: None,
        from: at(21, 0, 0, 0, 0),
        before: AuditPosition::before(at(24, 0, 0, 0, 0)),
        limit: 50,
    };
    let page = log.search(&query).await.unwrap();
    let ids: Vec<EventId> = page.items.iter().map(|e| e.id).collect();
    assert_eq!(
        ids,
        [twin_b.id, twin_a.id, login.id, midnight.id, old.id, first.id]
    );
    assert_eq!(page.resume_after, None);
    assert_eq!(
        page.items[3], midnight,
        "stored with its actor, request id and source IP"
    );
    assert_eq!(page.items[4], old, "an event stored without them reads as none");

    // Every user's events, day by day across three days, three a page.
    let everyone = AuditQuery {
        user: None,
        limit: 3,
        ..query.clone()
    };
    let (ids, sizes) = search_all(&log, everyone.clone()).await;
    assert_eq!(
        ids,
        [
            twin_b.id,
            twin_a.id,
            system.id,
            login.id,
            midnight.id,
            late.id,
            old.id,
            first.id
        ]
    );
    assert_eq!(sizes, [3, 3, 2]);

    // One kind, across days, a page of one at a time.
    let logins = AuditQuery {
        kind: Some(AuditKind::LoginSucceeded),
        limit: 1,
        ..everyone.clone()
    };
    assert_eq!(
        search_all(&log, logins).await,
        (vec![login.id, first.id], vec![1, 1])
    );

    // The range's start is inclusive and its end exclusive; a range ending before it starts is empty.
    let last_minute = AuditQuery {
        from: late.occurred_at,
        before: AuditPosition::before(midnight.occurred_at),
        ..everyone.clone()
    };
    assert_eq!(search_all(&log, last_minute).await, (vec![late.id], vec![1]));
    let backwards = AuditQuery {
        from: midnight.occurred_at,
        before: AuditPosition::before(late.occurred_at),
        ..everyone
    };
    assert_eq!(search_all(&log, backwards).await, (vec![], vec![0]));
}

#[tokio::test]
async fn a_job_run_time_only_moves_forward() {
    let stack = TestStack::provision().await;
    let runs = DynamoJobRunLog::new(stack.table());
    assert_eq!(runs.last_run(ScheduledJob::Heartbeat).await.unwrap(), None);
    let later = Utc.with_ymd_and_hms(2026, 11, 23, 5, 0, 0).unwrap();
    let earlier = Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap();
    runs.record_run(ScheduledJob::Heartbeat, later).await.unwrap();
    runs.record_run(ScheduledJob::Heartbeat, earlier).await.unwrap();
    assert_eq!(runs.last_run(ScheduledJob::Heartbeat).await.unwrap(), Some(later));
}

#[tokio::test]
async fn publishes_an_envelope_that_a_consumer_receives_whole() {
    let stack = TestStack::provision().await;
    let queue_url = stack.reference("AuditQueue");
    let publisher = SqsPublisher::new(stack.aws.sqs.clone(), &queue_url);
    let event = audit_event(None, 5);
    let envelope = Envelope::wrap(event.id, event.occurred_at, &event).unwrap();
    publisher.publish(&envelope).await.unwrap();
    let received = stack
        .aws
        .sqs
        .receive_message()
        .queue_url(&queue_url)
        .wait_time_seconds(5)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap()
        .messages
        .unwrap();
    assert_eq!(received.len(), 1);
    let parsed = Envelope::parse(received[0].body().unwrap()).unwrap();
    assert_eq!(parsed, envelope);
    assert_eq!(parsed.open::<AuditEvent>().unwrap(), event);
    let attrs = received[0].message_attributes().unwrap();
    assert_eq!(attrs["event_type"].string_value(), Some("audit.recorded"));
}

#[tokio::test]
async fn dead_letters_go_back_to_their_queue_whole_at_most_the_cap_at_a_time() {
    let stack = TestStack::provision().await;
    let (queue, dlq) = (
        stack.reference("AlertQueue"),
        stack.reference("AlertDeadLetterQueue"),
    );
    let sqs = &stack.aws.sqs;
    for i in 0..13 {
        let kind = MessageAttributeValue::builder()
            .data_type("String")
            .string_value("alert.triggered")
            .build()
            .unwrap();
        sqs.send_message()
            .queue_url(&dlq)
            .message_body(format!("letter {i}"))
            .message_attributes("event_type", kind)
            .send()
            .await
            .unwrap();
    }
    let letters = SqsDeadLetters::new(
        sqs.clone(),
        [(RedrivableQueue::Alert, dlq.clone(), queue.clone())],
    );
    assert_eq!(letters.redrive(RedrivableQueue::Alert, 11).await.unwrap(), 11);
    assert_eq!(letters.redrive(RedrivableQueue::Alert, 11).await.unwrap(), 2);
    assert_eq!(letters.redrive(RedrivableQueue::Alert, 11).await.unwrap(), 0);
    let mut bodies = Vec::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(&queue)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        if got.is_empty() {
            break;
        }
        for m in got {
            assert_eq!(
                m.message_attributes().unwrap()["event_type"].string_value(),
                Some("alert.triggered")
            );
            bodies.push(m.body().unwrap().to_owned());
        }
    }
    bodies.sort();
    let mut expected: Vec<String> = (0..13).map(|i| format!("letter {i}")).collect();
    expected.sort();
    assert_eq!(bodies, expected, "every letter back, once, with its attributes");
    // A queue with no dead-letter queue configured is refused, not guessed.
    assert!(letters.redrive(RedrivableQueue::Audit, 10).await.is_err());
}

#[tokio::test]
async fn a_message_that_keeps_failing_moves_to_the_dead_letter_queue_after_three_receives() {
    let stack = TestStack::provision().await;
    let (queue, dlq) = (
        stack.reference("AuditQueue"),
        stack.reference("AuditDeadLetterQueue"),
    );
    stack
        .aws
        .sqs
        .send_message()
        .queue_url(&queue)
        .message_body("poison")
        .send()
        .await
        .unwrap();
    for _ in 0..3 {
        let got = stack
            .aws
            .sqs
            .receive_message()
            .queue_url(&queue)
            .visibility_timeout(0)
            .wait_time_seconds(2)
            .send()
            .await
            .unwrap();
        assert_eq!(
            got.messages.unwrap_or_default().len(),
            1,
            "redelivered until maxReceiveCount"
        );
    }
    let moved = stack
        .aws
        .sqs
        .receive_message()
        .queue_url(&queue)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    assert!(moved.messages.unwrap_or_default().is_empty());
    let dead = stack
        .aws
        .sqs
        .receive_message()
        .queue_url(&dlq)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap();
    assert_eq!(dead.messages.unwrap()[0].body(), Some("poison"));
}

#[tokio::test]
async fn reads_current_and_previous_secret_versions_across_a_rotation() {
    let stack = TestStack::provision().await;
    let secret = stack.reference("SigningKeySecret");
    let uncached = SecretsProvider::new(stack.aws.secrets.clone(), Duration::ZERO);
    let before = uncached.signing_keys(&secret).await.unwrap();
    assert_eq!(before.len(), 1, "a never-rotated secret has no AWSPREVIOUS");
    let cached = SecretsProvider::new(stack.aws.secrets.clone(), Duration::from_secs(3600));
    let cached_before = cached.get(&secret, Stage::Current).await.unwrap().unwrap();

    let verify = stack.reference("VerifyKeysSecret");
    let published_before = uncached.verify_keys(&verify).await.unwrap();
    assert_eq!(
        published_before,
        [before[0].verify_key()],
        "provisioning publishes the public half"
    );
    let new_kid = rotate_signing_key(&stack.aws, &secret, &verify).await.unwrap();
    let published_after = uncached.verify_keys(&verify).await.unwrap();
    assert_eq!(
        published_after.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
        [new_kid.as_str(), before[0].kid.as_str()]
    );
    assert!(
        !stack_secret_text(&stack, &verify).await.contains("private_key"),
        "the verify-keys secret never holds a private key"
    );

    let after = uncached.signing_keys(&secret).await.unwrap();
    assert_eq!(
        after.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
        [new_kid.as_str(), before[0].kid.as_str()]
    );
    let still_cached = cached.get(&secret, Stage::Current).await.unwrap().unwrap();
    assert_eq!(
        still_cached.expose_secret(),
        cached_before.expose_secret(),
        "served from cache within the TTL"
    );
}

#[tokio::test]
async fn values_sealed_before_a_data_key_rotation_still_open_after_it() {
    let stack = TestStack::provision().await;
    let secret = stack.reference("DataKeySecret");
    let provider = SecretsProvider::new(stack.aws.secrets.clone(), Duration::ZERO);
    let sealed = provider
        .sealer(&secret)
        .await
        .unwrap()
        .seal(b"totp secret", "totp:u1");
    stack
        .aws
        .secrets
        .put_secret_value()
        .secret_id(&secret)
        .secret_string("R".repeat(64))
        .send()
        .await
        .unwrap();
    let rotated = provider.sealer(&secret).await.unwrap();
    assert_eq!(rotated.open(&sealed, "totp:u1").unwrap(), b"totp secret");
    let resealed = rotated.seal(b"totp secret", "totp:u1");
    assert_ne!(
        resealed.split('.').nth(1),
        sealed.split('.').nth(1),
        "new values use the new key"
    );
}

#[tokio::test]
async fn a_missing_current_secret_is_an_error_not_an_empty_key_set() {
    let stack = TestStack::provision().await;
    let provider = SecretsProvider::new(stack.aws.secrets.clone(), Duration::ZERO);
    assert!(provider.signing_keys("no-such-secret").await.is_err());
}

#[tokio::test]
async fn dependency_probes_pass_against_live_resources_and_fail_against_missing_ones() {
    let stack = TestStack::provision().await;
    let ok: Vec<Box<dyn DependencyCheck>> = vec![
        Box::new(DynamoDbCheck(stack.table())),
        Box::new(SqsCheck {
            client: stack.aws.sqs.clone(),
            queue_url: stack.reference("AuditQueue"),
        }),
        Box::new(SecretsManagerCheck {
            client: stack.aws.secrets.clone(),
            secret_id: stack.reference("SigningKeySecret"),
        }),
    ];
    for check in &ok {
        check
            .check()
            .await
            .unwrap_or_else(|e| panic!("{}: {e:#}", check.name()));
    }
    let missing: Vec<Box<dyn DependencyCheck>> = vec![
        Box::new(DynamoDbCheck(Table::new(
            stack.aws.dynamodb.clone(),
            "no-such-table",
        ))),
        Box::new(SqsCheck {
            client: stack.aws.sqs.clone(),
            queue_url: format!("{}-gone", stack.reference("AuditQueue")),
        }),
        Box::new(SecretsManagerCheck {
            client: stack.aws.secrets.clone(),
            secret_id: "no-such-secret".into(),
        }),
    ];
    for check in &missing {
        assert!(check.check().await.is_err(), "{} should fail", check.name());
    }
}

fn user(email: &str) -> User {
    User {
        id: UserId::from_ulid(Ulid::new()),
        email: email.parse().unwrap(),
        display_name: "Asha".into(),
        roles: vec![Role::Trader],
        password_hash: PasswordHash::from_stored("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        disabled: false,
        login_guard: LoginGuard::default(),
        mfa: MfaState::default(),
        created_at: Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap(),
    }
}

#[tokio::test]
async fn stores_a_user_and_finds_it_by_id_and_by_email_in_any_case() {
    let stack = TestStack::provision().await;
    let users = DynamoUserRepository::new(stack.table());
    let asha = user("asha@example.in");
    users
        .create(&asha, &PaperAccount::open(asha.id, asha.created_at))
        .await
        .unwrap();
    assert_eq!(users.get(&asha.id).await.unwrap(), Some(asha.clone()));
    let paper = stack
        .table()
        .get(&keys::paper_account(&asha.id))
        .await
        .unwrap()
        .expect("paper account");
    assert_eq!(
        paper["cash"].as_n().unwrap(),
        "1000000.00",
        "stored exactly, as a number"
    );
    assert_eq!(
        users
            .find_by_email(&"  ASHA@Example.IN".parse().unwrap())
            .await
            .unwrap(),
        Some(asha)
    );
    assert_eq!(
        users
            .find_by_email(&"nobody@example.in".parse().unwrap())
            .await
            .unwrap(),
        None
    );
    assert_eq!(users.get(&UserId::from_ulid(Ulid::new())).await.unwrap(), None);
}

#[tokio::test]
async fn a_taken_email_is_a_conflict_and_leaves_no_second_profile() {
    let stack = TestStack::provision().await;
    let users = DynamoUserRepository::new(stack.table());
    let first = user("ravi@example.in");
    users
        .create(&first, &PaperAccount::open(first.id, first.created_at))
        .await
        .unwrap();
    let second = user("Ravi@Example.in");
    assert!(matches!(
        users
            .create(&second, &PaperAccount::open(second.id, second.created_at))
            .await,
        Err(RepoError::Conflict)
    ));
    assert_eq!(
        users.get(&second.id).await.unwrap(),
        None,
        "the transaction wrote nothing"
    );
    assert_eq!(
        users.find_by_email(&first.email).await.unwrap().unwrap().id,
        first.id
    );
}

#[tokio::test]
async fn the_login_guard_changes_only_from_the_expected_state() {
    let stack = TestStack::provision().await;
    let users = DynamoUserRepository::new(stack.table());
    let asha = user("asha.guard@example.in");
    users
        .create(&asha, &PaperAccount::open(asha.id, asha.created_at))
        .await
        .unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap();
    let one = LoginGuard::default().after_failure(now);
    users
        .replace_login_guard(&asha.id, &LoginGuard::default(), &one)
        .await
        .unwrap();
    assert!(matches!(
        users
            .replace_login_guard(&asha.id, &LoginGuard::default(), &one)
            .await,
        Err(RepoError::Conflict)
    ));
    let mut locked = one;
    for _ in 0..4 {
        locked = locked.after_failure(now);
    }
    users.replace_login_guard(&asha.id, &one, &locked).await.unwrap();
    let stored = users.get(&asha.id).await.unwrap().unwrap().login_guard;
    assert_eq!(stored, locked);
    assert!(stored.is_locked(now));
    users
        .replace_login_guard(&asha.id, &locked, &LoginGuard::default())
        .await
        .unwrap();
    assert_eq!(
        users.get(&asha.id).await.unwrap().unwrap().login_guard,
        LoginGuard::default()
    );
    let ghost = UserId::from_ulid(Ulid::new());
    assert!(matches!(
        users
            .replace_login_guard(&ghost, &LoginGuard::default(), &one)
            .await,
        Err(RepoError::Conflict)
    ));
}

#[tokio::test]
async fn a_session_round_trips_and_updates_only_from_its_previous_version() {
    let stack = TestStack::provision().await;
    let sessions = DynamoSessionRepository::new(stack.table());
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap();
    let (mut session, _) = Session::start(
        SessionId::from_ulid(Ulid::new()),
        UserId::from_ulid(Ulid::new()),
        now,
    );
    sessions.create(&session).await.unwrap();
    assert!(matches!(
        sessions.create(&session).await,
        Err(RepoError::Conflict)
    ));
    assert_eq!(
        sessions.get(&session.user_id, &session.id).await.unwrap(),
        Some(session.clone())
    );

    let stale = session.clone();
    session.revoke(now);
    session.version += 1;
    sessions.update(&session).await.unwrap();
    let mut lost_race = stale;
    lost_race.version += 1;
    assert!(matches!(
        sessions.update(&lost_race).await,
        Err(RepoError::Conflict)
    ));
    let stored = sessions
        .get(&session.user_id, &session.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.revoked_at, Some(now));
    assert_eq!(
        sessions
            .get(&UserId::from_ulid(Ulid::new()), &session.id)
            .await
            .unwrap(),
        None,
        "keyed by owner"
    );
}

#[tokio::test]
async fn the_rate_limiter_counts_per_key_and_window_and_refuses_past_the_limit() {
    let stack = TestStack::provision().await;
    let limiter = DynamoRateLimiter::new(stack.table());
    let rule = RateRule {
        limit: 3,
        window: chrono::Duration::minutes(1),
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 4, 5, 30).unwrap();
    let hits =
        futures::future::join_all((0..4).map(|_| limiter.hit("login-ip:203.0.113.7", rule, now))).await;
    let mut remaining: Vec<u32> = hits.iter().map(|d| d.as_ref().unwrap().remaining).collect();
    remaining.sort_unstable();
    assert_eq!(remaining, [0, 0, 1, 2], "four concurrent hits are counted 1..4");
    assert_eq!(hits.iter().filter(|d| !d.as_ref().unwrap().allowed).count(), 1);
    assert!(
        limiter
            .hit("login-ip:198.51.100.1", rule, now)
            .await
            .unwrap()
            .allowed,
        "another key"
    );
    let next_window = now + chrono::Duration::seconds(30);
    assert!(
        limiter
            .hit("login-ip:203.0.113.7", rule, next_window)
            .await
            .unwrap()
            .allowed,
        "a new window"
    );
}

#[tokio::test]
async fn the_mfa_state_changes_only_from_the_expected_version() {
    let stack = TestStack::provision().await;
    let users = DynamoUserRepository::new(stack.table());
    let asha = user("asha.mfa@example.in");
    users
        .create(&asha, &PaperAccount::open(asha.id, asha.created_at))
        .await
        .unwrap();
    // Users stored before MFA existed have no `mfa` attribute: they are at version 0.
    stack
        .aws
        .dynamodb
        .update_item()
        .table_name(stack.table().name())
        .set_key(Some(keys::user_profile(&asha.id).to_attributes()))
        .update_expression("REMOVE mfa")
        .send()
        .await
        .unwrap();
    assert_eq!(
        users.get(&asha.id).await.unwrap().unwrap().mfa,
        MfaState::default()
    );
    let enabled = MfaState {
        secret: Some("v1.abcd.nonce.ct".into()),
        enabled: true,
        last_used_step: Some(58_000_000),
        backup_code_hashes: vec!["ab".repeat(32); 10],
        version: 1,
        ..MfaState::default()
    };
    users.replace_mfa(&asha.id, 0, &enabled).await.unwrap();
    assert_eq!(users.get(&asha.id).await.unwrap().unwrap().mfa, enabled);
    let racing = MfaState {
        last_used_step: Some(58_000_001),
        ..enabled.clone()
    };
    assert!(matches!(
        users.replace_mfa(&asha.id, 0, &racing).await,
        Err(RepoError::Conflict)
    ));
    let next = MfaState { version: 2, ..racing };
    users.replace_mfa(&asha.id, 1, &next).await.unwrap();
    assert!(matches!(
        users.replace_mfa(&asha.id, 1, &next).await,
        Err(RepoError::Conflict)
    ));
    assert!(matches!(
        users.replace_mfa(&UserId::from_ulid(Ulid::new()), 0, &next).await,
        Err(RepoError::Conflict),
    ));
    assert_eq!(users.get(&asha.id).await.unwrap().unwrap().mfa, next);
}

#[tokio::test]
async fn a_refunded_hit_frees_its_place_and_never_goes_below_zero() {
    let stack = TestStack::provision().await;
    let limiter = DynamoRateLimiter::new(stack.table());
    let rule = RateRule {
        limit: 2,
        window: chrono::Duration::minutes(5),
    };
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 4, 1, 0).unwrap();
    limiter.refund("mfa:nobody", rule, at).await.unwrap();
    assert_eq!(
        limiter.hit("mfa:nobody", rule, at).await.unwrap().remaining,
        1,
        "no credit from a refund of nothing"
    );
    limiter.hit("mfa:nobody", rule, at).await.unwrap();
    limiter.refund("mfa:nobody", rule, at).await.unwrap();
    let later_in_window = at + chrono::Duration::minutes(2);
    let decision = limiter.hit("mfa:nobody", rule, later_in_window).await.unwrap();
    assert!(decision.allowed, "the refunded place is free again");
    assert!(
        !limiter
            .hit("mfa:nobody", rule, later_in_window)
            .await
            .unwrap()
            .allowed
    );
}

#[tokio::test]
async fn broker_links_are_stored_replaced_read_and_deleted_per_user() {
    use tradesense_adapters::dynamo::broker_links::DynamoBrokerLinks;
    use tradesense_domain::broker::link::{Broker, BrokerLink};
    use tradesense_domain::broker::ports::BrokerLinkRepository;

    let stack = TestStack::provision().await;
    let links = DynamoBrokerLinks::new(stack.table());
    let (asha, ravi) = (UserId::from_ulid(Ulid::new()), UserId::from_ulid(Ulid::new()));
    let linked_at = Utc.with_ymd_and_hms(2026, 11, 23, 4, 30, 0).unwrap();
    let link = BrokerLink {
        user_id: asha,
        broker: Broker::Upstox,
        broker_user_id: "AB1234".into(),
        sealed_access_token: "v1.abcd.nonce.ciphertext".into(),
        linked_at,
        expires_at: Utc.with_ymd_and_hms(2026, 11, 23, 22, 0, 0).unwrap(),
    };
    links.put(&link).await.unwrap();
    assert_eq!(
        links.get(&asha, Broker::Upstox).await.unwrap(),
        Some(link.clone())
    );
    assert_eq!(links.get(&ravi, Broker::Upstox).await.unwrap(), None);
    let relinked = BrokerLink {
        sealed_access_token: "v1.abcd.nonce.other".into(),
        ..link
    };
    links.put(&relinked).await.unwrap();
    assert_eq!(links.get(&asha, Broker::Upstox).await.unwrap(), Some(relinked));
    assert!(!links.delete(&ravi, Broker::Upstox).await.unwrap());
    assert!(links.delete(&asha, Broker::Upstox).await.unwrap());
    assert!(!links.delete(&asha, Broker::Upstox).await.unwrap());
    assert_eq!(links.get(&asha, Broker::Upstox).await.unwrap(), None);
}

#[tokio::test]
async fn trading_modes_default_to_paper_switch_both_ways_and_stay_per_user() {
    use tradesense_adapters::dynamo::trading_modes::DynamoTradingModes;
    use tradesense_domain::broker::live::TradingMode;
    use tradesense_domain::broker::ports::TradingModes;

    let stack = TestStack::provision().await;
    let modes = DynamoTradingModes::new(stack.table());
    let (asha, ravi) = (UserId::from_ulid(Ulid::new()), UserId::from_ulid(Ulid::new()));
    assert_eq!(modes.mode(&asha).await.unwrap(), TradingMode::Paper);
    modes.set_mode(&asha, TradingMode::Live).await.unwrap();
    assert_eq!(modes.mode(&asha).await.unwrap(), TradingMode::Live);
    assert_eq!(modes.mode(&ravi).await.unwrap(), TradingMode::Paper);
    let stored = stack
        .table()
        .get(&keys::trading_mode(&asha))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored["mode"].as_s().unwrap(), "live");
    modes.set_mode(&asha, TradingMode::Paper).await.unwrap();
    assert_eq!(modes.mode(&asha).await.unwrap(), TradingMode::Paper);
}

#[tokio::test]
async fn an_unreadable_stored_trading_mode_is_an_error_not_paper() {
    use tradesense_adapters::dynamo::trading_modes::DynamoTradingModes;
    use tradesense_domain::broker::ports::TradingModes;

    let stack = TestStack::provision().await;
    let asha = UserId::from_ulid(Ulid::new());
    let mut item = keys::trading_mode(&asha).to_attributes();
    item.insert("entity".into(), AttributeValue::S("trading_mode".into()));
    item.insert("mode".into(), AttributeValue::S("margin".into()));
    stack
        .aws
        .dynamodb
        .put_item()
        .table_name(stack.table().name())
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    let modes = DynamoTradingModes::new(stack.table());
    assert!(matches!(modes.mode(&asha).await, Err(RepoError::Unexpected(_))));
}

#[tokio::test]
async fn broker_tokens_open_links_sealed_by_the_domain_and_nothing_else() {
    use std::sync::Arc;
    use tradesense_adapters::broker_tokens::SealedBrokerTokens;
    use tradesense_adapters::dynamo::broker_links::DynamoBrokerLinks;
    use tradesense_domain::broker::link::{Broker, BrokerLink, token_context};
    use tradesense_domain::broker::ports::BrokerLinkRepository;
    use tradesense_domain::broker::ports::BrokerTokens;
    use tradesense_domain::broker::service::BrokerLinkService;
    use tradesense_domain::identity::token::{SigningKeyMaterial, TokenSigner, TokenVerifier};
    use tradesense_domain::testing::{FixedClock, RecordingPublisher, ScriptedBroker};

    let stack = TestStack::provision().await;
    let data_key = stack.reference("DataKeySecret");
    let links = Arc::new(DynamoBrokerLinks::new(stack.table()));
    let tokens = SealedBrokerTokens::new(
        links.clone(),
        SecretsProvider::new(stack.aws.secrets.clone(), Duration::ZERO),
        &data_key,
    );
    let sealer = SecretsProvider::new(stack.aws.secrets.clone(), Duration::ZERO)
        .sealer(&data_key)
        .await
        .unwrap();

    // Linked through the domain's own flow: the domain seals the token it is granted.
    let now = Utc::now();
    let service = BrokerLinkService::new(
        Broker::Upstox,
        Arc::new(ScriptedBroker),
        links.clone(),
        tradesense_domain::testing::audit_trail(Arc::new(RecordingPublisher::default())),
        Arc::new(FixedClock(now)),
    );
    let key = SigningKeyMaterial::generate("k1");
    let principal = tradesense_domain::identity::rbac::Principal {
        user_id: UserId::from_ulid(Ulid::new()),
        roles: vec![Role::Trader],
        session_id: SessionId::from_ulid(Ulid::new()),
    };
    let asha = principal.user_id;
    let url = service
        .authorize_url(&TokenSigner::new(&key).unwrap(), &principal)
        .await
        .unwrap();
    let state = url.split_once("state=").unwrap().1.to_owned();
    let link = service
        .complete(&TokenVerifier::new([&key]).unwrap(), &sealer, &state, "good-code")
        .await
        .unwrap();
    let token = tokens.token(&asha, Broker::Upstox, now).await.unwrap().unwrap();
    assert_eq!(token.0, "token-for-good-code");
    assert_eq!(format!("{token:?}"), "BrokerAccessToken(..)");

    // Expired at `now`, and never linked: no token.
    assert!(
        tokens
            .token(&asha, Broker::Upstox, link.expires_at)
            .await
            .unwrap()
            .is_none()
    );
    let ravi = UserId::from_ulid(Ulid::new());
    assert!(tokens.token(&ravi, Broker::Upstox, now).await.unwrap().is_none());

    // A token sealed for another user, stored under Ravi's link: an error, never Ravi's token.
    links
        .put(&BrokerLink {
            user_id: ravi,
            sealed_access_token: sealer.seal(b"asha-token", &token_context(&asha, Broker::Upstox)),
            ..link
        })
        .await
        .unwrap();
    let err = format!(
        "{:#}",
        tokens.token(&ravi, Broker::Upstox, now).await.unwrap_err()
    );
    assert!(err.contains("open the upstox token"), "{err}");
    assert!(!err.contains("asha-token"));
}

async fn stack_secret_text(stack: &TestStack, secret_id: &str) -> String {
    stack
        .aws
        .secrets
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .unwrap()
        .secret_string()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn access_changes_write_roles_and_the_disabled_flag_of_existing_users_only() {
    let stack = TestStack::provision().await;
    let users = DynamoUserRepository::new(stack.table());
    let asha = user("asha.access@example.in");
    users
        .create(&asha, &PaperAccount::open(asha.id, asha.created_at))
        .await
        .unwrap();
    users
        .update_access(&asha.id, &[Role::Viewer, Role::Admin], true)
        .await
        .unwrap();
    let stored = users.get(&asha.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.roles, stored.disabled),
        (vec![Role::Viewer, Role::Admin], true)
    );
    let ghost = UserId::from_ulid(Ulid::new());
    assert!(matches!(
        users.update_access(&ghost, &[Role::Admin], false).await,
        Err(RepoError::Conflict)
    ));
    assert_eq!(users.get(&ghost).await.unwrap(), None, "no item conjured up");
}

#[tokio::test]
async fn the_quote_cache_round_trips_batches_larger_than_one_call() {
    use rust_decimal::Decimal;
    use tradesense_adapters::dynamo::quote_cache::DynamoQuoteCache;
    use tradesense_domain::market::instrument::{Exchange, InstrumentKey};
    use tradesense_domain::market::ports::QuoteCache;
    use tradesense_domain::market::quote::{Bar, Quote};

    let stack = TestStack::provision().await;
    let cache = DynamoQuoteCache::new(stack.table());
    let fetched_at = Utc.with_ymd_and_hms(2026, 11, 25, 5, 30, 0).unwrap();
    let quotes: std::collections::HashMap<InstrumentKey, Quote> = (0..130)
        .map(|i| {
            let price = Decimal::new(100_000 + i, 2);
            let bar = Bar {
                open: price,
                high: price,
                low: price,
                close: price,
                volume: 10,
            };
            let quote = Quote {
                last_price: price,
                bid: price,
                ask: price,
                day: bar,
                previous_close: price,
                timestamp: fetched_at,
                open_interest: None,
                bid_quantity: None,
                ask_quantity: None,
            };
            (InstrumentKey::new(Exchange::Nse, &format!("SYM{i}")), quote)
        })
        .collect();
    cache.put(&quotes, fetched_at).await.unwrap();
    let mut wanted: Vec<InstrumentKey> = quotes.keys().cloned().collect();
    wanted.push(InstrumentKey::new(Exchange::Nse, "NEVER-CACHED"));
    let got = cache.get(&wanted).await.unwrap();
    assert_eq!(got.len(), 130, "everything stored, nothing invented");
    for (key, quote) in &quotes {
        assert_eq!(got[key], (quote.clone(), fetched_at), "{key}");
    }
}

#[tokio::test]
async fn instrument_snapshots_are_stored_in_parts_and_switched_by_the_pointer() {
    use tradesense_adapters::dynamo::instruments::DynamoInstrumentStore;
    use tradesense_domain::market::calendar::MarketCalendar;
    use tradesense_domain::market::master::InstrumentMaster;
    use tradesense_domain::market::ports::InstrumentStore;

    let stack = TestStack::provision().await;
    let store = DynamoInstrumentStore::new(stack.table());
    assert_eq!(store.current_id().await.unwrap(), None);
    assert_eq!(store.current().await.unwrap(), None);
    let calendar = MarketCalendar::nse().unwrap();
    let monday = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let snapshot = InstrumentMaster::shipped(&calendar, monday)
        .unwrap()
        .snapshot(monday);
    assert!(snapshot.instruments.len() > 1_000, "several parts");
    store.publish(&snapshot).await.unwrap();
    assert_eq!(
        store.current_id().await.unwrap().as_deref(),
        Some("v1-2026-11-23")
    );
    assert_eq!(store.current().await.unwrap(), Some(snapshot));
    let wednesday = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let next = InstrumentMaster::shipped(&calendar, wednesday)
        .unwrap()
        .snapshot(wednesday);
    store.publish(&next).await.unwrap();
    assert_eq!(store.current().await.unwrap().unwrap().id, "v1-2026-11-25");
}

mod backtests {
    use super::*;
    use rust_decimal::Decimal;
    use tradesense_adapters::dynamo::backtests::{DynamoBacktestStore, PART_BYTES};
    use tradesense_domain::backtest::engine::Outcome;
    use tradesense_domain::backtest::metrics::metrics;
    use tradesense_domain::backtest::ports::BacktestStore;
    use tradesense_domain::backtest::request::{BacktestRequest, ChargeModel, Crossover, Strategy};
    use tradesense_domain::backtest::run::{BacktestResult, BacktestRun, CurvePoint, RunStatus, Timings};
    use tradesense_domain::kernel::ids::BacktestId;
    use tradesense_domain::market::candles::Interval;
    use tradesense_domain::market::instrument::InstrumentKey;
    use tradesense_domain::trading::request::Product;

    fn run(user: UserId, key: Option<&str>) -> BacktestRun {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 5, 30, 0).unwrap();
        let request = BacktestRequest {
            strategy: Strategy::SmaCrossover(Crossover { fast: 5, slow: 20 }),
            instrument: InstrumentKey::parse("NSE:INFY").unwrap(),
            interval: Interval::M1,
            from: at - chrono::Duration::days(60),
            to: at,
            initial_capital: Decimal::new(10_000_000, 2),
            commission_pct: Decimal::new(3, 2),
            slippage_bps: Decimal::ZERO,
            charges: ChargeModel::None,
            product: Product::Intraday,
        };
        BacktestRun::queued(
            (user, BacktestId::from_ulid(Ulid::new())),
            request,
            (key.map(str::to_owned), "hash".into()),
            at,
        )
    }

    /// A result of `bars` bars: its JSON is far larger than one DynamoDB item.
    fn big_result(bars: usize) -> BacktestResult {
        let equity: Vec<Decimal> = (0..bars)
            .map(|i| Decimal::new(10_000_000 + i as i64, 2))
            .collect();
        let times: Vec<_> = (0..bars)
            .map(|i| Utc.timestamp_opt(1_795_400_000 + 60 * i as i64, 0).unwrap())
            .collect();
        let outcome = Outcome {
            trades: Vec::new(),
            equity: equity.clone(),
            bars_in_market: 0,
            total_commission: Decimal::ZERO,
        };
        BacktestResult {
            metrics: metrics(&outcome, &times, Interval::M1),
            trades: Vec::new(),
            equity_curve: times
                .iter()
                .zip(&equity)
                .map(|(t, e)| CurvePoint(t.to_rfc3339(), *e))
                .collect(),
            drawdown_curve: times.iter().map(|t| CurvePoint(t.to_rfc3339(), 0.0)).collect(),
            monthly_returns: Vec::new(),
        }
    }

    #[tokio::test]
    async fn a_run_is_created_once_with_its_claim_and_moves_only_from_the_version_read() {
        let stack = TestStack::provision().await;
        let store = DynamoBacktestStore::new(stack.table());
        let user = UserId::from_ulid(Ulid::new());
        let queued = run(user, Some("k-1"));
        store.create(&queued).await.unwrap();
        assert!(matches!(store.create(&queued).await, Err(RepoError::Conflict)));
        let other = run(user, Some("k-1"));
        assert!(
            matches!(store.create(&other).await, Err(RepoError::Conflict)),
            "claim taken"
        );
        assert_eq!(
            store.get(&user, &other.id).await.unwrap(),
            None,
            "nothing of it written"
        );
        assert_eq!(store.claimed(&user, "k-1").await.unwrap().unwrap().id, queued.id);

        let at = queued.created_at;
        let running = queued.start(at, chrono::Duration::minutes(15)).unwrap();
        store.update(&running).await.unwrap();
        assert!(
            matches!(store.update(&running).await, Err(RepoError::Conflict)),
            "stale version"
        );
        assert_eq!(
            store.get(&user, &queued.id).await.unwrap().unwrap().status,
            RunStatus::Running
        );
        assert!(
            matches!(
                store
                    .update(&run(user, None).start(at, chrono::Duration::minutes(1)).unwrap())
                    .await,
                Err(RepoError::Conflict)
            ),
            "a run that does not exist is not written"
        );
    }

    #[tokio::test]
    async fn a_result_larger_than_an_item_is_stored_in_parts_and_read_back_whole() {
        let stack = TestStack::provision().await;
        let store = DynamoBacktestStore::new(stack.table());
        let user = UserId::from_ulid(Ulid::new());
        let queued = run(user, Some("k-2"));
        store.create(&queued).await.unwrap();
        let result = big_result(20_000);
        let size = serde_json::to_string(&result).unwrap().len();
        assert!(size > 400 * 1024, "{size} bytes: more than one item holds");
        let parts = store.store_result(&queued, &result).await.unwrap();
        assert_eq!(parts as usize, size.div_ceil(PART_BYTES));
        let done = queued.done(parts, Timings::default(), queued.created_at);
        store.update(&done).await.unwrap();
        assert_eq!(store.result(&done).await.unwrap().unwrap(), result);

        // Deleting takes the run, its parts and its claim; a stale copy cannot delete.
        assert!(matches!(store.delete(&queued).await, Err(RepoError::Conflict)));
        store.delete(&done).await.unwrap();
        assert_eq!(store.get(&user, &done.id).await.unwrap(), None);
        assert_eq!(store.claimed(&user, "k-2").await.unwrap(), None);
        assert!(store.result(&done).await.is_err(), "its parts are gone");
    }

    #[tokio::test]
    async fn a_discarded_result_leaves_no_part_and_discarding_again_is_harmless() {
        let stack = TestStack::provision().await;
        let store = DynamoBacktestStore::new(stack.table());
        let queued = run(UserId::from_ulid(Ulid::new()), None);
        store.create(&queued).await.unwrap();
        let parts = store.store_result(&queued, &big_result(20_000)).await.unwrap();
        assert!(parts > 1);
        store.discard_result(&queued, parts).await.unwrap();
        let done = queued.done(parts, Timings::default(), queued.created_at);
        assert!(store.result(&done).await.is_err(), "no part is left");
        store.discard_result(&queued, parts).await.unwrap();
    }

    #[tokio::test]
    async fn runs_list_newest_first_and_another_users_are_invisible() {
        let stack = TestStack::provision().await;
        let store = DynamoBacktestStore::new(stack.table());
        let (asha, ravi) = (UserId::from_ulid(Ulid::new()), UserId::from_ulid(Ulid::new()));
        // Ids sort by their time: the second is minted a millisecond later.
        let minted = |ms: u64| BacktestId::from_ulid(Ulid::from_parts(1_795_400_000_000 + ms, 1));
        let first = BacktestRun {
            id: minted(0),
            ..run(asha, None)
        };
        store.create(&first).await.unwrap();
        let second = BacktestRun {
            id: minted(1),
            ..run(asha, None)
        };
        store.create(&second).await.unwrap();
        store.create(&run(ravi, None)).await.unwrap();
        let page = store.page(&asha, 1, None).await.unwrap();
        assert_eq!(page.items[0].id, second.id);
        let next = store.page(&asha, 1, page.resume_after).await.unwrap();
        assert_eq!((next.items[0].id, next.resume_after), (first.id, None));
        assert_eq!(store.get(&ravi, &first.id).await.unwrap(), None);
    }
}

#[tokio::test]
async fn the_saved_strategy_cap_holds_under_concurrent_saves_and_a_delete_frees_a_place() {
    use tradesense_adapters::dynamo::strategies::DynamoStrategyStore;
    use tradesense_domain::kernel::ids::StrategyId;
    use tradesense_domain::market::instrument::InstrumentKey;
    use tradesense_domain::strategies::ports::StrategyStore;
    use tradesense_domain::strategies::strategy::Strategy;

    let stack = TestStack::provision().await;
    let store = DynamoStrategyStore::new(stack.table());
    let user = UserId::from_ulid(ulid::Ulid::new());
    let strategy = |n: u64| Strategy {
        id: StrategyId::from_ulid(ulid::Ulid::from_parts(n, 7)),
        user_id: user,
        name: format!("s{n}"),
        template: None,
        underlying: InstrumentKey::parse("NSE:NIFTY").unwrap(),
        legs: Vec::new(),
        created_at: chrono::Utc::now(),
        execution: None,
        version: 1,
    };
    let saves: Vec<Strategy> = (1..=5).map(strategy).collect();
    let results = futures::future::join_all(saves.iter().map(|s| store.create(s, 3))).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3, "{results:?}");
    assert!(
        results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(RepoError::Conflict)))
    );
    let kept = store.page(&user, 10, None).await.unwrap().items;
    assert_eq!(kept.len(), 3);
    assert!(store.delete(&user, &kept[0].id).await.unwrap());
    assert!(
        !store.delete(&user, &kept[0].id).await.unwrap(),
        "deleting twice frees one place only"
    );
    store.create(&strategy(6), 3).await.unwrap();
    assert!(matches!(
        store.create(&strategy(7), 3).await,
        Err(RepoError::Conflict)
    ));
}

#[tokio::test]
async fn a_connect_ticket_is_taken_once_however_many_ask_at_once() {
    use tradesense_adapters::dynamo::stream::DynamoTicketStore;
    use tradesense_domain::stream::ports::TicketStore;
    use tradesense_domain::stream::ticket::TicketRecord;

    let stack = TestStack::provision().await;
    let store = DynamoTicketStore::new(stack.table());
    let (_, record) = TicketRecord::issue(
        UserId::from_ulid(ulid::Ulid::new()),
        SessionId::from_ulid(ulid::Ulid::new()),
        Utc::now(),
    );
    store.put(&record).await.unwrap();
    assert!(matches!(store.put(&record).await, Err(RepoError::Conflict)));
    let takes = futures::future::join_all((0..5).map(|_| store.take(&record.hash))).await;
    let taken: Vec<TicketRecord> = takes.into_iter().filter_map(|t| t.unwrap()).collect();
    assert_eq!(taken, vec![record.clone()], "exactly one take gets it");
    assert_eq!(store.take(&record.hash).await.unwrap(), None);
    let item = stack.table().get(&keys::ticket(&record.hash)).await.unwrap();
    assert!(item.is_none(), "gone after the take");
}

#[tokio::test]
async fn a_connection_keeps_its_subscriber_index_and_reconnect_entry_in_step() {
    use tradesense_adapters::dynamo::stream::DynamoConnectionStore;
    use tradesense_domain::market::instrument::InstrumentKey;
    use tradesense_domain::stream::connection::{Connection, QuoteMode};
    use tradesense_domain::stream::ports::ConnectionStore;

    let stack = TestStack::provision().await;
    let store = DynamoConnectionStore::new(stack.table());
    let user = UserId::from_ulid(ulid::Ulid::new());
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 5, 0, 0).unwrap();
    let opened = Connection::open(
        "Jt1Hh3pXBcwEJbQ=".parse().unwrap(),
        user,
        SessionId::from_ulid(ulid::Ulid::new()),
        at,
    );
    let other = Connection::open(
        "Zz9Qq1pXBcwEJbQ=".parse().unwrap(),
        UserId::from_ulid(ulid::Ulid::new()),
        SessionId::from_ulid(ulid::Ulid::new()),
        at,
    );
    store.put(&opened).await.unwrap();
    store.put(&other).await.unwrap();
    assert!(matches!(store.put(&opened).await, Err(RepoError::Conflict)));
    assert_eq!(store.get(&opened.id).await.unwrap(), Some(opened.clone()));
    assert_eq!(store.of_user(&user).await.unwrap(), vec![opened.clone()]);

    // Subscribe two instruments; the ticker's one query sees them with their modes.
    let (infy, tcs) = (
        InstrumentKey::parse("NSE:INFY").unwrap(),
        InstrumentKey::parse("NSE:TCS").unwrap(),
    );
    let watching = opened
        .subscribe_quotes(std::slice::from_ref(&infy), QuoteMode::Ltp)
        .unwrap();
    let watching = {
        store.update(&opened, &watching).await.unwrap();
        let both = watching
            .subscribe_quotes(std::slice::from_ref(&tcs), QuoteMode::Quote)
            .unwrap();
        store.update(&watching, &both).await.unwrap();
        both
    };
    let index = store.subscribers().await.unwrap();
    assert_eq!(index.len(), 2);
    assert_eq!(
        (index[&infy][0].connection.clone(), index[&infy][0].mode),
        (opened.id.clone(), QuoteMode::Ltp)
    );
    assert_eq!(index[&tcs][0].mode, QuoteMode::Quote);
    // A write over a version that is not the stored one changes nothing.
    let stale = opened.unsubscribe_quotes(std::slice::from_ref(&infy));
    assert!(matches!(
        store.update(&opened, &stale).await,
        Err(RepoError::Conflict)
    ));
    assert_eq!(store.subscribers().await.unwrap().len(), 2);
    // Unsubscribing one leaves the other.
    let one = watching.unsubscribe_quotes(std::slice::from_ref(&infy));
    store.update(&watching, &one).await.unwrap();
    let index = store.subscribers().await.unwrap();
    assert_eq!(index.keys().collect::<Vec<_>>(), vec![&tcs]);

    // The reconnect is handed out once, when due.
    assert!(store.due_for_reconnect(at).await.unwrap().is_empty());
    let later = opened.reconnect_at();
    let due = store.due_for_reconnect(later).await.unwrap();
    assert_eq!(due.len(), 2, "{due:?}");
    assert!(due.contains(&opened.id) && due.contains(&other.id));
    assert!(store.due_for_reconnect(later).await.unwrap().is_empty());

    // Deleting the connection deletes its index entries; deleting it again does nothing.
    store.delete(&opened.id).await.unwrap();
    store.delete(&opened.id).await.unwrap();
    assert_eq!(store.get(&opened.id).await.unwrap(), None);
    assert!(store.of_user(&user).await.unwrap().is_empty());
    assert!(store.subscribers().await.unwrap().is_empty());
    assert_eq!(store.get(&other.id).await.unwrap(), Some(other));
}
