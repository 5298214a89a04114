//! What strategies need from the world: where saved strategies are kept, and a desk that places a basket of
//! orders (the trading area's order service). Prices, chains and instruments come from market data's ports.

use async_trait::async_trait;

use crate::kernel::error::RepoError;
use crate::kernel::ids::{StrategyId, UserId};
use crate::kernel::page::Page;
use crate::strategies::strategy::Strategy;
use crate::trading::basket::{BasketCommand, BasketError, BasketOutcome};

/// Saved strategies under their owner.
///
/// Implementations MUST keep, per owner, a count of saved strategies and refuse ([`RepoError::Conflict`],
/// writing nothing) a create that would take it above the cap given, or whose id exists; MUST refuse an
/// update whose stored version is not the one before the strategy's; and MUST list newest first.
#[async_trait]
pub trait StrategyStore: Send + Sync {
    /// Stores a new strategy, if its owner keeps fewer than `cap`.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] at the cap (or if its id exists).
    async fn create(&self, strategy: &Strategy, cap: usize) -> Result<(), RepoError>;

    /// One strategy of `user`.
    ///
    /// # Errors
    /// Storage failures.
    async fn get(&self, user: &UserId, id: &StrategyId) -> Result<Option<Strategy>, RepoError>;

    /// One page of `user`'s strategies, newest first: at most `limit`, after `after`.
    ///
    /// # Errors
    /// Storage failures.
    async fn page(
        &self,
        user: &UserId,
        limit: u16,
        after: Option<StrategyId>,
    ) -> Result<Page<Strategy, StrategyId>, RepoError>;

    /// Writes `strategy` over the version before its own.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if it changed meanwhile or is gone.
    async fn update(&self, strategy: &Strategy) -> Result<(), RepoError>;

    /// Deletes one strategy of `user`; whether it existed.
    ///
    /// # Errors
    /// Storage failures.
    async fn delete(&self, user: &UserId, id: &StrategyId) -> Result<bool, RepoError>;
}

/// Places a basket of orders on a user's account: on paper all or nothing, live leg by leg.
///
/// Implementations MUST place nothing twice for one `Idempotency-Key` (the same request answers with the
/// original orders) and, on paper, MUST place every leg or none.
#[async_trait]
pub trait OrderDesk: Send + Sync {
    /// Places `command` for `user`.
    ///
    /// # Errors
    /// [`BasketError`], naming the refused leg when one was.
    async fn place_basket(&self, user: UserId, command: BasketCommand) -> Result<BasketOutcome, BasketError>;
}
