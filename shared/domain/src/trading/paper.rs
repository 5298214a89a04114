//! The paper broker's rules: what placing or cancelling an order does to the order, the position and the
//! account's funds. Pure: the orders function reads the state, asks these functions what happens, and
//! commits the answer in one conditional DynamoDB transaction.
//!
//! Funds model (one account per user, exact decimals):
//! - `cash` is the ledger: money paid in, plus realized P&L (in whole paise), minus charges;
//! - `available` is cash minus every margin in use: what open orders block and what open positions hold
//!   (delivery holds the full cost, equity intraday 20%, option buys the premium, futures and option sells
//!   the SPAN-like estimate of [`super::margin`]);
//! - a fill that adds to a position holds the margin of the added units; one that reduces it releases the
//!   reduced share pro rata; a flip releases everything and holds the new side's margin;
//! - an order that rests (a limit away from the market, a stop waiting for its trigger, an AMO) blocks the
//!   margin of the units that would not reduce a position, plus its estimated charges, until it fills or is
//!   cancelled.
//!
//! Placement fills at once where an exchange would: a MARKET order at the ask (buy) or bid (sell), a LIMIT
//! order that crosses the market at the ask or bid. A limit-type order fills at most the size the quote
//! offers at the touch ([`tradable`]); its rest works on, or for IOC is cancelled. Every rejection names its
//! reason and changes nothing.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

use crate::broker::link::BrokerOrderRef;
use crate::kernel::ids::{OrderId, TradeId, UserId};
use crate::kernel::money::paise;
use crate::kernel::time::ist;
use crate::market::instrument::{Instrument, InstrumentKey, Segment};
use crate::market::quote::Quote;
use crate::trading::charges::{BrokeragePlan, ChargeRates, ChargeSegment, Charges, Side, fill_charges};
use crate::trading::margin::required_margin;
use crate::trading::order::{
    OrderEvent, OrderRequest, OrderStatus, OrderType, Product, Validity, Violation, validate,
};
use crate::trading::position::Position;

/// The largest order value the platform accepts: ₹1 crore.
pub const MAX_ORDER_VALUE: Decimal = dec!(10000000);

/// One step of an order's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// The status entered.
    pub status: OrderStatus,
    /// When.
    pub at: DateTime<Utc>,
    /// Why, when there is more to say than the status.
    pub message: Option<String>,
}

/// An order in the book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Id.
    pub id: OrderId,
    /// Owner.
    pub user_id: UserId,
    /// The client's idempotency id.
    pub client_order_id: Option<String>,
    /// Instrument.
    pub instrument: InstrumentKey,
    /// Side.
    pub side: Side,
    /// Units ordered.
    pub quantity: i64,
    /// Units filled.
    pub filled_quantity: i64,
    /// Average fill price (exact), once anything filled.
    pub average_price: Option<Decimal>,
    /// Type.
    pub order_type: OrderType,
    /// Product.
    pub product: Product,
    /// Limit price.
    pub price: Option<Decimal>,
    /// Trigger price.
    pub trigger_price: Option<Decimal>,
    /// Validity.
    pub validity: Validity,
    /// Quantity shown to the market.
    pub disclosed_quantity: Option<i64>,
    /// Status.
    pub status: OrderStatus,
    /// Why it stands where it does (a rejection's or cancellation's reason).
    pub status_message: Option<String>,
    /// Free-form label.
    pub tag: Option<String>,
    /// Placed outside market hours, to go at the next open.
    pub is_amo: bool,
    /// Funds blocked while it works.
    pub blocked: Decimal,
    /// Placed at.
    pub placed_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Every status it went through, oldest first.
    pub history: Vec<StatusChange>,
    /// Optimistic-concurrency version, bumped on every write.
    pub version: u64,
    /// The broker holding it, for a live order; `None` for a paper order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<BrokerOrderRef>,
}

/// One fill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    /// Id.
    pub id: TradeId,
    /// The order it filled.
    pub order_id: OrderId,
    /// Instrument.
    pub instrument: InstrumentKey,
    /// Side.
    pub side: Side,
    /// Product.
    pub product: Product,
    /// Units.
    pub quantity: i64,
    /// Price.
    pub price: Decimal,
    /// Charges of this fill.
    pub charges: Charges,
    /// When.
    pub executed_at: DateTime<Utc>,
}

/// A position as the book keeps it: per instrument and product, with the margin it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionRecord {
    /// Instrument.
    pub instrument: InstrumentKey,
    /// Product.
    pub product: Product,
    /// Quantities, cost and P&L.
    pub position: Position,
    /// Margin the open quantity holds.
    pub margin: Decimal,
    /// Units of a delivery equity position settled into holdings (bought before the last roll-over, T+1).
    #[serde(default)]
    pub settled_quantity: i64,
    /// The IST date of the latest fill, while the position has fills not yet rolled over.
    #[serde(default)]
    pub trading_day: Option<NaiveDate>,
    /// Optimistic-concurrency version (0: never stored).
    pub version: u64,
}

impl PositionRecord {
    /// A flat position never stored.
    pub fn flat(instrument: InstrumentKey, product: Product) -> Self {
        Self {
            instrument,
            product,
            position: Position::default(),
            margin: Decimal::ZERO,
            settled_quantity: 0,
            trading_day: None,
            version: 0,
        }
    }

    /// Units held in holdings: settled units still open.
    pub fn holding_quantity(&self) -> i64 {
        self.settled_quantity.min(self.position.quantity).max(0)
    }

    /// Whether the position shows among the day's positions: it traded since the last roll-over, or it has
    /// open units that are not holdings (an intraday or a carried F&O position).
    pub fn shows_as_position(&self) -> bool {
        self.position.traded_today() || self.position.quantity != self.holding_quantity()
    }
}

/// What a fill does to a position and the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillEffect {
    /// The position after the fill (version bumped).
    pub position: PositionRecord,
    /// Change of available funds.
    pub available_change: Decimal,
    /// Change of cash.
    pub cash_change: Decimal,
}

/// Everything the market and the account say about one placement.
#[derive(Debug, Clone, Copy)]
pub struct Market<'a> {
    /// The instrument.
    pub instrument: &'a Instrument,
    /// Its quote now.
    pub quote: &'a Quote,
    /// The underlying's last price (derivatives; the instrument's own for anything else).
    pub underlying_price: Decimal,
    /// Whether the exchange's normal session is open.
    pub open: bool,
    /// Charge rates in force today for the order's segment.
    pub rates: &'a ChargeRates,
    /// The brokerage plan.
    pub plan: &'a BrokeragePlan,
}

/// Why a valid order was refused before acceptance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RiskRejection {
    /// Not enough available funds.
    #[error("insufficient funds: ₹{required} needed, ₹{available} available")]
    InsufficientFunds {
        /// Funds the order needs.
        required: Decimal,
        /// Funds available.
        available: Decimal,
    },
    /// Above [`MAX_ORDER_VALUE`].
    #[error("order value ₹{value} is above the ₹{limit} limit")]
    OrderValueTooLarge {
        /// The order's value.
        value: Decimal,
        /// The limit.
        limit: Decimal,
    },
    /// Selling more delivery shares than held.
    #[error("cannot sell {wanted} for delivery: {held} held")]
    ShortDelivery {
        /// Units in the order.
        wanted: i64,
        /// Units held.
        held: i64,
    },
    /// The account already has the most working orders it may ([`super::risk::RiskLimits`]).
    #[error("{open} orders are working; at most {limit} may work at once")]
    TooManyOpenOrders {
        /// Orders working now.
        open: usize,
        /// The limit.
        limit: usize,
    },
    /// The position in the instrument would grow past its limit.
    #[error("the position would be worth ₹{value}, above the ₹{limit} limit per instrument")]
    PositionLimit {
        /// The position's value after the order.
        value: Decimal,
        /// The limit.
        limit: Decimal,
    },
    /// The day's loss reached the daily limit: only orders that reduce a position are accepted.
    #[error("today's loss of ₹{loss} reached the ₹{limit} daily limit; only reducing orders are accepted")]
    DailyLossLimit {
        /// The day's loss so far.
        loss: Decimal,
        /// The limit.
        limit: Decimal,
    },
}

/// Why placement refused an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceRefusal {
    /// The request breaks order rules.
    Invalid(Vec<Violation>),
    /// A risk check refused it.
    Risk(RiskRejection),
}

/// What placing an order does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The order as stored.
    pub order: Order,
    /// Its fill, if it filled at once.
    pub trade: Option<Trade>,
    /// The position after that fill.
    pub position: Option<PositionRecord>,
    /// Change of available funds (never allowed below zero).
    pub available_change: Decimal,
    /// Change of cash.
    pub cash_change: Decimal,
}

/// The charge segment of an order on `instrument` with `product`.
pub fn charge_segment(instrument: &Instrument, product: Product) -> ChargeSegment {
    match (instrument.segment, product) {
        (Segment::Future, _) => ChargeSegment::Futures,
        (Segment::Option, _) => ChargeSegment::Options,
        (_, Product::Delivery) => ChargeSegment::EquityDelivery,
        (_, Product::Intraday) => ChargeSegment::EquityIntraday,
    }
}

/// The charges of filling `quantity` at `price` as one executed order.
pub fn order_charges(
    side: Side,
    quantity: i64,
    price: Decimal,
    market: &Market<'_>,
    product: Product,
) -> Charges {
    let value = Decimal::from(quantity) * price;
    let segment = charge_segment(market.instrument, product);
    fill_charges(market.rates, side, value, market.plan.for_order(segment, value))
}

/// What `fill` does to `position` and the account.
pub fn fill_effect(
    position: &PositionRecord,
    instrument: &Instrument,
    fill: &Trade,
    underlying_price: Decimal,
) -> FillEffect {
    let (side, price, charges) = (fill.side, fill.price, fill.charges.total());
    let before = position.position;
    let after = before.apply(side, fill.quantity, price, charges);
    let margin_of =
        |units: i64| required_margin(instrument, side, position.product, units, price, underlying_price);
    let (old, new) = (before.quantity, after.quantity);
    let margin = if old == 0 || ((old > 0) == (new > 0) && new.abs() > old.abs()) {
        // Opened or added to.
        position.margin + margin_of(new.abs() - old.abs())
    } else if new == 0 || (old > 0) == (new > 0) {
        // Reduced: the closed share of the held margin comes back.
        paise(position.margin * Decimal::from(new.abs()) / Decimal::from(old.abs()))
    } else {
        // Flipped: the old side's margin comes back, the new side holds its own.
        margin_of(new.abs())
    };
    let realized = paise(after.realized_pnl - before.realized_pnl);
    let released = position.margin - margin;
    FillEffect {
        position: PositionRecord {
            position: after,
            margin,
            // Sales come out of the settled units last: they stay holdings while bought units remain.
            settled_quantity: position.settled_quantity.min(new.max(0)),
            trading_day: Some(fill.executed_at.with_timezone(&ist()).date_naive()),
            version: position.version + 1,
            ..position.clone()
        },
        available_change: released + realized - charges,
        cash_change: realized - charges,
    }
}

/// Units of an order of `quantity` on `side` that would not reduce `position`.
fn adding_units(position: &Position, side: Side, quantity: i64) -> i64 {
    let reduces = match side {
        Side::Buy => position.quantity < 0,
        Side::Sell => position.quantity > 0,
    };
    if reduces {
        (quantity - position.quantity.abs()).max(0)
    } else {
        quantity
    }
}

/// Places `request` as order `id` for `user` at `now`: validation, risk checks, then an immediate fill
/// where the market allows, or a resting order blocking its funds.
///
/// # Errors
/// [`PlaceRefusal`]: nothing is to be written.
#[allow(clippy::too_many_arguments)]
pub fn place(
    user: UserId,
    (id, trade_id): (OrderId, TradeId),
    request: &OrderRequest,
    market: &Market<'_>,
    position: &PositionRecord,
    available: Decimal,
    now: DateTime<Utc>,
) -> Result<Placement, PlaceRefusal> {
    let instrument = market.instrument;
    let quote = market.quote;
    let accepted =
        validate(request, instrument, quote.last_price, market.open).map_err(PlaceRefusal::Invalid)?;
    let touch = match request.side {
        Side::Buy => quote.ask,
        Side::Sell => quote.bid,
    };
    let reference = request.price.or(request.trigger_price).unwrap_or(touch);
    let value = Decimal::from(request.quantity) * reference;
    if value > MAX_ORDER_VALUE {
        return Err(PlaceRefusal::Risk(RiskRejection::OrderValueTooLarge {
            value,
            limit: MAX_ORDER_VALUE,
        }));
    }
    if request.side == Side::Sell
        && request.product == Product::Delivery
        && instrument.segment == Segment::Equity
        && position.position.quantity < request.quantity
    {
        return Err(PlaceRefusal::Risk(RiskRejection::ShortDelivery {
            wanted: request.quantity,
            held: position.position.quantity.max(0),
        }));
    }
    let marketable = |limit: Decimal| match request.side {
        Side::Buy => touch <= limit,
        Side::Sell => touch >= limit,
    };
    let fills_now = !accepted.is_amo
        && match request.order_type {
            OrderType::Market => true,
            OrderType::Limit => request.price.is_some_and(marketable),
            OrderType::StopLoss | OrderType::StopLossMarket => false,
        };
    let mut order = new_order((user, id), &instrument.key, request, accepted.is_amo, now);
    let record = |order: &mut Order, status: OrderStatus, message: Option<String>| {
        order.status = status;
        order.status_message.clone_from(&message);
        order.history.push(StatusChange {
            status,
            at: now,
            message,
        });
    };
    let insufficient =
        |required: Decimal| PlaceRefusal::Risk(RiskRejection::InsufficientFunds { required, available });
    let block_for =
        |held: &Position, rest: i64| rest_block(market, request.side, request.product, held, rest, reference);
    let filled = if fills_now {
        tradable(request.order_type, request.side, request.quantity, quote)
    } else {
        0
    };
    if filled > 0 {
        let trade = fill(&order, trade_id, filled, touch, market, now);
        let effect = fill_effect(position, instrument, &trade, market.underlying_price);
        let rest = request.quantity - filled;
        let blocked = if rest > 0 && request.validity == Validity::Day {
            block_for(&effect.position.position, rest)
        } else {
            Decimal::ZERO
        };
        if available + effect.available_change - blocked < Decimal::ZERO {
            return Err(insufficient(blocked - effect.available_change));
        }
        record(&mut order, OrderStatus::Open, None);
        order.filled_quantity = filled;
        order.average_price = Some(touch);
        order.blocked = blocked;
        if rest == 0 {
            record(&mut order, OrderStatus::Complete, None);
        } else {
            record(&mut order, OrderStatus::PartiallyFilled, None);
            if request.validity == Validity::Ioc {
                record(
                    &mut order,
                    OrderStatus::Cancelled,
                    Some(format!("IOC: {rest} unfilled at placement cancelled")),
                );
            }
        }
        return Ok(Placement {
            order,
            trade: Some(trade),
            position: Some(effect.position),
            available_change: effect.available_change - blocked,
            cash_change: effect.cash_change,
        });
    }
    if request.validity == Validity::Ioc {
        record(&mut order, OrderStatus::Open, None);
        record(
            &mut order,
            OrderStatus::Cancelled,
            Some("IOC: nothing matched at placement".into()),
        );
        return Ok(Placement {
            order,
            trade: None,
            position: None,
            available_change: Decimal::ZERO,
            cash_change: Decimal::ZERO,
        });
    }
    let blocked = block_for(&position.position, request.quantity);
    if blocked > available {
        return Err(insufficient(blocked));
    }
    order.blocked = blocked;
    let resting = if matches!(
        request.order_type,
        OrderType::StopLoss | OrderType::StopLossMarket
    ) {
        OrderStatus::TriggerPending
    } else {
        OrderStatus::Open
    };
    let message = accepted
        .is_amo
        .then(|| "after-market order: goes to the exchange at the next open".to_owned());
    record(&mut order, resting, message);
    Ok(Placement {
        order,
        trade: None,
        position: None,
        available_change: -blocked,
        cash_change: Decimal::ZERO,
    })
}

/// Units of an order of `order_type` on `side` with `remaining` unfilled that trade at the touch of `quote`
/// now: all of them for a market-type order (MARKET, and SL-M once triggered: it sweeps the book) or where
/// the quote gives no depth; at most the size offered at the touch for a limit-type order (LIMIT, and SL once
/// triggered). The caller has checked that the order's price crosses.
fn tradable(order_type: OrderType, side: Side, remaining: i64, quote: &Quote) -> i64 {
    let offered = match side {
        Side::Buy => quote.ask_quantity,
        Side::Sell => quote.bid_quantity,
    };
    match (order_type, offered) {
        (OrderType::Limit | OrderType::StopLoss, Some(offered)) => {
            remaining.min(i64::try_from(offered).unwrap_or(i64::MAX))
        }
        _ => remaining,
    }
}

/// The average price of `order` after `quantity` more units fill at `price`: exact up to Decimal's 28
/// significant digits, as a position's average price.
fn average_after(order: &Order, quantity: i64, price: Decimal) -> Decimal {
    let before = Decimal::from(order.filled_quantity) * order.average_price.unwrap_or_default();
    (before + Decimal::from(quantity) * price) / Decimal::from(order.filled_quantity + quantity)
}

/// The fill `trade_id` of `quantity` units of `order` at `price`, with its charges.
fn fill(
    order: &Order,
    trade_id: TradeId,
    quantity: i64,
    price: Decimal,
    market: &Market<'_>,
    now: DateTime<Utc>,
) -> Trade {
    Trade {
        id: trade_id,
        order_id: order.id,
        instrument: order.instrument.clone(),
        side: order.side,
        product: order.product,
        quantity,
        price,
        charges: order_charges(order.side, quantity, price, market, order.product),
        executed_at: now,
    }
}

/// What `rest` unfilled units on `side` block while they work, priced at `reference` against the position
/// `held` they would then meet: the margin of the units that would not reduce it, plus their charges.
fn rest_block(
    market: &Market<'_>,
    side: Side,
    product: Product,
    held: &Position,
    rest: i64,
    reference: Decimal,
) -> Decimal {
    required_margin(
        market.instrument,
        side,
        product,
        adding_units(held, side, rest),
        reference,
        market.underlying_price,
    ) + order_charges(side, rest, reference, market, product).total()
}

/// `PUT /v1/orders/{id}`: what to change (at least one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderChange {
    /// New quantity.
    pub quantity: Option<i64>,
    /// New limit price.
    pub price: Option<Decimal>,
    /// New trigger price.
    pub trigger_price: Option<Decimal>,
    /// New type.
    pub order_type: Option<OrderType>,
}

/// Why a modification was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModifyRefusal {
    /// Nothing to change.
    Empty,
    /// The order is complete, cancelled or rejected.
    Closed(OrderStatus),
    /// Part of the order has filled: the paper broker does not modify it (cancel the rest and place anew).
    PartlyFilled {
        /// Units filled.
        filled: i64,
        /// Units ordered.
        quantity: i64,
    },
    /// The modified order breaks order rules.
    Invalid(Vec<Violation>),
    /// A risk check refused the modified order.
    Risk(RiskRejection),
}

/// `request` as a new paper order `id` of `user` on `instrument` at `now`: OPEN, nothing filled or blocked,
/// no history yet.
pub fn new_order(
    (user, id): (UserId, OrderId),
    instrument: &InstrumentKey,
    request: &OrderRequest,
    is_amo: bool,
    now: DateTime<Utc>,
) -> Order {
    Order {
        id,
        user_id: user,
        client_order_id: request.client_order_id.clone(),
        instrument: instrument.clone(),
        side: request.side,
        quantity: request.quantity,
        filled_quantity: 0,
        average_price: None,
        order_type: request.order_type,
        product: request.product,
        price: request.price,
        trigger_price: request.trigger_price,
        validity: request.validity,
        disclosed_quantity: request.disclosed_quantity,
        status: OrderStatus::Open,
        status_message: None,
        tag: request.tag.clone(),
        is_amo,
        blocked: Decimal::ZERO,
        placed_at: now,
        updated_at: now,
        history: Vec::new(),
        version: 1,
        live: None,
    }
}

/// The request `order` becomes with `change`: what the change leaves out is kept, and a price or trigger the
/// new type does not use is dropped.
pub fn modified_request(order: &Order, change: &OrderChange) -> OrderRequest {
    let order_type = change.order_type.unwrap_or(order.order_type);
    let keeps = |field: Option<Decimal>, used: bool| if used { field } else { None };
    OrderRequest {
        side: order.side,
        quantity: change.quantity.unwrap_or(order.quantity),
        order_type,
        product: order.product,
        price: keeps(
            change.price.or(order.price),
            matches!(order_type, OrderType::Limit | OrderType::StopLoss),
        ),
        trigger_price: keeps(
            change.trigger_price.or(order.trigger_price),
            matches!(order_type, OrderType::StopLoss | OrderType::StopLossMarket),
        ),
        validity: order.validity,
        disclosed_quantity: order.disclosed_quantity,
        tag: order.tag.clone(),
        client_order_id: order.client_order_id.clone(),
    }
}

/// `order` modified by `change` at `now`: the modified order is placed afresh against the market (it may fill
/// at once, or rest blocking its new funds) and the old block is released, as a broker's modify does. An
/// order with part filled is not modified: its rest is cancelled and a new order placed instead.
///
/// # Errors
/// [`ModifyRefusal`]: nothing is to be written.
pub fn modify(
    order: &Order,
    change: &OrderChange,
    market: &Market<'_>,
    position: &PositionRecord,
    available: Decimal,
    trade_id: TradeId,
    now: DateTime<Utc>,
) -> Result<Placement, ModifyRefusal> {
    if change == &OrderChange::default() {
        return Err(ModifyRefusal::Empty);
    }
    let status = order
        .status
        .after(OrderEvent::Modified)
        .ok_or(ModifyRefusal::Closed(order.status))?;
    if order.filled_quantity > 0 {
        return Err(ModifyRefusal::PartlyFilled {
            filled: order.filled_quantity,
            quantity: order.quantity,
        });
    }
    let request = modified_request(order, change);
    let replaced = place(
        order.user_id,
        (order.id, trade_id),
        &request,
        market,
        position,
        available + order.blocked,
        now,
    )
    .map_err(|refusal| match refusal {
        PlaceRefusal::Invalid(violations) => ModifyRefusal::Invalid(violations),
        PlaceRefusal::Risk(risk) => ModifyRefusal::Risk(risk),
    })?;
    let mut history = order.history.clone();
    history.push(StatusChange {
        status,
        at: now,
        message: Some("modified".into()),
    });
    // The replacement's own steps, after its first (the order was already open).
    history.extend(replaced.order.history.iter().skip(1).cloned());
    Ok(Placement {
        order: Order {
            placed_at: order.placed_at,
            history,
            version: order.version + 1,
            ..replaced.order
        },
        available_change: replaced.available_change + order.blocked,
        ..replaced
    })
}

/// What the market does to a working order at one tick while the exchange is open: a stop whose trigger is
/// reached triggers (SL-M then trades as a market order, SL as a limit); an order that can trade fills at the
/// touch, whole or (a limit-type order larger than the size offered, [`tradable`]) in part, keeping a block
/// for the rest; one whose fill the account can no longer carry (a stop filling through its trigger) is
/// rejected, or with part already filled has its rest cancelled, and its block released. `None`: nothing
/// happens.
pub fn on_tick(
    order: &Order,
    market: &Market<'_>,
    position: &PositionRecord,
    available: Decimal,
    trade_id: TradeId,
    now: DateTime<Utc>,
) -> Option<Placement> {
    if order.status.is_final() || !market.open {
        return None;
    }
    let quote = market.quote;
    let mut next = order.clone();
    let step = |next: &mut Order, event: OrderEvent, message: Option<String>| {
        let status = next.status.after(event)?;
        next.status = status;
        next.status_message.clone_from(&message);
        next.history.push(StatusChange {
            status,
            at: now,
            message,
        });
        Some(())
    };
    let mut triggered = false;
    if order.status == OrderStatus::TriggerPending {
        let trigger = order.trigger_price?;
        let reached = match order.side {
            Side::Buy => quote.last_price >= trigger,
            Side::Sell => quote.last_price <= trigger,
        };
        if !reached {
            return None;
        }
        step(
            &mut next,
            OrderEvent::Triggered,
            Some(format!("triggered at {}", quote.last_price)),
        )?;
        triggered = true;
    }
    let touch = match order.side {
        Side::Buy => quote.ask,
        Side::Sell => quote.bid,
    };
    let trades = match order.order_type {
        OrderType::Market | OrderType::StopLossMarket => true,
        OrderType::Limit | OrderType::StopLoss => order.price.is_some_and(|limit| match order.side {
            Side::Buy => touch <= limit,
            Side::Sell => touch >= limit,
        }),
    };
    next.updated_at = now;
    next.version += 1;
    let unchanged = |next: Order| Placement {
        order: next,
        trade: None,
        position: None,
        available_change: Decimal::ZERO,
        cash_change: Decimal::ZERO,
    };
    let remaining = order.quantity - order.filled_quantity;
    let quantity = if trades {
        tradable(order.order_type, order.side, remaining, quote)
    } else {
        0
    };
    if quantity == 0 {
        return triggered.then(|| unchanged(next));
    }
    let trade = fill(order, trade_id, quantity, touch, market, now);
    let effect = fill_effect(position, market.instrument, &trade, market.underlying_price);
    let rest = remaining - quantity;
    let blocked = if rest > 0 {
        let reference = order.price.unwrap_or(touch);
        rest_block(
            market,
            order.side,
            order.product,
            &effect.position.position,
            rest,
            reference,
        )
    } else {
        Decimal::ZERO
    };
    let available_change = order.blocked + effect.available_change - blocked;
    if available + available_change < Decimal::ZERO {
        // What filled stays filled; the rest can no longer be carried.
        let event = if order.filled_quantity > 0 {
            OrderEvent::Cancelled
        } else {
            OrderEvent::Rejected
        };
        next.blocked = Decimal::ZERO;
        step(
            &mut next,
            event,
            Some("insufficient funds at the fill price".into()),
        )?;
        return Some(Placement {
            available_change: order.blocked,
            ..unchanged(next)
        });
    }
    next.average_price = Some(average_after(order, quantity, touch));
    next.filled_quantity += quantity;
    next.blocked = blocked;
    let event = if rest == 0 {
        OrderEvent::Filled
    } else {
        OrderEvent::PartFilled
    };
    step(&mut next, event, None)?;
    Some(Placement {
        trade: Some(trade),
        position: Some(effect.position),
        available_change,
        cash_change: effect.cash_change,
        order: next,
    })
}

/// An order that can no longer be cancelled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("order is {0:?}: it cannot be cancelled")]
pub struct NotCancellable(pub OrderStatus);

/// The order cancelled at `now` by its owner, and the funds that come back.
///
/// # Errors
/// [`NotCancellable`] when it is complete, cancelled or rejected.
pub fn cancel(order: &Order, now: DateTime<Utc>) -> Result<(Order, Decimal), NotCancellable> {
    close_working(order, now, "cancelled by the user")
}

/// A DAY order whose session closed before it filled: cancelled at `now`, and the funds that come back.
///
/// # Errors
/// [`NotCancellable`] when it is already complete, cancelled or rejected.
pub fn expire(order: &Order, now: DateTime<Utc>) -> Result<(Order, Decimal), NotCancellable> {
    close_working(order, now, "expired at the close (DAY order)")
}

fn close_working(order: &Order, now: DateTime<Utc>, why: &str) -> Result<(Order, Decimal), NotCancellable> {
    let status = order
        .status
        .after(OrderEvent::Cancelled)
        .ok_or(NotCancellable(order.status))?;
    let mut cancelled = order.clone();
    cancelled.status = status;
    cancelled.status_message = Some(why.to_owned());
    cancelled.blocked = Decimal::ZERO;
    cancelled.updated_at = now;
    cancelled.version += 1;
    cancelled.history.push(StatusChange {
        status,
        at: now,
        message: cancelled.status_message.clone(),
    });
    Ok((cancelled, order.blocked))
}

/// The `tag` of the orders the exchange places to square positions off.
pub const SQUARE_OFF_TAG: &str = "square-off";

/// The platform's square-off of an intraday `record` of `user` at `now`: a MARKET order for the whole open
/// quantity on the other side, filled at the touch as order `id` with fill `trade_id`. Unlike a user's order
/// it is not refused for funds: the position is closed whatever the balance. `None` when the record is flat.
pub fn square_off(
    user: UserId,
    (id, trade_id): (OrderId, TradeId),
    record: &PositionRecord,
    market: &Market<'_>,
    now: DateTime<Utc>,
) -> Option<Placement> {
    let open = record.position.quantity;
    if open == 0 {
        return None;
    }
    let (side, touch) = if open > 0 {
        (Side::Sell, market.quote.bid)
    } else {
        (Side::Buy, market.quote.ask)
    };
    let quantity = open.abs();
    let step = |status, message: Option<&str>| StatusChange {
        status,
        at: now,
        message: message.map(str::to_owned),
    };
    let message = "intraday position squared off before the close";
    let order = Order {
        id,
        user_id: user,
        client_order_id: None,
        instrument: record.instrument.clone(),
        side,
        quantity,
        filled_quantity: quantity,
        average_price: Some(touch),
        order_type: OrderType::Market,
        product: record.product,
        price: None,
        trigger_price: None,
        validity: Validity::Day,
        disclosed_quantity: None,
        status: OrderStatus::Complete,
        status_message: Some(message.to_owned()),
        tag: Some(SQUARE_OFF_TAG.to_owned()),
        is_amo: false,
        blocked: Decimal::ZERO,
        placed_at: now,
        updated_at: now,
        history: vec![
            step(OrderStatus::Open, None),
            step(OrderStatus::Complete, Some(message)),
        ],
        version: 1,
        live: None,
    };
    let trade = fill(&order, trade_id, quantity, touch, market, now);
    let effect = fill_effect(record, market.instrument, &trade, market.underlying_price);
    Some(Placement {
        order,
        trade: Some(trade),
        position: Some(effect.position),
        available_change: effect.available_change,
        cash_change: effect.cash_change,
    })
}

/// `record` at the start of the next trading day: the position rolled over ([`Position::roll_over`]), and a
/// delivery equity position's open units settled into holdings (T+1).
pub fn roll_over(record: &PositionRecord, segment: Segment) -> PositionRecord {
    let position = record.position.roll_over();
    let settles = record.product == Product::Delivery && segment == Segment::Equity;
    PositionRecord {
        position,
        settled_quantity: if settles { position.quantity.max(0) } else { 0 },
        trading_day: None,
        version: record.version + 1,
        ..record.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::calendar::MarketCalendar;
    use crate::market::master::InstrumentMaster;
    use crate::market::quote::Bar;
    use crate::trading::charges::ChargeSchedule;
    use ulid::Ulid;

    struct World {
        master: InstrumentMaster,
        schedule: ChargeSchedule,
        plan: BrokeragePlan,
        user: UserId,
    }

    fn world() -> World {
        let calendar = MarketCalendar::default();
        World {
            master: InstrumentMaster::shipped(&calendar, "2026-11-23".parse().unwrap()).unwrap(),
            schedule: ChargeSchedule::shipped().unwrap(),
            plan: BrokeragePlan::default(),
            user: UserId::from_ulid(Ulid::new()),
        }
    }

    fn quote(bid: Decimal, ask: Decimal) -> Quote {
        let last = (bid + ask) / dec!(2);
        Quote {
            last_price: last,
            bid,
            ask,
            day: Bar {
                open: last,
                high: last,
                low: last,
                close: last,
                volume: 1,
            },
            previous_close: last,
            timestamp: now(),
            open_interest: None,
            bid_quantity: None,
            ask_quantity: None,
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-25T06:00:00Z".parse().unwrap()
    }

    fn ids() -> (OrderId, TradeId) {
        (OrderId::from_ulid(Ulid::new()), TradeId::from_ulid(Ulid::new()))
    }

    fn request(side: Side, quantity: i64, order_type: OrderType, product: Product) -> OrderRequest {
        OrderRequest {
            side,
            quantity,
            order_type,
            product,
            price: None,
            trigger_price: None,
            validity: Validity::Day,
            disclosed_quantity: None,
            tag: None,
            client_order_id: None,
        }
    }

    impl World {
        /// The market for `key` traded with `product` at `quote`, on the shipped rates of 25 Nov 2026.
        fn market<'a>(&'a self, key: &str, product: Product, quote: &'a Quote, open: bool) -> Market<'a> {
            let instrument = self.master.get(key).unwrap();
            Market {
                instrument,
                quote,
                underlying_price: quote.last_price,
                open,
                rates: self
                    .schedule
                    .rates_on(charge_segment(instrument, product), "2026-11-25".parse().unwrap())
                    .unwrap(),
                plan: &self.plan,
            }
        }

        fn place(
            &self,
            key: &str,
            request: &OrderRequest,
            quote: &Quote,
            open: bool,
            position: &PositionRecord,
            available: Decimal,
        ) -> Result<Placement, PlaceRefusal> {
            let market = self.market(key, request.product, quote, open);
            place(self.user, ids(), request, &market, position, available, now())
        }
    }

    fn flat(key: &str, product: Product) -> PositionRecord {
        let symbol = key.strip_prefix("NSE:").unwrap();
        PositionRecord::flat(
            InstrumentKey::new(crate::market::instrument::Exchange::Nse, symbol),
            product,
        )
    }

    #[test]
    fn a_delivery_round_trip_moves_cash_by_the_hand_checked_pnl_and_charges() {
        let w = world();
        let buy = request(Side::Buy, 10, OrderType::Market, Product::Delivery);
        let placed = w
            .place(
                "NSE:INFY",
                &buy,
                &quote(dec!(1499.90), dec!(1500.10)),
                true,
                &flat("NSE:INFY", Product::Delivery),
                dec!(1000000),
            )
            .unwrap();
        // 10 × 1,500.10 = 15,001.00. STT 0.1% = 15.00; NSE 0.00297% = 0.45; IPF ₹10/cr = 0.02 (0.015001);
        // SEBI ₹10/cr = 0.02; stamp 0.015% = 2.25; brokerage 0 (delivery); GST 18% of 0.49 = 0.09. Total 17.83.
        let trade = placed.trade.clone().unwrap();
        assert_eq!((trade.quantity, trade.price), (10, dec!(1500.10)));
        assert_eq!(trade.charges.total(), dec!(17.83));
        assert_eq!(placed.order.status, OrderStatus::Complete);
        assert_eq!(placed.order.average_price, Some(dec!(1500.10)));
        assert_eq!(
            placed.available_change,
            dec!(-15018.83),
            "the cost is held, the charges paid"
        );
        assert_eq!(placed.cash_change, dec!(-17.83));
        let held = placed.position.unwrap();
        assert_eq!((held.position.quantity, held.margin), (10, dec!(15001.00)));

        let sell = request(Side::Sell, 10, OrderType::Market, Product::Delivery);
        let closed = w
            .place(
                "NSE:INFY",
                &sell,
                &quote(dec!(1510.00), dec!(1510.20)),
                true,
                &held,
                dec!(1000000) - dec!(15018.83),
            )
            .unwrap();
        // Sold at the bid: 15,100.00, realized 99.00. STT 15.10; NSE 0.45 (0.44847); IPF 0.02; SEBI 0.02;
        // no stamp on a sell; GST 18% of 0.49 = 0.09. Total 15.68.
        assert_eq!(closed.trade.unwrap().charges.total(), dec!(15.68));
        assert_eq!(
            closed.available_change,
            dec!(15084.32),
            "15,001 released + 99 − 15.68"
        );
        assert_eq!(closed.cash_change, dec!(83.32));
        let flat_again = closed.position.unwrap();
        assert_eq!(
            (flat_again.position.quantity, flat_again.margin),
            (0, Decimal::ZERO)
        );
        assert_eq!(flat_again.position.realized_pnl, dec!(99.00));
        assert_eq!(
            dec!(-17.83) + dec!(83.32),
            dec!(99.00) - dec!(17.83) - dec!(15.68),
            "cash moved by realized P&L minus both contract notes"
        );
    }

    #[test]
    fn an_intraday_flip_releases_the_long_margin_and_holds_the_shorts() {
        let w = world();
        let long = PositionRecord {
            position: Position::default().apply(Side::Buy, 100, dec!(100), Decimal::ZERO),
            margin: dec!(2000.00),
            version: 3,
            ..flat("NSE:ITC", Product::Intraday)
        };
        let sell = request(Side::Sell, 150, OrderType::Market, Product::Intraday);
        let placed = w
            .place(
                "NSE:ITC",
                &sell,
                &quote(dec!(100), dec!(100.05)),
                true,
                &long,
                dec!(5000),
            )
            .unwrap();
        let after = placed.position.unwrap();
        assert_eq!(after.position.quantity, -50);
        assert_eq!(after.margin, dec!(1000.00), "20% of 50 × 100");
        assert_eq!(after.version, 4);
        let charges = placed.trade.unwrap().charges.total();
        assert_eq!(
            placed.available_change,
            dec!(1000.00) - charges,
            "2,000 released, 1,000 held"
        );
    }

    #[test]
    fn a_limit_away_from_the_market_rests_and_blocks_its_margin_and_charges() {
        let w = world();
        let mut buy = request(Side::Buy, 10, OrderType::Limit, Product::Delivery);
        buy.price = Some(dec!(1400.00));
        let placed = w
            .place(
                "NSE:INFY",
                &buy,
                &quote(dec!(1499.90), dec!(1500.10)),
                true,
                &flat("NSE:INFY", Product::Delivery),
                dec!(20000),
            )
            .unwrap();
        assert_eq!(placed.order.status, OrderStatus::Open);
        assert!(placed.trade.is_none() && placed.position.is_none());
        // 14,000 + charges on 14,000: STT 14.00, NSE 0.42 (0.4158), IPF 0.01 (0.014), SEBI 0.01, stamp 2.10,
        // GST 18% of 0.44 = 0.08. Total 16.62.
        assert_eq!(placed.order.blocked, dec!(14016.62));
        assert_eq!(placed.available_change, dec!(-14016.62));

        let (cancelled, released) = cancel(&placed.order, now()).unwrap();
        assert_eq!(released, dec!(14016.62));
        assert_eq!(
            (cancelled.status, cancelled.blocked),
            (OrderStatus::Cancelled, Decimal::ZERO)
        );
        assert_eq!(cancelled.history.len(), 2);
        assert_eq!(
            cancel(&cancelled, now()),
            Err(NotCancellable(OrderStatus::Cancelled))
        );
    }

    #[test]
    fn a_crossing_limit_fills_at_the_touch_not_the_limit() {
        let w = world();
        let mut buy = request(Side::Buy, 5, OrderType::Limit, Product::Intraday);
        buy.price = Some(dec!(1600.00));
        let placed = w
            .place(
                "NSE:INFY",
                &buy,
                &quote(dec!(1499.90), dec!(1500.10)),
                true,
                &flat("NSE:INFY", Product::Intraday),
                dec!(100000),
            )
            .unwrap();
        assert_eq!(placed.order.average_price, Some(dec!(1500.10)));
        assert_eq!(placed.position.unwrap().margin, dec!(1500.10), "20% of 7,500.50");
    }

    #[test]
    fn an_ioc_that_cannot_match_is_cancelled_and_blocks_nothing() {
        let w = world();
        let mut buy = request(Side::Buy, 5, OrderType::Limit, Product::Intraday);
        buy.price = Some(dec!(1400.00));
        buy.validity = Validity::Ioc;
        let placed = w
            .place(
                "NSE:INFY",
                &buy,
                &quote(dec!(1499.90), dec!(1500.10)),
                true,
                &flat("NSE:INFY", Product::Intraday),
                dec!(100000),
            )
            .unwrap();
        assert_eq!(placed.order.status, OrderStatus::Cancelled);
        assert_eq!(placed.available_change, Decimal::ZERO);
    }

    #[test]
    fn stops_wait_for_their_trigger_and_after_hours_orders_wait_for_the_open() {
        let w = world();
        let mut stop = request(Side::Sell, 5, OrderType::StopLossMarket, Product::Intraday);
        stop.trigger_price = Some(dec!(1450.00));
        let q = quote(dec!(1499.90), dec!(1500.10));
        let placed = w
            .place(
                "NSE:INFY",
                &stop,
                &q,
                true,
                &flat("NSE:INFY", Product::Intraday),
                dec!(100000),
            )
            .unwrap();
        assert_eq!(placed.order.status, OrderStatus::TriggerPending);
        assert!(placed.order.blocked > Decimal::ZERO);

        let market = request(Side::Buy, 5, OrderType::Market, Product::Delivery);
        let amo = w
            .place(
                "NSE:INFY",
                &market,
                &q,
                false,
                &flat("NSE:INFY", Product::Delivery),
                dec!(100000),
            )
            .unwrap();
        assert!(amo.order.is_amo);
        assert_eq!(amo.order.status, OrderStatus::Open);
        assert!(amo.trade.is_none(), "nothing fills while the market is shut");
    }

    #[test]
    fn modifying_a_resting_limit_reblocks_and_crossing_the_market_fills_it() {
        let w = world();
        let mut buy = request(Side::Buy, 10, OrderType::Limit, Product::Delivery);
        buy.price = Some(dec!(1400.00));
        let q = quote(dec!(1499.90), dec!(1500.10));
        let position = flat("NSE:INFY", Product::Delivery);
        let resting = w
            .place("NSE:INFY", &buy, &q, true, &position, dec!(100000))
            .unwrap()
            .order;
        assert_eq!(resting.blocked, dec!(14016.62));
        let market = w.market("NSE:INFY", Product::Delivery, &q, true);
        let available = dec!(100000) - resting.blocked;
        let tid = TradeId::from_ulid(Ulid::new());

        // 5 at 1,450.00: 7,250 + STT 7.25, NSE 0.22 (0.215325), IPF 0.01, SEBI 0.01, stamp 1.09 (1.0875),
        // GST 0.04 (0.0432) = 7,258.62 blocked; 14,016.62 − 7,258.62 = 6,758.00 comes back.
        let smaller = OrderChange {
            quantity: Some(5),
            price: Some(dec!(1450.00)),
            ..OrderChange::default()
        };
        let modified = modify(&resting, &smaller, &market, &position, available, tid, now()).unwrap();
        assert_eq!(modified.order.status, OrderStatus::Open);
        assert_eq!((modified.order.id, modified.order.version), (resting.id, 2));
        assert_eq!(modified.order.blocked, dec!(7258.62));
        assert_eq!(modified.available_change, dec!(6758.00));
        assert!(modified.trade.is_none());

        let crossing = OrderChange {
            price: Some(dec!(1510.00)),
            ..OrderChange::default()
        };
        let filled = modify(&resting, &crossing, &market, &position, available, tid, now()).unwrap();
        assert_eq!(filled.order.status, OrderStatus::Complete);
        assert_eq!(filled.order.average_price, Some(dec!(1500.10)), "at the touch");
        let statuses: Vec<OrderStatus> = filled.order.history.iter().map(|h| h.status).collect();
        assert_eq!(
            statuses,
            [OrderStatus::Open, OrderStatus::Open, OrderStatus::Complete]
        );
        assert_eq!(
            filled.available_change,
            dec!(14016.62) - dec!(15018.83),
            "block released, cost held"
        );

        let off_tick = OrderChange {
            price: Some(dec!(1450.05)),
            ..OrderChange::default()
        };
        assert!(matches!(
            modify(&resting, &off_tick, &market, &position, available, tid, now()),
            Err(ModifyRefusal::Invalid(_))
        ));
        assert_eq!(
            modify(
                &resting,
                &OrderChange::default(),
                &market,
                &position,
                available,
                tid,
                now()
            ),
            Err(ModifyRefusal::Empty)
        );
        assert_eq!(
            modify(&filled.order, &smaller, &market, &position, available, tid, now()),
            Err(ModifyRefusal::Closed(OrderStatus::Complete))
        );
    }

    #[test]
    fn a_resting_limit_fills_when_the_market_comes_to_it_and_a_stop_triggers_then_fills() {
        let w = world();
        let at = |q, open| w.market("NSE:INFY", Product::Intraday, q, open);
        let position = flat("NSE:INFY", Product::Intraday);
        let mut buy = request(Side::Buy, 10, OrderType::Limit, Product::Intraday);
        buy.price = Some(dec!(1490.00));
        let placed_at = quote(dec!(1499.90), dec!(1500.10));
        let resting = w
            .place("NSE:INFY", &buy, &placed_at, true, &position, dec!(100000))
            .unwrap()
            .order;
        let blocked = resting.blocked;
        let tid = TradeId::from_ulid(Ulid::new());

        let above = quote(dec!(1495.00), dec!(1495.20));
        assert_eq!(
            on_tick(&resting, &at(&above, true), &position, dec!(90000), tid, now()),
            None
        );
        let below = quote(dec!(1487.90), dec!(1488.10));
        assert_eq!(
            on_tick(&resting, &at(&below, false), &position, dec!(90000), tid, now()),
            None,
            "nothing trades while the exchange is shut"
        );
        let filled = on_tick(&resting, &at(&below, true), &position, dec!(90000), tid, now()).unwrap();
        assert_eq!(filled.order.status, OrderStatus::Complete);
        assert_eq!(
            filled.order.average_price,
            Some(dec!(1488.10)),
            "at the ask, below the limit"
        );
        assert_eq!((filled.order.blocked, filled.order.version), (Decimal::ZERO, 2));
        let trade = filled.trade.unwrap();
        // Intraday: 20% of 14,881.00 = 2,976.20 held; the block comes back.
        assert_eq!(filled.position.unwrap().margin, dec!(2976.20));
        assert_eq!(
            filled.available_change,
            blocked - dec!(2976.20) - trade.charges.total()
        );

        let mut stop = request(Side::Sell, 10, OrderType::StopLoss, Product::Intraday);
        stop.trigger_price = Some(dec!(1480.00));
        stop.price = Some(dec!(1479.00));
        let pending = w
            .place("NSE:INFY", &stop, &placed_at, true, &position, dec!(100000))
            .unwrap()
            .order;
        assert_eq!(pending.status, OrderStatus::TriggerPending);
        assert_eq!(
            on_tick(&pending, &at(&below, true), &position, dec!(90000), tid, now()),
            None
        );
        let through = quote(dec!(1479.50), dec!(1479.70));
        let triggered = on_tick(&pending, &at(&through, true), &position, dec!(90000), tid, now()).unwrap();
        let statuses: Vec<OrderStatus> = triggered.order.history.iter().map(|h| h.status).collect();
        assert_eq!(
            statuses,
            [
                OrderStatus::TriggerPending,
                OrderStatus::Open,
                OrderStatus::Complete
            ]
        );
        assert_eq!(
            triggered.order.average_price,
            Some(dec!(1479.50)),
            "sold at the bid"
        );

        let gapped = quote(dec!(1478.00), dec!(1478.20));
        let waiting = {
            let mut q = gapped.clone();
            q.last_price = dec!(1478.10);
            q
        };
        let limit_not_reached =
            on_tick(&pending, &at(&waiting, true), &position, dec!(90000), tid, now()).unwrap();
        assert_eq!(
            limit_not_reached.order.status,
            OrderStatus::Open,
            "triggered, the limit 1,479 not reachable"
        );
        assert!(limit_not_reached.trade.is_none());
        assert_eq!(limit_not_reached.available_change, Decimal::ZERO);
    }

    #[test]
    fn risk_checks_refuse_with_their_reason() {
        let w = world();
        let q = quote(dec!(1499.90), dec!(1500.10));
        let buy = request(Side::Buy, 10, OrderType::Market, Product::Delivery);
        let refused = w.place(
            "NSE:INFY",
            &buy,
            &q,
            true,
            &flat("NSE:INFY", Product::Delivery),
            dec!(15000),
        );
        assert_eq!(
            refused,
            Err(PlaceRefusal::Risk(RiskRejection::InsufficientFunds {
                required: dec!(15018.83),
                available: dec!(15000),
            }))
        );
        let huge = request(Side::Buy, 7_000, OrderType::Market, Product::Intraday);
        assert!(matches!(
            w.place(
                "NSE:INFY",
                &huge,
                &q,
                true,
                &flat("NSE:INFY", Product::Intraday),
                dec!(1e9)
            ),
            Err(PlaceRefusal::Risk(RiskRejection::OrderValueTooLarge { .. }))
        ));
        let short = request(Side::Sell, 10, OrderType::Market, Product::Delivery);
        assert_eq!(
            w.place(
                "NSE:INFY",
                &short,
                &q,
                true,
                &flat("NSE:INFY", Product::Delivery),
                dec!(1e6)
            ),
            Err(PlaceRefusal::Risk(RiskRejection::ShortDelivery {
                wanted: 10,
                held: 0
            }))
        );
        let mut invalid = request(Side::Buy, 10, OrderType::Limit, Product::Delivery);
        invalid.price = None;
        assert!(matches!(
            w.place("NSE:INFY", &invalid, &q, true, &flat("NSE:INFY", Product::Delivery), dec!(1e6)),
            Err(PlaceRefusal::Invalid(v)) if v.iter().any(|v| v.field == "price")
        ));
    }

    /// A quote offering `size` units at each side of the touch.
    fn deep_quote(bid: Decimal, ask: Decimal, size: u64) -> Quote {
        Quote {
            bid_quantity: Some(size),
            ask_quantity: Some(size),
            ..quote(bid, ask)
        }
    }

    fn limit_buy(quantity: i64, price: Decimal, validity: Validity) -> OrderRequest {
        OrderRequest {
            price: Some(price),
            validity,
            ..request(Side::Buy, quantity, OrderType::Limit, Product::Delivery)
        }
    }

    #[test]
    fn a_limit_larger_than_the_offer_fills_what_is_offered_and_blocks_for_the_rest_until_a_tick_fills_it() {
        let w = world();
        let position = flat("NSE:INFY", Product::Delivery);
        let offered = deep_quote(dec!(1499.90), dec!(1500.10), 10);
        let placed = w
            .place(
                "NSE:INFY",
                &limit_buy(15, dec!(1500.10), Validity::Day),
                &offered,
                true,
                &position,
                dec!(1000000),
            )
            .unwrap();
        // 10 fill at the ask: 15,001.00 + charges 17.83 (as the delivery round trip above) = 15,018.83 out.
        // The 5 left block 5 × 1,500.10 = 7,500.50 + their charges: STT 7.50 (7.5005); NSE 0.22 (0.222765);
        // IPF 0.01 (0.0075005); SEBI 0.01; stamp 1.13 (1.125075); GST 18% of 0.24 = 0.04. 8.91 → 7,509.41.
        let trade = placed.trade.clone().unwrap();
        assert_eq!((trade.quantity, trade.price), (10, dec!(1500.10)));
        assert_eq!(trade.charges.total(), dec!(17.83));
        let order = &placed.order;
        assert_eq!(order.status, OrderStatus::PartiallyFilled);
        assert_eq!(
            (order.filled_quantity, order.average_price, order.blocked),
            (10, Some(dec!(1500.10)), dec!(7509.41))
        );
        assert_eq!(
            order.history.iter().map(|h| h.status).collect::<Vec<_>>(),
            [OrderStatus::Open, OrderStatus::PartiallyFilled]
        );
        assert_eq!(placed.available_change, dec!(-22528.24), "15,018.83 + 7,509.41");
        let held = placed.position.unwrap();
        assert_eq!(held.position.quantity, 10);

        // The rest fills at a lower ask: 5 × 1,499.80 = 7,499.00; charges STT 7.50 (7.499); NSE 0.22; IPF 0.01;
        // SEBI 0.01; stamp 1.12 (1.12485); GST 0.04 → 8.90. The block of 7,509.41 comes back: +1.51 net.
        let lower = deep_quote(dec!(1499.60), dec!(1499.80), 10);
        let market = w.market("NSE:INFY", Product::Delivery, &lower, true);
        let tid = TradeId::from_ulid(Ulid::new());
        let rest = on_tick(order, &market, &held, dec!(977471.76), tid, now()).unwrap();
        assert_eq!(rest.trade.as_ref().unwrap().quantity, 5);
        assert_eq!(rest.trade.as_ref().unwrap().charges.total(), dec!(8.90));
        assert_eq!(rest.order.status, OrderStatus::Complete);
        assert_eq!(
            (rest.order.filled_quantity, rest.order.blocked),
            (15, Decimal::ZERO)
        );
        assert_eq!(
            rest.order.average_price,
            Some(dec!(1500.00)),
            "(15,001.00 + 7,499.00) / 15"
        );
        assert_eq!(rest.available_change, dec!(1.51));
        assert_eq!(rest.position.unwrap().position.quantity, 15);
    }

    #[test]
    fn a_resting_limit_fills_in_part_on_a_tick_and_keeps_a_block_for_the_rest() {
        let w = world();
        let position = flat("NSE:INFY", Product::Delivery);
        let away = deep_quote(dec!(1500.80), dec!(1501.00), 10);
        let resting = w
            .place(
                "NSE:INFY",
                &limit_buy(15, dec!(1500.10), Validity::Day),
                &away,
                true,
                &position,
                dec!(1000000),
            )
            .unwrap();
        // 15 × 1,500.10 = 22,501.50 + charges: STT 22.50; NSE 0.67 (0.668295); IPF 0.02; SEBI 0.02; stamp 3.38
        // (3.375225); GST 18% of 0.71 = 0.13 → 26.72.
        assert_eq!(resting.order.blocked, dec!(22528.22));
        let come = deep_quote(dec!(1499.80), dec!(1500.00), 10);
        let market = w.market("NSE:INFY", Product::Delivery, &come, true);
        let tid = TradeId::from_ulid(Ulid::new());
        let part = on_tick(&resting.order, &market, &position, dec!(977471.78), tid, now()).unwrap();
        // 10 at 1,500.00 = 15,000.00 + 17.83 charges; the rest blocks 7,509.41 as at placement above.
        assert_eq!(part.trade.as_ref().unwrap().quantity, 10);
        assert_eq!(part.trade.as_ref().unwrap().charges.total(), dec!(17.83));
        assert_eq!(part.order.status, OrderStatus::PartiallyFilled);
        assert_eq!(
            (
                part.order.filled_quantity,
                part.order.average_price,
                part.order.blocked
            ),
            (10, Some(dec!(1500.00)), dec!(7509.41))
        );
        assert_eq!(
            part.available_change,
            dec!(0.98),
            "22,528.22 released − 15,017.83 − 7,509.41"
        );
    }

    #[test]
    fn an_ioc_limit_cancels_what_the_offer_could_not_fill() {
        let w = world();
        let placed = w
            .place(
                "NSE:INFY",
                &limit_buy(15, dec!(1500.10), Validity::Ioc),
                &deep_quote(dec!(1499.90), dec!(1500.10), 10),
                true,
                &flat("NSE:INFY", Product::Delivery),
                dec!(1000000),
            )
            .unwrap();
        let order = &placed.order;
        assert_eq!(order.status, OrderStatus::Cancelled);
        assert_eq!(
            order.status_message.as_deref(),
            Some("IOC: 5 unfilled at placement cancelled")
        );
        assert_eq!((order.filled_quantity, order.blocked), (10, Decimal::ZERO));
        assert_eq!(
            order.history.iter().map(|h| h.status).collect::<Vec<_>>(),
            [
                OrderStatus::Open,
                OrderStatus::PartiallyFilled,
                OrderStatus::Cancelled
            ]
        );
        assert_eq!(placed.trade.unwrap().quantity, 10);
        assert_eq!(placed.available_change, dec!(-15018.83), "only the fill");
    }

    #[test]
    fn a_market_order_sweeps_past_the_offer_and_fills_whole() {
        let w = world();
        let placed = w
            .place(
                "NSE:INFY",
                &request(Side::Buy, 15, OrderType::Market, Product::Delivery),
                &deep_quote(dec!(1499.90), dec!(1500.10), 10),
                true,
                &flat("NSE:INFY", Product::Delivery),
                dec!(1000000),
            )
            .unwrap();
        assert_eq!(placed.order.status, OrderStatus::Complete);
        assert_eq!(placed.trade.unwrap().quantity, 15);
    }

    #[test]
    fn a_partly_filled_order_is_not_modified_and_cancelling_it_keeps_the_fills_and_returns_the_block() {
        let w = world();
        let placed = w
            .place(
                "NSE:INFY",
                &limit_buy(15, dec!(1500.10), Validity::Day),
                &deep_quote(dec!(1499.90), dec!(1500.10), 10),
                true,
                &flat("NSE:INFY", Product::Delivery),
                dec!(1000000),
            )
            .unwrap();
        let quote = deep_quote(dec!(1499.90), dec!(1500.10), 10);
        let market = w.market("NSE:INFY", Product::Delivery, &quote, true);
        let held = placed.position.clone().unwrap();
        let change = OrderChange {
            price: Some(dec!(1499.00)),
            ..OrderChange::default()
        };
        let tid = TradeId::from_ulid(Ulid::new());
        assert_eq!(
            modify(
                &placed.order,
                &change,
                &market,
                &held,
                dec!(977471.76),
                tid,
                now()
            ),
            Err(ModifyRefusal::PartlyFilled {
                filled: 10,
                quantity: 15
            })
        );
        let (cancelled, released) = cancel(&placed.order, now()).unwrap();
        assert_eq!(cancelled.status, OrderStatus::Cancelled);
        assert_eq!(
            (cancelled.filled_quantity, cancelled.blocked),
            (10, Decimal::ZERO)
        );
        assert_eq!(released, dec!(7509.41));
    }
}
