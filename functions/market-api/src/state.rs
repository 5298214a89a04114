//! What the market handlers share: the market-data port (the simulated market with imported daily history
//! over it; the DynamoDB quote cache is put in front only of a source that calls another system), the exchange calendar, the instrument master and the clock.
//!
//! The master is [`CurrentMaster`]: the published snapshot, re-checked at most once a minute, or the shipped
//! master until one exists.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tradesense_domain::kernel::time::Clock;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::master::InstrumentMaster;
use tradesense_domain::market::ports::{DailyHistory, InstrumentStore, MarketData, QuoteCache};
use tradesense_domain::market::service::cached::CachedMarketData;
use tradesense_domain::market::service::current::CurrentMaster;
use tradesense_domain::market::service::imported::WithImportedHistory;
use tradesense_domain::market::service::simulated::SimulatedMarket;
use tradesense_http::ApiError;

/// The market handlers' state.
#[derive(Clone)]
pub struct MarketState {
    /// Quotes and candles.
    pub data: Arc<dyn MarketData>,
    /// Trading days and sessions.
    pub calendar: Arc<MarketCalendar>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    current: Arc<CurrentMaster>,
}

impl MarketState {
    /// The simulated market with `seed` on the shipped NSE calendar, with `history`'s imported daily bars
    /// over it (what backtests read too), behind `cache` if it needed one ([`CachedMarketData::over`]), with instruments from `instruments`.
    ///
    /// # Errors
    /// If the shipped holiday list does not parse.
    pub fn simulated(
        seed: u64,
        history: Arc<dyn DailyHistory>,
        cache: Arc<dyn QuoteCache>,
        instruments: Arc<dyn InstrumentStore>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let calendar = Arc::new(MarketCalendar::nse()?);
        let simulated = Arc::new(SimulatedMarket::new((*calendar).clone(), seed));
        let source = Arc::new(WithImportedHistory::new(simulated, history, calendar.clone()));
        Ok(Self {
            data: CachedMarketData::over(source, cache),
            current: Arc::new(CurrentMaster::new(instruments, calendar.clone())),
            calendar,
            clock,
        })
    }

    /// The master to use at `now` ([`CurrentMaster::get`]).
    ///
    /// # Errors
    /// 500 if a published snapshot cannot be read or the shipped master does not parse.
    pub async fn master(&self, now: DateTime<Utc>) -> Result<Arc<InstrumentMaster>, ApiError> {
        self.current.get(now).await.map_err(ApiError::internal)
    }
}
