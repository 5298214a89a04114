//! Quotes through a short-lived shared cache: a quote fetched less than [`QUOTE_CACHE_TTL`] ago is served
//! from the cache, anything else comes from the source and is stored. Only a source that calls another
//! system (a broker's feed) is put behind it ([`CachedMarketData::over`]). Hits and misses are counted. A cache
//! that fails is logged and bypassed: it is an optimisation, never a reason to fail a quote.
//!
//! [`QUOTE_CACHE_TTL`]: crate::market::quote::QUOTE_CACHE_TTL

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::market::candles::{Candle, Interval};
use crate::market::chain::ChainSnapshot;
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::market::master::InstrumentMaster;
use crate::market::ports::{MarketData, MarketDataError, QuoteCache};
use crate::market::quote::{Quote, is_fresh};

/// Hits and misses so far (per warm function instance).
#[derive(Debug, Default)]
pub struct CacheStats {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl CacheStats {
    /// `(hits, misses)`.
    pub fn snapshot(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

/// A [`MarketData`] source behind a [`QuoteCache`].
pub struct CachedMarketData {
    source: Arc<dyn MarketData>,
    cache: Arc<dyn QuoteCache>,
    stats: CacheStats,
}

impl CachedMarketData {
    /// `source` behind `cache`.
    pub fn new(source: Arc<dyn MarketData>, cache: Arc<dyn QuoteCache>) -> Self {
        Self {
            source,
            cache,
            stats: CacheStats::default(),
        }
    }

    /// What to read prices through: `source` behind `cache`, unless `source` prices in process (then `source`
    /// itself: reading the cache would cost more than pricing, and a cached quote may be 5 s old).
    pub fn over(source: Arc<dyn MarketData>, cache: Arc<dyn QuoteCache>) -> Arc<dyn MarketData> {
        if source.prices_in_process() {
            source
        } else {
            Arc::new(Self::new(source, cache))
        }
    }

    /// Hits and misses counted so far.
    pub fn stats(&self) -> &CacheStats {
        &self.stats
    }
}

#[async_trait]
impl MarketData for CachedMarketData {
    async fn quotes(
        &self,
        master: &InstrumentMaster,
        instruments: &[&Instrument],
        now: DateTime<Utc>,
    ) -> Result<HashMap<InstrumentKey, Quote>, MarketDataError> {
        let keys: Vec<InstrumentKey> = instruments.iter().map(|i| i.key.clone()).collect();
        let cached = self.cache.get(&keys).await.unwrap_or_else(|e| {
            tracing::warn!(error = ?e, "quote cache unreadable; going to the source");
            HashMap::new()
        });
        let mut out: HashMap<InstrumentKey, Quote> = cached
            .into_iter()
            .filter(|(_, (_, fetched_at))| is_fresh(*fetched_at, now))
            .map(|(key, (quote, _))| (key, quote))
            .collect();
        let missing: Vec<&Instrument> = instruments
            .iter()
            .copied()
            .filter(|i| !out.contains_key(&i.key))
            .collect();
        self.stats.hits.fetch_add(out.len() as u64, Ordering::Relaxed);
        self.stats
            .misses
            .fetch_add(missing.len() as u64, Ordering::Relaxed);
        if !missing.is_empty() {
            let fetched = self.source.quotes(master, &missing, now).await?;
            if let Err(e) = self.cache.put(&fetched, now).await {
                tracing::warn!(error = ?e, "quote cache not written");
            }
            out.extend(fetched);
        }
        Ok(out)
    }

    /// Straight from the source: a chain is one consistent snapshot, and a source with an option-chain call
    /// answers it in one request.
    async fn chain_snapshot(
        &self,
        master: &InstrumentMaster,
        underlying: &str,
        expiry: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<ChainSnapshot, MarketDataError> {
        self.source.chain_snapshot(master, underlying, expiry, now).await
    }

    async fn candles(
        &self,
        master: &InstrumentMaster,
        instrument: &Instrument,
        interval: Interval,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Candle>, MarketDataError> {
        self.source
            .candles(master, instrument, interval, from, to, now)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::calendar::MarketCalendar;
    use crate::market::service::simulated::SimulatedMarket;
    use crate::testing::InMemoryQuoteCache;
    use chrono::Duration;

    fn world() -> (InstrumentMaster, CachedMarketData, Arc<InMemoryQuoteCache>) {
        let calendar = MarketCalendar::default();
        let master = InstrumentMaster::shipped(&calendar, "2026-11-23".parse().unwrap()).unwrap();
        let cache = Arc::new(InMemoryQuoteCache::default());
        let data = CachedMarketData::new(Arc::new(SimulatedMarket::new(calendar, 7)), cache.clone());
        (master, data, cache)
    }

    #[tokio::test]
    async fn a_second_ask_within_five_seconds_is_a_hit_and_returns_the_cached_price() {
        let (master, data, _) = world();
        let infy = master.get("NSE:INFY").unwrap();
        let t = DateTime::parse_from_rfc3339("2026-11-24T11:00:00+05:30")
            .unwrap()
            .with_timezone(&Utc);
        let first = data.quotes(&master, &[infy], t).await.unwrap();
        // Four seconds later the simulated price may have moved a minute on; the cache still answers.
        let later = data
            .quotes(&master, &[infy], t + Duration::seconds(4))
            .await
            .unwrap();
        assert_eq!(first, later);
        assert_eq!(data.stats().snapshot(), (1, 1));
    }

    #[tokio::test]
    async fn a_quote_five_seconds_old_is_never_served() {
        let (master, data, cache) = world();
        let infy = master.get("NSE:INFY").unwrap();
        let t = DateTime::parse_from_rfc3339("2026-11-24T11:00:00+05:30")
            .unwrap()
            .with_timezone(&Utc);
        let stale = Quote {
            last_price: rust_decimal::Decimal::ONE,
            ..data.quotes(&master, &[infy], t).await.unwrap()[&infy.key].clone()
        };
        cache
            .put(&HashMap::from([(infy.key.clone(), stale)]), t)
            .await
            .unwrap();
        let after = data
            .quotes(&master, &[infy], t + Duration::seconds(5))
            .await
            .unwrap();
        assert_ne!(after[&infy.key].last_price, rust_decimal::Decimal::ONE);
        assert_eq!(data.stats().snapshot(), (0, 2));
    }
}
