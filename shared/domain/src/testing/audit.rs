//! Fakes of the audit area's ports, and of the event publisher audit events go through.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{RecordingPublisher, SequentialIds};
use crate::audit::ports::AuditLog;
use crate::audit::service::AuditTrail;
use crate::audit::{AuditEvent, AuditKind};
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;

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

    async fn latest(&self, user: &UserId, kind: AuditKind) -> Result<Option<AuditEvent>, RepoError> {
        let events = self.events.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(events
            .iter()
            .filter(|e| e.kind == kind && e.user_id.as_ref() == Some(user))
            .max_by_key(|e| (e.occurred_at, e.id))
            .cloned())
    }
}
