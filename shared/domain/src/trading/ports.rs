//! What trading needs from the world: the paper book. Each trait says what an implementation MUST do.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::kernel::error::RepoError;
use crate::kernel::ids::{OrderId, TradeId, UserId};
use crate::kernel::page::Page;
use crate::kernel::rate_limit::RateRule;
use crate::market::instrument::InstrumentKey;
use crate::trading::account::{Funding, PaperAccount};
use crate::trading::order::Order;
use crate::trading::paper::{BasketPlacement, Placement};
use crate::trading::position::PositionRecord;
use crate::trading::request::Product;
use crate::trading::status::OrderStatus;
use crate::trading::trade::Trade;

/// Why a trading write changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The account's available funds would have gone below zero.
    #[error("insufficient funds")]
    InsufficientFunds,
    /// An idempotency claim of the order is already taken.
    #[error("idempotency claim already taken")]
    Claimed,
    /// The order or position changed since it was read.
    #[error("changed concurrently")]
    Conflict,
    /// The placement limit's window is full.
    #[error("placement limit reached")]
    RateLimited,
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// An idempotency claim on an order: the key a client sent (`idem:<Idempotency-Key>` or
/// `coid:<client_order_id>`), a hash of the request it came with, and the order it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderClaim {
    /// The claimed key.
    pub key: String,
    /// SHA-256 of the canonical request.
    pub request_hash: String,
    /// The order.
    pub order_id: OrderId,
}

/// A basket's idempotency claim: the key a client sent (`basket:<Idempotency-Key>`), a hash of the request it
/// came with, and the orders it made, in the basket's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketClaim {
    /// The claimed key.
    pub key: String,
    /// SHA-256 of the canonical request.
    pub request_hash: String,
    /// The orders.
    pub order_ids: Vec<OrderId>,
}

/// The rate limit a placement counts against, in its own transaction.
#[derive(Debug, Clone, Copy)]
pub struct PlacementLimit<'a> {
    /// The counter's key (per account).
    pub key: &'a str,
    /// The rule.
    pub rule: RateRule,
    /// The placement's time (its window).
    pub at: DateTime<Utc>,
}

/// Which of a user's orders to list, and where to continue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderListQuery {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Only orders on this instrument.
    pub instrument: Option<InstrumentKey>,
    /// Only orders placed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Only orders placed before.
    pub to: Option<DateTime<Utc>>,
    /// At most this many.
    pub limit: u16,
    /// Continue after this order (from the previous page's [`Page::resume_after`]).
    pub after: Option<OrderId>,
}

/// The paper book: accounts' funds, orders, fills and positions, every item under its owner.
///
/// Implementations MUST write each placement or cancellation whole or not at all, MUST refuse one that
/// would take available funds below zero ([`CommitError::InsufficientFunds`]), MUST refuse a taken claim
/// ([`CommitError::Claimed`]) and a position or order changed since it was read ([`CommitError::Conflict`]).
#[async_trait]
pub trait TradingLedger: Send + Sync {
    /// The user's paper account.
    ///
    /// # Errors
    /// Storage failures.
    async fn account(&self, user: &UserId) -> Result<Option<PaperAccount>, RepoError>;

    /// One position, if ever opened.
    ///
    /// # Errors
    /// Storage failures.
    async fn position(
        &self,
        user: &UserId,
        instrument: &InstrumentKey,
        product: Product,
    ) -> Result<Option<PositionRecord>, RepoError>;

    /// Every position the user has had.
    ///
    /// # Errors
    /// Storage failures.
    async fn positions(&self, user: &UserId) -> Result<Vec<PositionRecord>, RepoError>;

    /// An idempotency claim, if taken.
    ///
    /// # Errors
    /// Storage failures.
    async fn claim(&self, user: &UserId, key: &str) -> Result<Option<OrderClaim>, RepoError>;

    /// One order.
    ///
    /// # Errors
    /// Storage failures.
    async fn order(&self, user: &UserId, id: &OrderId) -> Result<Option<Order>, RepoError>;

    /// One page of the user's orders, newest first, as `query` asks.
    ///
    /// # Errors
    /// Storage failures.
    async fn orders_page(
        &self,
        user: &UserId,
        query: &OrderListQuery,
    ) -> Result<Page<Order, OrderId>, RepoError>;

    /// Every working order of every user (open, trigger pending, partly filled), for the paper matcher. Read
    /// from an index, so it may lag a write by a moment; each order is re-checked at its version on commit.
    ///
    /// # Errors
    /// Storage failures.
    async fn working_orders(&self) -> Result<Vec<Order>, RepoError>;

    /// How many of the user's orders are working (open, trigger pending, partly filled). Read from an index,
    /// so it may lag a write by a moment.
    ///
    /// # Errors
    /// Storage failures.
    async fn open_order_count(&self, user: &UserId) -> Result<usize, RepoError>;

    /// One page of the user's fills, newest first: at most `limit`, after fill `after`.
    ///
    /// # Errors
    /// Storage failures.
    async fn trades_page(
        &self,
        user: &UserId,
        limit: u16,
        after: Option<TradeId>,
    ) -> Result<Page<Trade, TradeId>, RepoError>;

    /// How many placements `limit`'s window has counted so far (0 before its first).
    ///
    /// # Errors
    /// Storage failures.
    async fn placements_counted(&self, limit: PlacementLimit<'_>) -> Result<u64, RepoError>;

    /// Commits a placement with its claims, counting it against `limit` (refused if the window is full). A
    /// taken claim wins over every other refusal (the caller replays the original).
    ///
    /// # Errors
    /// [`CommitError`]; nothing is written.
    async fn place(
        &self,
        placement: &Placement,
        claims: &[OrderClaim],
        limit: PlacementLimit<'_>,
    ) -> Result<(), CommitError>;

    /// A basket's idempotency claim, if taken.
    ///
    /// # Errors
    /// Storage failures.
    async fn basket_claim(&self, user: &UserId, key: &str) -> Result<Option<BasketClaim>, RepoError>;

    /// Commits every leg of `basket` with `claim` in one write, or none: one funds change for the whole
    /// basket (refused below zero), each leg counted against `limit` (refused if the window cannot take them
    /// all), each position at the version read. A taken claim wins over every other refusal.
    ///
    /// # Errors
    /// [`CommitError`]; nothing is written.
    async fn place_basket(
        &self,
        basket: &BasketPlacement,
        claim: &BasketClaim,
        limit: PlacementLimit<'_>,
    ) -> Result<(), CommitError>;

    /// Commits a modification: the order at the version before `placement.order`'s, its funds, and its fill
    /// and position if it filled.
    ///
    /// # Errors
    /// [`CommitError`]; nothing is written.
    async fn modify(&self, placement: &Placement) -> Result<(), CommitError>;

    /// Refunds the user's paper account with `cash` at `now` and forgets its (flat) positions, only when
    /// nothing is held (available equals cash: no open position, no working order). MUST record the
    /// [`Funding`] (the cash before and after) in the same write, for [`fundings`](Self::fundings).
    ///
    /// # Errors
    /// [`CommitError::Conflict`] when something is held; nothing is written.
    async fn reset(
        &self,
        user: &UserId,
        cash: Decimal,
        now: DateTime<Utc>,
    ) -> Result<PaperAccount, CommitError>;

    /// Every reset of the user's paper account since `since`, oldest first.
    ///
    /// # Errors
    /// Storage failures.
    async fn fundings(&self, user: &UserId, since: DateTime<Utc>) -> Result<Vec<Funding>, RepoError>;

    /// Stores `order`'s new state (a live order's, as its broker reports it), at the version before
    /// `order.version`. Funds are not touched: a live order blocks none of the paper account's.
    ///
    /// # Errors
    /// [`CommitError::Conflict`] if the order changed since it was read.
    async fn update_order(&self, order: &Order) -> Result<(), CommitError>;

    /// Commits a cancellation, returning `released` to available funds.
    ///
    /// # Errors
    /// [`CommitError::Conflict`] if the order changed since it was read.
    async fn cancel(&self, cancelled: &Order, released: Decimal) -> Result<(), CommitError>;

    /// Every position of every user with fills not yet rolled over, with its owner, for the end of the day.
    /// Read from an index, so it may lag a write by a moment; each is re-checked at its version on commit.
    ///
    /// # Errors
    /// Storage failures.
    async fn day_positions(&self) -> Result<Vec<(UserId, PositionRecord)>, RepoError>;

    /// Commits the platform's square-off: the new order, its fill and the position (at the version read), and
    /// the funds change, which unlike a placement MUST NOT be refused for going below zero.
    ///
    /// # Errors
    /// [`CommitError::Conflict`] if the position changed since it was read; nothing is written.
    async fn close_out(&self, placement: &Placement) -> Result<(), CommitError>;

    /// Replaces `user`'s position with `record` (a roll-over), at the version before `record.version`.
    ///
    /// # Errors
    /// [`CommitError::Conflict`] if the position changed since it was read.
    async fn replace_position(&self, user: &UserId, record: &PositionRecord) -> Result<(), CommitError>;
}
