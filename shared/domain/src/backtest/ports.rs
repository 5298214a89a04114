//! What backtests need from the world: where runs and their results are kept. The bars come from market
//! data's `MarketData` port and runs are queued through the kernel's `EventPublisher`.

use async_trait::async_trait;

use crate::backtest::run::{BacktestResult, BacktestRun};
use crate::kernel::error::RepoError;
use crate::kernel::ids::{BacktestId, UserId};
use crate::kernel::page::Page;

/// Stores runs under their owner, and each finished run's result in parts (a result can outgrow one item).
///
/// Implementations MUST write a run at version 1 only if it does not exist, and with an idempotency key only
/// if the key is unclaimed ([`RepoError::Conflict`] otherwise, writing nothing); MUST write any later
/// version only over the version before it ([`RepoError::Conflict`] otherwise, or if the run is gone); and
/// MUST give back a stored result whole, never truncated.
#[async_trait]
pub trait BacktestStore: Send + Sync {
    /// Stores a new run with its idempotency claim, if it has a key.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the run or the claim exists.
    async fn create(&self, run: &BacktestRun) -> Result<(), RepoError>;

    /// The run that claimed `user`'s idempotency `key`, if any.
    ///
    /// # Errors
    /// Storage failures.
    async fn claimed(&self, user: &UserId, key: &str) -> Result<Option<BacktestRun>, RepoError>;

    /// One run.
    ///
    /// # Errors
    /// Storage failures.
    async fn get(&self, user: &UserId, id: &BacktestId) -> Result<Option<BacktestRun>, RepoError>;

    /// One page of `user`'s runs, newest first: at most `limit`, after run `after`.
    ///
    /// # Errors
    /// Storage failures.
    async fn page(
        &self,
        user: &UserId,
        limit: u16,
        after: Option<BacktestId>,
    ) -> Result<Page<BacktestRun, BacktestId>, RepoError>;

    /// Writes `run` over the version before its own.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the stored run changed meanwhile or is gone.
    async fn update(&self, run: &BacktestRun) -> Result<(), RepoError>;

    /// Stores `result` of `run` (replacing one stored before); returns how many parts it took.
    ///
    /// # Errors
    /// Storage failures.
    async fn store_result(&self, run: &BacktestRun, result: &BacktestResult) -> Result<u32, RepoError>;

    /// Removes the first `parts` parts of a result stored for `run` that nobody will read (the run was
    /// cancelled or deleted while its result was being stored). Parts already gone are not an error.
    ///
    /// # Errors
    /// Storage failures.
    async fn discard_result(&self, run: &BacktestRun, parts: u32) -> Result<(), RepoError>;

    /// The result of a done `run`, whole.
    ///
    /// # Errors
    /// Storage failures, or a result missing a part.
    async fn result(&self, run: &BacktestRun) -> Result<Option<BacktestResult>, RepoError>;

    /// Deletes `run` (at its version), its result and its idempotency claim.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the run changed meanwhile.
    async fn delete(&self, run: &BacktestRun) -> Result<(), RepoError>;
}
