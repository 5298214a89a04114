//! Fakes of the audit area's ports, and of the event publisher audit events go through.

use std::cmp::Reverse;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{RecordingPublisher, SequentialIds};
use crate::audit::ports::{AuditLog, AuditQuery};
use crate::audit::search::AuditPosition;
use crate::audit::service::AuditTrail;
use crate::audit::{AuditEvent, AuditKind};
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;
use crate::kernel::page::Page;

/// An [`AuditTrail`] into `publisher`, its events numbered by [`SequentialIds`].
pub fn audit_trail(publisher: Arc<RecordingPublisher>) -> AuditTrail {
    AuditTrail::new(publisher, Arc::new(SequentialIds::default()))
}

/// An [`AuditLog`] in memory, remembering the searches asked of it; `failing()` makes every write fail.
#[derive(Debug, Default)]
pub struct InMemoryAuditLog {
    events: Mutex<Vec<AuditEvent>>,
    searches: Mutex<Vec<AuditQuery>>,
    fail: bool,
}

impl InMemoryAuditLog {
    /// A log whose writes always fail with [`RepoError::Unexpected`].
    pub fn failing() -> Self {
        Self {
            fail: true,
            ..Self::default()
        }
    }

    /// Everything recorded so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// Every search asked so far, in order.
    pub fn searches(&self) -> Vec<AuditQuery> {
        self.searches.lock().map(|s| s.clone()).unwrap_or_default()
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

    async fn search(&self, query: &AuditQuery) -> Result<Page<AuditEvent, AuditPosition>, RepoError> {
        self.searches
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .push(query.clone());
        let events = self.events.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let mut found: Vec<AuditEvent> = events
            .iter()
            .filter(|e| query.user.is_none_or(|user| e.user_id == Some(user)))
            .filter(|e| query.kind.is_none_or(|kind| e.kind == kind))
            .filter(|e| e.occurred_at >= query.from && query.before.precedes(e))
            .cloned()
            .collect();
        found.sort_by_key(|e| Reverse((e.occurred_at, e.id)));
        let more = found.len() > usize::from(query.limit);
        found.truncate(usize::from(query.limit));
        let resume_after = found.last().filter(|_| more).map(AuditPosition::after);
        Ok(Page {
            items: found,
            resume_after,
        })
    }
}
