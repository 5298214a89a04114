//! Ports: what the domain needs from the world. Adapters in `tradesense-adapters` implement them; in-memory
//! fakes live in [`crate::testing`]. Each trait says what an implementation MUST do.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::audit::AuditEvent;
use crate::auth::Role;
use crate::broker_link::{Broker, BrokerAuthError, BrokerGrant, BrokerLink};
use crate::events::Envelope;
use crate::ids::{OrderId, SessionId, TradeId, UserId};
use crate::jobs::ScheduledJob;
use crate::market::candles::{Candle, Interval};
use crate::market::chain::{ChainSnapshot, chain_instruments};
use crate::market::history::DailyBar;
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::market::master::{InstrumentMaster, InstrumentSnapshot};
use crate::market::quote::Quote;
use crate::mfa::MfaState;
use crate::paper::PaperAccount;
use crate::rate_limit::{RateDecision, RateRule};
use crate::session::Session;
use crate::trading::kill_switch::KillSwitch;
use crate::trading::order::{OrderStatus, Product};
use crate::trading::paper::{Order, Placement, PositionRecord, Trade};
use crate::user::{Email, LoginGuard, User};

/// A repository operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A uniqueness or version condition did not hold; nothing was written.
    #[error("conflict")]
    Conflict,
    /// Anything else (network, throttling, malformed item). Retryable at the caller's discretion.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Errors of asynchronous work (queue messages, scheduled jobs) say whether trying again may help.
pub trait Retryable: std::fmt::Display + std::fmt::Debug {
    /// `true` for transient failures (throttling, network); `false` for work that can never succeed.
    fn is_retryable(&self) -> bool;
}

/// Tells the time. A port so that tests and backtests can run on a fixed or simulated clock.
pub trait Clock: Send + Sync {
    /// The current instant, UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// Publishes domain events to a queue or bus.
///
/// Implementations MUST write the whole [`Envelope`] as the message body (JSON) and MUST NOT return before the
/// message is accepted by the transport (a Lambda environment may be frozen right after the response).
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes one event.
    ///
    /// # Errors
    /// Any transport failure; the event may then not have been published.
    async fn publish(&self, envelope: &Envelope) -> anyhow::Result<()>;
}

/// Stores audit events.
///
/// Implementations MUST return [`RepoError::Conflict`] (and write nothing) when an event with the same id is
/// already stored, so that redelivered messages are recorded exactly once.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Stores one event.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if already stored; [`RepoError::Unexpected`] otherwise.
    async fn record(&self, event: &AuditEvent) -> Result<(), RepoError>;
}

/// Remembers when each scheduled job last ran.
///
/// Implementations MUST keep only the latest run per job and MUST NOT move a job's time backwards.
#[async_trait]
pub trait JobRunLog: Send + Sync {
    /// Records that `job` ran at `at`.
    ///
    /// # Errors
    /// Any storage failure.
    async fn record_run(&self, job: ScheduledJob, at: DateTime<Utc>) -> Result<(), RepoError>;

    /// When `job` last ran, if ever.
    ///
    /// # Errors
    /// Any storage failure.
    async fn last_run(&self, job: ScheduledJob) -> Result<Option<DateTime<Utc>>, RepoError>;
}

/// One dependency the deep health check probes.
///
/// Implementations MUST make one real round trip to the dependency, MUST bound it in time, and MUST NOT change
/// any state.
#[async_trait]
pub trait DependencyCheck: Send + Sync {
    /// A stable name for the report (`dynamodb`, `sqs`, `secretsmanager`).
    fn name(&self) -> &'static str;

    /// Probes the dependency once.
    ///
    /// # Errors
    /// Whatever made the dependency unusable, with context.
    async fn check(&self) -> anyhow::Result<()>;
}

/// Stores user accounts.
///
/// Implementations MUST keep emails unique and MUST create a user, its email claim and its paper account
/// atomically: [`create`](UserRepository::create) returns [`RepoError::Conflict`] and writes nothing when the
/// email (or the id) is taken.
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Stores a new user with its funded paper account.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the email or id is taken.
    async fn create(&self, user: &User, paper: &PaperAccount) -> Result<(), RepoError>;

    /// The user with `id`, if any.
    ///
    /// # Errors
    /// Any storage failure.
    async fn get(&self, id: &UserId) -> Result<Option<User>, RepoError>;

    /// The user whose (normalised) email is `email`, if any.
    ///
    /// # Errors
    /// Any storage failure.
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepoError>;

    /// Replaces a user's login guard with `next` if it is still `expected`.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the guard changed meanwhile (a concurrent login); nothing is written.
    async fn replace_login_guard(
        &self,
        id: &UserId,
        expected: &LoginGuard,
        next: &LoginGuard,
    ) -> Result<(), RepoError>;

    /// Replaces a user's MFA state with `next` if the stored state's version is still `expected_version`
    /// (a user who never touched MFA is at version 0).
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the state changed meanwhile (say, the same code used twice at once) or the
    /// user is gone; nothing is written.
    async fn replace_mfa(&self, id: &UserId, expected_version: u64, next: &MfaState)
    -> Result<(), RepoError>;

    /// Sets a user's roles and disabled flag.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the user does not exist; nothing is written.
    async fn update_access(&self, id: &UserId, roles: &[Role], disabled: bool) -> Result<(), RepoError>;
}

/// Stores login sessions.
///
/// Implementations MUST make [`update`](SessionRepository::update) conditional on the stored version being
/// `session.version - 1` ([`RepoError::Conflict`] otherwise, writing nothing), so two concurrent refreshes
/// cannot both rotate the same token.
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Stores a new session (version 0).
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the id exists.
    async fn create(&self, session: &Session) -> Result<(), RepoError>;

    /// The session, if it exists.
    ///
    /// # Errors
    /// Any storage failure.
    async fn get(&self, user: &UserId, id: &SessionId) -> Result<Option<Session>, RepoError>;

    /// Writes `session`, whose `version` the caller has already incremented.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] when the stored version is not `session.version - 1`.
    async fn update(&self, session: &Session) -> Result<(), RepoError>;
}

/// Counts hits per key in fixed windows.
///
/// Implementations MUST count atomically across concurrent callers and MUST let old windows expire.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one hit on `key` under `rule` at `now` and says whether it is allowed.
    ///
    /// # Errors
    /// Storage failures.
    async fn hit(&self, key: &str, rule: RateRule, now: DateTime<Utc>) -> Result<RateDecision, RepoError>;

    /// Takes back one hit that [`hit`](RateLimiter::hit) counted at `at` (for attempts that turned out to be
    /// legitimate). MUST never take a count below zero.
    ///
    /// # Errors
    /// Storage failures.
    async fn refund(&self, key: &str, rule: RateRule, at: DateTime<Utc>) -> Result<(), RepoError>;
}

/// Stores broker links, one per user and broker.
///
/// Implementations MUST keep the access token only in its sealed form.
#[async_trait]
pub trait BrokerLinkRepository: Send + Sync {
    /// Stores `link`, replacing an earlier link of the same user and broker.
    ///
    /// # Errors
    /// Any storage failure.
    async fn put(&self, link: &BrokerLink) -> Result<(), RepoError>;

    /// The user's link to `broker`, if any.
    ///
    /// # Errors
    /// Any storage failure.
    async fn get(&self, user: &UserId, broker: Broker) -> Result<Option<BrokerLink>, RepoError>;

    /// Deletes the user's link to `broker`; `true` if there was one.
    ///
    /// # Errors
    /// Any storage failure.
    async fn delete(&self, user: &UserId, broker: Broker) -> Result<bool, RepoError>;
}

/// A broker's OAuth authorization-code flow.
///
/// Implementations MUST NOT retry [`exchange_code`](BrokerAuthorization::exchange_code) (a code is single
/// use) and MUST bound it in time.
#[async_trait]
pub trait BrokerAuthorization: Send + Sync {
    /// The broker's login page for our app, carrying `state` back to the callback.
    ///
    /// # Errors
    /// [`BrokerAuthError::Unavailable`] when the app's registration cannot be read.
    async fn authorize_url(&self, state: &str) -> Result<String, BrokerAuthError>;

    /// Exchanges an authorization code for an access token.
    ///
    /// # Errors
    /// [`BrokerAuthError::Rejected`] when the broker refuses; [`BrokerAuthError::Unavailable`] otherwise.
    async fn exchange_code(&self, code: &str) -> Result<BrokerGrant, BrokerAuthError>;
}

/// A market-data source failed.
#[derive(Debug, thiserror::Error)]
pub enum MarketDataError {
    /// The source cannot answer now (timeout, 5xx, rate limit, circuit open); retrying later may help.
    #[error("market data unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// The source does not offer this (e.g. candles of a derivative).
    #[error("{0}")]
    Unsupported(String),
}

/// Prices: quotes, last prices, option-chain snapshots and candles. Implemented by the simulated market and by
/// Upstox.
///
/// Implementations MUST return a price for every instrument asked for or fail as a whole, and MUST round
/// every price to the instrument's tick.
#[async_trait]
pub trait MarketData: Send + Sync {
    /// Quotes of `instruments` at `now` (derivatives may need their underlying from `master`).
    ///
    /// # Errors
    /// [`MarketDataError`].
    async fn quotes(
        &self,
        master: &InstrumentMaster,
        instruments: &[&Instrument],
        now: DateTime<Utc>,
    ) -> Result<HashMap<InstrumentKey, Quote>, MarketDataError>;

    /// Last traded prices of `instruments` at `now`: what risk checks and alerts need. By default taken from
    /// [`quotes`](Self::quotes); a source with a lighter call overrides it.
    ///
    /// # Errors
    /// [`MarketDataError`].
    async fn last_prices(
        &self,
        master: &InstrumentMaster,
        instruments: &[&Instrument],
        now: DateTime<Utc>,
    ) -> Result<HashMap<InstrumentKey, Decimal>, MarketDataError> {
        let quotes = self.quotes(master, instruments, now).await?;
        Ok(quotes
            .into_iter()
            .map(|(key, quote)| (key, quote.last_price))
            .collect())
    }

    /// The underlying's price and every option contract of `expiry` on `underlying` at `now`. By default
    /// taken from [`quotes`](Self::quotes) of [`chain_instruments`]; a source with an option-chain call
    /// overrides it.
    ///
    /// # Errors
    /// [`MarketDataError`]; `Unsupported` when nothing is listed.
    async fn chain_snapshot(
        &self,
        master: &InstrumentMaster,
        underlying: &str,
        expiry: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<ChainSnapshot, MarketDataError> {
        let instruments = chain_instruments(master, underlying, expiry);
        let quotes = self.quotes(master, &instruments, now).await?;
        ChainSnapshot::from_quotes(&quotes, underlying)
            .ok_or_else(|| MarketDataError::Unsupported(format!("{underlying} is not listed")))
    }

    /// Candles of `instrument` starting in `[from, to)`, as of `now` (derivatives may need their underlying
    /// from `master`).
    ///
    /// # Errors
    /// [`MarketDataError`].
    async fn candles(
        &self,
        master: &InstrumentMaster,
        instrument: &Instrument,
        interval: Interval,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Candle>, MarketDataError>;
}

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

/// Where the platform kill switch is kept.
#[async_trait]
pub trait KillSwitchStore: Send + Sync {
    /// The switch, if it was ever flipped (never flipped: off).
    ///
    /// # Errors
    /// Storage failures.
    async fn current(&self) -> Result<Option<KillSwitch>, RepoError>;

    /// Stores a flip.
    ///
    /// # Errors
    /// Storage failures.
    async fn set(&self, switch: &KillSwitch) -> Result<(), RepoError>;
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

/// One page of a listing, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, K> {
    /// The items.
    pub items: Vec<T>,
    /// Where the next page starts (after this item), when more may follow.
    pub resume_after: Option<K>,
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

    /// Commits a placement with its claims, counting it against `limit`; returns the placements counted in
    /// the window so far. A taken claim wins over every other refusal (the caller replays the original).
    ///
    /// # Errors
    /// [`CommitError`]; nothing is written.
    async fn place(
        &self,
        placement: &Placement,
        claims: &[OrderClaim],
        limit: PlacementLimit<'_>,
    ) -> Result<u64, CommitError>;

    /// Commits a modification: the order at the version before `placement.order`'s, its funds, and its fill
    /// and position if it filled.
    ///
    /// # Errors
    /// [`CommitError`]; nothing is written.
    async fn modify(&self, placement: &Placement) -> Result<(), CommitError>;

    /// Refunds the user's paper account with `cash` at `now` and forgets its (flat) positions, only when
    /// nothing is held (available equals cash: no open position, no working order).
    ///
    /// # Errors
    /// [`CommitError::Conflict`] when something is held; nothing is written.
    async fn reset(
        &self,
        user: &UserId,
        cash: Decimal,
        now: DateTime<Utc>,
    ) -> Result<PaperAccount, CommitError>;

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

/// A short-lived quote store shared by every invocation.
///
/// Implementations MUST return each stored quote with the instant it was fetched, and MAY omit any (a cache
/// miss); freshness is decided by the caller ([`crate::market::quote::is_fresh`]).
#[async_trait]
pub trait QuoteCache: Send + Sync {
    /// The stored quotes among `keys`, with when each was fetched.
    ///
    /// # Errors
    /// Storage failures.
    async fn get(
        &self,
        keys: &[InstrumentKey],
    ) -> Result<HashMap<InstrumentKey, (Quote, DateTime<Utc>)>, RepoError>;

    /// Stores `quotes` as fetched at `fetched_at`.
    ///
    /// # Errors
    /// Storage failures.
    async fn put(
        &self,
        quotes: &HashMap<InstrumentKey, Quote>,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), RepoError>;
}

/// Imported daily history per instrument.
///
/// Implementations MUST replace a stored bar of the same instrument and date (re-importing is idempotent)
/// and MUST return bars oldest first.
#[async_trait]
pub trait DailyHistory: Send + Sync {
    /// Stores `bars` of `instrument`.
    ///
    /// # Errors
    /// Storage failures (some bars may be stored: importing again completes it).
    async fn store(&self, instrument: &InstrumentKey, bars: &[DailyBar]) -> Result<(), RepoError>;

    /// The bars of `instrument` dated `from..=to`.
    ///
    /// # Errors
    /// Storage failures.
    async fn range(
        &self,
        instrument: &InstrumentKey,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<DailyBar>, RepoError>;
}

/// Stores the instrument master as dated snapshots, the newest one current.
///
/// Implementations MUST make a snapshot current only once all of it is stored, so a reader never sees half
/// a master.
#[async_trait]
pub trait InstrumentStore: Send + Sync {
    /// Stores `snapshot` and makes it current.
    ///
    /// # Errors
    /// Storage failures (the previous snapshot stays current).
    async fn publish(&self, snapshot: &InstrumentSnapshot) -> Result<(), RepoError>;

    /// The id of the current snapshot, if any (cheap: for change detection).
    ///
    /// # Errors
    /// Storage failures.
    async fn current_id(&self) -> Result<Option<String>, RepoError>;

    /// The current snapshot, if any.
    ///
    /// # Errors
    /// Storage failures or a malformed snapshot.
    async fn current(&self) -> Result<Option<InstrumentSnapshot>, RepoError>;
}
