//! Fakes of operations' ports.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::kernel::error::RepoError;
use crate::ops::dead_letters::RedrivableQueue;
use crate::ops::jobs::ScheduledJob;
use crate::ops::kill_switch::KillSwitch;
use crate::ops::metrics::{FunctionMetrics, MetricsRange, QueueDepth, StoredMetrics};
use crate::ops::ports::{DependencyCheck, JobRunLog, KillSwitchStore, MetricStore, QueueDepths};

/// A [`JobRunLog`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryJobRunLog {
    runs: Mutex<HashMap<ScheduledJob, DateTime<Utc>>>,
}

#[async_trait]
impl JobRunLog for InMemoryJobRunLog {
    async fn record_run(&self, job: ScheduledJob, at: DateTime<Utc>) -> Result<(), RepoError> {
        let mut runs = self.runs.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let entry = runs.entry(job).or_insert(at);
        *entry = (*entry).max(at);
        Ok(())
    }

    async fn last_run(&self, job: ScheduledJob) -> Result<Option<DateTime<Utc>>, RepoError> {
        Ok(self
            .runs
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .get(&job)
            .copied())
    }
}

/// A [`DependencyCheck`] with a fixed answer.
#[derive(Debug)]
pub struct StaticCheck {
    name: &'static str,
    failure: Option<&'static str>,
}

impl StaticCheck {
    /// A dependency that always answers.
    pub fn up(name: &'static str) -> Self {
        Self { name, failure: None }
    }

    /// A dependency that always fails with `cause`.
    pub fn down(name: &'static str, cause: &'static str) -> Self {
        Self {
            name,
            failure: Some(cause),
        }
    }
}

#[async_trait]
impl DependencyCheck for StaticCheck {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn check(&self) -> anyhow::Result<()> {
        match self.failure {
            None => Ok(()),
            Some(cause) => Err(anyhow::anyhow!(cause)),
        }
    }
}

/// A [`KillSwitchStore`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryKillSwitch {
    switch: Mutex<Option<KillSwitch>>,
}

#[async_trait]
impl KillSwitchStore for InMemoryKillSwitch {
    async fn current(&self) -> Result<Option<KillSwitch>, RepoError> {
        Ok(self
            .switch
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .clone())
    }

    async fn set(&self, switch: &KillSwitch) -> Result<(), RepoError> {
        *self.switch.lock().map_err(|_| anyhow::anyhow!("poisoned"))? = Some(switch.clone());
        Ok(())
    }
}

/// A [`MetricStore`] holding fixed figures: `functions` by name and `ages` (seconds) by queue, whatever the
/// range; any other function reads as idle and any other queue's age as `None`.
#[derive(Debug, Default)]
pub struct FixedMetrics {
    /// The functions that recorded something.
    pub functions: Vec<FunctionMetrics>,
    /// The queues with an oldest-message age.
    pub ages: Vec<(RedrivableQueue, u64)>,
}

#[async_trait]
impl MetricStore for FixedMetrics {
    async fn read(
        &self,
        _range: &MetricsRange,
        functions: &[String],
        queues: &[RedrivableQueue],
    ) -> anyhow::Result<StoredMetrics> {
        Ok(StoredMetrics {
            functions: functions
                .iter()
                .map(|name| {
                    self.functions
                        .iter()
                        .find(|f| &f.function == name)
                        .cloned()
                        .unwrap_or_else(|| FunctionMetrics::idle(name))
                })
                .collect(),
            oldest_message_ages: queues
                .iter()
                .map(|queue| {
                    let age = self.ages.iter().find(|(q, _)| q == queue).map(|(_, age)| *age);
                    (*queue, age)
                })
                .collect(),
        })
    }
}

/// [`QueueDepths`] with fixed answers; a queue not listed is empty.
#[derive(Debug, Default)]
pub struct FixedQueueDepths(pub Vec<QueueDepth>);

#[async_trait]
impl QueueDepths for FixedQueueDepths {
    async fn depths(&self, queues: &[RedrivableQueue]) -> anyhow::Result<Vec<QueueDepth>> {
        Ok(queues
            .iter()
            .map(|queue| {
                self.0
                    .iter()
                    .find(|d| d.queue == *queue)
                    .copied()
                    .unwrap_or(QueueDepth {
                        queue: *queue,
                        depth: 0,
                        in_flight: 0,
                        dlq_depth: 0,
                    })
            })
            .collect())
    }
}
