//! A [`TradingLedger`] that tells traders about their orders, wherever the change came from (a placement,
//! the paper tick, the end of day, live reconciliation): after a commit succeeds it publishes, for each order
//! the commit changed, the [`OrderUpdated`] event when the change is one its owner is notified of (fills,
//! rejections, expiries, square-offs) and the [`OrderChanged`] event for every change (the push channel's
//! feed). A publish that fails is logged and never undoes or fails the commit.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::kernel::error::RepoError;
use crate::kernel::events::{DomainEvent, EventPublisher, publish_event};
use crate::kernel::ids::{IdGen, OrderId, TradeId, UserId};
use crate::kernel::page::Page;
use crate::market::instrument::InstrumentKey;
use crate::trading::account::{Funding, PaperAccount};
use crate::trading::events::{OrderChanged, OrderUpdated};
use crate::trading::order::Order;
use crate::trading::paper::{BasketPlacement, Placement};
use crate::trading::ports::{
    BasketClaim, CommitError, OrderClaim, OrderListQuery, PlacementLimit, TradingLedger,
};
use crate::trading::position::PositionRecord;
use crate::trading::request::Product;
use crate::trading::trade::Trade;

/// `inner`, publishing order events after each commit: [`OrderUpdated`] to `notifications`, [`OrderChanged`]
/// to `changes`, each when set.
pub struct NotifyingLedger {
    inner: Arc<dyn TradingLedger>,
    notifications: Option<Arc<dyn EventPublisher>>,
    changes: Option<Arc<dyn EventPublisher>>,
    ids: Arc<dyn IdGen>,
}

impl NotifyingLedger {
    /// Wraps `inner`, publishing nothing yet; event ids come from `ids`.
    pub fn new(inner: Arc<dyn TradingLedger>, ids: Arc<dyn IdGen>) -> Self {
        Self {
            inner,
            notifications: None,
            changes: None,
            ids,
        }
    }

    /// Also publishes [`OrderUpdated`] (the changes the owner is notified of) to `events` (the alert queue).
    pub fn with_notifications(self, events: Arc<dyn EventPublisher>) -> Self {
        Self {
            notifications: Some(events),
            ..self
        }
    }

    /// Also publishes [`OrderChanged`] (every change) to `events` (the stream queue).
    pub fn with_changes(self, events: Arc<dyn EventPublisher>) -> Self {
        Self {
            changes: Some(events),
            ..self
        }
    }

    /// Publishes `order`'s events, both at once.
    async fn tell(&self, order: &Order) {
        let notified = async {
            if let (Some(events), Some(event)) = (&self.notifications, OrderUpdated::of(order)) {
                self.publish(events.as_ref(), order, &event, "the trader is not notified")
                    .await;
            }
        };
        let changed = async {
            if let Some(events) = &self.changes {
                let event = OrderChanged { order: order.clone() };
                self.publish(events.as_ref(), order, &event, "no order frame is pushed")
                    .await;
            }
        };
        futures::future::join(notified, changed).await;
    }

    /// Publishes one event of `order`, logging a failure with what it costs.
    async fn publish<E: DomainEvent>(
        &self,
        events: &dyn EventPublisher,
        order: &Order,
        event: &E,
        cost: &str,
    ) {
        if let Err(error) = publish_event(events, self.ids.next(), order.updated_at, event).await {
            tracing::error!(order_id = %order.id, event = E::TYPE, ?error, "order event not published; {cost}");
        }
    }
}

#[async_trait]
impl TradingLedger for NotifyingLedger {
    async fn account(&self, user: &UserId) -> Result<Option<PaperAccount>, RepoError> {
        self.inner.account(user).await
    }

    async fn position(
        &self,
        user: &UserId,
        instrument: &InstrumentKey,
        product: Product,
    ) -> Result<Option<PositionRecord>, RepoError> {
        self.inner.position(user, instrument, product).await
    }

    async fn positions(&self, user: &UserId) -> Result<Vec<PositionRecord>, RepoError> {
        self.inner.positions(user).await
    }

    async fn claim(&self, user: &UserId, key: &str) -> Result<Option<OrderClaim>, RepoError> {
        self.inner.claim(user, key).await
    }

    async fn order(&self, user: &UserId, id: &OrderId) -> Result<Option<Order>, RepoError> {
        self.inner.order(user, id).await
    }

    async fn orders_page(
        &self,
        user: &UserId,
        query: &OrderListQuery,
    ) -> Result<Page<Order, OrderId>, RepoError> {
        self.inner.orders_page(user, query).await
    }

    async fn working_orders(&self) -> Result<Vec<Order>, RepoError> {
        self.inner.working_orders().await
    }

    async fn open_order_count(&self, user: &UserId) -> Result<usize, RepoError> {
        self.inner.open_order_count(user).await
    }

    async fn trades_page(
        &self,
        user: &UserId,
        limit: u16,
        after: Option<TradeId>,
    ) -> Result<Page<Trade, TradeId>, RepoError> {
        self.inner.trades_page(user, limit, after).await
    }

    async fn placements_counted(&self, limit: PlacementLimit<'_>) -> Result<u64, RepoError> {
        self.inner.placements_counted(limit).await
    }

    async fn place(
        &self,
        placement: &Placement,
        claims: &[OrderClaim],
        limit: PlacementLimit<'_>,
    ) -> Result<(), CommitError> {
        self.inner.place(placement, claims, limit).await?;
        self.tell(&placement.order).await;
        Ok(())
    }

    async fn basket_claim(&self, user: &UserId, key: &str) -> Result<Option<BasketClaim>, RepoError> {
        self.inner.basket_claim(user, key).await
    }

    async fn place_basket(
        &self,
        basket: &BasketPlacement,
        claim: &BasketClaim,
        limit: PlacementLimit<'_>,
    ) -> Result<(), CommitError> {
        self.inner.place_basket(basket, claim, limit).await?;
        futures::future::join_all(basket.legs.iter().map(|leg| self.tell(&leg.order))).await;
        Ok(())
    }

    async fn modify(&self, placement: &Placement) -> Result<(), CommitError> {
        self.inner.modify(placement).await?;
        self.tell(&placement.order).await;
        Ok(())
    }

    async fn reset(
        &self,
        user: &UserId,
        cash: Decimal,
        now: DateTime<Utc>,
    ) -> Result<PaperAccount, CommitError> {
        self.inner.reset(user, cash, now).await
    }

    async fn fundings(&self, user: &UserId, since: DateTime<Utc>) -> Result<Vec<Funding>, RepoError> {
        self.inner.fundings(user, since).await
    }

    async fn update_order(&self, order: &Order) -> Result<(), CommitError> {
        self.inner.update_order(order).await?;
        self.tell(order).await;
        Ok(())
    }

    async fn cancel(&self, cancelled: &Order, released: Decimal) -> Result<(), CommitError> {
        self.inner.cancel(cancelled, released).await?;
        self.tell(cancelled).await;
        Ok(())
    }

    async fn day_positions(&self) -> Result<Vec<(UserId, PositionRecord)>, RepoError> {
        self.inner.day_positions().await
    }

    async fn close_out(&self, placement: &Placement) -> Result<(), CommitError> {
        self.inner.close_out(placement).await?;
        self.tell(&placement.order).await;
        Ok(())
    }

    async fn replace_position(&self, user: &UserId, record: &PositionRecord) -> Result<(), CommitError> {
        self.inner.replace_position(user, record).await
    }
}
