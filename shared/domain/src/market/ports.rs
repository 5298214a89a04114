//! What market data needs from the world: a price source, a shared quote cache, imported daily history and
//! the instrument master's snapshots. Each trait says what an implementation MUST do.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::kernel::error::RepoError;
use crate::market::candles::{Candle, Interval};
use crate::market::chain::{ChainSnapshot, chain_instruments};
use crate::market::history::DailyBar;
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::market::master::{InstrumentMaster, InstrumentSnapshot};
use crate::market::quote::Quote;

/// A market-data source failed.
#[derive(Debug, thiserror::Error)]
pub enum MarketDataError {
    /// The source cannot answer now (timeout, 5xx, rate limit, circuit open); retrying later may help.
    #[error("market data unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// The source does not offer this (e.g. candles of a derivative).
    #[error("{0}")]
    Unsupported(String),
}

/// Prices: quotes, last prices, option-chain snapshots and candles. Implemented by the simulated market and by
/// Upstox.
///
/// Implementations MUST return a price for every instrument asked for or fail as a whole, and MUST round
/// every price to the instrument's tick.
#[async_trait]
pub trait MarketData: Send + Sync {
    /// Quotes of `instruments` at `now` (derivatives may need their underlying from `master`).
    ///
    /// # Errors
    /// [`MarketDataError`].
    async fn quotes(
        &self,
        master: &InstrumentMaster,
        instruments: &[&Instrument],
        now: DateTime<Utc>,
    ) -> Result<HashMap<InstrumentKey, Quote>, MarketDataError>;

    /// Whether this source prices in this process, calling no other system (the simulated market). A shared
    /// quote cache in front of such a source costs a round trip per request and saves nothing
    /// ([`CachedMarketData::over`](crate::market::service::cached::CachedMarketData::over)).
    fn prices_in_process(&self) -> bool {
        false
    }

    /// Last traded prices of `instruments` at `now`: what risk checks and alerts need. By default taken from
    /// [`quotes`](Self::quotes); a source with a lighter call overrides it.
    ///
    /// # Errors
    /// [`MarketDataError`].
    async fn last_prices(
        &self,
        master: &InstrumentMaster,
        instruments: &[&Instrument],
        now: DateTime<Utc>,
    ) -> Result<HashMap<InstrumentKey, Decimal>, MarketDataError> {
        let quotes = self.quotes(master, instruments, now).await?;
        Ok(quotes
            .into_iter()
            .map(|(key, quote)| (key, quote.last_price))
            .collect())
    }

    /// The underlying's price and every option contract of `expiry` on `underlying` at `now`. By default
    /// taken from [`quotes`](Self::quotes) of [`chain_instruments`]; a source with an option-chain call
    /// overrides it.
    ///
    /// # Errors
    /// [`MarketDataError`]; `Unsupported` when nothing is listed.
    async fn chain_snapshot(
        &self,
        master: &InstrumentMaster,
        underlying: &str,
        expiry: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<ChainSnapshot, MarketDataError> {
        let instruments = chain_instruments(master, underlying, expiry);
        let quotes = self.quotes(master, &instruments, now).await?;
        ChainSnapshot::from_quotes(&quotes, underlying)
            .ok_or_else(|| MarketDataError::Unsupported(format!("{underlying} is not listed")))
    }

    /// Candles of `instrument` starting in `[from, to)`, as of `now` (derivatives may need their underlying
    /// from `master`).
    ///
    /// # Errors
    /// [`MarketDataError`].
    async fn candles(
        &self,
        master: &InstrumentMaster,
        instrument: &Instrument,
        interval: Interval,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Candle>, MarketDataError>;
}

/// A short-lived quote store shared by every invocation.
///
/// Implementations MUST return each stored quote with the instant it was fetched, and MAY omit any (a cache
/// miss); freshness is decided by the caller ([`crate::market::quote::is_fresh`]).
#[async_trait]
pub trait QuoteCache: Send + Sync {
    /// The stored quotes among `keys`, with when each was fetched.
    ///
    /// # Errors
    /// Storage failures.
    async fn get(
        &self,
        keys: &[InstrumentKey],
    ) -> Result<HashMap<InstrumentKey, (Quote, DateTime<Utc>)>, RepoError>;

    /// Stores `quotes` as fetched at `fetched_at`.
    ///
    /// # Errors
    /// Storage failures.
    async fn put(
        &self,
        quotes: &HashMap<InstrumentKey, Quote>,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), RepoError>;
}

/// Imported daily history per instrument.
///
/// Implementations MUST replace a stored bar of the same instrument and date (re-importing is idempotent)
/// and MUST return bars oldest first.
#[async_trait]
pub trait DailyHistory: Send + Sync {
    /// Stores `bars` of `instrument`.
    ///
    /// # Errors
    /// Storage failures (some bars may be stored: importing again completes it).
    async fn store(&self, instrument: &InstrumentKey, bars: &[DailyBar]) -> Result<(), RepoError>;

    /// The bars of `instrument` dated `from..=to`.
    ///
    /// # Errors
    /// Storage failures.
    async fn range(
        &self,
        instrument: &InstrumentKey,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<DailyBar>, RepoError>;
}

/// Stores the instrument master as dated snapshots, the newest one current.
///
/// Implementations MUST make a snapshot current only once all of it is stored, so a reader never sees half
/// a master.
#[async_trait]
pub trait InstrumentStore: Send + Sync {
    /// Stores `snapshot` and makes it current.
    ///
    /// # Errors
    /// Storage failures (the previous snapshot stays current).
    async fn publish(&self, snapshot: &InstrumentSnapshot) -> Result<(), RepoError>;

    /// The id of the current snapshot, if any (cheap: for change detection).
    ///
    /// # Errors
    /// Storage failures.
    async fn current_id(&self) -> Result<Option<String>, RepoError>;

    /// The current snapshot, if any.
    ///
    /// # Errors
    /// Storage failures or a malformed snapshot.
    async fn current(&self) -> Result<Option<InstrumentSnapshot>, RepoError>;
}
