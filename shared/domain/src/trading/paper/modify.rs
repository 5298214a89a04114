//! Modifying a working paper order: the modified order is placed afresh against the market, as a broker's
//! modify does.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::kernel::ids::TradeId;
use crate::kernel::validation::Violation;
use crate::trading::order::Order;
use crate::trading::paper::place::{PlaceRefusal, place};
use crate::trading::paper::{Market, Placement};
use crate::trading::position::PositionRecord;
use crate::trading::request::OrderChange;
use crate::trading::risk::RiskRejection;
use crate::trading::status::{InvalidTransition, OrderEvent, OrderStatus};

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
    /// The modification's steps broke the transition table (a bug: nothing is to be written).
    Transition(InvalidTransition),
}

impl From<InvalidTransition> for ModifyRefusal {
    fn from(e: InvalidTransition) -> Self {
        ModifyRefusal::Transition(e)
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
    let mut modified = order.clone();
    modified
        .apply(OrderEvent::Modified, now, Some("modified".into()))
        .map_err(|_| ModifyRefusal::Closed(order.status))?;
    if order.filled_quantity > 0 {
        return Err(ModifyRefusal::PartlyFilled {
            filled: order.filled_quantity,
            quantity: order.request.quantity,
        });
    }
    let replaced = place(
        order.user_id,
        (order.id, trade_id),
        &order.request.modified(change),
        market,
        position,
        available + order.blocked,
        now,
    )
    .map_err(|refusal| match refusal {
        PlaceRefusal::Invalid(violations) => ModifyRefusal::Invalid(violations),
        PlaceRefusal::Risk(risk) => ModifyRefusal::Risk(risk),
        PlaceRefusal::Transition(e) => ModifyRefusal::Transition(e),
    })?;
    // The replacement's steps continue this order's history: its acceptance (a stop that became a limit no
    // longer waits for a trigger, a limit that became a stop does), then what happened at placement.
    let placed = &replaced.order;
    for step in &placed.history {
        if let Some(event) = modified.status.event_to(step.status)? {
            modified.apply(event, step.at, step.message.clone())?;
        }
    }
    Ok(Placement {
        order: Order {
            request: placed.request.clone(),
            filled_quantity: placed.filled_quantity,
            average_price: placed.average_price,
            status_message: placed.status_message.clone(),
            is_amo: placed.is_amo,
            blocked: placed.blocked,
            version: order.version + 1,
            ..modified
        },
        available_change: replaced.available_change + order.blocked,
        ..replaced
    })
}
