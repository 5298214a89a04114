//! Running a scheduled job at the market clock's now.

use chrono::{DateTime, Utc};

use crate::kernel::error::RepoError;
use crate::kernel::time::ist;
use crate::market::calendar::MarketCalendar;
use crate::market::master::InstrumentMaster;
use crate::market::ports::InstrumentStore;
use crate::ops::jobs::ScheduledJob;
use crate::ops::ports::{AlertScanner, JobRunLog, PaperExchange, SnapshotTaker};

/// What the jobs work with.
pub struct JobDeps<'a> {
    /// Where runs are recorded.
    pub runs: &'a dyn JobRunLog,
    /// Where the instrument master is published.
    pub instruments: &'a dyn InstrumentStore,
    /// The exchange calendar (expiries move off holidays).
    pub calendar: &'a MarketCalendar,
    /// The paper exchange, for its tick (absent where a deployment does no paper trading).
    pub exchange: Option<&'a dyn PaperExchange>,
    /// The alert scan (absent where a deployment runs no alerts).
    pub alerts: Option<&'a dyn AlertScanner>,
    /// The end-of-day snapshots (absent where a deployment takes none).
    pub snapshots: Option<&'a dyn SnapshotTaker>,
}

/// Runs one scheduled job at `now`, then records the run.
///
/// # Errors
/// Whatever storage failure stopped the job.
pub async fn run_job(job: ScheduledJob, now: DateTime<Utc>, deps: &JobDeps<'_>) -> Result<(), RepoError> {
    match job {
        ScheduledJob::Heartbeat => {}
        ScheduledJob::InstrumentRefresh => {
            let today = now.with_timezone(&ist()).date_naive();
            let master = InstrumentMaster::shipped(deps.calendar, today).map_err(anyhow::Error::from)?;
            deps.instruments.publish(&master.snapshot(today)).await?;
            tracing::info!(instruments = master.all().len(), %today, "instrument master published");
        }
        ScheduledJob::PaperMatch => {
            deps.exchange
                .ok_or_else(|| anyhow::anyhow!("paper-match needs the paper exchange"))?
                .tick()
                .await?;
        }
        ScheduledJob::AlertScan => {
            deps.alerts
                .ok_or_else(|| anyhow::anyhow!("alert-scan needs the alert scanner"))?
                .scan_alerts()
                .await?;
        }
        ScheduledJob::EodSnapshots => {
            deps.snapshots
                .ok_or_else(|| anyhow::anyhow!("eod-snapshots needs the snapshot job"))?
                .take_snapshots()
                .await?;
        }
    }
    deps.runs.record_run(job, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{InMemoryInstrumentStore, InMemoryJobRunLog};
    use chrono::TimeZone;

    #[tokio::test]
    async fn heartbeat_records_its_run_time() {
        let (runs, store, calendar) = (
            InMemoryJobRunLog::default(),
            InMemoryInstrumentStore::default(),
            MarketCalendar::default(),
        );
        let deps = JobDeps {
            runs: &runs,
            instruments: &store,
            calendar: &calendar,
            exchange: None,
            alerts: None,
            snapshots: None,
        };
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap();
        run_job(ScheduledJob::Heartbeat, at, &deps).await.unwrap();
        assert_eq!(runs.last_run(ScheduledJob::Heartbeat).await.unwrap(), Some(at));
        assert_eq!(store.current_id().await.unwrap(), None);
    }

    #[tokio::test]
    async fn instrument_refresh_publishes_todays_master_in_ist() {
        let (runs, store) = (InMemoryJobRunLog::default(), InMemoryInstrumentStore::default());
        let calendar = MarketCalendar::nse().unwrap();
        let deps = JobDeps {
            runs: &runs,
            instruments: &store,
            calendar: &calendar,
            exchange: None,
            alerts: None,
            snapshots: None,
        };
        // 20:00 UTC on the 24th is 01:30 IST on the 25th: the master is built for the 25th.
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 20, 0, 0).unwrap();
        run_job(ScheduledJob::InstrumentRefresh, at, &deps).await.unwrap();
        let snapshot = store.current().await.unwrap().unwrap();
        assert_eq!(snapshot.id, "v1-2026-11-25");
        let nifty_expiries: std::collections::BTreeSet<_> = snapshot
            .instruments
            .iter()
            .filter(|i| i.underlying.as_ref().is_some_and(|u| u.as_str() == "NSE:NIFTY"))
            .filter_map(|i| i.expiry)
            .collect();
        assert_eq!(nifty_expiries.first().unwrap().to_string(), "2026-12-01");
        assert_eq!(
            runs.last_run(ScheduledJob::InstrumentRefresh).await.unwrap(),
            Some(at)
        );
    }
}
