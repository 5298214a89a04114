use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;
use tradesense_adapters::sqs::SqsPublisher;
use tradesense_domain::audit::{AuditEvent, AuditKind};
use tradesense_domain::identity::rbac::Role;
use tradesense_domain::kernel::events::{Envelope, EventPublisher};
use tradesense_domain::kernel::ids::EventId;

use crate::helpers::{client, eventually, principal, stack};

#[tokio::test]
async fn an_audit_event_on_the_queue_is_stored_by_the_worker_even_behind_a_poison_message() {
    let aws = stack().aws().await;
    aws.sqs
        .send_message()
        .queue_url(&stack().audit_queue)
        .message_body("{poison")
        .send()
        .await
        .unwrap();
    let user = principal(&[Role::Trader]).user_id;
    let event = AuditEvent {
        id: EventId::from_ulid(ulid::Ulid::new()),
        kind: AuditKind::LoginSucceeded,
        user_id: Some(user),
        occurred_at: Utc::now(),
        detail: serde_json::json!({"ip": "203.0.113.9"}),
        actor: None,
        request_id: None,
        source_ip: None,
    };
    let publisher = SqsPublisher::new(aws.sqs.clone(), &stack().audit_queue);
    publisher
        .publish(&Envelope::wrap(event.id, event.occurred_at, &event).unwrap())
        .await
        .unwrap();

    let stored = eventually("the audit worker to store the event", || {
        let aws = aws.clone();
        async move {
            let out = aws
                .dynamodb
                .query()
                .table_name(&stack().table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(format!("USER#{user}")))
                .send()
                .await
                .ok()?;
            out.items.filter(|i| !i.is_empty())
        }
    })
    .await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["kind"].as_s().unwrap(), "LOGIN_SUCCEEDED");
}

#[tokio::test]
async fn the_heartbeat_schedule_fires_and_shows_in_deep_health() {
    let token = stack().login_as(Role::Admin).await;
    let at = eventually("the heartbeat schedule to fire", || {
        let token = token.clone();
        async move {
            let body: serde_json::Value = client()
                .get(stack().url("/v1/admin/health"))
                .bearer_auth(token)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            body["scheduler"]["last_heartbeat_at"].as_str().map(str::to_owned)
        }
    })
    .await;
    assert!(chrono::DateTime::parse_from_rfc3339(&at).is_ok(), "{at}");
}

#[tokio::test]
async fn the_instrument_refresh_schedule_publishes_the_master() {
    let aws = stack().aws().await;
    let id = eventually("the instrument-refresh schedule to publish a snapshot", || {
        let aws = aws.clone();
        async move {
            let item = aws
                .dynamodb
                .get_item()
                .table_name(&stack().table)
                .key("pk", AttributeValue::S("INSTRUMENTS".into()))
                .key("sk", AttributeValue::S("CURRENT".into()))
                .send()
                .await
                .ok()?
                .item?;
            item.get("snapshot_id")?.as_s().ok().cloned()
        }
    })
    .await;
    assert!(id.starts_with("v1-"), "{id}");
}
