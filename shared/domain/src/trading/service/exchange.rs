//! The paper exchange's minute, which the scheduler runs: working paper orders matched against the market,
//! then the end of the trading day as far as it is due ([`crate::trading::end_of_day`]).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use async_trait::async_trait;
use rust_decimal::Decimal;

use crate::market::instrument::{Exchange, InstrumentKey, Segment};
use crate::ops::ports::PaperExchange;
use crate::trading::ports::CommitError;
use crate::trading::position::PositionRecord;
use crate::trading::request::Product;
use crate::trading::service::pricing::Priced;
use crate::trading::service::{OrderService, PlaceError};
use crate::trading::status::OrderStatus;
use crate::trading::{end_of_day, paper};

/// What one tick of the paper exchange did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchReport {
    /// Working orders looked at.
    pub checked: usize,
    /// Filled.
    pub filled: usize,
    /// Triggered and still working (a stop-limit whose limit is not reachable yet).
    pub triggered: usize,
    /// Rejected at the fill (the account could not carry it).
    pub rejected: usize,
    /// DAY orders expired at the close.
    pub expired: usize,
    /// Changed meanwhile; left for the next tick.
    pub deferred: usize,
}

/// What one end-of-day pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndOfDayReport {
    /// Positions with fills of the day looked at.
    pub checked: usize,
    /// Intraday positions squared off.
    pub squared_off: usize,
    /// Positions rolled over to the next day.
    pub rolled: usize,
    /// Changed meanwhile; left for the next tick.
    pub deferred: usize,
}

impl OrderService {
    /// One tick of the paper exchange: every working order is checked against its instrument's quote now
    /// ([`paper::on_tick`]); what triggers, fills or is rejected is committed at the version read. An order
    /// that changed meanwhile is left for the next tick.
    ///
    /// # Errors
    /// Storage or market-data failures that stop the whole tick.
    pub async fn match_working(&self) -> Result<MatchReport, PlaceError> {
        let ctx = &self.ctx;
        let now = ctx.clock.now();
        let mut report = MatchReport::default();
        let orders = ctx.ledger.working_orders().await?;
        let mut markets: HashMap<(InstrumentKey, Product), Priced> = HashMap::new();
        for order in orders {
            report.checked += 1;
            let exchange = order.instrument.exchange().ok_or(PlaceError::UnknownInstrument)?;
            if end_of_day::day_order_expired(&ctx.calendar, exchange, &order, now) {
                let (expired, released) = paper::expire(&order, now).map_err(anyhow::Error::from)?;
                match ctx.ledger.cancel(&expired, released).await {
                    Ok(()) => report.expired += 1,
                    Err(CommitError::Conflict) => report.deferred += 1,
                    Err(e) => return Err(anyhow::Error::from(e).into()),
                }
                continue;
            }
            let product = order.request.product;
            let priced = match markets.entry((order.instrument.clone(), product)) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(new) => new.insert(self.priced(order.instrument.as_str(), product, now).await?),
            };
            let instrument = priced.instrument()?;
            let user = order.user_id;
            let available = ctx
                .ledger
                .account(&user)
                .await?
                .map_or(Decimal::ZERO, |a| a.available);
            let position = ctx
                .ledger
                .position(&user, &order.instrument, product)
                .await?
                .unwrap_or_else(|| PositionRecord::flat(order.instrument.clone(), product));
            let Some(placement) = paper::on_tick(
                &order,
                &priced.market(instrument, &ctx.plan),
                &position,
                available,
                ctx.ids.next(),
                now,
            ) else {
                continue;
            };
            match ctx.ledger.modify(&placement).await {
                Ok(()) => match placement.order.status {
                    OrderStatus::Complete => report.filled += 1,
                    OrderStatus::Rejected => report.rejected += 1,
                    _ => report.triggered += 1,
                },
                Err(CommitError::Conflict | CommitError::InsufficientFunds) => report.deferred += 1,
                Err(e) => return Err(anyhow::Error::from(e).into()),
            }
        }
        Ok(report)
    }

    /// The end of the trading day, as far as it is due at the clock's now ([`end_of_day`]): open intraday
    /// positions squared off at the touch, then positions whose session closed rolled over. Runs on every
    /// tick; does nothing during a session before its square-off time.
    ///
    /// # Errors
    /// Storage or market-data failures that stop the pass.
    pub async fn end_of_day(&self) -> Result<EndOfDayReport, PlaceError> {
        let ctx = &self.ctx;
        let now = ctx.clock.now();
        let mut report = EndOfDayReport::default();
        if !Exchange::ALL
            .iter()
            .any(|e| end_of_day::square_off_due(&ctx.calendar, *e, now))
        {
            return Ok(report);
        }
        for (user, record) in ctx.ledger.day_positions().await? {
            report.checked += 1;
            let exchange = record
                .instrument
                .exchange()
                .ok_or(PlaceError::UnknownInstrument)?;
            let outcome = if end_of_day::square_off_needed(&ctx.calendar, exchange, &record, now) {
                let priced = self
                    .priced(record.instrument.as_str(), record.product, now)
                    .await?;
                let instrument = priced.instrument()?;
                let ids = (ctx.ids.next(), ctx.ids.next());
                let Some(placement) =
                    paper::square_off(user, ids, &record, &priced.market(instrument, &ctx.plan), now)
                else {
                    continue;
                };
                let outcome = ctx.ledger.close_out(&placement).await;
                if outcome.is_ok() {
                    report.squared_off += 1;
                    tracing::info!(%user, instrument = %record.instrument, "intraday position squared off");
                }
                outcome
            } else if end_of_day::roll_over_due(&ctx.calendar, exchange, &record, now) {
                let master = ctx.master.get(now).await?;
                // A contract gone from the master has expired: it is no equity, so it never settles.
                let segment = master
                    .get(record.instrument.as_str())
                    .map_or(Segment::Future, |i| i.segment);
                let outcome = ctx
                    .ledger
                    .replace_position(&user, &paper::roll_over(&record, segment))
                    .await;
                if outcome.is_ok() {
                    report.rolled += 1;
                }
                outcome
            } else {
                continue;
            };
            match outcome {
                Ok(()) => {}
                Err(CommitError::Conflict | CommitError::InsufficientFunds) => report.deferred += 1,
                Err(e) => return Err(anyhow::Error::from(e).into()),
            }
        }
        Ok(report)
    }
}

#[async_trait]
impl PaperExchange for OrderService {
    /// Matches the working orders ([`OrderService::match_working`]), then runs what is due of the end of the
    /// day ([`OrderService::end_of_day`]).
    async fn tick(&self) -> anyhow::Result<()> {
        let matched = self.match_working().await?;
        let closed = self.end_of_day().await?;
        tracing::info!(?matched, ?closed, "paper exchange tick");
        Ok(())
    }
}
