//! Fakes of market data's ports.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use rust_decimal::Decimal;

use crate::kernel::error::RepoError;
use crate::market::candles::{Candle, Interval};
use crate::market::history::DailyBar;
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::market::master::{InstrumentMaster, InstrumentSnapshot};
use crate::market::ports::{DailyHistory, InstrumentStore, MarketData, MarketDataError, QuoteCache};
use crate::market::quote::{Bar, Quote};

/// A [`QuoteCache`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryQuoteCache {
    quotes: Mutex<HashMap<InstrumentKey, (Quote, DateTime<Utc>)>>,
}

#[async_trait]
impl QuoteCache for InMemoryQuoteCache {
    async fn get(
        &self,
        keys: &[InstrumentKey],
    ) -> Result<HashMap<InstrumentKey, (Quote, DateTime<Utc>)>, RepoError> {
        let quotes = self.quotes.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(keys
            .iter()
            .filter_map(|k| quotes.get(k).map(|v| (k.clone(), v.clone())))
            .collect())
    }

    async fn put(
        &self,
        fresh: &HashMap<InstrumentKey, Quote>,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let mut quotes = self.quotes.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        for (k, q) in fresh {
            quotes.insert(k.clone(), (q.clone(), fetched_at));
        }
        Ok(())
    }
}

/// An [`InstrumentStore`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryInstrumentStore {
    current: Mutex<Option<InstrumentSnapshot>>,
}

#[async_trait]
impl InstrumentStore for InMemoryInstrumentStore {
    async fn publish(&self, snapshot: &InstrumentSnapshot) -> Result<(), RepoError> {
        *self.current.lock().map_err(|_| anyhow::anyhow!("poisoned"))? = Some(snapshot.clone());
        Ok(())
    }

    async fn current_id(&self) -> Result<Option<String>, RepoError> {
        let current = self.current.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(current.as_ref().map(|s| s.id.clone()))
    }

    async fn current(&self) -> Result<Option<InstrumentSnapshot>, RepoError> {
        Ok(self
            .current
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .clone())
    }
}

/// A [`DailyHistory`] in memory (a re-imported date replaces its bar).
#[derive(Debug, Default)]
pub struct InMemoryDailyHistory {
    bars: Mutex<HashMap<InstrumentKey, BTreeMap<NaiveDate, DailyBar>>>,
}

#[async_trait]
impl DailyHistory for InMemoryDailyHistory {
    async fn store(&self, instrument: &InstrumentKey, bars: &[DailyBar]) -> Result<(), RepoError> {
        let mut stored = self.bars.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let days = stored.entry(instrument.clone()).or_default();
        for bar in bars {
            days.insert(bar.date, *bar);
        }
        Ok(())
    }

    async fn range(
        &self,
        instrument: &InstrumentKey,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyBar>, RepoError> {
        if from > to {
            return Ok(Vec::new());
        }
        let stored = self.bars.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(stored
            .get(instrument)
            .map(|days| days.range(from..=to).map(|(_, bar)| *bar).collect())
            .unwrap_or_default())
    }
}

/// A [`MarketData`] source with quotes and candles set by hand (touch at `bid`/`ask`, last price between
/// them), which a test moves between ticks. An instrument without a quote makes the whole call fail, as the
/// contract asks; one without candles has none; [`unavailable`](Self::unavailable) makes every call fail as
/// an outage.
#[derive(Debug, Default)]
pub struct FixedMarket {
    quotes: Mutex<HashMap<InstrumentKey, Quote>>,
    candles: Mutex<HashMap<InstrumentKey, Vec<Candle>>>,
    down: std::sync::atomic::AtomicBool,
}

impl FixedMarket {
    /// `instrument`'s candles from now on (any interval asked for gets them, within its range).
    pub fn set_candles(&self, instrument: &str, candles: Vec<Candle>) {
        if let (Some(key), Ok(mut all)) = (InstrumentKey::parse(instrument), self.candles.lock()) {
            all.insert(key, candles);
        }
    }

    /// From now on every call fails as an outage (`down`) or answers again.
    pub fn unavailable(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::Relaxed);
    }

    fn check(&self) -> Result<(), MarketDataError> {
        if self.down.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(MarketDataError::Unavailable(anyhow::anyhow!(
                "market source down"
            )));
        }
        Ok(())
    }

    /// Quotes `instrument` at `bid`/`ask` from now on, offering `size` units at each (`None`: no depth).
    pub fn set(&self, instrument: &str, bid: Decimal, ask: Decimal, size: Option<u64>) {
        let last = (bid + ask) / Decimal::TWO;
        let bar = Bar {
            open: last,
            high: last,
            low: last,
            close: last,
            volume: 1,
        };
        let quote = Quote {
            last_price: last,
            bid,
            ask,
            day: bar,
            previous_close: last,
            timestamp: DateTime::<Utc>::UNIX_EPOCH,
            open_interest: None,
            bid_quantity: size,
            ask_quantity: size,
        };
        if let (Some(key), Ok(mut quotes)) = (InstrumentKey::parse(instrument), self.quotes.lock()) {
            quotes.insert(key, quote);
        }
    }
}

#[async_trait]
impl MarketData for FixedMarket {
    async fn quotes(
        &self,
        _master: &InstrumentMaster,
        instruments: &[&Instrument],
        now: DateTime<Utc>,
    ) -> Result<HashMap<InstrumentKey, Quote>, MarketDataError> {
        self.check()?;
        let quotes = self
            .quotes
            .lock()
            .map_err(|_| MarketDataError::Unavailable(anyhow::anyhow!("poisoned")))?;
        instruments
            .iter()
            .map(|i| match quotes.get(&i.key) {
                Some(q) => Ok((
                    i.key.clone(),
                    Quote {
                        timestamp: now,
                        ..q.clone()
                    },
                )),
                None => Err(MarketDataError::Unavailable(anyhow::anyhow!(
                    "no quote set for {}",
                    i.key
                ))),
            })
            .collect()
    }

    async fn candles(
        &self,
        _master: &InstrumentMaster,
        instrument: &Instrument,
        _interval: Interval,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        _now: DateTime<Utc>,
    ) -> Result<Vec<Candle>, MarketDataError> {
        self.check()?;
        let all = self
            .candles
            .lock()
            .map_err(|_| MarketDataError::Unavailable(anyhow::anyhow!("poisoned")))?;
        Ok(all
            .get(&instrument.key)
            .map(|c| {
                c.iter()
                    .filter(|c| c.start >= from && c.start < to)
                    .copied()
                    .collect()
            })
            .unwrap_or_default())
    }
}
