//! An in-memory [`SnapshotStore`] keeping its contract: a session's snapshot is written once.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::analytics::ports::SnapshotStore;
use crate::analytics::snapshot::DailySnapshot;
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;

/// Every snapshot, by owner and session.
type Snapshots = BTreeMap<(UserId, NaiveDate), DailySnapshot>;

/// A [`SnapshotStore`] in memory.
#[derive(Debug, Default)]
pub struct InMemorySnapshotStore {
    snapshots: Mutex<Snapshots>,
}

impl InMemorySnapshotStore {
    fn all(&self) -> Result<std::sync::MutexGuard<'_, Snapshots>, RepoError> {
        self.snapshots
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned").into())
    }
}

#[async_trait]
impl SnapshotStore for InMemorySnapshotStore {
    async fn put_new(&self, user: &UserId, snapshot: &DailySnapshot) -> Result<bool, RepoError> {
        let mut all = self.all()?;
        let key = (*user, snapshot.day);
        if all.contains_key(&key) {
            return Ok(false);
        }
        all.insert(key, snapshot.clone());
        Ok(true)
    }

    async fn latest(&self, user: &UserId) -> Result<Option<DailySnapshot>, RepoError> {
        Ok(self
            .all()?
            .iter()
            .rev()
            .find(|((owner, _), _)| owner == user)
            .map(|(_, s)| s.clone()))
    }

    async fn range(
        &self,
        user: &UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailySnapshot>, RepoError> {
        Ok(self
            .all()?
            .range((*user, from)..=(*user, to))
            .map(|(_, s)| s.clone())
            .collect())
    }
}
