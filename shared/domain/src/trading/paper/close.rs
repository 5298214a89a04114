//! How paper orders and positions close: a user's cancellation, a DAY order's expiry at the close, the
//! platform's square-off of intraday positions, and the roll-over of a position into the next trading day.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::kernel::ids::{OrderId, TradeId, UserId};
use crate::market::instrument::Segment;
use crate::trading::order::Order;
use crate::trading::paper::{Market, Placement, fill, fill_effect};
use crate::trading::position::PositionRecord;
use crate::trading::request::{OrderRequest, OrderType, Product, Side, Validity};
use crate::trading::status::{OrderEvent, OrderStatus};

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

/// The status message of a DAY order that expired at the close.
pub const EXPIRED_MESSAGE: &str = "expired at the close (DAY order)";

/// A DAY order whose session closed before it filled: cancelled at `now`, and the funds that come back.
///
/// # Errors
/// [`NotCancellable`] when it is already complete, cancelled or rejected.
pub fn expire(order: &Order, now: DateTime<Utc>) -> Result<(Order, Decimal), NotCancellable> {
    close_working(order, now, EXPIRED_MESSAGE)
}

fn close_working(order: &Order, now: DateTime<Utc>, why: &str) -> Result<(Order, Decimal), NotCancellable> {
    let mut cancelled = order.clone();
    cancelled
        .apply(OrderEvent::Cancelled, now, Some(why.to_owned()))
        .map_err(|_| NotCancellable(order.status))?;
    cancelled.blocked = Decimal::ZERO;
    cancelled.version += 1;
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
    let request = OrderRequest {
        side,
        quantity,
        order_type: OrderType::Market,
        product: record.product,
        price: None,
        trigger_price: None,
        validity: Validity::Day,
        disclosed_quantity: None,
        tag: Some(SQUARE_OFF_TAG.to_owned()),
        client_order_id: None,
    };
    let mut order = Order::accepted(
        (user, id),
        record.instrument.clone(),
        request,
        false,
        (OrderStatus::Open, None),
        now,
    );
    order.filled_quantity = quantity;
    order.average_price = Some(touch);
    let message = "intraday position squared off before the close";
    order
        .apply(OrderEvent::Filled, now, Some(message.to_owned()))
        .ok()?;
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

/// `record` at the start of the next trading day: the position rolled over ([`crate::trading::position::Position::roll_over`]), and a
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
