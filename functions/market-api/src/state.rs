//! What the market handlers share: the market-data port (the simulated market behind the DynamoDB quote
//! cache), the exchange calendar, the instrument master and the clock.
//!
//! The master is the current snapshot the scheduler's `instrument-refresh` job publishes, re-checked at most
//! once a minute. Until a snapshot exists (a fresh deploy before the first run) the shipped master built for
//! today's IST date is used, so the API works from the first minute.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use tradesense_domain::broker_link::ist;
use tradesense_domain::market::cached::CachedMarketData;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::master::InstrumentMaster;
use tradesense_domain::market::simulated::SimulatedMarket;
use tradesense_domain::ports::{Clock, InstrumentStore, QuoteCache};
use tradesense_http::ApiError;

/// How often the published snapshot is checked for a newer one.
pub const MASTER_RECHECK: Duration = Duration::seconds(60);

/// The master in use: its source id (`v1-2026-11-25`, or `shipped-2026-11-25`), when that was last checked.
#[derive(Clone)]
struct LoadedMaster {
    id: String,
    checked_at: DateTime<Utc>,
    master: Arc<InstrumentMaster>,
}

/// The market handlers' state.
#[derive(Clone)]
pub struct MarketState {
    /// Quotes and candles.
    pub data: Arc<CachedMarketData>,
    /// Trading days and sessions.
    pub calendar: Arc<MarketCalendar>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    instruments: Arc<dyn InstrumentStore>,
    loaded: Arc<Mutex<Option<LoadedMaster>>>,
}

impl MarketState {
    /// The simulated market with `seed` on the shipped NSE calendar, behind `cache`, with instruments from
    /// `instruments`.
    ///
    /// # Errors
    /// If the shipped holiday list does not parse.
    pub fn simulated(
        seed: u64,
        cache: Arc<dyn QuoteCache>,
        instruments: Arc<dyn InstrumentStore>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let calendar = MarketCalendar::nse()?;
        let source = Arc::new(SimulatedMarket::new(calendar.clone(), seed));
        Ok(Self {
            data: Arc::new(CachedMarketData::new(source, cache)),
            calendar: Arc::new(calendar),
            clock,
            instruments,
            loaded: Arc::default(),
        })
    }

    fn loaded(&self) -> Result<Option<LoadedMaster>, ApiError> {
        self.loaded
            .lock()
            .map(|l| l.clone())
            .map_err(|_| ApiError::internal(anyhow::anyhow!("instrument master lock poisoned")))
    }

    fn keep(&self, loaded: LoadedMaster) -> Result<Arc<InstrumentMaster>, ApiError> {
        let master = loaded.master.clone();
        *self
            .loaded
            .lock()
            .map_err(|_| ApiError::internal(anyhow::anyhow!("instrument master lock poisoned")))? =
            Some(loaded);
        Ok(master)
    }

    /// The master to use at `now`.
    ///
    /// # Errors
    /// If a published snapshot cannot be read or the shipped master does not parse.
    pub async fn master(&self, now: DateTime<Utc>) -> Result<Arc<InstrumentMaster>, ApiError> {
        let current = self.loaded()?;
        if let Some(loaded) = &current
            && now - loaded.checked_at < MASTER_RECHECK
        {
            return Ok(loaded.master.clone());
        }
        let published = self.instruments.current_id().await.unwrap_or_else(|e| {
            tracing::warn!(error = ?e, "instrument snapshot pointer unreadable");
            None
        });
        let id = published
            .clone()
            .unwrap_or_else(|| format!("shipped-{}", now.with_timezone(&ist()).date_naive()));
        if let Some(loaded) = current.filter(|l| l.id == id) {
            return self.keep(LoadedMaster {
                checked_at: now,
                ..loaded
            });
        }
        let master = match published {
            Some(_) => {
                let snapshot = self
                    .instruments
                    .current()
                    .await
                    .map_err(ApiError::internal)?
                    .ok_or_else(|| ApiError::internal(anyhow::anyhow!("instrument snapshot vanished")))?;
                InstrumentMaster::from_instruments(snapshot.version, snapshot.instruments)
                    .map_err(ApiError::internal)?
            }
            None => {
                tracing::warn!("no instrument snapshot published yet; using the shipped master");
                InstrumentMaster::shipped(&self.calendar, now.with_timezone(&ist()).date_naive())
                    .map_err(ApiError::internal)?
            }
        };
        self.keep(LoadedMaster {
            id,
            checked_at: now,
            master: Arc::new(master),
        })
    }
}
