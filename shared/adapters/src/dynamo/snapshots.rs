//! End-of-day snapshots in DynamoDB: one document per account and session under the owner's partition,
//! keyed by the date, so a session's snapshot is written once (`attribute_not_exists`) and a range is one
//! query.

use async_trait::async_trait;
use chrono::NaiveDate;
use tradesense_domain::analytics::ports::SnapshotStore;
use tradesense_domain::analytics::snapshot::DailySnapshot;
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::UserId;

use super::document::{document, from_document, s};
use super::keys;
use super::table::Table;
use crate::aws::sdk_error;

/// [`SnapshotStore`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoSnapshotStore {
    table: Table,
}

impl DynamoSnapshotStore {
    /// Snapshots in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

#[async_trait]
impl SnapshotStore for DynamoSnapshotStore {
    async fn put_new(&self, user: &UserId, snapshot: &DailySnapshot) -> Result<bool, RepoError> {
        let item = document(&keys::snapshot(user, snapshot.day), "snapshot", snapshot, None)?;
        match self.table.put_new(item).await {
            Ok(()) => Ok(true),
            Err(RepoError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn latest(&self, user: &UserId) -> Result<Option<DailySnapshot>, RepoError> {
        let page = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(keys::user_partition(user)))
            .expression_attribute_values(":prefix", s(keys::SNAPSHOT_PREFIX))
            .scan_index_forward(false)
            .limit(1)
            .send()
            .await
            .map_err(|e| sdk_error(e, "query latest snapshot"))?;
        match page.items.unwrap_or_default().first() {
            Some(item) => Ok(Some(from_document(item)?)),
            None => Ok(None),
        }
    }

    async fn range(
        &self,
        user: &UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailySnapshot>, RepoError> {
        let query = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(keys::user_partition(user)))
            .expression_attribute_values(":from", s(keys::snapshot(user, from).sk))
            .expression_attribute_values(":to", s(keys::snapshot(user, to).sk));
        let items = self.table.query_all(query, "snapshots").await?;
        Ok(items.iter().map(from_document).collect::<anyhow::Result<_>>()?)
    }
}
