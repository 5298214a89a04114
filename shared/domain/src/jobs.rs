//! Scheduled jobs: what EventBridge schedules ask the scheduler function to run. Each schedule's input names
//! one job (`{"job": "heartbeat"}`).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::broker_link::ist;
use crate::market::calendar::MarketCalendar;
use crate::market::master::InstrumentMaster;
use crate::ports::{InstrumentStore, JobRunLog, RepoError};
use crate::trading::service::OrderService;

/// A job the scheduler can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduledJob {
    /// Records that the schedule fired; the deep health check reports its age, which shows the scheduling
    /// path (EventBridge → scheduler → DynamoDB) works end to end.
    Heartbeat,
    /// Rebuilds the instrument master for today's expiries and publishes it as the current snapshot.
    InstrumentRefresh,
    /// One tick of the paper exchange: working orders trigger, fill or expire against the market, and the
    /// end of the day (square-off, roll-over to holdings) is applied once due.
    PaperMatch,
}

impl ScheduledJob {
    /// The job's stable name (`heartbeat`), used in schedule inputs and storage keys.
    pub fn name(self) -> &'static str {
        match self {
            ScheduledJob::Heartbeat => "heartbeat",
            ScheduledJob::InstrumentRefresh => "instrument-refresh",
            ScheduledJob::PaperMatch => "paper-match",
        }
    }
}

impl fmt::Display for ScheduledJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The input an EventBridge schedule passes to the scheduler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// The job to run.
    pub job: ScheduledJob,
}

/// What the jobs work with.
pub struct JobDeps<'a> {
    /// Where runs are recorded.
    pub runs: &'a dyn JobRunLog,
    /// Where the instrument master is published.
    pub instruments: &'a dyn InstrumentStore,
    /// The exchange calendar (expiries move off holidays).
    pub calendar: &'a MarketCalendar,
    /// The order use cases, for the paper exchange's tick (absent where a deployment does no paper trading).
    pub orders: Option<&'a OrderService>,
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
            let orders = deps
                .orders
                .ok_or_else(|| anyhow::anyhow!("paper-match needs the order use cases"))?;
            let matched = orders.match_working().await.map_err(anyhow::Error::from)?;
            let closed = orders.end_of_day().await.map_err(anyhow::Error::from)?;
            tracing::info!(?matched, ?closed, "paper exchange tick");
        }
    }
    deps.runs.record_run(job, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{InMemoryInstrumentStore, InMemoryJobRunLog};
    use chrono::TimeZone;

    #[test]
    fn parses_a_schedule_input_and_rejects_unknown_jobs() {
        let req: JobRequest = serde_json::from_str(r#"{"job":"heartbeat"}"#).unwrap();
        assert_eq!(req.job, ScheduledJob::Heartbeat);
        assert!(serde_json::from_str::<JobRequest>(r#"{"job":"rm-rf"}"#).is_err());
    }

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
            orders: None,
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
            orders: None,
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
