//! The scheduler: EventBridge schedules invoke it with `detail: {"job": "<name>"}` and it runs that job.
//! A failed job returns an error, so Lambda's asynchronous retries apply.

use std::sync::Arc;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::instruments::DynamoInstrumentStore;
use tradesense_adapters::dynamo::jobs::DynamoJobRunLog;
use tradesense_domain::jobs::{JobDeps, JobRequest, run_job};
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::ports::{Clock, InstrumentStore, JobRunLog, RepoError};

/// The scheduler's wiring: where runs are recorded, where the instrument master goes, the calendar.
pub struct Scheduler {
    runs: Arc<dyn JobRunLog>,
    instruments: Arc<dyn InstrumentStore>,
    calendar: MarketCalendar,
}

impl Scheduler {
    /// A scheduler over these ports.
    pub fn new(
        runs: Arc<dyn JobRunLog>,
        instruments: Arc<dyn InstrumentStore>,
        calendar: MarketCalendar,
    ) -> Self {
        Self {
            runs,
            instruments,
            calendar,
        }
    }

    /// The deployed wiring: everything in `table`, the shipped NSE calendar.
    ///
    /// # Errors
    /// If the shipped holiday list does not parse.
    pub fn from_table(table: Table) -> anyhow::Result<Self> {
        Ok(Self::new(
            Arc::new(DynamoJobRunLog::new(table.clone())),
            Arc::new(DynamoInstrumentStore::new(table)),
            MarketCalendar::nse()?,
        ))
    }

    /// Runs the job one schedule invocation names.
    ///
    /// # Errors
    /// The job's storage failure.
    pub async fn handle(
        &self,
        clock: &dyn Clock,
        event: EventBridgeEvent<JobRequest>,
    ) -> Result<(), RepoError> {
        let job = event.detail.job;
        let deps = JobDeps {
            runs: self.runs.as_ref(),
            instruments: self.instruments.as_ref(),
            calendar: &self.calendar,
        };
        run_job(job, clock.now(), &deps).await?;
        tracing::info!(%job, "scheduled job done");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use tradesense_domain::jobs::ScheduledJob;
    use tradesense_domain::testing::{FixedClock, InMemoryInstrumentStore, InMemoryJobRunLog};

    #[tokio::test]
    async fn runs_the_jobs_the_checked_in_schedule_events_name() {
        let runs = Arc::new(InMemoryJobRunLog::default());
        let store = Arc::new(InMemoryInstrumentStore::default());
        let scheduler = Scheduler::new(runs.clone(), store.clone(), MarketCalendar::default());
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        for (file, job) in [
            (
                include_str!("../../../events/scheduler-heartbeat.json"),
                ScheduledJob::Heartbeat,
            ),
            (
                include_str!("../../../events/scheduler-instrument-refresh.json"),
                ScheduledJob::InstrumentRefresh,
            ),
        ] {
            let event: EventBridgeEvent<JobRequest> = serde_json::from_str(file).unwrap();
            scheduler.handle(&FixedClock(now), event).await.unwrap();
            assert_eq!(runs.last_run(job).await.unwrap(), Some(now));
        }
        assert_eq!(
            store.current_id().await.unwrap().as_deref(),
            Some("v1-2026-11-23")
        );
    }
}
