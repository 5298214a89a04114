//! An order in the book: the request it works on, where it stands, what has filled, the funds it blocks, and
//! its history. Its status changes only through [`Order::apply`], which follows the transition table
//! ([`OrderStatus::after`]).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::broker::link::BrokerOrderRef;
use crate::kernel::ids::{OrderId, UserId};
use crate::market::instrument::InstrumentKey;
use crate::trading::request::OrderRequest;
use crate::trading::status::{InvalidTransition, OrderEvent, OrderStatus};

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
    /// Instrument.
    pub instrument: InstrumentKey,
    /// What the order asks for now (a modification changes it). Stored inline, field by field.
    #[serde(flatten)]
    pub request: OrderRequest,
    /// Units filled.
    pub filled_quantity: i64,
    /// Average fill price (exact), once anything filled.
    pub average_price: Option<Decimal>,
    /// Status.
    pub status: OrderStatus,
    /// Why it stands where it does (a rejection's or cancellation's reason).
    pub status_message: Option<String>,
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

impl Order {
    /// `request` accepted at `now` as order `id` of `user` on `instrument`, entering `status` (OPEN, or
    /// TRIGGER_PENDING for a stop) with `message`: the first step of its history, nothing filled or blocked,
    /// version 1, a paper order.
    pub fn accepted(
        (user, id): (UserId, OrderId),
        instrument: InstrumentKey,
        request: OrderRequest,
        is_amo: bool,
        (status, message): (OrderStatus, Option<String>),
        now: DateTime<Utc>,
    ) -> Order {
        Order {
            id,
            user_id: user,
            instrument,
            request,
            filled_quantity: 0,
            average_price: None,
            status,
            status_message: message.clone(),
            is_amo,
            blocked: Decimal::ZERO,
            placed_at: now,
            updated_at: now,
            history: vec![StatusChange {
                status,
                at: now,
                message,
            }],
            version: 1,
            live: None,
        }
    }

    /// Units still to fill.
    pub fn remaining(&self) -> i64 {
        self.request.quantity - self.filled_quantity
    }

    /// `event` happens to the order at `at`, for `message`: the status the table gives, a step in the
    /// history.
    ///
    /// # Errors
    /// [`InvalidTransition`] when the table allows no such event now; the order is unchanged.
    pub fn apply(
        &mut self,
        event: OrderEvent,
        at: DateTime<Utc>,
        message: Option<String>,
    ) -> Result<(), InvalidTransition> {
        let status = self.status.after(event)?;
        self.enter(status, at, message);
        Ok(())
    }

    /// A step in the history at `at` that keeps the status, for `message` (a broker's confirmation or word).
    pub fn note(&mut self, at: DateTime<Utc>, message: Option<String>) {
        self.enter(self.status, at, message);
    }

    fn enter(&mut self, status: OrderStatus, at: DateTime<Utc>, message: Option<String>) {
        self.status = status;
        self.status_message.clone_from(&message);
        self.updated_at = at;
        self.history.push(StatusChange { status, at, message });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::instrument::Exchange;
    use crate::trading::request::{OrderType, Product, Side, Validity};
    use rust_decimal_macros::dec;
    use ulid::Ulid;

    fn limit_buy() -> Order {
        let request = OrderRequest {
            side: Side::Buy,
            quantity: 10,
            order_type: OrderType::Limit,
            product: Product::Delivery,
            price: Some(dec!(1400.00)),
            trigger_price: None,
            validity: Validity::Day,
            disclosed_quantity: None,
            tag: Some("swing".into()),
            client_order_id: Some("mine-1".into()),
        };
        Order::accepted(
            (UserId::from_ulid(Ulid::nil()), OrderId::from_ulid(Ulid::nil())),
            InstrumentKey::new(Exchange::Nse, "INFY"),
            request,
            false,
            (OrderStatus::Open, None),
            "2026-11-25T05:30:00Z".parse().unwrap(),
        )
    }

    #[test]
    fn a_status_changes_only_as_the_table_allows_and_each_change_is_a_step_of_the_history() {
        let mut order = limit_buy();
        let at = "2026-11-25T05:31:00Z".parse().unwrap();
        order.apply(OrderEvent::PartFilled, at, None).unwrap();
        order
            .apply(OrderEvent::Cancelled, at, Some("cancelled by the user".into()))
            .unwrap();
        let statuses: Vec<_> = order.history.iter().map(|h| h.status).collect();
        assert_eq!(
            statuses,
            [
                OrderStatus::Open,
                OrderStatus::PartiallyFilled,
                OrderStatus::Cancelled
            ]
        );
        assert_eq!(order.status_message.as_deref(), Some("cancelled by the user"));
        let before = order.clone();
        assert_eq!(
            order.apply(OrderEvent::Filled, at, None),
            Err(InvalidTransition {
                from: OrderStatus::Cancelled,
                event: OrderEvent::Filled
            })
        );
        assert_eq!(order, before, "a refused event changes nothing");
    }

    #[test]
    fn the_request_is_stored_inline_as_the_orders_own_fields() {
        let order = limit_buy();
        let doc = serde_json::to_value(&order).unwrap();
        assert_eq!(doc["side"], "BUY");
        assert_eq!(doc["price"], "1400.00");
        assert_eq!(doc["client_order_id"], "mine-1");
        assert!(doc.get("request").is_none() && doc.get("live").is_none());
        let back: Order = serde_json::from_value(doc).unwrap();
        assert_eq!(back, order);
    }
}
