//! What the market handlers share: the market-data port (the simulated market behind the DynamoDB quote
//! cache), the exchange calendar, the instrument master (rebuilt when the IST date changes, so expired
//! contracts drop out and new expiries appear) and the clock.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use tradesense_domain::broker_link::ist;
use tradesense_domain::market::cached::CachedMarketData;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::master::InstrumentMaster;
use tradesense_domain::market::simulated::SimulatedMarket;
use tradesense_domain::ports::{Clock, QuoteCache};
use tradesense_http::ApiError;

/// The master built for one IST date.
type DatedMaster = Option<(NaiveDate, Arc<InstrumentMaster>)>;

/// The market handlers' state.
#[derive(Clone)]
pub struct MarketState {
    /// Quotes and candles.
    pub data: Arc<CachedMarketData>,
    /// Trading days and sessions.
    pub calendar: Arc<MarketCalendar>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    masters: Arc<Mutex<DatedMaster>>,
}

impl MarketState {
    /// The simulated market with `seed` on the shipped NSE calendar, behind `cache`.
    ///
    /// # Errors
    /// If the shipped holiday list does not parse.
    pub fn simulated(seed: u64, cache: Arc<dyn QuoteCache>, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let calendar = MarketCalendar::nse()?;
        let source = Arc::new(SimulatedMarket::new(calendar.clone(), seed));
        Ok(Self {
            data: Arc::new(CachedMarketData::new(source, cache)),
            calendar: Arc::new(calendar),
            clock,
            masters: Arc::default(),
        })
    }

    /// The master for the IST date of `now`.
    ///
    /// # Errors
    /// If the shipped master does not parse (a domain test proves it does).
    pub fn master(&self, now: DateTime<Utc>) -> Result<Arc<InstrumentMaster>, ApiError> {
        let today = now.with_timezone(&ist()).date_naive();
        let mut cache = self
            .masters
            .lock()
            .map_err(|_| ApiError::internal(anyhow::anyhow!("instrument master lock poisoned")))?;
        if let Some((date, master)) = cache.as_ref()
            && *date == today
        {
            return Ok(master.clone());
        }
        let master = Arc::new(InstrumentMaster::shipped(&self.calendar, today).map_err(ApiError::internal)?);
        *cache = Some((today, master.clone()));
        Ok(master)
    }
}
