//! Audit events in DynamoDB: stored under their user (or `SYSTEM`) and by UTC day on GSI1, and searched
//! through either, never by scanning.

use anyhow::Context as _;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tradesense_domain::audit::ports::{AuditLog, AuditQuery};
use tradesense_domain::audit::search::AuditPosition;
use tradesense_domain::audit::{AuditEvent, AuditKind};
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::{EventId, UserId};
use tradesense_domain::kernel::page::Page;

use super::document::s;
use super::keys;
use super::table::{Item, PageFilter, PageQuery, Table};
use crate::aws::sdk_error;

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
    /// Who did it; absent on events stored before it was recorded, like the two below.
    #[serde(default)]
    actor: Option<UserId>,
    /// The request that caused it.
    #[serde(default)]
    request_id: Option<String>,
    /// The IP that request came from.
    #[serde(default)]
    source_ip: Option<String>,
}

impl AuditItem {
    fn new(event: &AuditEvent) -> Self {
        let k = keys::audit_event(event);
        Self {
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
            actor: event.actor,
            request_id: event.request_id.clone(),
            source_ip: event.source_ip.clone(),
        }
    }
}

impl TryFrom<AuditItem> for AuditEvent {
    type Error = anyhow::Error;

    fn try_from(item: AuditItem) -> anyhow::Result<Self> {
        Ok(AuditEvent {
            id: item.id,
            kind: item.kind,
            user_id: item.user_id,
            occurred_at: DateTime::parse_from_rfc3339(&item.occurred_at)
                .context("audit time")?
                .with_timezone(&Utc),
            detail: serde_json::from_str(&item.detail).context("audit detail")?,
            actor: item.actor,
            request_id: item.request_id,
            source_ip: item.source_ip,
        })
    }
}

/// The event a stored item holds.
fn decode(item: Item) -> anyhow::Result<AuditEvent> {
    let item: AuditItem = serde_dynamo::from_item(item).context("decode audit item")?;
    item.try_into()
}

/// [`AuditLog`] over the single table. An event's key includes its id, so a redelivered event hits the
/// `attribute_not_exists` condition and is reported as [`RepoError::Conflict`].
#[derive(Clone, Debug)]
pub struct DynamoAuditLog {
    table: Table,
}

/// One partition's part of a search: which partition, and the sort-key range in it.
struct RangeRead {
    on_gsi1: bool,
    partition: String,
    range: (String, String),
}

impl DynamoAuditLog {
    /// An audit log in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Adds to `found` the events of `read` the query keeps, newest first, until it holds `wanted` or the range
    /// ends. With a kind to keep, DynamoDB filters each page it reads (up to 1 MB) after reading it, so the
    /// page is not cut to what is still wanted: a page of matching events would cost as many round trips as it
    /// has events. The event `query.before` follows is its range's upper bound, and is dropped. An empty range
    /// (its end before its start) reads nothing.
    async fn read(
        &self,
        read: RangeRead,
        query: &AuditQuery,
        wanted: usize,
        found: &mut Vec<AuditEvent>,
    ) -> Result<(), RepoError> {
        if read.range.0 > read.range.1 {
            return Ok(());
        }
        let (pk, sk) = if read.on_gsi1 {
            (keys::GSI1PK, keys::GSI1SK)
        } else {
            (keys::PK, keys::SK)
        };
        let mut request = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .set_index_name(read.on_gsi1.then(|| keys::GSI1.to_owned()))
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .expression_attribute_names("#pk", pk)
            .expression_attribute_names("#sk", sk)
            .expression_attribute_values(":pk", s(read.partition))
            .expression_attribute_values(":low", s(read.range.0))
            .expression_attribute_values(":high", s(read.range.1))
            .scan_index_forward(false);
        if let Some(kind) = query.kind {
            request = request
                .filter_expression("#kind = :kind")
                .expression_attribute_names("#kind", "kind")
                .expression_attribute_values(":kind", s(kind.as_str()));
        }
        let mut start = None;
        while found.len() < wanted {
            let mut page = request.clone().set_exclusive_start_key(start);
            if query.kind.is_none() {
                // One more than still wanted: the first may be the event the range's end follows.
                let still = wanted - found.len() + 1;
                page = page.limit(i32::try_from(still).unwrap_or(i32::MAX));
            }
            let out = page
                .send()
                .await
                .map_err(|e| sdk_error(e, "query audit events"))?;
            for item in out.items.unwrap_or_default() {
                let event = decode(item)?;
                if Some(event.id) != query.before.after && found.len() < wanted {
                    found.push(event);
                }
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(())
    }
}

#[async_trait]
impl AuditLog for DynamoAuditLog {
    async fn record(&self, event: &AuditEvent) -> Result<(), RepoError> {
        let item = serde_dynamo::to_item(AuditItem::new(event))
            .map_err(|e| anyhow::Error::new(e).context("encode audit item"))?;
        self.table.put_new(item).await
    }

    async fn latest(&self, user: &UserId, kind: AuditKind) -> Result<Option<AuditEvent>, RepoError> {
        let query = PageQuery {
            on_gsi1: false,
            partition: keys::user_partition(user),
            sort_prefix: Some(keys::AUDIT_PREFIX.to_owned()),
            filter: Some(PageFilter::default().and(
                "#kind = :kind",
                ("#kind", "kind"),
                (":kind", s(kind.as_str())),
            )),
            limit: 100,
            descending: true,
        };
        let mut start = None;
        // The newest first; at most five pages of the user's events.
        for _ in 0..5 {
            let (items, resume) = self.table.query_from(&query, start).await?;
            if let Some(item) = items.into_iter().next() {
                return Ok(Some(decode(item)?));
            }
            match resume {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        Ok(None)
    }

    async fn search(&self, query: &AuditQuery) -> Result<Page<AuditEvent, AuditPosition>, RepoError> {
        let limit = usize::from(query.limit);
        // One more than the page: whether it exists tells whether another page follows.
        let wanted = limit + 1;
        let mut found = Vec::with_capacity(wanted);
        match query.user {
            Some(user) => {
                let read = RangeRead {
                    on_gsi1: false,
                    partition: keys::user_partition(&user),
                    range: keys::audit_search_range(query.from, &query.before, true),
                };
                self.read(read, query, wanted, &mut found).await?;
            }
            None => {
                let oldest = query.from.date_naive();
                let mut day = query.before.newest_day();
                while day >= oldest && found.len() < wanted {
                    let read = RangeRead {
                        on_gsi1: true,
                        partition: keys::audit_day_partition(day),
                        range: keys::audit_search_range(query.from, &query.before, false),
                    };
                    self.read(read, query, wanted, &mut found).await?;
                    day = day.pred_opt().context("audit search before the first day")?;
                }
            }
        }
        let more = found.len() > limit;
        found.truncate(limit);
        let resume_after = found.last().filter(|_| more).map(AuditPosition::after);
        Ok(Page {
            items: found,
            resume_after,
        })
    }
}
