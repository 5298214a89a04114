//! The minute scan (the scheduler's `alert-scan` job): every active alert evaluated against one quote per
//! instrument, each trigger queued for the alert worker. The scan delivers nothing itself.

use std::collections::{BTreeSet, HashMap};

use chrono::Duration;
use rust_decimal::Decimal;

use crate::alerts::alert::{Alert, MAX_ACTIVE_ALERTS, evaluation_minute};
use crate::alerts::condition::{Observation, sma};
use crate::alerts::scan::{InstrumentView, ScanState, evaluate};
use crate::alerts::service::AlertService;
use crate::kernel::error::RepoError;
use crate::kernel::events::Envelope;
use crate::kernel::time::ist;
use crate::market::candles::Interval;
use crate::market::instrument::{Exchange, Instrument, InstrumentKey};
use crate::market::master::InstrumentMaster;

/// Triggers published at once.
const PUBLISH_CONCURRENCY: usize = 16;

/// What one scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// The market was closed: nothing was read or evaluated.
    pub market_closed: bool,
    /// Active alerts evaluated.
    pub alerts: usize,
    /// Instruments quoted (one quote read each).
    pub instruments: usize,
    /// Triggers queued.
    pub triggered: usize,
    /// Alerts recorded as expired.
    pub expired: usize,
}

impl AlertService {
    /// Runs one scan at the clock's now, over the alerts whose instrument's exchange is in its normal session:
    /// with every exchange closed it reads nothing.
    ///
    /// # Errors
    /// Storage, market-data or queue failures (the scheduler retries the job).
    pub async fn scan(&self) -> anyhow::Result<ScanReport> {
        let now = self.ctx.clock.now();
        let open: Vec<Exchange> = Exchange::ALL
            .into_iter()
            .filter(|e| self.ctx.calendar.status(*e, now).open)
            .collect();
        if open.is_empty() {
            return Ok(ScanReport {
                market_closed: true,
                ..ScanReport::default()
            });
        }
        let minute = evaluation_minute(now);
        let (mut alerts, previous) =
            futures::future::try_join(self.ctx.alerts.active(), self.ctx.alerts.scan_state()).await?;
        // Only instruments whose exchange is in its normal session now (MCX trades into the evening).
        alerts.retain(|a| a.instrument.exchange().is_some_and(|e| open.contains(&e)));
        let master = self.ctx.master.get(now).await?;
        let views = self.views(&master, &alerts, &previous).await?;
        let found = evaluate(&alerts, &views, minute);
        for alert in &found.expired {
            match self
                .ctx
                .alerts
                .save(alert, &alert.expire(now), MAX_ACTIVE_ALERTS)
                .await
            {
                Ok(()) | Err(RepoError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let envelopes = found
            .triggered
            .iter()
            .map(|event| Envelope::wrap(self.ctx.ids.next(), now, event))
            .collect::<Result<Vec<_>, _>>()?;
        for batch in envelopes.chunks(PUBLISH_CONCURRENCY) {
            futures::future::try_join_all(batch.iter().map(|envelope| self.ctx.queue.publish(envelope)))
                .await?;
        }
        self.ctx
            .alerts
            .save_scan_state(&previous.after(&views, now))
            .await?;
        let report = ScanReport {
            market_closed: false,
            alerts: alerts.len(),
            instruments: views.len(),
            triggered: envelopes.len(),
            expired: found.expired.len(),
        };
        tracing::info!(?report, "alert scan done");
        Ok(report)
    }

    /// One view per listed instrument the alerts watch: one quote read for all of them, and the daily
    /// closes of those with SMA alerts.
    async fn views(
        &self,
        master: &InstrumentMaster,
        alerts: &[Alert],
        previous: &ScanState,
    ) -> anyhow::Result<HashMap<InstrumentKey, InstrumentView>> {
        let now = self.ctx.clock.now();
        let keys: BTreeSet<&InstrumentKey> = alerts.iter().map(|a| &a.instrument).collect();
        let instruments: Vec<&Instrument> = keys.iter().filter_map(|k| master.get(k.as_str())).collect();
        let quotes = self.ctx.market.quotes(master, &instruments, now).await?;
        let mut periods: HashMap<&InstrumentKey, BTreeSet<u16>> = HashMap::new();
        for alert in alerts.iter().filter(|a| a.condition.kind.needs_sma()) {
            if let Some(p) = alert.condition.period {
                periods.entry(&alert.instrument).or_default().insert(p);
            }
        }
        let mut views = HashMap::with_capacity(quotes.len());
        for instrument in instruments {
            let Some(quote) = quotes.get(&instrument.key) else {
                continue;
            };
            let smas = match periods.get(&instrument.key) {
                Some(wanted) => self.smas(master, instrument, wanted).await?,
                None => HashMap::new(),
            };
            let observation = Observation {
                price: quote.last_price,
                previous_close: quote.previous_close,
                previous: previous.prices.get(&instrument.key).map(|e| (e.at, e.price)),
            };
            views.insert(instrument.key.clone(), InstrumentView { observation, smas });
        }
        Ok(views)
    }

    /// The SMAs of `periods` daily closes of `instrument`, over completed sessions (today's excluded).
    async fn smas(
        &self,
        master: &InstrumentMaster,
        instrument: &Instrument,
        periods: &BTreeSet<u16>,
    ) -> anyhow::Result<HashMap<u16, Decimal>> {
        let now = self.ctx.clock.now();
        let longest = i64::from(periods.last().copied().unwrap_or(1));
        // Calendar days enough for `longest` sessions with weekends and holidays.
        let from = now - Duration::days(longest * 2 + 15);
        let today = now.with_timezone(&ist()).date_naive();
        let candles = self
            .ctx
            .market
            .candles(master, instrument, Interval::D1, from, now, now)
            .await?;
        let closes: Vec<Decimal> = candles
            .iter()
            .filter(|c| c.start.with_timezone(&ist()).date_naive() < today)
            .map(|c| c.close)
            .collect();
        Ok(periods
            .iter()
            .filter_map(|&p| sma(&closes, p).map(|v| (p, v)))
            .collect())
    }
}

#[async_trait::async_trait]
impl crate::ops::ports::AlertScanner for AlertService {
    async fn scan_alerts(&self) -> anyhow::Result<()> {
        self.scan().await.map(|_| ())
    }
}
