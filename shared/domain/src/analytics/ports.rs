//! What the analytics area needs from the world beyond the trading book: where end-of-day snapshots are kept.

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::analytics::snapshot::DailySnapshot;
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;

/// Stores each account's end-of-day snapshots, one per session.
///
/// Implementations MUST NOT replace a stored snapshot: writing a session twice (a rerun of the job) writes
/// nothing the second time.
#[async_trait]
pub trait SnapshotStore: Send + Sync {
    /// Stores `snapshot` as `user`'s of its day unless one is stored; whether it wrote.
    ///
    /// # Errors
    /// Storage failures.
    async fn put_new(&self, user: &UserId, snapshot: &DailySnapshot) -> Result<bool, RepoError>;

    /// `user`'s newest snapshot, if any.
    ///
    /// # Errors
    /// Storage failures.
    async fn latest(&self, user: &UserId) -> Result<Option<DailySnapshot>, RepoError>;

    /// `user`'s snapshots of the sessions `from` to `to` (inclusive), oldest first.
    ///
    /// # Errors
    /// Storage failures.
    async fn range(
        &self,
        user: &UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailySnapshot>, RepoError>;
}
