//! The analytics use cases: reports over the account's fills (the trading area's ledger port) and its
//! end-of-day snapshots, and the job that takes those snapshots ([`snapshots`]).

pub mod snapshots;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::analytics::curve::{CurvePoint, equity_curve};
use crate::analytics::performance::{Performance, performance};
use crate::analytics::ports::SnapshotStore;
use crate::analytics::tax::{FinancialYear, TaxReport, closed_lots, tax_report};
use crate::analytics::trades::{GroupBy, TradeGroup, trade_groups};
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;
use crate::market::calendar::MarketCalendar;
use crate::market::instrument::Exchange;
use crate::trading::ports::TradingLedger;
use crate::trading::trade::Trade;

/// The most fills a report reads (a page of 200 at a time).
pub const MAX_FILLS: usize = 20_000;

/// Why an analytics use case answered nothing.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    /// The account has more fills than a report reads.
    #[error("more than {0} fills: too many to report on")]
    TooManyFills(usize),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

crate::storage_failures_are_unexpected!(AnalyticsError);

/// The analytics use cases.
pub struct AnalyticsService {
    ledger: Arc<dyn TradingLedger>,
    snapshots: Arc<dyn SnapshotStore>,
    calendar: Arc<MarketCalendar>,
}

impl AnalyticsService {
    /// The use cases over the book, the snapshots, and the sessions of `calendar`.
    pub fn new(
        ledger: Arc<dyn TradingLedger>,
        snapshots: Arc<dyn SnapshotStore>,
        calendar: Arc<MarketCalendar>,
    ) -> Self {
        Self {
            ledger,
            snapshots,
            calendar,
        }
    }

    /// `user`'s realized P&L of `year` by tax head ([`tax_report`]).
    ///
    /// # Errors
    /// [`AnalyticsError`].
    pub async fn tax_pnl(&self, user: &UserId, year: FinancialYear) -> Result<TaxReport, AnalyticsError> {
        Ok(tax_report(&self.fills(user).await?, year))
    }

    /// `user`'s trades (round trips) closed from `from` to `to`, grouped `by` ([`trade_groups`]).
    ///
    /// # Errors
    /// [`AnalyticsError`].
    pub async fn trades(
        &self,
        user: &UserId,
        from: NaiveDate,
        to: NaiveDate,
        by: GroupBy,
    ) -> Result<Vec<TradeGroup>, AnalyticsError> {
        let lots = closed_lots(&self.fills(user).await?);
        Ok(trade_groups(&lots, from, to, by))
    }

    /// `user`'s equity curve over the sessions `from` to `to` ([`equity_curve`]).
    ///
    /// # Errors
    /// [`AnalyticsError`].
    pub async fn equity_curve(
        &self,
        user: &UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CurvePoint>, AnalyticsError> {
        Ok(equity_curve(&self.snapshots.range(user, from, to).await?))
    }

    /// `user`'s performance over the sessions `from` to `to` ([`performance`]).
    ///
    /// # Errors
    /// [`AnalyticsError`].
    pub async fn performance(
        &self,
        user: &UserId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Performance, AnalyticsError> {
        let (snapshots, fills) = futures::try_join!(
            async { Ok::<_, AnalyticsError>(self.snapshots.range(user, from, to).await?) },
            self.fills(user),
        )?;
        let calendar = &self.calendar;
        Ok(performance(
            &snapshots,
            &closed_lots(&fills),
            &fills,
            (from, to),
            |day| calendar.close_on(Exchange::Nse, day),
        ))
    }

    /// Every fill of `user`.
    async fn fills(&self, user: &UserId) -> Result<Vec<Trade>, AnalyticsError> {
        fills_since(self.ledger.as_ref(), user, DateTime::<Utc>::MIN_UTC).await
    }
}

/// Every fill of `user` after `since`, newest first: read a page of 200 at a time, newest first, up to the
/// first one at or before `since`.
///
/// # Errors
/// [`AnalyticsError::TooManyFills`] beyond [`MAX_FILLS`]; storage failures.
pub async fn fills_since(
    ledger: &dyn TradingLedger,
    user: &UserId,
    since: DateTime<Utc>,
) -> Result<Vec<Trade>, AnalyticsError> {
    let mut fills = Vec::new();
    let mut after = None;
    loop {
        let page = ledger
            .trades_page(user, 200, after)
            .await
            .map_err(|e: RepoError| AnalyticsError::from(e))?;
        let reached = page.items.iter().any(|f| f.executed_at <= since);
        fills.extend(page.items.into_iter().filter(|f| f.executed_at > since));
        if fills.len() > MAX_FILLS {
            return Err(AnalyticsError::TooManyFills(MAX_FILLS));
        }
        match page.resume_after {
            Some(id) if !reached => after = Some(id),
            _ => return Ok(fills),
        }
    }
}

#[cfg(test)]
mod tests;
