//! Where audit events are stored.

use async_trait::async_trait;

use crate::audit::AuditEvent;
use crate::kernel::error::RepoError;

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
}
