//! Imported daily history over a price source: for the days an import covers, an instrument's daily bars are
//! the imported ones, for the candles route and backtests alike (both read through this), so the two always
//! see the same bars. Quotes, chains and intraday candles are the source's.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::kernel::time::ist;
use crate::market::calendar::MarketCalendar;
use crate::market::candles::{Candle, Interval};
use crate::market::chain::ChainSnapshot;
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::market::master::InstrumentMaster;
use crate::market::ports::{DailyHistory, MarketData, MarketDataError};
use crate::market::quote::Quote;

/// `source`, with `history`'s imported daily bars where they exist.
pub struct WithImportedHistory {
    source: Arc<dyn MarketData>,
    history: Arc<dyn DailyHistory>,
    calendar: Arc<MarketCalendar>,
}

impl WithImportedHistory {
    /// `source`'s prices, daily bars from `history` where imported, each starting at the session's open on
    /// `calendar`.
    pub fn new(
        source: Arc<dyn MarketData>,
        history: Arc<dyn DailyHistory>,
        calendar: Arc<MarketCalendar>,
    ) -> Self {
        Self {
            source,
            history,
            calendar,
        }
    }

    /// The imported bars of `instrument` that start in `[from, to)` and by `now`, by date.
    async fn imported(
        &self,
        instrument: &Instrument,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<NaiveDate, Candle>, MarketDataError> {
        let until = to.min(now);
        if until <= from {
            return Ok(BTreeMap::new());
        }
        let day = |t: DateTime<Utc>| t.with_timezone(&ist()).date_naive();
        let bars = self
            .history
            .range(&instrument.key, day(from), day(until - Duration::nanoseconds(1)))
            .await
            .map_err(|e| MarketDataError::Unavailable(anyhow::Error::from(e).context("imported history")))?;
        Ok(bars
            .into_iter()
            .map(|b| {
                let candle = Candle {
                    start: self.calendar.open_on(instrument.exchange, b.date),
                    open: b.bar.open,
                    high: b.bar.high,
                    low: b.bar.low,
                    close: b.bar.close,
                    volume: b.bar.volume,
                };
                (b.date, candle)
            })
            .filter(|(_, c)| c.start >= from && c.start < until)
            .collect())
    }
}

#[async_trait]
impl MarketData for WithImportedHistory {
    fn prices_in_process(&self) -> bool {
        self.source.prices_in_process()
    }

    async fn quotes(
        &self,
        master: &InstrumentMaster,
        instruments: &[&Instrument],
        now: DateTime<Utc>,
    ) -> Result<HashMap<InstrumentKey, Quote>, MarketDataError> {
        self.source.quotes(master, instruments, now).await
    }

    async fn last_prices(
        &self,
        master: &InstrumentMaster,
        instruments: &[&Instrument],
        now: DateTime<Utc>,
    ) -> Result<HashMap<InstrumentKey, Decimal>, MarketDataError> {
        self.source.last_prices(master, instruments, now).await
    }

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
        let candles = self
            .source
            .candles(master, instrument, interval, from, to, now)
            .await?;
        if interval != Interval::D1 || instrument.underlying.is_some() {
            return Ok(candles);
        }
        let mut by_date: BTreeMap<NaiveDate, Candle> = candles
            .into_iter()
            .map(|c| (c.start.with_timezone(&ist()).date_naive(), c))
            .collect();
        by_date.extend(self.imported(instrument, from, to, now).await?);
        Ok(by_date.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::error::RepoError;
    use crate::market::history::DailyBar;
    use crate::market::quote::Bar;
    use crate::market::service::simulated::SimulatedMarket;
    use rust_decimal_macros::dec;

    /// Two imported sessions of INFY.
    struct TwoDays;

    #[async_trait]
    impl DailyHistory for TwoDays {
        async fn store(&self, _: &InstrumentKey, _: &[DailyBar]) -> Result<(), RepoError> {
            Ok(())
        }

        async fn range(
            &self,
            _: &InstrumentKey,
            from: NaiveDate,
            to: NaiveDate,
        ) -> Result<Vec<DailyBar>, RepoError> {
            let bar = |d: &str, close| DailyBar {
                date: d.parse().unwrap(),
                bar: Bar {
                    open: close,
                    high: close,
                    low: close,
                    close,
                    volume: 7,
                },
            };
            Ok([bar("2026-11-18", dec!(1.11)), bar("2026-11-19", dec!(2.22))]
                .into_iter()
                .filter(|b| (from..=to).contains(&b.date))
                .collect())
        }
    }

    #[tokio::test]
    async fn imported_days_replace_the_sources_daily_bars_and_intraday_bars_stay_the_sources() {
        let calendar = Arc::new(MarketCalendar::nse().unwrap());
        let master = InstrumentMaster::shipped(&calendar, "2026-11-23".parse().unwrap()).unwrap();
        let infy = master.get("NSE:INFY").unwrap();
        let source = Arc::new(SimulatedMarket::new((*calendar).clone(), 7));
        let merged = WithImportedHistory::new(source.clone(), Arc::new(TwoDays), calendar);
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let (from, to, now) = (
            at("2026-11-16T00:00:00+05:30"),
            at("2026-11-21T00:00:00+05:30"),
            at("2026-11-25T11:00:00+05:30"),
        );
        let simulated = MarketData::candles(&*source, &master, infy, Interval::D1, from, to, now)
            .await
            .unwrap();
        let daily = merged
            .candles(&master, infy, Interval::D1, from, to, now)
            .await
            .unwrap();
        assert_eq!(daily.len(), 5, "Mon 16 to Fri 20 Nov");
        assert_eq!((daily[2].close, daily[3].close), (dec!(1.11), dec!(2.22)));
        assert_eq!(
            daily[2].start,
            at("2026-11-18T09:15:00+05:30"),
            "at the session's open, as the source's"
        );
        assert_eq!((daily[0], daily[4]), (simulated[0], simulated[4]));
        let minutes = merged
            .candles(&master, infy, Interval::H1, from, to, now)
            .await
            .unwrap();
        let sources = MarketData::candles(&*source, &master, infy, Interval::H1, from, to, now)
            .await
            .unwrap();
        assert_eq!(minutes, sources);
    }
}
