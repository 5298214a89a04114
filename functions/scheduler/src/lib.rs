//! The scheduler: EventBridge schedules invoke it with `detail: {"job": "<name>"}` and it runs that job.
//! A failed job returns an error, so Lambda's asynchronous retries apply.

use std::sync::Arc;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use tradesense_adapters::AwsClients;
use tradesense_adapters::alerts::AlertsConfig;
use tradesense_adapters::analytics::snapshot_job;
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::instruments::DynamoInstrumentStore;
use tradesense_adapters::dynamo::jobs::DynamoJobRunLog;
use tradesense_adapters::paper::PaperConfig;
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::time::Clock;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::ports::InstrumentStore;
use tradesense_domain::ops::jobs::JobRequest;
use tradesense_domain::ops::ports::{AlertScanner, JobRunLog, PaperExchange, SnapshotTaker};
use tradesense_domain::ops::service::jobs::{JobDeps, run_job};
use tradesense_domain::trading::service::{OrderService, TradingContext};

/// The scheduler's wiring: where runs are recorded, where the instrument master goes, the calendar, and the
/// order use cases the paper exchange's tick drives.
pub struct Scheduler {
    runs: Arc<dyn JobRunLog>,
    instruments: Arc<dyn InstrumentStore>,
    calendar: MarketCalendar,
    exchange: Option<Arc<dyn PaperExchange>>,
    alerts: Option<Arc<dyn AlertScanner>>,
    snapshots: Option<Arc<dyn SnapshotTaker>>,
    clock: Arc<dyn Clock>,
}

impl Scheduler {
    /// A scheduler over these ports, running its jobs at `clock`'s now.
    pub fn new(
        runs: Arc<dyn JobRunLog>,
        instruments: Arc<dyn InstrumentStore>,
        calendar: MarketCalendar,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            runs,
            instruments,
            calendar,
            exchange: None,
            alerts: None,
            snapshots: None,
            clock,
        }
    }

    /// The same scheduler, ticking the paper `exchange` on `paper-match`.
    pub fn with_exchange(self, exchange: Arc<dyn PaperExchange>) -> Self {
        Self {
            exchange: Some(exchange),
            ..self
        }
    }

    /// The same scheduler, running the alert scan on `alert-scan`.
    pub fn with_alerts(self, alerts: Arc<dyn AlertScanner>) -> Self {
        Self {
            alerts: Some(alerts),
            ..self
        }
    }

    /// The same scheduler, taking the end-of-day snapshots on `eod-snapshots`.
    pub fn with_snapshots(self, snapshots: Arc<dyn SnapshotTaker>) -> Self {
        Self {
            snapshots: Some(snapshots),
            ..self
        }
    }

    /// The scheduler over `table` ticking the paper exchange of `trading` (on its clock and calendar) and
    /// snapshotting its accounts after each close.
    pub fn from_trading(table: Table, trading: TradingContext) -> Self {
        let clock = trading.clock.clone();
        // The exchange's calendar, not a second parse of the holiday file.
        let calendar = (*trading.calendar).clone();
        let snapshots = Arc::new(snapshot_job(&table, &trading));
        Self::new(
            Arc::new(DynamoJobRunLog::new(table.clone())),
            Arc::new(DynamoInstrumentStore::new(table)),
            calendar,
            clock,
        )
        .with_exchange(Arc::new(OrderService::new(trading)))
        .with_snapshots(snapshots)
    }

    /// The deployed wiring of a function configured by `cfg` (its paper exchange publishing order events
    /// as `cfg` says) and `alerts` (the alert scan).
    ///
    /// # Errors
    /// If the shipped holiday list or charges table does not parse.
    pub fn from_config(aws: &AwsClients, cfg: &PaperConfig, alerts: &AlertsConfig) -> anyhow::Result<Self> {
        Ok(Self::from_trading(cfg.table(aws), cfg.context(aws)?).with_alerts(Arc::new(alerts.service(aws)?)))
    }

    /// Runs the job one schedule invocation names.
    ///
    /// # Errors
    /// The job's storage failure.
    pub async fn handle(&self, event: EventBridgeEvent<JobRequest>) -> Result<(), RepoError> {
        let job = event.detail.job;
        let deps = JobDeps {
            runs: self.runs.as_ref(),
            instruments: self.instruments.as_ref(),
            calendar: &self.calendar,
            exchange: self.exchange.as_deref(),
            alerts: self.alerts.as_deref(),
            snapshots: self.snapshots.as_deref(),
        };
        run_job(job, self.clock.now(), &deps).await?;
        tracing::info!(%job, "scheduled job done");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use tradesense_domain::ops::jobs::ScheduledJob;
    use tradesense_domain::testing::{FixedClock, InMemoryInstrumentStore, InMemoryJobRunLog};

    #[tokio::test]
    async fn runs_the_jobs_the_checked_in_schedule_events_name() {
        let runs = Arc::new(InMemoryJobRunLog::default());
        let store = Arc::new(InMemoryInstrumentStore::default());
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let scheduler = Scheduler::new(
            runs.clone(),
            store.clone(),
            MarketCalendar::default(),
            Arc::new(FixedClock(now)),
        );
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
            scheduler.handle(event).await.unwrap();
            assert_eq!(runs.last_run(job).await.unwrap(), Some(now));
        }
        assert_eq!(
            store.current_id().await.unwrap().as_deref(),
            Some("v1-2026-11-23")
        );
    }

    #[tokio::test]
    async fn the_paper_match_event_needs_the_order_use_cases_and_fails_loudly_without_them() {
        let runs = Arc::new(InMemoryJobRunLog::default());
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 5, 30, 0).unwrap();
        let scheduler = Scheduler::new(
            runs.clone(),
            Arc::new(InMemoryInstrumentStore::default()),
            MarketCalendar::default(),
            Arc::new(FixedClock(now)),
        );
        let event: EventBridgeEvent<JobRequest> =
            serde_json::from_str(include_str!("../../../events/scheduler-paper-match.json")).unwrap();
        assert_eq!(event.detail.job, ScheduledJob::PaperMatch);
        assert!(scheduler.handle(event).await.is_err());
        assert_eq!(
            runs.last_run(ScheduledJob::PaperMatch).await.unwrap(),
            None,
            "not recorded as run"
        );
    }

    #[tokio::test]
    async fn the_alert_scan_event_needs_the_scanner_and_fails_loudly_without_it() {
        let runs = Arc::new(InMemoryJobRunLog::default());
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 5, 31, 0).unwrap();
        let scheduler = Scheduler::new(
            runs.clone(),
            Arc::new(InMemoryInstrumentStore::default()),
            MarketCalendar::default(),
            Arc::new(FixedClock(now)),
        );
        let event: EventBridgeEvent<JobRequest> =
            serde_json::from_str(include_str!("../../../events/scheduler-alert-scan.json")).unwrap();
        assert_eq!(event.detail.job, ScheduledJob::AlertScan);
        assert!(scheduler.handle(event).await.is_err());
        assert_eq!(runs.last_run(ScheduledJob::AlertScan).await.unwrap(), None);
    }

    /// Counts the snapshot runs it is asked for.
    #[derive(Default)]
    struct CountingSnapshots(std::sync::atomic::AtomicUsize);

    #[async_trait::async_trait]
    impl SnapshotTaker for CountingSnapshots {
        async fn take_snapshots(&self) -> anyhow::Result<()> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_eod_snapshots_event_runs_the_snapshot_job_and_fails_loudly_without_it() {
        let runs = Arc::new(InMemoryJobRunLog::default());
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 11, 0, 0).unwrap();
        let scheduler = Scheduler::new(
            runs.clone(),
            Arc::new(InMemoryInstrumentStore::default()),
            MarketCalendar::default(),
            Arc::new(FixedClock(now)),
        );
        let event = || -> EventBridgeEvent<JobRequest> {
            serde_json::from_str(include_str!("../../../events/scheduler-eod-snapshots.json")).unwrap()
        };
        assert_eq!(event().detail.job, ScheduledJob::EodSnapshots);
        assert!(scheduler.handle(event()).await.is_err());
        assert_eq!(runs.last_run(ScheduledJob::EodSnapshots).await.unwrap(), None);

        let snapshots = Arc::new(CountingSnapshots::default());
        let scheduler = scheduler.with_snapshots(snapshots.clone());
        scheduler.handle(event()).await.unwrap();
        assert_eq!(snapshots.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(
            runs.last_run(ScheduledJob::EodSnapshots).await.unwrap(),
            Some(now)
        );
    }
}
