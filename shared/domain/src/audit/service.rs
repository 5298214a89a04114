//! Publishing audit events (producers) and recording them exactly once (the audit worker).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::audit::ports::AuditLog;
use crate::audit::{AuditEvent, AuditKind};
use crate::kernel::error::{RepoError, Retryable};
use crate::kernel::events::{Envelope, EnvelopeError, EventPublisher};
use crate::kernel::ids::{IdGen, UserId};
use crate::kernel::origin::RequestOrigin;

/// Where producers send audit events: the queue's publisher, and the ids the events are minted with.
#[derive(Clone)]
pub struct AuditTrail {
    publisher: Arc<dyn EventPublisher>,
    ids: Arc<dyn IdGen>,
}

impl AuditTrail {
    /// Events published through `publisher`, with ids from `ids`.
    pub fn new(publisher: Arc<dyn EventPublisher>, ids: Arc<dyn IdGen>) -> Self {
        Self { publisher, ids }
    }

    /// Publishes an audit event concerning `user_id`, stamped with the origin of the request being handled
    /// (its actor, request id and source IP; none outside a request). A publishing failure is logged, not
    /// returned: the audit trail must not take the use case (a login, a broker link) down with it.
    pub async fn record(
        &self,
        kind: AuditKind,
        user_id: Option<UserId>,
        at: DateTime<Utc>,
        detail: serde_json::Value,
    ) {
        let origin = RequestOrigin::current();
        let event = AuditEvent {
            id: self.ids.next(),
            kind,
            user_id,
            occurred_at: at,
            detail,
            actor: origin.as_ref().and_then(|o| o.actor),
            request_id: origin.as_ref().map(|o| o.request_id.clone()),
            source_ip: origin.and_then(|o| o.source_ip),
        };
        let published = match Envelope::wrap(event.id, event.occurred_at, &event) {
            Ok(envelope) => self.publisher.publish(&envelope).await,
            Err(e) => Err(e.into()),
        };
        if let Err(e) = published {
            tracing::error!(error = ?e, ?kind, "audit event not published");
        }
    }
}

/// What recording an audit message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOutcome {
    /// Stored now.
    Recorded,
    /// Already stored by an earlier delivery; nothing written.
    AlreadyRecorded,
}

/// Recording an audit message failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordAuditError {
    /// The message can never be recorded (malformed, wrong type); retrying will not help.
    #[error(transparent)]
    Rejected(#[from] EnvelopeError),
    /// Storage failed; a retry may succeed.
    #[error(transparent)]
    Storage(anyhow::Error),
}

impl Retryable for RecordAuditError {
    fn is_retryable(&self) -> bool {
        matches!(self, RecordAuditError::Storage(_))
    }
}

/// Stores the audit event carried by one queue message, exactly once however often it is delivered.
///
/// # Errors
/// [`RecordAuditError::Rejected`] for a message that is not an audit event; [`RecordAuditError::Storage`] when
/// the log cannot be written.
pub async fn record_audit_message(log: &dyn AuditLog, body: &str) -> Result<RecordOutcome, RecordAuditError> {
    let envelope = Envelope::parse(body)?;
    let event: AuditEvent = envelope.open()?;
    if event.id != envelope.id {
        return Err(EnvelopeError::Malformed("event id differs from envelope id".into()).into());
    }
    match log.record(&event).await {
        Ok(()) => Ok(RecordOutcome::Recorded),
        Err(RepoError::Conflict) => Ok(RecordOutcome::AlreadyRecorded),
        Err(RepoError::Unexpected(e)) => Err(RecordAuditError::Storage(e)),
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::EventId;
    use crate::testing::InMemoryAuditLog;
    use chrono::Utc;
    use ulid::Ulid;

    fn message(kind: AuditKind) -> (EventId, String) {
        let id = EventId::from_ulid(Ulid::new());
        let event = AuditEvent {
            id,
            kind,
            user_id: None,
            occurred_at: Utc::now(),
            detail: serde_json::json!({"ip": "203.0.113.7"}),
            actor: None,
            request_id: None,
            source_ip: None,
        };
        (
            id,
            serde_json::to_string(&Envelope::wrap(id, event.occurred_at, &event).unwrap()).unwrap(),
        )
    }

    #[tokio::test]
    async fn records_a_redelivered_message_once() {
        let log = InMemoryAuditLog::default();
        let (id, body) = message(AuditKind::LoginFailed);
        assert_eq!(
            record_audit_message(&log, &body).await.unwrap(),
            RecordOutcome::Recorded
        );
        assert_eq!(
            record_audit_message(&log, &body).await.unwrap(),
            RecordOutcome::AlreadyRecorded
        );
        assert_eq!(log.events().iter().filter(|e| e.id == id).count(), 1);
    }

    #[tokio::test]
    async fn rejects_poison_messages_permanently() {
        let log = InMemoryAuditLog::default();
        for body in ["", "{", "null", r#"{"id":"x"}"#] {
            let err = record_audit_message(&log, body).await.unwrap_err();
            assert!(!err.is_retryable(), "{body}: {err}");
        }
        let (_, body) = message(AuditKind::MfaEnabled);
        let wrong_type = body.replace("audit.recorded", "order.placed");
        assert!(
            !record_audit_message(&log, &wrong_type)
                .await
                .unwrap_err()
                .is_retryable()
        );
        assert!(log.events().is_empty());
    }

    #[tokio::test]
    async fn records_a_message_queued_before_events_had_an_actor_request_id_and_source_ip() {
        let log = InMemoryAuditLog::default();
        let body = r#"{"id": "01JDQ8ZK3M4N5P6Q7R8S9T0EV1", "type": "audit.recorded", "version": 1,
            "occurred_at": "2026-11-23T04:30:00Z", "data": {"id": "01JDQ8ZK3M4N5P6Q7R8S9T0EV1",
            "kind": "LOGIN_SUCCEEDED", "user_id": "01JDQ8ZK3M4N5P6Q7R8S9T0AD1",
            "occurred_at": "2026-11-23T04:30:00Z", "detail": {"ip": "203.0.113.7"}}}"#;
        assert_eq!(
            record_audit_message(&log, body).await.unwrap(),
            RecordOutcome::Recorded
        );
        let stored = &log.events()[0];
        assert_eq!(stored.kind, AuditKind::LoginSucceeded);
        assert_eq!(
            (&stored.actor, &stored.request_id, &stored.source_ip),
            (&None, &None, &None)
        );
    }

    #[tokio::test]
    async fn an_event_carries_the_origin_of_the_request_it_was_recorded_in_and_none_outside_one() {
        let publisher = Arc::new(crate::testing::RecordingPublisher::default());
        let trail = crate::testing::audit_trail(publisher.clone());
        let admin: UserId = "01JDQ8ZK3M4N5P6Q7R8S9T0AD1".parse().unwrap();
        let target: UserId = "01JDQ8ZK3M4N5P6Q7R8S9T0TR1".parse().unwrap();
        let origin = RequestOrigin {
            request_id: "Jt1Hh3pXBcwEJbQ=".into(),
            source_ip: Some("203.0.113.7".into()),
            actor: Some(admin),
        };
        origin
            .scope(trail.record(
                AuditKind::RoleChanged,
                Some(target),
                Utc::now(),
                serde_json::json!({}),
            ))
            .await;
        trail
            .record(
                AuditKind::KillSwitchChanged,
                None,
                Utc::now(),
                serde_json::json!({}),
            )
            .await;
        let events: Vec<AuditEvent> = publisher.published().iter().map(|e| e.open().unwrap()).collect();
        assert_eq!(events[0].user_id, Some(target));
        assert_eq!(events[0].actor, Some(admin));
        assert_eq!(events[0].request_id.as_deref(), Some("Jt1Hh3pXBcwEJbQ="));
        assert_eq!(events[0].source_ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(
            (&events[1].actor, &events[1].request_id, &events[1].source_ip),
            (&None, &None, &None)
        );
    }

    #[tokio::test]
    async fn a_storage_failure_is_retryable() {
        let log = InMemoryAuditLog::failing();
        let (_, body) = message(AuditKind::RoleChanged);
        assert!(
            record_audit_message(&log, &body)
                .await
                .unwrap_err()
                .is_retryable()
        );
    }
}
