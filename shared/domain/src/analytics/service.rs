//! The analytics use cases, over the account's fills (the trading area's ledger port).

use std::sync::Arc;

use chrono::NaiveDate;

use crate::analytics::tax::{FinancialYear, TaxReport, closed_lots, tax_report};
use crate::analytics::trades::{GroupBy, TradeGroup, trade_groups};
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;
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
}

impl AnalyticsService {
    /// The use cases over the book.
    pub fn new(ledger: Arc<dyn TradingLedger>) -> Self {
        Self { ledger }
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

    /// Every fill of `user`.
    async fn fills(&self, user: &UserId) -> Result<Vec<Trade>, AnalyticsError> {
        let mut fills = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .ledger
                .trades_page(user, 200, after)
                .await
                .map_err(|e: RepoError| AnalyticsError::from(e))?;
            fills.extend(page.items);
            if fills.len() > MAX_FILLS {
                return Err(AnalyticsError::TooManyFills(MAX_FILLS));
            }
            match page.resume_after {
                Some(id) => after = Some(id),
                None => return Ok(fills),
            }
        }
    }
}
