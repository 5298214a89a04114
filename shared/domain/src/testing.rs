//! In-memory fakes of the ports and a fixed clock, for fast use-case tests. Every adapter is also tested
//! against the emulator; these never replace that.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::audit::AuditEvent;
use crate::jobs::ScheduledJob;
use crate::ports::{AuditLog, Clock, DependencyCheck, JobRunLog, RepoError};

/// A clock stuck at one instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// An [`AuditLog`] in memory; `failing()` makes every write fail.
#[derive(Debug, Default)]
pub struct InMemoryAuditLog {
    events: Mutex<Vec<AuditEvent>>,
    fail: bool,
}

impl InMemoryAuditLog {
    /// A log whose writes always fail with [`RepoError::Unexpected`].
    pub fn failing() -> Self {
        Self {
            events: Mutex::default(),
            fail: true,
        }
    }

    /// Everything recorded so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl AuditLog for InMemoryAuditLog {
    async fn record(&self, event: &AuditEvent) -> Result<(), RepoError> {
        if self.fail {
            return Err(anyhow::anyhow!("audit log unavailable").into());
        }
        let mut events = self.events.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        if events.iter().any(|e| e.id == event.id) {
            return Err(RepoError::Conflict);
        }
        events.push(event.clone());
        Ok(())
    }
}

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
