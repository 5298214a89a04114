//! Fakes of operations' ports.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::kernel::error::RepoError;
use crate::ops::jobs::ScheduledJob;
use crate::ops::kill_switch::KillSwitch;
use crate::ops::ports::{DependencyCheck, JobRunLog, KillSwitchStore};

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
