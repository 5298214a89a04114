//! The order use cases over the paper book: placing (idempotent, rate limited, risk checked, filled where
//! the market allows) and cancelling. Reads go straight from the handlers to the [`TradingLedger`].

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ulid::Ulid;

use rust_decimal::Decimal;

use crate::broker::live::LiveBrokerError;
use crate::kernel::error::RepoError;
use crate::kernel::ids::{OrderId, TradeId, UserId};
use crate::kernel::rate_limit::{RateDecision, RateRule};
use crate::kernel::time::{Clock, ist};
use crate::market::calendar::MarketCalendar;
use crate::market::instrument::{Exchange, Instrument, InstrumentKey, Segment};
use crate::market::master::InstrumentMaster;
use crate::market::ports::{MarketData, MarketDataError};
use crate::market::quote::Quote;
use crate::market::service::current::CurrentMaster;
use crate::ops::ports::{KillSwitchStore, PaperExchange};
use crate::trading::account::PaperAccount;
use crate::trading::charges::{BrokeragePlan, ChargeRates, ChargeSchedule};
use crate::trading::end_of_day;
use crate::trading::live_desk::LiveDesk;
use crate::trading::order::{OrderRequest, OrderStatus, Product, Violation};
use crate::trading::paper::{
    self, Market, ModifyRefusal, NotCancellable, Order, OrderChange, PlaceRefusal, Placement, PositionRecord,
    RiskRejection,
};
use crate::trading::portfolio::{Valuation, valid_paper_cash, valuation};
use crate::trading::ports::{CommitError, OrderClaim, PlacementLimit, TradingLedger};
use crate::trading::risk::{self, Exposure, ORDERS_PER_ACCOUNT, RiskLimits};

/// Attempts at a placement or cancellation that raced another write to the same position or order.
const ATTEMPTS: u32 = 8;

/// A placement as the handler parsed it.
#[derive(Debug, Clone)]
pub struct PlaceCommand {
    /// The instrument key (`NSE:INFY`).
    pub instrument: String,
    /// The order.
    pub request: OrderRequest,
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
    /// SHA-256 of the canonical request, to tell a replay from a different request under the same key.
    pub request_hash: String,
}

/// What placing did.
#[derive(Debug, Clone)]
pub enum PlaceOutcome {
    /// A new order, with the rate-limit decision after it.
    Created(Order, RateDecision),
    /// The same request again: the original order.
    Replayed(Order),
}

/// Why placing changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// No such instrument.
    #[error("unknown instrument")]
    UnknownInstrument,
    /// The request breaks order rules.
    #[error("invalid order")]
    Invalid(Vec<Violation>),
    /// A risk check refused it.
    #[error(transparent)]
    Risk(RiskRejection),
    /// The idempotency key or client order id was used with a different request.
    #[error("{0} was already used for a different order")]
    KeyReused(&'static str),
    /// Ten placements a minute already.
    #[error("placement limit reached")]
    RateLimited(RateDecision),
    /// The platform kill switch is on: no new orders.
    #[error("trading is halted: {0}")]
    KillSwitch(String),
    /// Other placements on the same position kept winning the race; nothing was written.
    #[error("the position changed concurrently; try again")]
    Busy,
    /// No price to trade at.
    #[error(transparent)]
    MarketData(#[from] MarketDataError),
    /// Live mode: the broker refused, or could not be reached, before the order was stored (not linked, its
    /// instrument list unavailable), or refused a modification.
    #[error(transparent)]
    Broker(LiveBrokerError),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RepoError> for PlaceError {
    fn from(e: RepoError) -> Self {
        PlaceError::Unexpected(e.into())
    }
}

/// What one tick of the paper exchange did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchReport {
    /// Working orders looked at.
    pub checked: usize,
    /// Filled.
    pub filled: usize,
    /// Triggered and still working (a stop-limit whose limit is not reachable yet).
    pub triggered: usize,
    /// Rejected at the fill (the account could not carry it).
    pub rejected: usize,
    /// DAY orders expired at the close.
    pub expired: usize,
    /// Changed meanwhile; left for the next tick.
    pub deferred: usize,
}

/// What one end-of-day pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndOfDayReport {
    /// Positions with fills of the day looked at.
    pub checked: usize,
    /// Intraday positions squared off.
    pub squared_off: usize,
    /// Positions rolled over to the next day.
    pub rolled: usize,
    /// Changed meanwhile; left for the next tick.
    pub deferred: usize,
}

/// Why modifying changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ModifyError {
    /// No such order of this user.
    #[error("not found")]
    NotFound,
    /// The order or the modified request was refused.
    #[error("modification refused")]
    Refused(ModifyRefusal),
    /// As placing: halted, busy, no price, storage.
    #[error(transparent)]
    Place(#[from] PlaceError),
}

impl From<RepoError> for ModifyError {
    fn from(e: RepoError) -> Self {
        ModifyError::Place(e.into())
    }
}

impl From<anyhow::Error> for ModifyError {
    fn from(e: anyhow::Error) -> Self {
        ModifyError::Place(e.into())
    }
}

/// The market for one instrument at one instant, owned so placements can borrow it.
pub(super) struct Priced {
    master: Arc<InstrumentMaster>,
    key: InstrumentKey,
    pub(super) quote: Quote,
    underlying_price: Decimal,
    pub(super) open: bool,
    rates: ChargeRates,
}

impl Priced {
    pub(super) fn instrument(&self) -> Result<&Instrument, PlaceError> {
        self.master
            .get(self.key.as_str())
            .ok_or(PlaceError::UnknownInstrument)
    }

    fn market<'a>(&'a self, instrument: &'a Instrument, plan: &'a BrokeragePlan) -> Market<'a> {
        Market {
            instrument,
            quote: &self.quote,
            underlying_price: self.underlying_price,
            open: self.open,
            rates: &self.rates,
            plan,
        }
    }
}

/// Why a paper reset changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// Outside ₹10,000–₹1 crore, or not in whole paise.
    #[error("initial_cash must be ₹10,000.00 to ₹1,00,00,000.00 in whole paise")]
    InvalidCash,
    /// An open position or a working order holds funds.
    #[error("close every position and cancel every working order first")]
    Holding,
    /// Storage failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Why cancelling changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    /// No such order of this user.
    #[error("not found")]
    NotFound,
    /// Already complete, cancelled or rejected.
    #[error(transparent)]
    Closed(#[from] NotCancellable),
    /// Live mode: the broker refused the cancellation or could not be reached.
    #[error(transparent)]
    Broker(LiveBrokerError),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RepoError> for CancelError {
    fn from(e: RepoError) -> Self {
        CancelError::Unexpected(e.into())
    }
}

/// The order use cases.
pub struct OrderService {
    /// The book.
    pub ledger: Arc<dyn TradingLedger>,
    /// Prices.
    pub market: Arc<dyn MarketData>,
    /// Instruments.
    pub master: Arc<CurrentMaster>,
    /// Sessions and holidays.
    pub calendar: Arc<MarketCalendar>,
    /// Charge rates.
    pub charges: Arc<ChargeSchedule>,
    /// Brokerage.
    pub plan: BrokeragePlan,
    /// Per-account risk limits.
    pub limits: RiskLimits,
    /// The platform kill switch.
    pub kill_switch: Arc<dyn KillSwitchStore>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Live mode's broker and ports; `None` where only paper trading runs (the scheduler's tick).
    pub live: Option<Arc<LiveDesk>>,
}

/// How a placement starts ([`OrderService::start`]).
enum Start {
    /// The key was claimed: the original order.
    Replay(Order),
    /// A new placement.
    Fresh(Opening),
}

/// A new placement past the checks every placement starts with.
pub(super) struct Opening {
    /// Its idempotency claims, with the field each came in.
    pub(super) claims: Vec<(&'static str, String)>,
    /// When it is placed.
    pub(super) now: DateTime<Utc>,
    /// The instrument's market now.
    pub(super) priced: Priced,
}

/// What committing a placement came to.
pub(super) enum Commit {
    /// Placed (with the rate-limit decision), or the claim was taken: the original order.
    Done(Box<PlaceOutcome>),
    /// Refused for funds or a race on the position or account: plan again on fresh state.
    Retry(CommitError),
}

/// The claims a command makes: its `Idempotency-Key` and its `client_order_id`, with the field each came in.
fn claim_keys(command: &PlaceCommand) -> Vec<(&'static str, String)> {
    let mut keys = Vec::new();
    if let Some(key) = &command.idempotency_key {
        keys.push(("Idempotency-Key", format!("idem:{key}")));
    }
    if let Some(id) = &command.request.client_order_id {
        keys.push(("client_order_id", format!("coid:{id}")));
    }
    keys
}

impl OrderService {
    /// The original order of a claimed key, or why the key cannot be reused.
    async fn replay(
        &self,
        user: &UserId,
        command: &PlaceCommand,
        claims: &[(&'static str, String)],
    ) -> Result<Option<Order>, PlaceError> {
        for (field, key) in claims {
            if let Some(claim) = self.ledger.claim(user, key).await? {
                if claim.request_hash != command.request_hash {
                    return Err(PlaceError::KeyReused(field));
                }
                let order = self
                    .ledger
                    .order(user, &claim.order_id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("claim {key} names a missing order"))?;
                return Ok(Some(order));
            }
        }
        Ok(None)
    }

    /// Places an order for `user`.
    ///
    /// # Errors
    /// [`PlaceError`]; nothing is written.
    pub async fn place(&self, user: UserId, command: PlaceCommand) -> Result<PlaceOutcome, PlaceError> {
        let opening = match self.start(&user, &command).await? {
            Start::Replay(original) => return Ok(PlaceOutcome::Replayed(original)),
            Start::Fresh(opening) => opening,
        };
        if let Some(desk) = self.live_desk_for(&user).await? {
            return self.place_live(desk, user, command, opening).await;
        }
        let Opening { claims, now, priced } = opening;
        let instrument = priced.instrument()?;
        let market = priced.market(instrument, &self.plan);
        let id = OrderId::from_ulid(Ulid::new());
        for attempt in 1..=ATTEMPTS {
            let account = self
                .ledger
                .account(&user)
                .await?
                .ok_or_else(|| anyhow::anyhow!("user {user} has no paper account"))?;
            let position = self
                .ledger
                .position(&user, &instrument.key, command.request.product)
                .await?
                .unwrap_or_else(|| PositionRecord::flat(instrument.key.clone(), command.request.product));
            let placement = paper::place(
                user,
                (id, TradeId::from_ulid(Ulid::new())),
                &command.request,
                &market,
                &position,
                account.available,
                now,
            )
            .map_err(|refusal| match refusal {
                PlaceRefusal::Invalid(violations) => PlaceError::Invalid(violations),
                PlaceRefusal::Risk(risk) => PlaceError::Risk(risk),
            })?;
            self.check_limits(
                &user,
                &account,
                &position,
                &placement,
                market.quote.last_price,
                true,
            )
            .await?;
            match self.commit(&user, &command, &claims, &placement, now).await? {
                Commit::Done(outcome) => return Ok(*outcome),
                Commit::Retry(CommitError::InsufficientFunds) if attempt == ATTEMPTS => {
                    let available = self.ledger.account(&user).await?.map(|a| a.available);
                    return Err(PlaceError::Risk(RiskRejection::InsufficientFunds {
                        required: -placement.available_change,
                        available: available.unwrap_or_default(),
                    }));
                }
                // Funds or the position moved since they were read: plan again on fresh state.
                Commit::Retry(_) => {}
            }
        }
        Err(PlaceError::Busy)
    }

    /// How every placement starts, paper or live: a claimed key answers with its original order; else the
    /// kill switch is checked and the instrument priced now.
    async fn start(&self, user: &UserId, command: &PlaceCommand) -> Result<Start, PlaceError> {
        let claims = claim_keys(command);
        if let Some(original) = self.replay(user, command, &claims).await? {
            return Ok(Start::Replay(original));
        }
        if let Some(reason) = self.halted().await? {
            return Err(PlaceError::KillSwitch(reason));
        }
        let now = self.clock.now();
        let priced = self
            .priced(&command.instrument, command.request.product, now)
            .await?;
        Ok(Start::Fresh(Opening { claims, now, priced }))
    }

    /// Commits `placement` with the command's claims, counted against the account's placement limit: the
    /// outcome, or the refusal to plan again after. A taken claim answers with the original order.
    pub(super) async fn commit(
        &self,
        user: &UserId,
        command: &PlaceCommand,
        claims: &[(&'static str, String)],
        placement: &Placement,
        now: DateTime<Utc>,
    ) -> Result<Commit, PlaceError> {
        let limit_key = format!("orders:{user}");
        let limit = PlacementLimit {
            key: &limit_key,
            rule: ORDERS_PER_ACCOUNT,
            at: now,
        };
        let order_claims: Vec<OrderClaim> = claims
            .iter()
            .map(|(_, key)| OrderClaim {
                key: key.clone(),
                request_hash: command.request_hash.clone(),
                order_id: placement.order.id,
            })
            .collect();
        match self.ledger.place(placement, &order_claims, limit).await {
            Ok(hits) => Ok(Commit::Done(Box::new(PlaceOutcome::Created(
                placement.order.clone(),
                ORDERS_PER_ACCOUNT.decide(hits, now),
            )))),
            Err(CommitError::Claimed) => match self.replay(user, command, claims).await? {
                Some(original) => Ok(Commit::Done(Box::new(PlaceOutcome::Replayed(original)))),
                None => Err(anyhow::anyhow!("claim taken but not readable").into()),
            },
            Err(CommitError::RateLimited) => {
                Err(PlaceError::RateLimited(full_window(ORDERS_PER_ACCOUNT, now)))
            }
            Err(CommitError::Unexpected(e)) => Err(e.into()),
            Err(other) => Ok(Commit::Retry(other)),
        }
    }

    /// The risk limits on `placement` against `position` ([`risk`]): position size and daily loss unless the
    /// order only reduces the position (the day's P&L needs the account's positions priced), and the
    /// working-order count for a `new` order that rests (a modified order is already counted). Each costs a
    /// read only when it applies. The position is valued at the fill, else the order's price or trigger,
    /// else (a market order waiting for the open) the instrument's `last_price`.
    async fn check_limits(
        &self,
        user: &UserId,
        account: &PaperAccount,
        position: &PositionRecord,
        placement: &Placement,
        last_price: Decimal,
        new: bool,
    ) -> Result<(), PlaceError> {
        let order = &placement.order;
        if !risk::reduces_only(&position.position, order.side, order.quantity) {
            let exposure = Exposure {
                day_pnl: self.valuation(*user).await?.day_pnl(),
                funding: account.initial_cash,
            };
            let price = placement
                .trade
                .as_ref()
                .map(|t| t.price)
                .or(order.price)
                .or(order.trigger_price)
                .unwrap_or(last_price);
            risk::check_exposure(
                &self.limits,
                &exposure,
                &position.position,
                order.side,
                order.quantity,
                price,
            )
            .map_err(PlaceError::Risk)?;
        }
        if new && !order.status.is_final() {
            let open = self.ledger.open_order_count(user).await?;
            risk::check_open_orders(&self.limits, open).map_err(PlaceError::Risk)?;
        }
        Ok(())
    }

    /// The market for trading `instrument` with `product` at `now`.
    pub(super) async fn priced(
        &self,
        instrument: &str,
        product: Product,
        now: DateTime<Utc>,
    ) -> Result<Priced, PlaceError> {
        let master = self.master.get(now).await?;
        let listed = master.get(instrument).ok_or(PlaceError::UnknownInstrument)?;
        let underlying = listed
            .underlying
            .as_ref()
            .and_then(|key| master.get(key.as_str()));
        let wanted: Vec<_> = std::iter::once(listed).chain(underlying).collect();
        let quotes = self.market.quotes(&master, &wanted, now).await?;
        let quote = quotes
            .get(&listed.key)
            .ok_or_else(|| anyhow::anyhow!("no quote for {}", listed.key))?
            .clone();
        let underlying_price = underlying
            .and_then(|u| quotes.get(&u.key))
            .map_or(quote.last_price, |q| q.last_price);
        let rates = self
            .charges
            .rates_on(
                paper::charge_segment(listed, product),
                now.with_timezone(&ist()).date_naive(),
            )
            .map_err(anyhow::Error::from)?
            .clone();
        Ok(Priced {
            open: self.calendar.status(listed.exchange, now).open,
            key: listed.key.clone(),
            master,
            quote,
            underlying_price,
            rates,
        })
    }

    async fn halted(&self) -> Result<Option<String>, RepoError> {
        Ok(self
            .kill_switch
            .current()
            .await?
            .filter(|s| s.enabled)
            .map(|s| s.reason))
    }

    /// Modifies `user`'s working order `id`: the modified order is placed afresh (it may fill at once) and
    /// the old block released.
    ///
    /// # Errors
    /// [`ModifyError`]; nothing is written.
    pub async fn modify(&self, user: UserId, id: OrderId, change: OrderChange) -> Result<Order, ModifyError> {
        if let Some(reason) = self.halted().await? {
            return Err(PlaceError::KillSwitch(reason).into());
        }
        let mut order = match self.held(&user, &id).await?.ok_or(ModifyError::NotFound)? {
            Held::Live(desk, order) => return self.modify_live(desk, order, &change).await,
            Held::Paper(order) => order,
        };
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                order = self
                    .ledger
                    .order(&user, &id)
                    .await?
                    .ok_or(ModifyError::NotFound)?;
            }
            let now = self.clock.now();
            let priced = self.priced(order.instrument.as_str(), order.product, now).await?;
            let instrument = priced.instrument()?;
            let account = self
                .ledger
                .account(&user)
                .await?
                .ok_or_else(|| anyhow::anyhow!("user {user} has no paper account"))?;
            let position = self
                .ledger
                .position(&user, &order.instrument, order.product)
                .await?
                .unwrap_or_else(|| PositionRecord::flat(order.instrument.clone(), order.product));
            let placement = paper::modify(
                &order,
                &change,
                &priced.market(instrument, &self.plan),
                &position,
                account.available,
                TradeId::from_ulid(Ulid::new()),
                now,
            )
            .map_err(ModifyError::Refused)?;
            self.check_limits(
                &user,
                &account,
                &position,
                &placement,
                priced.quote.last_price,
                false,
            )
            .await
            .map_err(|e| match e {
                PlaceError::Risk(risk) => ModifyError::Refused(ModifyRefusal::Risk(risk)),
                other => other.into(),
            })?;
            match self.ledger.modify(&placement).await {
                Ok(()) => return Ok(placement.order),
                Err(CommitError::InsufficientFunds) if attempt == ATTEMPTS => {
                    return Err(ModifyError::Refused(ModifyRefusal::Risk(
                        RiskRejection::InsufficientFunds {
                            required: -placement.available_change,
                            available: account.available,
                        },
                    )));
                }
                Err(CommitError::InsufficientFunds | CommitError::Conflict) => {}
                Err(e) => return Err(anyhow::Error::from(e).into()),
            }
        }
        Err(PlaceError::Busy.into())
    }

    /// One tick of the paper exchange: every working order is checked against its instrument's quote now
    /// ([`paper::on_tick`]); what triggers, fills or is rejected is committed at the version read. An order
    /// that changed meanwhile is left for the next tick.
    ///
    /// # Errors
    /// Storage or market-data failures that stop the whole tick.
    pub async fn match_working(&self) -> Result<MatchReport, PlaceError> {
        let now = self.clock.now();
        let mut report = MatchReport::default();
        let orders = self.ledger.working_orders().await?;
        let mut markets: HashMap<(InstrumentKey, Product), Priced> = HashMap::new();
        for order in orders {
            report.checked += 1;
            let exchange = order.instrument.exchange().ok_or(PlaceError::UnknownInstrument)?;
            if end_of_day::day_order_expired(&self.calendar, exchange, &order, now) {
                let (expired, released) = paper::expire(&order, now).map_err(anyhow::Error::from)?;
                match self.ledger.cancel(&expired, released).await {
                    Ok(()) => report.expired += 1,
                    Err(CommitError::Conflict) => report.deferred += 1,
                    Err(e) => return Err(anyhow::Error::from(e).into()),
                }
                continue;
            }
            let priced = match markets.entry((order.instrument.clone(), order.product)) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(new) => {
                    new.insert(self.priced(order.instrument.as_str(), order.product, now).await?)
                }
            };
            let instrument = priced.instrument()?;
            let user = order.user_id;
            let available = self
                .ledger
                .account(&user)
                .await?
                .map_or(Decimal::ZERO, |a| a.available);
            let position = self
                .ledger
                .position(&user, &order.instrument, order.product)
                .await?
                .unwrap_or_else(|| PositionRecord::flat(order.instrument.clone(), order.product));
            let Some(placement) = paper::on_tick(
                &order,
                &priced.market(instrument, &self.plan),
                &position,
                available,
                TradeId::from_ulid(Ulid::new()),
                now,
            ) else {
                continue;
            };
            match self.ledger.modify(&placement).await {
                Ok(()) => match placement.order.status {
                    OrderStatus::Complete => report.filled += 1,
                    OrderStatus::Rejected => report.rejected += 1,
                    _ => report.triggered += 1,
                },
                Err(CommitError::Conflict | CommitError::InsufficientFunds) => report.deferred += 1,
                Err(e) => return Err(anyhow::Error::from(e).into()),
            }
        }
        Ok(report)
    }

    /// The end of the trading day, as far as it is due at the clock's now
    /// ([`end_of_day`](super::end_of_day)): open intraday positions squared off at the touch, then positions
    /// whose session closed rolled over. Runs on every tick; does nothing during a session before its
    /// square-off time.
    ///
    /// # Errors
    /// Storage or market-data failures that stop the pass.
    pub async fn end_of_day(&self) -> Result<EndOfDayReport, PlaceError> {
        let now = self.clock.now();
        let mut report = EndOfDayReport::default();
        if !Exchange::ALL
            .iter()
            .any(|e| end_of_day::square_off_due(&self.calendar, *e, now))
        {
            return Ok(report);
        }
        for (user, record) in self.ledger.day_positions().await? {
            report.checked += 1;
            let exchange = record
                .instrument
                .exchange()
                .ok_or(PlaceError::UnknownInstrument)?;
            let outcome = if end_of_day::square_off_needed(&self.calendar, exchange, &record, now) {
                let priced = self
                    .priced(record.instrument.as_str(), record.product, now)
                    .await?;
                let instrument = priced.instrument()?;
                let ids = (OrderId::from_ulid(Ulid::new()), TradeId::from_ulid(Ulid::new()));
                let Some(placement) =
                    paper::square_off(user, ids, &record, &priced.market(instrument, &self.plan), now)
                else {
                    continue;
                };
                let outcome = self.ledger.close_out(&placement).await;
                if outcome.is_ok() {
                    report.squared_off += 1;
                    tracing::info!(%user, instrument = %record.instrument, "intraday position squared off");
                }
                outcome
            } else if end_of_day::roll_over_due(&self.calendar, exchange, &record, now) {
                let master = self.master.get(now).await?;
                // A contract gone from the master has expired: it is no equity, so it never settles.
                let segment = master
                    .get(record.instrument.as_str())
                    .map_or(Segment::Future, |i| i.segment);
                let outcome = self
                    .ledger
                    .replace_position(&user, &paper::roll_over(&record, segment))
                    .await;
                if outcome.is_ok() {
                    report.rolled += 1;
                }
                outcome
            } else {
                continue;
            };
            match outcome {
                Ok(()) => {}
                Err(CommitError::Conflict | CommitError::InsufficientFunds) => report.deferred += 1,
                Err(e) => return Err(anyhow::Error::from(e).into()),
            }
        }
        Ok(report)
    }

    /// `user`'s positions and holdings valued at their last prices.
    ///
    /// # Errors
    /// Storage or market-data failures.
    pub async fn valuation(&self, user: UserId) -> Result<Valuation, PlaceError> {
        let records = self.ledger.positions(&user).await?;
        if records.is_empty() {
            return Ok(Valuation::default());
        }
        let now = self.clock.now();
        let master = self.master.get(now).await?;
        let instruments: Vec<_> = records
            .iter()
            .filter_map(|r| master.get(r.instrument.as_str()))
            .collect();
        let prices = self.market.last_prices(&master, &instruments, now).await?;
        // A contract gone from the master (expired) is marked at its average price.
        Ok(valuation(&records, |r| {
            prices
                .get(&r.instrument)
                .copied()
                .unwrap_or_else(|| r.position.average_price())
        }))
    }

    /// Refunds `user`'s paper account with `cash`, when nothing is held.
    ///
    /// # Errors
    /// [`ResetError`]; nothing is written.
    pub async fn reset_paper(&self, user: UserId, cash: Decimal) -> Result<PaperAccount, ResetError> {
        if !valid_paper_cash(cash) {
            return Err(ResetError::InvalidCash);
        }
        match self.ledger.reset(&user, cash, self.clock.now()).await {
            Ok(account) => Ok(account),
            Err(CommitError::Conflict | CommitError::InsufficientFunds) => Err(ResetError::Holding),
            Err(e) => Err(ResetError::Unexpected(e.into())),
        }
    }

    /// Cancels `user`'s order `id`, releasing what it blocked.
    ///
    /// # Errors
    /// [`CancelError`]; nothing is written.
    pub async fn cancel(&self, user: UserId, id: OrderId) -> Result<Order, CancelError> {
        let mut order = match self.held(&user, &id).await?.ok_or(CancelError::NotFound)? {
            Held::Live(desk, order) => return self.cancel_live(desk, order).await,
            Held::Paper(order) => order,
        };
        for attempt in 1..=ATTEMPTS {
            if attempt > 1 {
                order = self
                    .ledger
                    .order(&user, &id)
                    .await?
                    .ok_or(CancelError::NotFound)?;
            }
            let (cancelled, released) = paper::cancel(&order, self.clock.now())?;
            match self.ledger.cancel(&cancelled, released).await {
                Ok(()) => return Ok(cancelled),
                Err(CommitError::Conflict) => {}
                Err(e) => return Err(anyhow::Error::from(e).into()),
            }
        }
        Err(anyhow::anyhow!("cancellation kept conflicting").into())
    }
}

#[async_trait::async_trait]
impl PaperExchange for OrderService {
    /// Matches the working orders ([`OrderService::match_working`]), then runs what is due of the end of the
    /// day ([`OrderService::end_of_day`]).
    async fn tick(&self) -> anyhow::Result<()> {
        let matched = self.match_working().await?;
        let closed = self.end_of_day().await?;
        tracing::info!(?matched, ?closed, "paper exchange tick");
        Ok(())
    }
}

/// One of a user's orders, by where it works.
enum Held<'a> {
    /// A live order, with the desk of its broker (whatever the account's mode is now).
    Live(&'a LiveDesk, Order),
    /// A paper order.
    Paper(Order),
}

impl OrderService {
    /// `user`'s order `id`, told apart by where it works; `None` when they have no such order.
    async fn held(&self, user: &UserId, id: &OrderId) -> Result<Option<Held<'_>>, RepoError> {
        let Some(order) = self.ledger.order(user, id).await? else {
            return Ok(None);
        };
        match (&order.live, self.live.as_deref()) {
            (None, _) => Ok(Some(Held::Paper(order))),
            (Some(_), Some(desk)) => Ok(Some(Held::Live(desk, order))),
            (Some(_), None) => Err(anyhow::anyhow!("live order {id} where no live broker is wired").into()),
        }
    }
}

/// The decision for a placement refused because the window is full.
fn full_window(rule: RateRule, now: DateTime<Utc>) -> RateDecision {
    rule.decide(u64::from(rule.limit) + 1, now)
}
