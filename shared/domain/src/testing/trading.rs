//! An in-memory paper book that keeps [`TradingLedger`]'s contract: every write whole or not at all, funds
//! never below zero on a placement, claims unique, orders and positions written at the version read. The
//! DynamoDB ledger is held to the same contract against the emulator.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::kernel::error::RepoError;
use crate::kernel::ids::{OrderId, TradeId, UserId};
use crate::kernel::page::Page;
use crate::market::instrument::InstrumentKey;
use crate::trading::account::{Funding, PaperAccount};
use crate::trading::order::Order;
use crate::trading::paper::{BasketPlacement, Placement};
use crate::trading::ports::{
    BasketClaim, CommitError, OrderClaim, OrderListQuery, PlacementLimit, TradingLedger,
};
use crate::trading::position::PositionRecord;
use crate::trading::request::Product;
use crate::trading::trade::Trade;

#[derive(Debug, Default)]
struct Book {
    accounts: HashMap<UserId, PaperAccount>,
    orders: BTreeMap<(UserId, OrderId), Order>,
    trades: BTreeMap<(UserId, TradeId), Trade>,
    positions: HashMap<(UserId, InstrumentKey, Product), PositionRecord>,
    claims: HashMap<(UserId, String), OrderClaim>,
    basket_claims: HashMap<(UserId, String), BasketClaim>,
    fundings: Vec<(UserId, Funding)>,
    windows: HashMap<(String, DateTime<Utc>), u64>,
}

impl Book {
    /// Refuses what the DynamoDB transaction's version conditions would: a stored order or position not at
    /// the version before the one written (a new order: none stored).
    fn check_version(&self, placement: &Placement, new_order: bool) -> Result<(), CommitError> {
        let order = &placement.order;
        let stored = self.orders.get(&(order.user_id, order.id)).map(|o| o.version);
        let order_ok = if new_order {
            stored.is_none()
        } else {
            stored == Some(order.version - 1)
        };
        if !order_ok {
            return Err(CommitError::Conflict);
        }
        if let Some(position) = &placement.position {
            let key = (order.user_id, position.instrument.clone(), position.product);
            let stored = self.positions.get(&key).map(|p| p.version);
            let expected = (position.version > 1).then(|| position.version - 1);
            if stored != expected {
                return Err(CommitError::Conflict);
            }
        }
        Ok(())
    }

    /// The funds change, refused when `guarded` and available would go below zero.
    fn check_funds(&self, placement: &Placement, guarded: bool) -> Result<(), CommitError> {
        let account = self
            .accounts
            .get(&placement.order.user_id)
            .ok_or(CommitError::Conflict)?;
        if guarded && account.available + placement.available_change < Decimal::ZERO {
            return Err(CommitError::InsufficientFunds);
        }
        Ok(())
    }

    fn write(&mut self, placement: &Placement) {
        let order = &placement.order;
        let user = order.user_id;
        if let Some(account) = self.accounts.get_mut(&user) {
            account.available += placement.available_change;
            account.cash += placement.cash_change;
        }
        self.orders.insert((user, order.id), order.clone());
        if let Some(trade) = &placement.trade {
            self.trades.insert((user, trade.id), trade.clone());
        }
        if let Some(position) = &placement.position {
            let key = (user, position.instrument.clone(), position.product);
            self.positions.insert(key, position.clone());
        }
    }
}

/// A [`TradingLedger`] in memory. Refusals take DynamoDB's precedence: a taken claim, the rate window, the
/// funds, then versions.
#[derive(Debug, Default)]
pub struct InMemoryLedger {
    book: Mutex<Book>,
}

impl InMemoryLedger {
    /// Opens `account` (registration does it in the users' repository).
    pub fn open(&self, account: PaperAccount) {
        if let Ok(mut book) = self.book.lock() {
            book.accounts.insert(account.user_id, account);
        }
    }

    /// Puts `record` in `user`'s book as if fills had made it.
    pub fn hold(&self, user: UserId, record: PositionRecord) {
        if let Ok(mut book) = self.book.lock() {
            book.positions
                .insert((user, record.instrument.clone(), record.product), record);
        }
    }

    fn book(&self) -> Result<std::sync::MutexGuard<'_, Book>, RepoError> {
        self.book.lock().map_err(|_| anyhow::anyhow!("poisoned").into())
    }

    fn committing(&self) -> Result<std::sync::MutexGuard<'_, Book>, CommitError> {
        self.book.lock().map_err(|_| anyhow::anyhow!("poisoned").into())
    }
}

/// The newest first of `items` after `after`, at most `limit`, and where the next page starts.
fn page<K: Copy + Ord, T: Clone>(items: Vec<(K, T)>, limit: u16, after: Option<K>) -> Page<T, K> {
    let mut newest_first: Vec<(K, T)> = items
        .into_iter()
        .filter(|(key, _)| after.is_none_or(|a| *key < a))
        .collect();
    newest_first.sort_by_key(|(key, _)| std::cmp::Reverse(*key));
    let limit = usize::from(limit);
    let more = newest_first.len() > limit;
    newest_first.truncate(limit);
    Page {
        resume_after: more.then(|| newest_first.last().map(|(key, _)| *key)).flatten(),
        items: newest_first.into_iter().map(|(_, item)| item).collect(),
    }
}

#[async_trait]
impl TradingLedger for InMemoryLedger {
    async fn account(&self, user: &UserId) -> Result<Option<PaperAccount>, RepoError> {
        Ok(self.book()?.accounts.get(user).cloned())
    }

    async fn position(
        &self,
        user: &UserId,
        instrument: &InstrumentKey,
        product: Product,
    ) -> Result<Option<PositionRecord>, RepoError> {
        Ok(self
            .book()?
            .positions
            .get(&(*user, instrument.clone(), product))
            .cloned())
    }

    async fn positions(&self, user: &UserId) -> Result<Vec<PositionRecord>, RepoError> {
        Ok(self
            .book()?
            .positions
            .iter()
            .filter(|((owner, _, _), _)| owner == user)
            .map(|(_, record)| record.clone())
            .collect())
    }

    async fn claim(&self, user: &UserId, key: &str) -> Result<Option<OrderClaim>, RepoError> {
        Ok(self.book()?.claims.get(&(*user, key.to_owned())).cloned())
    }

    async fn order(&self, user: &UserId, id: &OrderId) -> Result<Option<Order>, RepoError> {
        Ok(self.book()?.orders.get(&(*user, *id)).cloned())
    }

    async fn orders_page(
        &self,
        user: &UserId,
        query: &OrderListQuery,
    ) -> Result<Page<Order, OrderId>, RepoError> {
        let book = self.book()?;
        let matching = book
            .orders
            .iter()
            .filter(|((owner, _), _)| owner == user)
            .map(|((_, id), order)| (*id, order.clone()))
            .filter(|(_, o)| query.status.is_none_or(|s| o.status == s))
            .filter(|(_, o)| query.instrument.as_ref().is_none_or(|i| &o.instrument == i))
            .filter(|(_, o)| query.from.is_none_or(|from| o.placed_at >= from))
            .filter(|(_, o)| query.to.is_none_or(|to| o.placed_at < to))
            .collect();
        Ok(page(matching, query.limit, query.after))
    }

    async fn working_orders(&self) -> Result<Vec<Order>, RepoError> {
        Ok(self
            .book()?
            .orders
            .values()
            .filter(|o| !o.status.is_final() && o.live.is_none())
            .cloned()
            .collect())
    }

    async fn open_order_count(&self, user: &UserId) -> Result<usize, RepoError> {
        Ok(self
            .book()?
            .orders
            .values()
            .filter(|o| &o.user_id == user && !o.status.is_final() && o.live.is_none())
            .count())
    }

    async fn trades_page(
        &self,
        user: &UserId,
        limit: u16,
        after: Option<TradeId>,
    ) -> Result<Page<Trade, TradeId>, RepoError> {
        let book = self.book()?;
        let mine = book
            .trades
            .iter()
            .filter(|((owner, _), _)| owner == user)
            .map(|((_, id), trade)| (*id, trade.clone()))
            .collect();
        Ok(page(mine, limit, after))
    }

    async fn placements_counted(&self, limit: PlacementLimit<'_>) -> Result<u64, RepoError> {
        let window = (limit.key.to_owned(), limit.rule.window_start(limit.at));
        Ok(self.book()?.windows.get(&window).copied().unwrap_or(0))
    }

    async fn place(
        &self,
        placement: &Placement,
        claims: &[OrderClaim],
        limit: PlacementLimit<'_>,
    ) -> Result<(), CommitError> {
        let mut book = self.committing()?;
        let user = placement.order.user_id;
        if claims
            .iter()
            .any(|c| book.claims.contains_key(&(user, c.key.clone())))
        {
            return Err(CommitError::Claimed);
        }
        let window = (limit.key.to_owned(), limit.rule.window_start(limit.at));
        let hits = book.windows.get(&window).copied().unwrap_or(0);
        if hits >= u64::from(limit.rule.limit) {
            return Err(CommitError::RateLimited);
        }
        book.check_funds(placement, true)?;
        book.check_version(placement, true)?;
        book.write(placement);
        for claim in claims {
            book.claims.insert((user, claim.key.clone()), claim.clone());
        }
        book.windows.insert(window, hits + 1);
        Ok(())
    }

    async fn basket_claim(&self, user: &UserId, key: &str) -> Result<Option<BasketClaim>, RepoError> {
        Ok(self.book()?.basket_claims.get(&(*user, key.to_owned())).cloned())
    }

    async fn place_basket(
        &self,
        basket: &BasketPlacement,
        claim: &BasketClaim,
        limit: PlacementLimit<'_>,
    ) -> Result<(), CommitError> {
        let mut book = self.committing()?;
        let Some(first) = basket.legs.first() else {
            return Ok(());
        };
        let user = first.order.user_id;
        if book.basket_claims.contains_key(&(user, claim.key.clone())) {
            return Err(CommitError::Claimed);
        }
        let window = (limit.key.to_owned(), limit.rule.window_start(limit.at));
        let hits = book.windows.get(&window).copied().unwrap_or(0);
        let legs = basket.legs.len() as u64;
        if hits + legs > u64::from(limit.rule.limit) {
            return Err(CommitError::RateLimited);
        }
        let available = book.accounts.get(&user).ok_or(CommitError::Conflict)?.available;
        if available + basket.available_change() < Decimal::ZERO {
            return Err(CommitError::InsufficientFunds);
        }
        for leg in &basket.legs {
            book.check_version(leg, true)?;
        }
        for leg in &basket.legs {
            book.write(leg);
        }
        book.basket_claims
            .insert((user, claim.key.clone()), claim.clone());
        book.windows.insert(window, hits + legs);
        Ok(())
    }

    async fn modify(&self, placement: &Placement) -> Result<(), CommitError> {
        let mut book = self.committing()?;
        book.check_version(placement, false)?;
        book.check_funds(placement, true)?;
        book.write(placement);
        Ok(())
    }

    async fn reset(
        &self,
        user: &UserId,
        cash: Decimal,
        now: DateTime<Utc>,
    ) -> Result<PaperAccount, CommitError> {
        let mut book = self.committing()?;
        let account = book.accounts.get_mut(user).ok_or(CommitError::Conflict)?;
        if account.available != account.cash {
            return Err(CommitError::Conflict);
        }
        let funding = Funding {
            at: now,
            cash_before: account.cash,
            cash_after: cash,
        };
        *account = PaperAccount {
            user_id: *user,
            cash,
            available: cash,
            initial_cash: cash,
            funded_at: now,
        };
        let account = account.clone();
        book.positions.retain(|(owner, _, _), _| owner != user);
        book.fundings.push((*user, funding));
        Ok(account)
    }

    async fn fundings(&self, user: &UserId, since: DateTime<Utc>) -> Result<Vec<Funding>, RepoError> {
        Ok(self
            .book()?
            .fundings
            .iter()
            .filter(|(owner, f)| owner == user && f.at >= since)
            .map(|(_, f)| f.clone())
            .collect())
    }

    async fn update_order(&self, order: &Order) -> Result<(), CommitError> {
        let mut book = self.committing()?;
        match book.orders.get_mut(&(order.user_id, order.id)) {
            Some(stored) if stored.version + 1 == order.version => {
                *stored = order.clone();
                Ok(())
            }
            _ => Err(CommitError::Conflict),
        }
    }

    async fn cancel(&self, cancelled: &Order, released: Decimal) -> Result<(), CommitError> {
        let placement = Placement {
            order: cancelled.clone(),
            trade: None,
            position: None,
            available_change: released,
            cash_change: Decimal::ZERO,
        };
        self.modify(&placement).await
    }

    async fn day_positions(&self) -> Result<Vec<(UserId, PositionRecord)>, RepoError> {
        Ok(self
            .book()?
            .positions
            .iter()
            .filter(|(_, record)| record.trading_day.is_some())
            .map(|((owner, _, _), record)| (*owner, record.clone()))
            .collect())
    }

    async fn close_out(&self, placement: &Placement) -> Result<(), CommitError> {
        let mut book = self.committing()?;
        book.check_version(placement, true)?;
        book.check_funds(placement, false)?;
        book.write(placement);
        Ok(())
    }

    async fn replace_position(&self, user: &UserId, record: &PositionRecord) -> Result<(), CommitError> {
        let mut book = self.committing()?;
        let key = (*user, record.instrument.clone(), record.product);
        match book.positions.get_mut(&key) {
            Some(stored) if stored.version + 1 == record.version => {
                *stored = record.clone();
                Ok(())
            }
            _ => Err(CommitError::Conflict),
        }
    }
}
