//! The paper broker's rules: what placing or cancelling an order does to the order, the position and the
//! account's funds. Pure: the orders function reads the state, asks these functions what happens, and
//! commits the answer in one conditional DynamoDB transaction.
//!
//! Funds model (one account per user, exact decimals):
//! - `cash` is the ledger: money paid in, plus realized P&L (in whole paise), minus charges;
//! - `available` is cash minus every margin in use: what open orders block and what open positions hold
//!   (delivery holds the full cost, equity intraday 20%, option buys the premium, futures and option sells
//!   the SPAN-like estimate of [`crate::trading::margin`]);
//! - a fill that adds to a position holds the margin of the added units; one that reduces it releases the
//!   reduced share pro rata; a flip releases everything and holds the new side's margin;
//! - an order that rests (a limit away from the market, a stop waiting for its trigger, an AMO) blocks the
//!   margin of the units that would not reduce a position, plus its estimated charges, until it fills or is
//!   cancelled.
//!
//! Placement fills at once where an exchange would: a MARKET order at the ask (buy) or bid (sell), a LIMIT
//! order that crosses the market at the ask or bid. A limit-type order fills at most the size the quote
//! offers at the touch (`tradable`); its rest works on, or for IOC is cancelled. Every rejection names its
//! reason and changes nothing.

mod basket;
mod close;
mod modify;
mod place;
#[cfg(test)]
mod tests;
mod tick;

pub use basket::{BasketOrder, BasketPlacement, BasketRefusal, place_basket};
pub use close::{EXPIRED_MESSAGE, NotCancellable, SQUARE_OFF_TAG, cancel, expire, roll_over, square_off};
pub use modify::{ModifyRefusal, modify};
pub use place::{PlaceRefusal, place};
pub use tick::on_tick;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::kernel::ids::TradeId;
use crate::kernel::money::paise;
use crate::kernel::time::ist;
use crate::market::instrument::{Instrument, Segment};
use crate::market::quote::Quote;
use crate::trading::charges::{BrokeragePlan, ChargeRates, ChargeSegment, Charges, fill_charges};
use crate::trading::margin::required_margin;
use crate::trading::order::Order;
use crate::trading::position::{Position, PositionRecord};
use crate::trading::request::{OrderType, Product, Side};
use crate::trading::trade::Trade;

/// The largest order value the platform accepts: ₹1 crore.
pub const MAX_ORDER_VALUE: Decimal = dec!(10000000);

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
pub(super) fn adding_units(position: &Position, side: Side, quantity: i64) -> i64 {
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

/// Units of an order of `order_type` on `side` with `remaining` unfilled that trade at the touch of `quote`
/// now: all of them for a market-type order (MARKET, and SL-M once triggered: it sweeps the book) or where
/// the quote gives no depth; at most the size offered at the touch for a limit-type order (LIMIT, and SL once
/// triggered). The caller has checked that the order's price crosses.
pub(super) fn tradable(order_type: OrderType, side: Side, remaining: i64, quote: &Quote) -> i64 {
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
pub(super) fn average_after(order: &Order, quantity: i64, price: Decimal) -> Decimal {
    let before = Decimal::from(order.filled_quantity) * order.average_price.unwrap_or_default();
    (before + Decimal::from(quantity) * price) / Decimal::from(order.filled_quantity + quantity)
}

/// The fill `trade_id` of `quantity` units of `order` at `price`, with its charges.
pub(super) fn fill(
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
        side: order.request.side,
        product: order.request.product,
        quantity,
        price,
        charges: order_charges(order.request.side, quantity, price, market, order.request.product),
        executed_at: now,
    }
}

/// What `rest` unfilled units on `side` block while they work, priced at `reference` against the position
/// `held` they would then meet: the margin of the units that would not reduce it, plus their charges.
pub(super) fn rest_block(
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
