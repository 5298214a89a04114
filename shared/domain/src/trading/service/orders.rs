//! A user's orders after placement: modifying and cancelling them at the venue they work at, and reading
//! them (one, a page of them, a page of fills), live ones brought up to date from their broker first.

use crate::kernel::error::RepoError;
use crate::kernel::ids::{OrderId, TradeId, UserId};
use crate::kernel::page::Page;
use crate::trading::order::Order;
use crate::trading::ports::OrderListQuery;
use crate::trading::request::OrderChange;
use crate::trading::service::{CancelError, ModifyError, OrderService};
use crate::trading::trade::Trade;

impl OrderService {
    /// Modifies `user`'s working order `id`: the modified order is placed afresh at its venue (on paper it
    /// may fill at once) and the old block released. The kill switch and the order are read at once.
    ///
    /// # Errors
    /// [`ModifyError`]; nothing is written.
    pub async fn modify(&self, user: UserId, id: OrderId, change: OrderChange) -> Result<Order, ModifyError> {
        let (halted, order) = futures::join!(self.check_not_halted(), self.ctx.ledger.order(&user, &id));
        halted?;
        let order = order?.ok_or(ModifyError::NotFound)?;
        self.order_venue(&order)?.modify(order, &change).await
    }

    /// Cancels `user`'s order `id` at its venue, releasing what it blocked.
    ///
    /// # Errors
    /// [`CancelError`]; nothing is written.
    pub async fn cancel(&self, user: UserId, id: OrderId) -> Result<Order, CancelError> {
        let order = self
            .ctx
            .ledger
            .order(&user, &id)
            .await?
            .ok_or(CancelError::NotFound)?;
        let venue = self
            .order_venue(&order)
            .map_err(|e| CancelError::Unexpected(e.into()))?;
        venue.cancel(order).await
    }

    /// `user`'s order `id`, up to date; `None` when they have no such order.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn order(&self, user: &UserId, id: &OrderId) -> Result<Option<Order>, RepoError> {
        let Some(order) = self.ctx.ledger.order(user, id).await? else {
            return Ok(None);
        };
        Ok(self.refreshed(user, vec![order]).await.pop())
    }

    /// One page of `user`'s orders, newest first, as `query` asks, up to date.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn orders(
        &self,
        user: &UserId,
        query: &OrderListQuery,
    ) -> Result<Page<Order, OrderId>, RepoError> {
        let page = self.ctx.ledger.orders_page(user, query).await?;
        Ok(Page {
            items: self.refreshed(user, page.items).await,
            resume_after: page.resume_after,
        })
    }

    /// One page of `user`'s fills, newest first: at most `limit`, after fill `after`.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn trades(
        &self,
        user: &UserId,
        limit: u16,
        after: Option<TradeId>,
    ) -> Result<Page<Trade, TradeId>, RepoError> {
        self.ctx.ledger.trades_page(user, limit, after).await
    }
}
