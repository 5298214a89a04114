//! Audit events in DynamoDB.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tradesense_domain::audit::ports::AuditLog;
use tradesense_domain::audit::{AuditEvent, AuditKind};
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::{EventId, UserId};

use super::keys;
use super::table::Table;

/// The stored form of an audit event.
#[derive(Debug, Serialize, Deserialize)]
struct AuditItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    entity: String,
    id: EventId,
    kind: AuditKind,
    user_id: Option<UserId>,
    occurred_at: String,
    /// The detail as JSON text, so numbers in it are kept exactly as written.
    detail: String,
}

/// [`AuditLog`] over the single table. An event's key includes its id, so a redelivered event hits the
/// `attribute_not_exists` condition and is reported as [`RepoError::Conflict`].
#[derive(Clone, Debug)]
pub struct DynamoAuditLog {
    table: Table,
}

impl DynamoAuditLog {
    /// An audit log in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

#[async_trait]
impl AuditLog for DynamoAuditLog {
    async fn record(&self, event: &AuditEvent) -> Result<(), RepoError> {
        let k = keys::audit_event(event);
        let item = AuditItem {
            pk: k.key.pk,
            sk: k.key.sk,
            gsi1pk: k.gsi1pk,
            gsi1sk: k.gsi1sk,
            entity: "audit".to_owned(),
            id: event.id,
            kind: event.kind,
            user_id: event.user_id,
            occurred_at: keys::sortable_time(event.occurred_at),
            detail: event.detail.to_string(),
        };
        let item =
            serde_dynamo::to_item(item).map_err(|e| anyhow::Error::new(e).context("encode audit item"))?;
        self.table.put_new(item).await
    }
}
