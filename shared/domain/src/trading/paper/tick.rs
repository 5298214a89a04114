//! What the market does to a working paper order at one tick of the paper exchange.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::kernel::ids::TradeId;
use crate::trading::order::Order;
use crate::trading::paper::{Market, Placement, average_after, fill, fill_effect, rest_block, tradable};
use crate::trading::position::PositionRecord;
use crate::trading::request::{OrderType, Side};
use crate::trading::status::{OrderEvent, OrderStatus};

/// What the market does to a working order at one tick while the exchange is open: a stop whose trigger is
/// reached triggers (SL-M then trades as a market order, SL as a limit); an order that can trade fills at the
/// touch, whole or (a limit-type order larger than the size offered) in part, keeping a block
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
    let mut triggered = false;
    if order.status == OrderStatus::TriggerPending {
        let trigger = order.request.trigger_price?;
        let reached = match order.request.side {
            Side::Buy => quote.last_price >= trigger,
            Side::Sell => quote.last_price <= trigger,
        };
        if !reached {
            return None;
        }
        next.apply(
            OrderEvent::Triggered,
            now,
            Some(format!("triggered at {}", quote.last_price)),
        )
        .ok()?;
        triggered = true;
    }
    let touch = match order.request.side {
        Side::Buy => quote.ask,
        Side::Sell => quote.bid,
    };
    let trades = match order.request.order_type {
        OrderType::Market | OrderType::StopLossMarket => true,
        OrderType::Limit | OrderType::StopLoss => {
            order.request.price.is_some_and(|limit| match order.request.side {
                Side::Buy => touch <= limit,
                Side::Sell => touch >= limit,
            })
        }
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
    let remaining = order.remaining();
    let quantity = if trades {
        tradable(order.request.order_type, order.request.side, remaining, quote)
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
        let reference = order.request.price.unwrap_or(touch);
        rest_block(
            market,
            order.request.side,
            order.request.product,
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
        next.apply(event, now, Some("insufficient funds at the fill price".into()))
            .ok()?;
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
    next.apply(event, now, None).ok()?;
    Some(Placement {
        trade: Some(trade),
        position: Some(effect.position),
        available_change,
        cash_change: effect.cash_change,
        order: next,
    })
}
