//! Where audit events are stored, and read back.

use async_trait::async_trait;

use crate::audit::{AuditEvent, AuditKind};
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;

/// Stores audit events.
///
/// Implementations MUST return [`RepoError::Conflict`] (and write nothing) when an event with the same id is
/// already stored, so that redelivered messages are recorded exactly once.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Stores one event.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if already stored; [`RepoError::Unexpected`] otherwise.
    async fn record(&self, event: &AuditEvent) -> Result<(), RepoError>;

    /// The newest event of `kind` concerning `user`, if any (among their latest 500 events).
    ///
    /// # Errors
    /// Storage failures.
    async fn latest(&self, user: &UserId, kind: AuditKind) -> Result<Option<AuditEvent>, RepoError>;
}
