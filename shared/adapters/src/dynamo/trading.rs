//! The paper book in DynamoDB, every item under its owner's partition: orders, fills, positions and
//! idempotency claims, plus the paper account's `cash` and `available` numbers.
//!
//! Orders, fills and positions are stored as a JSON document (`doc`, decimals as exact strings) beside the
//! attributes conditions need (`version`, `status`). Money on the account is a DynamoDB number written from
//! the decimal's exact text and changed only by `SET x = x + :delta`, so concurrent writers never lose an
//! update. A placement is one transaction: the order (new), the account (available must cover the change),
//! the account's placement counter for the minute (below its limit), each claim (new), the fill (new) and
//! the position (at the version read). A basket is one transaction too: every leg's order, fill and position,
//! one funds change for them all, the counter by the number of legs and the basket's claim (listing its
//! orders). Cancellation is the order at the version read plus the released funds.

use std::collections::HashMap;
use std::str::FromStr as _;

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::{OrderId, TradeId, UserId};
use tradesense_domain::kernel::page::Page;
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::trading::account::{Funding, PaperAccount};
use tradesense_domain::trading::order::Order;
use tradesense_domain::trading::paper::{BasketPlacement, Placement};
use tradesense_domain::trading::ports::{
    BasketClaim, CommitError, OrderClaim, OrderListQuery, PlacementLimit, TradingLedger,
};
use tradesense_domain::trading::position::PositionRecord;
use tradesense_domain::trading::request::Product;
use tradesense_domain::trading::status::OrderStatus;
use tradesense_domain::trading::trade::Trade;

use super::document::{self, document, from_document, n, s};
use super::keys::{self, Key};
use super::table::{Item, PageFilter, PageQuery, Table, TransactError};

/// [`TradingLedger`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoTradingLedger {
    table: Table,
}

fn decimal(item: &Item, name: &str) -> anyhow::Result<Decimal> {
    let text = item
        .get(name)
        .and_then(|v| v.as_n().ok())
        .with_context(|| format!("paper account without {name}"))?;
    Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .with_context(|| format!("paper account {name} {text}"))
}

fn time(item: &Item, name: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let text = item
        .get(name)
        .and_then(|v| v.as_s().ok())
        .with_context(|| format!("paper account without {name}"))?;
    Ok(chrono::DateTime::parse_from_rfc3339(text)
        .context("stored time")?
        .with_timezone(&chrono::Utc))
}

impl DynamoTradingLedger {
    /// The book in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    fn put(
        &self,
        item: Item,
        condition: &str,
        values: Option<HashMap<String, AttributeValue>>,
    ) -> anyhow::Result<TransactWriteItem> {
        let put = Put::builder()
            .table_name(self.table.name())
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_values(values)
            .build()
            .context("build put")?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// A put that requires the stored item to be at `version - 1` (or absent when `version` is 1).
    fn put_versioned(&self, item: Item, version: u64) -> anyhow::Result<TransactWriteItem> {
        if version <= 1 {
            self.put(item, "attribute_not_exists(pk)", None)
        } else {
            self.put(
                item,
                "version = :previous",
                Some(HashMap::from([(":previous".to_owned(), n(version - 1))])),
            )
        }
    }

    /// Moves the account's funds; refused (whole transaction) if available would go below zero.
    fn move_funds(
        &self,
        user: &UserId,
        available_change: Decimal,
        cash_change: Decimal,
    ) -> anyhow::Result<TransactWriteItem> {
        let needed = (-available_change).max(Decimal::ZERO);
        self.funds_update(user, available_change, cash_change, Some(needed))
    }

    /// Changes the account's funds, refused when available is below `needed` (if given).
    fn funds_update(
        &self,
        user: &UserId,
        available_change: Decimal,
        cash_change: Decimal,
        needed: Option<Decimal>,
    ) -> anyhow::Result<TransactWriteItem> {
        let mut values = HashMap::from([
            (":available".to_owned(), n(available_change)),
            (":cash".to_owned(), n(cash_change)),
        ]);
        let condition = match needed {
            Some(needed) => {
                values.insert(":needed".to_owned(), n(needed));
                "attribute_exists(pk) AND available >= :needed"
            }
            None => "attribute_exists(pk)",
        };
        let update = Update::builder()
            .table_name(self.table.name())
            .set_key(Some(keys::paper_account(user).to_attributes()))
            .update_expression("SET available = available + :available, cash = cash + :cash")
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .build()
            .context("build funds update")?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Counts one placement in its rate window; refused (whole transaction) when the window is full.
    /// Counts `placements` against `limit`'s window; refused (whole transaction) if the window has counted
    /// more than its limit less `placements` (callers never count more than the limit at once).
    fn count_placements(
        &self,
        window: &Key,
        limit: PlacementLimit<'_>,
        placements: u64,
    ) -> anyhow::Result<TransactWriteItem> {
        let expires = (limit.rule.window_start(limit.at) + limit.rule.window + chrono::Duration::minutes(1))
            .timestamp();
        let most = u64::from(limit.rule.limit).saturating_sub(placements);
        let update = Update::builder()
            .table_name(self.table.name())
            .set_key(Some(window.to_attributes()))
            .update_expression("ADD hits :placements SET #ttl = if_not_exists(#ttl, :ttl)")
            .condition_expression("attribute_not_exists(hits) OR hits <= :most")
            .expression_attribute_names("#ttl", keys::TTL)
            .expression_attribute_values(":placements", n(placements))
            .expression_attribute_values(":ttl", n(expires))
            .expression_attribute_values(":most", n(most))
            .build()
            .context("build rate count")?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn order_item(order: &Order) -> anyhow::Result<Item> {
        let mut item = document(
            &keys::order(&order.user_id, &order.id),
            "order",
            order,
            Some(order.version),
        )?;
        item.insert("status".into(), s(status_code(order.status)));
        item.insert("instrument".into(), s(order.instrument.as_str()));
        item.insert("placed_at".into(), s(keys::sortable_time(order.placed_at)));
        // The paper exchange's worklist: working paper orders (a live order works at its broker).
        if !order.status.is_final() && order.live.is_none() {
            let (pk, sk) = keys::working_order(&order.user_id, &order.id, &order.instrument);
            item.insert(keys::GSI1PK.into(), s(pk));
            item.insert(keys::GSI1SK.into(), s(sk));
        }
        Ok(item)
    }

    /// The claim items of a placement, each new.
    fn claim_writes(&self, user: &UserId, claims: &[OrderClaim]) -> anyhow::Result<Vec<TransactWriteItem>> {
        claims
            .iter()
            .map(|claim| {
                let mut item = keys::order_claim(user, &claim.key).to_attributes();
                item.insert("entity".into(), s("order_claim"));
                item.insert("request_hash".into(), s(claim.request_hash.clone()));
                item.insert("order_id".into(), s(claim.order_id.to_string()));
                self.put(item, "attribute_not_exists(pk)", None)
            })
            .collect()
    }

    /// The fill (new) and the position (at the version read) of a placement that filled.
    fn fill_writes(&self, placement: &Placement) -> anyhow::Result<Vec<TransactWriteItem>> {
        let user = &placement.order.user_id;
        let mut writes = Vec::new();
        if let Some(trade) = &placement.trade {
            let item = document(&keys::trade(user, &trade.id), "trade", trade, None)?;
            writes.push(self.put(item, "attribute_not_exists(pk)", None)?);
        }
        if let Some(position) = &placement.position {
            writes.push(self.put_versioned(Self::position_item(user, position)?, position.version)?);
        }
        Ok(writes)
    }

    /// A position's item; on the end-of-day index while it has fills of the day.
    fn position_item(user: &UserId, position: &PositionRecord) -> anyhow::Result<Item> {
        let key = keys::position(user, &position.instrument, position.product);
        let mut item = document(&key, "position", position, Some(position.version))?;
        if position.position.traded_today() {
            let (pk, sk) = keys::day_position(user, &position.instrument, position.product);
            item.insert(keys::GSI1PK.into(), s(pk));
            item.insert(keys::GSI1SK.into(), s(sk));
        }
        Ok(item)
    }

    /// Runs `writes`, whose first item stores `order`. The SDK retries a call whose answer was lost (a reset
    /// connection, a timeout); if the lost attempt had committed, the retry fails every condition. Finding
    /// exactly `order` stored then means the transaction is ours and done. Each call also carries a client
    /// request token, which makes DynamoDB itself treat such a retry as the same transaction.
    async fn commit(&self, writes: Vec<TransactWriteItem>, order: &Order) -> Result<(), TransactError> {
        let token = ulid::Ulid::new().to_string();
        match self.table.transact_with_token(writes, &token).await {
            Err(e) if e.failed_conditions().first() == Some(&0) => {
                let stored: Option<Order> = self
                    .one(&keys::order(&order.user_id, &order.id))
                    .await
                    .map_err(|r| TransactError::Unexpected(anyhow::Error::from(r)))?;
                if stored.as_ref() == Some(order) {
                    tracing::info!(order_id = %order.id, "transaction committed by an earlier attempt");
                    Ok(())
                } else {
                    Err(e)
                }
            }
            other => other,
        }
    }

    /// Every document under `prefix` in the user's partition, newest (highest sort key) first.
    async fn documents<T: DeserializeOwned>(&self, user: &UserId, prefix: &str) -> Result<Vec<T>, RepoError> {
        let query = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(keys::user_partition(user)))
            .expression_attribute_values(":prefix", s(prefix))
            .scan_index_forward(false)
            .consistent_read(true);
        let items = self.table.query_all(query, "documents").await?;
        Ok(items.iter().map(from_document).collect::<anyhow::Result<_>>()?)
    }

    /// One page of the user's documents under `prefix`, newest first, after `start`: the documents and the
    /// sort key to resume after.
    async fn page<T: DeserializeOwned>(
        &self,
        prefix: &str,
        user: &UserId,
        filter: Option<PageFilter>,
        limit: u16,
        start: Option<Item>,
    ) -> Result<(Vec<T>, Option<String>), RepoError> {
        let query = PageQuery {
            on_gsi1: false,
            partition: keys::user_partition(user),
            sort_prefix: Some(prefix.to_owned()),
            filter,
            limit,
            descending: true,
        };
        document::page(&self.table, &query, start).await
    }

    /// A query of GSI1's `partition` (the matcher's and end of day's worklists), only sort keys starting with
    /// `prefix` if given.
    fn gsi1_query(&self, partition: &str, prefix: Option<&str>) -> QueryFluentBuilder {
        let query = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .index_name(keys::GSI1)
            .expression_attribute_names("#pk", keys::GSI1PK)
            .expression_attribute_values(":pk", s(partition));
        match prefix {
            None => query.key_condition_expression("#pk = :pk"),
            Some(prefix) => query
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#sk", keys::GSI1SK)
                .expression_attribute_values(":prefix", s(prefix)),
        }
    }

    async fn one<T: DeserializeOwned>(&self, key: &Key) -> Result<Option<T>, RepoError> {
        document::one(&self.table, key).await
    }
}

/// The stored form of a status (`TRIGGER_PENDING`), as the API spells it.
fn status_code(status: OrderStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Which item of a cancelled transaction failed, as a [`CommitError`]: `funds` is the account's index and
/// `claims` the claims' index range.
/// A claim item's text attribute `name`.
fn claim_text(item: &Item, name: &str) -> anyhow::Result<String> {
    Ok(item
        .get(name)
        .and_then(|v| v.as_s().ok())
        .with_context(|| format!("claim without {name}"))?
        .clone())
}

fn commit_error(
    error: TransactError,
    funds: usize,
    rate: usize,
    claims: std::ops::Range<usize>,
) -> CommitError {
    match &error {
        TransactError::Cancelled { reasons } => {
            let failed = error.failed_conditions();
            if failed.iter().any(|i| claims.contains(i)) {
                CommitError::Claimed
            } else if failed.contains(&rate) {
                CommitError::RateLimited
            } else if failed.contains(&funds) {
                CommitError::InsufficientFunds
            } else if !failed.is_empty()
                || reasons
                    .iter()
                    .any(|r| r.as_deref() == Some("TransactionConflict"))
            {
                tracing::info!(?reasons, "trading transaction raced another write");
                CommitError::Conflict
            } else {
                CommitError::Unexpected(anyhow::anyhow!("transaction cancelled: {reasons:?}"))
            }
        }
        TransactError::Unexpected(_) => CommitError::Unexpected(error.into()),
    }
}

#[async_trait]
impl TradingLedger for DynamoTradingLedger {
    async fn account(&self, user: &UserId) -> Result<Option<PaperAccount>, RepoError> {
        let Some(item) = self.table.get(&keys::paper_account(user)).await? else {
            return Ok(None);
        };
        let cash = decimal(&item, "cash")?;
        Ok(Some(PaperAccount {
            user_id: *user,
            cash,
            // Accounts opened before funds were tracked hold nothing.
            available: if item.contains_key("available") {
                decimal(&item, "available")?
            } else {
                cash
            },
            initial_cash: decimal(&item, "initial_cash")?,
            funded_at: time(&item, "funded_at")?,
        }))
    }

    async fn position(
        &self,
        user: &UserId,
        instrument: &InstrumentKey,
        product: Product,
    ) -> Result<Option<PositionRecord>, RepoError> {
        self.one(&keys::position(user, instrument, product)).await
    }

    async fn positions(&self, user: &UserId) -> Result<Vec<PositionRecord>, RepoError> {
        self.documents(user, keys::POSITION_PREFIX).await
    }

    async fn claim(&self, user: &UserId, key: &str) -> Result<Option<OrderClaim>, RepoError> {
        let Some(item) = self.table.get(&keys::order_claim(user, key)).await? else {
            return Ok(None);
        };
        let text = |name: &str| claim_text(&item, name);
        Ok(Some(OrderClaim {
            key: key.to_owned(),
            request_hash: text("request_hash")?,
            order_id: text("order_id")?.parse().context("claim order id")?,
        }))
    }

    async fn order(&self, user: &UserId, id: &OrderId) -> Result<Option<Order>, RepoError> {
        self.one(&keys::order(user, id)).await
    }

    async fn orders_page(
        &self,
        user: &UserId,
        query: &OrderListQuery,
    ) -> Result<Page<Order, OrderId>, RepoError> {
        let mut filter = PageFilter::default();
        if let Some(status) = query.status {
            filter = filter.and(
                "#status = :status",
                ("#status", "status"),
                (":status", s(status_code(status))),
            );
        }
        if let Some(instrument) = &query.instrument {
            filter = filter.and(
                "#instrument = :instrument",
                ("#instrument", "instrument"),
                (":instrument", s(instrument.as_str())),
            );
        }
        if let Some(from) = query.from {
            filter = filter.and(
                "#placed >= :from",
                ("#placed", "placed_at"),
                (":from", s(keys::sortable_time(from))),
            );
        }
        if let Some(to) = query.to {
            filter = filter.and(
                "#placed < :to",
                ("#placed", "placed_at"),
                (":to", s(keys::sortable_time(to))),
            );
        }
        let start = query.after.map(|id| keys::order(user, &id).to_attributes());
        let (items, resume) = self
            .page(keys::ORDER_PREFIX, user, Some(filter), query.limit, start)
            .await?;
        Ok(Page {
            items,
            resume_after: resume
                .map(|sk| sk.trim_start_matches(keys::ORDER_PREFIX).parse())
                .transpose()
                .context("resume key")?,
        })
    }

    async fn working_orders(&self) -> Result<Vec<Order>, RepoError> {
        let query = self.gsi1_query(keys::WORKING_ORDERS, None);
        let items = self.table.query_all(query, "working orders").await?;
        Ok(items.iter().map(from_document).collect::<anyhow::Result<_>>()?)
    }

    async fn open_order_count(&self, user: &UserId) -> Result<usize, RepoError> {
        let query = self
            .gsi1_query(keys::WORKING_ORDERS, Some(&keys::working_orders_of(user)))
            .projection_expression("#pk");
        Ok(self.table.query_all(query, "open orders").await?.len())
    }

    async fn trades_page(
        &self,
        user: &UserId,
        limit: u16,
        after: Option<TradeId>,
    ) -> Result<Page<Trade, TradeId>, RepoError> {
        let start = after.map(|id| keys::trade(user, &id).to_attributes());
        let (items, resume) = self.page(keys::TRADE_PREFIX, user, None, limit, start).await?;
        Ok(Page {
            items,
            resume_after: resume
                .map(|sk| sk.trim_start_matches(keys::TRADE_PREFIX).parse())
                .transpose()
                .context("resume key")?,
        })
    }

    async fn placements_counted(&self, limit: PlacementLimit<'_>) -> Result<u64, RepoError> {
        let window = keys::rate_window(limit.key, limit.rule.window_start(limit.at));
        let counted = self.table.get(&window).await?;
        Ok(counted
            .as_ref()
            .and_then(|item| item.get("hits"))
            .and_then(|hits| hits.as_n().ok())
            .and_then(|hits| hits.parse().ok())
            .unwrap_or(0))
    }

    async fn place(
        &self,
        placement: &Placement,
        claims: &[OrderClaim],
        limit: PlacementLimit<'_>,
    ) -> Result<(), CommitError> {
        let order = &placement.order;
        let user = &order.user_id;
        let window = keys::rate_window(limit.key, limit.rule.window_start(limit.at));
        let mut writes = vec![
            self.put(Self::order_item(order)?, "attribute_not_exists(pk)", None)?,
            self.move_funds(user, placement.available_change, placement.cash_change)?,
            self.count_placements(&window, limit, 1)?,
        ];
        writes.extend(self.claim_writes(user, claims)?);
        writes.extend(self.fill_writes(placement)?);
        self.commit(writes, order)
            .await
            .map_err(|e| commit_error(e, 1, 2, 3..3 + claims.len()))
    }

    async fn basket_claim(&self, user: &UserId, key: &str) -> Result<Option<BasketClaim>, RepoError> {
        let Some(item) = self.table.get(&keys::order_claim(user, key)).await? else {
            return Ok(None);
        };
        let text = |name: &str| claim_text(&item, name);
        let order_ids = text("order_ids")?
            .split(',')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .context("basket claim order ids")?;
        Ok(Some(BasketClaim {
            key: key.to_owned(),
            request_hash: text("request_hash")?,
            order_ids,
        }))
    }

    async fn place_basket(
        &self,
        basket: &BasketPlacement,
        claim: &BasketClaim,
        limit: PlacementLimit<'_>,
    ) -> Result<(), CommitError> {
        let Some(first) = basket.legs.first() else {
            return Ok(());
        };
        let user = &first.order.user_id;
        let window = keys::rate_window(limit.key, limit.rule.window_start(limit.at));
        let ids: Vec<String> = claim.order_ids.iter().map(ToString::to_string).collect();
        let mut claim_item = keys::order_claim(user, &claim.key).to_attributes();
        claim_item.insert("entity".into(), s("basket_claim"));
        claim_item.insert("request_hash".into(), s(claim.request_hash.clone()));
        claim_item.insert("order_ids".into(), s(ids.join(",")));
        // The first order first: a retried commit is recognised by it (`commit`).
        let mut writes = vec![
            self.put(Self::order_item(&first.order)?, "attribute_not_exists(pk)", None)?,
            self.move_funds(user, basket.available_change(), basket.cash_change())?,
            self.count_placements(&window, limit, basket.legs.len() as u64)?,
            self.put(claim_item, "attribute_not_exists(pk)", None)?,
        ];
        writes.extend(self.fill_writes(first)?);
        for leg in &basket.legs[1..] {
            writes.push(self.put(Self::order_item(&leg.order)?, "attribute_not_exists(pk)", None)?);
            writes.extend(self.fill_writes(leg)?);
        }
        self.commit(writes, &first.order)
            .await
            .map_err(|e| commit_error(e, 1, 2, 3..4))
    }

    async fn modify(&self, placement: &Placement) -> Result<(), CommitError> {
        let order = &placement.order;
        let mut writes = vec![
            self.put_versioned(Self::order_item(order)?, order.version)?,
            self.move_funds(&order.user_id, placement.available_change, placement.cash_change)?,
        ];
        writes.extend(self.fill_writes(placement)?);
        self.commit(writes, order)
            .await
            .map_err(|e| commit_error(e, 1, usize::MAX, 0..0))
    }

    async fn reset(
        &self,
        user: &UserId,
        cash: Decimal,
        now: DateTime<Utc>,
    ) -> Result<PaperAccount, CommitError> {
        let (account, positions) = futures::try_join!(
            self.account(user),
            self.documents::<PositionRecord>(user, keys::POSITION_PREFIX)
        )
        .map_err(|e| CommitError::Unexpected(e.into()))?;
        let before = account.ok_or(CommitError::Conflict)?.cash;
        // The cash read is the cash replaced: the funding record cannot name another.
        let refund = Update::builder()
            .table_name(self.table.name())
            .set_key(Some(keys::paper_account(user).to_attributes()))
            .update_expression("SET cash = :cash, available = :cash, initial_cash = :cash, funded_at = :now")
            .condition_expression("attribute_exists(pk) AND available = cash AND cash = :before")
            .expression_attribute_values(":cash", n(cash))
            .expression_attribute_values(":before", n(before))
            .expression_attribute_values(":now", s(keys::sortable_time(now)))
            .build()
            .context("build paper reset")?;
        let funding = Funding {
            at: now,
            cash_before: before,
            cash_after: cash,
        };
        let mut writes = vec![
            TransactWriteItem::builder().update(refund).build(),
            self.put(
                document(&keys::funding(user, now), "funding", &funding, None)?,
                "attribute_not_exists(pk)",
                None,
            )?,
        ];
        for position in &positions {
            let key = keys::position(user, &position.instrument, position.product);
            let delete = Delete::builder()
                .table_name(self.table.name())
                .set_key(Some(key.to_attributes()))
                .condition_expression("version = :version")
                .expression_attribute_values(":version", n(position.version))
                .build()
                .context("build position delete")?;
            writes.push(TransactWriteItem::builder().delete(delete).build());
        }
        if writes.len() > 100 {
            return Err(CommitError::Unexpected(anyhow::anyhow!(
                "{} positions: too many to reset in one transaction",
                positions.len()
            )));
        }
        self.table.transact(writes).await.map_err(|e| {
            if e.failed_conditions().is_empty() {
                CommitError::Unexpected(e.into())
            } else {
                CommitError::Conflict
            }
        })?;
        Ok(PaperAccount {
            user_id: *user,
            cash,
            available: cash,
            initial_cash: cash,
            funded_at: now,
        })
    }

    async fn fundings(&self, user: &UserId, since: DateTime<Utc>) -> Result<Vec<Funding>, RepoError> {
        let fundings: Vec<Funding> = self.documents(user, keys::FUNDING_PREFIX).await?;
        let mut fundings: Vec<Funding> = fundings.into_iter().filter(|f| f.at >= since).collect();
        fundings.sort_by_key(|f| f.at);
        Ok(fundings)
    }

    async fn day_positions(&self) -> Result<Vec<(UserId, PositionRecord)>, RepoError> {
        let query = self.gsi1_query(keys::DAY_POSITIONS, None);
        let items = self.table.query_all(query, "day positions").await?;
        let owned = |item: &Item| -> anyhow::Result<(UserId, PositionRecord)> {
            let owner = item
                .get(keys::GSI1SK)
                .and_then(|v| v.as_s().ok())
                .and_then(|sk| sk.split_once('#'))
                .context("day position without its owner")?
                .0
                .parse()
                .context("day position owner")?;
            Ok((owner, from_document(item)?))
        };
        Ok(items.iter().map(owned).collect::<anyhow::Result<_>>()?)
    }

    async fn close_out(&self, placement: &Placement) -> Result<(), CommitError> {
        let order = &placement.order;
        let mut writes = vec![
            self.put(Self::order_item(order)?, "attribute_not_exists(pk)", None)?,
            self.funds_update(
                &order.user_id,
                placement.available_change,
                placement.cash_change,
                None,
            )?,
        ];
        writes.extend(self.fill_writes(placement)?);
        self.commit(writes, order)
            .await
            .map_err(|e| commit_error(e, usize::MAX, usize::MAX, 0..0))
    }

    async fn replace_position(&self, user: &UserId, record: &PositionRecord) -> Result<(), CommitError> {
        let previous = HashMap::from([(":previous".to_owned(), n(record.version.saturating_sub(1)))]);
        match self
            .table
            .put_if(
                Self::position_item(user, record)?,
                "version = :previous",
                previous,
            )
            .await
        {
            Ok(()) => Ok(()),
            Err(RepoError::Conflict) => Err(CommitError::Conflict),
            Err(e) => Err(CommitError::Unexpected(e.into())),
        }
    }

    async fn update_order(&self, order: &Order) -> Result<(), CommitError> {
        let writes = vec![self.put_versioned(Self::order_item(order)?, order.version)?];
        self.commit(writes, order)
            .await
            .map_err(|e| commit_error(e, usize::MAX, usize::MAX, 0..0))
    }

    async fn cancel(&self, cancelled: &Order, released: Decimal) -> Result<(), CommitError> {
        let writes = vec![
            self.put_versioned(Self::order_item(cancelled)?, cancelled.version)?,
            self.move_funds(&cancelled.user_id, released, Decimal::ZERO)?,
        ];
        self.commit(writes, cancelled)
            .await
            .map_err(|e| commit_error(e, usize::MAX, usize::MAX, 0..0))
    }
}
