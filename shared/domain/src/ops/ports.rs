//! What operations need from the world: the jobs' run log, the dependencies the deep health check probes, the
//! kill switch's store, the paper exchange the scheduler ticks, the workers' dead-letter queues, and where
//! request and queue metrics are read from. Each trait says what an implementation MUST do.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::kernel::error::RepoError;
use crate::ops::dead_letters::RedrivableQueue;
use crate::ops::jobs::ScheduledJob;
use crate::ops::kill_switch::KillSwitch;
use crate::ops::metrics::{MetricsRange, QueueDepth, StoredMetrics};

/// Remembers when each scheduled job last ran.
///
/// Implementations MUST keep only the latest run per job and MUST NOT move a job's time backwards.
#[async_trait]
pub trait JobRunLog: Send + Sync {
    /// Records that `job` ran at `at`.
    ///
    /// # Errors
    /// Any storage failure.
    async fn record_run(&self, job: ScheduledJob, at: DateTime<Utc>) -> Result<(), RepoError>;

    /// When `job` last ran, if ever.
    ///
    /// # Errors
    /// Any storage failure.
    async fn last_run(&self, job: ScheduledJob) -> Result<Option<DateTime<Utc>>, RepoError>;
}

/// One dependency the deep health check probes.
///
/// Implementations MUST make one real round trip to the dependency, MUST bound it in time, and MUST NOT change
/// any state.
#[async_trait]
pub trait DependencyCheck: Send + Sync {
    /// A stable name for the report (`dynamodb`, `sqs`, `secretsmanager`).
    fn name(&self) -> &'static str;

    /// Probes the dependency once.
    ///
    /// # Errors
    /// Whatever made the dependency unusable, with context.
    async fn check(&self) -> anyhow::Result<()>;
}

/// Where the platform kill switch is kept.
#[async_trait]
pub trait KillSwitchStore: Send + Sync {
    /// The switch, if it was ever flipped (never flipped: off).
    ///
    /// # Errors
    /// Storage failures.
    async fn current(&self) -> Result<Option<KillSwitch>, RepoError>;

    /// Stores a flip.
    ///
    /// # Errors
    /// Storage failures.
    async fn set(&self, switch: &KillSwitch) -> Result<(), RepoError>;
}

/// The paper exchange's minute: what the scheduler's `paper-match` job runs.
///
/// Implementations MUST match every working paper order against the market at the clock's now, then run
/// whatever of the end of the day is due, each change committed at the version read.
#[async_trait]
pub trait PaperExchange: Send + Sync {
    /// One tick.
    ///
    /// # Errors
    /// Storage or market-data failures that stop the tick.
    async fn tick(&self) -> anyhow::Result<()>;
}

/// The alert scan, which the scheduler's `alert-scan` job runs.
///
/// Implementations MUST evaluate every active alert at the clock's now and queue each trigger, delivering
/// nothing themselves.
#[async_trait]
pub trait AlertScanner: Send + Sync {
    /// One scan.
    ///
    /// # Errors
    /// Storage, market-data or queue failures that stop the scan.
    async fn scan_alerts(&self) -> anyhow::Result<()>;
}

/// The end-of-day snapshot job, which the scheduler's `eod-snapshots` job runs.
///
/// Implementations MUST write each account's missing snapshots of closed sessions only, never one twice.
#[async_trait]
pub trait SnapshotTaker: Send + Sync {
    /// One run.
    ///
    /// # Errors
    /// Storage or market-data failures that stopped some account's snapshots.
    async fn take_snapshots(&self) -> anyhow::Result<()>;
}

/// The workers' dead-letter queues.
///
/// Implementations MUST delete a message from the dead-letter queue only after it was sent back to its
/// queue (a failure part-way leaves every message in one queue or the other, never in none), and MUST stop
/// after `max` messages.
#[async_trait]
pub trait DeadLetters: Send + Sync {
    /// Moves up to `max` messages of `queue`'s dead-letter queue back to `queue`; how many moved.
    ///
    /// # Errors
    /// The queue service failed (what moved before stays moved).
    async fn redrive(&self, queue: RedrivableQueue, max: usize) -> anyhow::Result<usize>;
}

/// Where the functions' request metrics and the queues' oldest-message ages are kept (CloudWatch, in
/// deployments and against the emulator alike).
///
/// Implementations MUST return one [`FunctionMetrics`](crate::ops::metrics::FunctionMetrics) per function
/// asked for and one age per queue asked for, each in the order asked, with zeros (an age of `None`) where
/// nothing was recorded; MUST sum each counter over the whole of `range` (and take the largest age); and MUST
/// read everything in as few calls as the store allows, never one per function or metric.
#[async_trait]
pub trait MetricStore: Send + Sync {
    /// The figures of `functions` (binary names) and `queues` over `range`.
    ///
    /// # Errors
    /// The store failed or did not answer.
    async fn read(
        &self,
        range: &MetricsRange,
        functions: &[String],
        queues: &[RedrivableQueue],
    ) -> anyhow::Result<StoredMetrics>;
}

/// How many messages the workers' queues and their dead-letter queues hold now.
///
/// Implementations MUST return one [`QueueDepth`] per queue asked for, in the order asked, MUST read the
/// queues at once (not one after another), and MUST NOT change any queue.
#[async_trait]
pub trait QueueDepths: Send + Sync {
    /// The depths of `queues` and their dead-letter queues.
    ///
    /// # Errors
    /// The queue service failed or did not answer.
    async fn depths(&self, queues: &[RedrivableQueue]) -> anyhow::Result<Vec<QueueDepth>>;
}
