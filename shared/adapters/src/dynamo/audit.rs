//! Audit events in DynamoDB.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tradesense_domain::audit::ports::AuditLog;
use tradesense_domain::audit::{AuditEvent, AuditKind};
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::{EventId, UserId};

use super::document::s;
use super::keys;
use super::table::{PageFilter, PageQuery, Table};

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

    async fn latest(&self, user: &UserId, kind: AuditKind) -> Result<Option<AuditEvent>, RepoError> {
        let kind_text = serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let query = PageQuery {
            on_gsi1: false,
            partition: keys::user_partition(user),
            sort_prefix: Some(keys::AUDIT_PREFIX.to_owned()),
            filter: Some(PageFilter::default().and(
                "#kind = :kind",
                ("#kind", "kind"),
                (":kind", s(kind_text)),
            )),
            limit: 100,
            descending: true,
        };
        let mut start = None;
        // The newest first; at most five pages of the user's events.
        for _ in 0..5 {
            let (items, resume) = self.table.query_from(&query, start).await?;
            if let Some(item) = items.into_iter().next() {
                let item: AuditItem = serde_dynamo::from_item(item)
                    .map_err(|e| anyhow::Error::new(e).context("decode audit item"))?;
                return Ok(Some(AuditEvent {
                    id: item.id,
                    kind: item.kind,
                    user_id: item.user_id,
                    occurred_at: chrono::DateTime::parse_from_rfc3339(&item.occurred_at)
                        .map_err(|e| anyhow::Error::new(e).context("audit time"))?
                        .with_timezone(&chrono::Utc),
                    detail: serde_json::from_str(&item.detail)
                        .map_err(|e| anyhow::Error::new(e).context("audit detail"))?,
                }));
            }
            match resume {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        Ok(None)
    }
}
