//! Order events, published after the change is committed. [`OrderUpdated`]: what the trader is told about (a
//! fill, a partial fill, a rejection, an expiry at the close and the platform's square-off), to the alert
//! queue, where the alert worker turns each into an in-app notification and `order.updated` webhooks.
//! [`OrderChanged`]: every change, with the whole order, to the stream queue, where the pusher sends it to the
//! owner's open WebSocket connections.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::kernel::events::DomainEvent;
use crate::kernel::ids::{OrderId, UserId};
use crate::market::instrument::InstrumentKey;
use crate::trading::order::Order;
use crate::trading::paper::{EXPIRED_MESSAGE, SQUARE_OFF_TAG};
use crate::trading::request::Side;
use crate::trading::status::OrderStatus;

/// Any committed change of an order (placed, modified, triggered, filled, cancelled, rejected, expired),
/// carrying the order as it now stands: the push channel's `order` frames.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderChanged {
    /// The order as committed.
    pub order: Order,
}

impl DomainEvent for OrderChanged {
    const TYPE: &'static str = "order.changed";
    const VERSION: u32 = 1;
}

/// What happened to the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderChange {
    /// Filled in full.
    Filled,
    /// Part filled; the rest works.
    PartiallyFilled,
    /// Refused.
    Rejected,
    /// A DAY order cancelled at the close, unfilled.
    Expired,
    /// The platform squared an intraday position off before the close.
    SquaredOff,
}

/// One order event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderUpdated {
    /// The owner.
    pub user_id: UserId,
    /// The order.
    pub order_id: OrderId,
    /// What happened.
    pub change: OrderChange,
    /// The instrument.
    pub instrument: InstrumentKey,
    /// Buy or sell.
    pub side: Side,
    /// Units ordered.
    pub quantity: i64,
    /// Units filled so far.
    pub filled_quantity: i64,
    /// Average fill price.
    pub average_price: Option<Decimal>,
    /// The order's status now.
    pub status: OrderStatus,
    /// Why (a rejection's or an expiry's reason).
    pub message: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl DomainEvent for OrderUpdated {
    const TYPE: &'static str = "order.updated";
    const VERSION: u32 = 1;
}

impl OrderUpdated {
    /// The event `order`, as just committed, tells its owner about; `None` for changes the owner made
    /// themselves or that need no word (placed, triggered, modified, cancelled by the user).
    pub fn of(order: &Order) -> Option<Self> {
        let change = match order.status {
            OrderStatus::Complete if order.request.tag.as_deref() == Some(SQUARE_OFF_TAG) => {
                OrderChange::SquaredOff
            }
            OrderStatus::Complete => OrderChange::Filled,
            OrderStatus::PartiallyFilled => OrderChange::PartiallyFilled,
            OrderStatus::Rejected => OrderChange::Rejected,
            OrderStatus::Cancelled if order.status_message.as_deref() == Some(EXPIRED_MESSAGE) => {
                OrderChange::Expired
            }
            _ => return None,
        };
        Some(Self {
            user_id: order.user_id,
            order_id: order.id,
            change,
            instrument: order.instrument.clone(),
            side: order.request.side,
            quantity: order.request.quantity,
            filled_quantity: order.filled_quantity,
            average_price: order.average_price,
            status: order.status,
            message: order.status_message.clone(),
            at: order.updated_at,
        })
    }

    /// One line for the inbox (`BUY 10 NSE:INFY filled at 1580.60`).
    pub fn title(&self) -> String {
        let side = match self.side {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        };
        let head = format!("{side} {} {}", self.quantity, self.instrument);
        let price = self.average_price.map(|p| p.to_string()).unwrap_or_default();
        match self.change {
            OrderChange::Filled => format!("{head} filled at {price}"),
            OrderChange::PartiallyFilled => {
                format!("{head} part filled: {} at {price}", self.filled_quantity)
            }
            OrderChange::Rejected => format!(
                "{head} rejected: {}",
                self.message.as_deref().unwrap_or("refused")
            ),
            OrderChange::Expired => format!("{head} expired unfilled at the close"),
            OrderChange::SquaredOff => format!("{head} squared off at {price} before the close"),
        }
    }
}
