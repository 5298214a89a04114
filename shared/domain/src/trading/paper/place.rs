//! Placing an order on the paper broker: validation, the order-value and short-delivery checks, then an
//! immediate fill where the market allows (at most the size offered, for a limit-type order) or a resting
//! order blocking its funds.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::kernel::ids::{OrderId, TradeId, UserId};
use crate::kernel::validation::Violation;
use crate::market::instrument::Segment;
use crate::trading::order::Order;
use crate::trading::paper::{MAX_ORDER_VALUE, Market, Placement, fill, fill_effect, rest_block, tradable};
use crate::trading::position::{Position, PositionRecord};
use crate::trading::request::{OrderRequest, OrderType, Product, Side, Validity, validate};
use crate::trading::risk::RiskRejection;
use crate::trading::status::{InvalidTransition, OrderEvent, OrderStatus};

/// Why placement refused an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceRefusal {
    /// The request breaks order rules.
    Invalid(Vec<Violation>),
    /// A risk check refused it.
    Risk(RiskRejection),
    /// The order's own steps broke the transition table (a bug: nothing is to be written).
    Transition(InvalidTransition),
}

impl From<InvalidTransition> for PlaceRefusal {
    fn from(e: InvalidTransition) -> Self {
        PlaceRefusal::Transition(e)
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
    let accept = |status: OrderStatus, message: Option<String>| {
        Order::accepted(
            (user, id),
            instrument.key.clone(),
            request.clone(),
            accepted.is_amo,
            (status, message),
            now,
        )
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
        let mut order = accept(OrderStatus::Open, None);
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
        order.filled_quantity = filled;
        order.average_price = Some(touch);
        order.blocked = blocked;
        if rest == 0 {
            order.apply(OrderEvent::Filled, now, None)?;
        } else {
            order.apply(OrderEvent::PartFilled, now, None)?;
            if request.validity == Validity::Ioc {
                let why = format!("IOC: {rest} unfilled at placement cancelled");
                order.apply(OrderEvent::Cancelled, now, Some(why))?;
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
        let mut order = accept(OrderStatus::Open, None);
        let why = "IOC: nothing matched at placement".to_owned();
        order.apply(OrderEvent::Cancelled, now, Some(why))?;
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
    let resting = if request.is_stop() {
        OrderStatus::TriggerPending
    } else {
        OrderStatus::Open
    };
    let message = accepted
        .is_amo
        .then(|| "after-market order: goes to the exchange at the next open".to_owned());
    let mut order = accept(resting, message);
    order.blocked = blocked;
    Ok(Placement {
        order,
        trade: None,
        position: None,
        available_change: -blocked,
        cash_change: Decimal::ZERO,
    })
}
