//! Fakes of the audit area's ports, and of the event publisher audit events go through.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::SequentialIds;
use crate::audit::AuditEvent;
use crate::audit::ports::AuditLog;
use crate::audit::service::AuditTrail;
use crate::kernel::error::RepoError;
use crate::kernel::events::{Envelope, EventPublisher};

/// An [`AuditTrail`] into `publisher`, its events numbered by [`SequentialIds`].
pub fn audit_trail(publisher: Arc<RecordingPublisher>) -> AuditTrail {
    AuditTrail::new(publisher, Arc::new(SequentialIds::default()))
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

/// An [`EventPublisher`] that keeps what it is given.
#[derive(Debug, Default)]
pub struct RecordingPublisher {
    published: Mutex<Vec<Envelope>>,
}

impl RecordingPublisher {
    /// Everything published so far.
    pub fn published(&self) -> Vec<Envelope> {
        self.published.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl EventPublisher for RecordingPublisher {
    async fn publish(&self, envelope: &Envelope) -> anyhow::Result<()> {
        self.published
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .push(envelope.clone());
        Ok(())
    }
}
