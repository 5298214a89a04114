//! The audit worker against the emulator, fed the checked-in SQS event: the good record (an envelope from
//! before events had an actor, a request id and a source IP) is stored, the poison one is acknowledged (never
//! failing the batch), redelivery stores nothing twice, and a storage outage is reported back for retry.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use audit_worker::handle;
use aws_lambda_events::event::sqs::SqsEvent;
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::audit::DynamoAuditLog;
use tradesense_domain::audit::ports::{AuditLog, AuditQuery};
use tradesense_domain::audit::search::AuditPosition;
use tradesense_local::testing::TestStack;

fn checked_in_batch() -> SqsEvent {
    serde_json::from_str(include_str!("../../../events/audit-worker-sqs.json")).expect("valid SQS event")
}

async fn stored_audit_items(table: &Table) -> usize {
    let out = table
        .client()
        .query()
        .table_name(table.name())
        .key_condition_expression("pk = :pk AND begins_with(sk, :audit)")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S("USER#01JDQ8ZK3M4N5P6Q7R8S9T0AD1".into()),
        )
        .expression_attribute_values(
            ":audit",
            aws_sdk_dynamodb::types::AttributeValue::S("AUDIT#".into()),
        )
        .send()
        .await
        .unwrap();
    out.items.unwrap_or_default().len()
}

#[tokio::test]
async fn stores_the_good_record_and_acknowledges_the_poison_one() {
    let stack = TestStack::provision().await;
    let log = DynamoAuditLog::new(stack.table());
    let response = handle(&log, checked_in_batch()).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "a poison message must not fail the batch"
    );
    assert_eq!(stored_audit_items(&stack.table()).await, 1);

    let redelivered = handle(&log, checked_in_batch()).await;
    assert!(redelivered.batch_item_failures.is_empty());
    assert_eq!(stored_audit_items(&stack.table()).await, 1, "stored exactly once");

    // The fixture's envelope predates the actor, request id and source IP: it reads back without them.
    let day = |d| chrono::DateTime::parse_from_rfc3339(d).unwrap().to_utc();
    let found = log
        .search(&AuditQuery {
            user: Some("01JDQ8ZK3M4N5P6Q7R8S9T0AD1".parse().unwrap()),
            kind: None,
            from: day("2026-11-23T00:00:00Z"),
            before: AuditPosition::before(day("2026-11-24T00:00:00Z")),
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    let event = &found.items[0];
    assert_eq!(event.id.to_string(), "01JDQ8ZK3M4N5P6Q7R8S9T0EV1");
    assert_eq!(
        (&event.actor, &event.request_id, &event.source_ip),
        (&None, &None, &None)
    );
}

#[tokio::test]
async fn reports_only_the_valid_record_for_retry_when_storage_is_down() {
    let stack = TestStack::provision().await;
    let log = DynamoAuditLog::new(Table::new(stack.aws.dynamodb.clone(), "table-that-is-down"));
    let response = handle(&log, checked_in_batch()).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["0f1e2d3c-0000-4000-8000-000000000001"]);
}
