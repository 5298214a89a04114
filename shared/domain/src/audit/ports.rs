//! Where audit events are stored, and read back.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::audit::search::AuditPosition;
use crate::audit::{AuditEvent, AuditKind};
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;
use crate::kernel::page::Page;

/// One page of an audit search: the events beyond `before` and at or after `from`, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only the events concerning this user (their `user_id`); every event when `None`.
    pub user: Option<UserId>,
    /// Only events of this kind.
    pub kind: Option<AuditKind>,
    /// The oldest instant of the range (inclusive).
    pub from: DateTime<Utc>,
    /// Only events beyond this position: the range's end, or where the previous page stopped.
    pub before: AuditPosition,
    /// At most this many events.
    pub limit: u16,
}

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

    /// One page of the events `query` asks for.
    ///
    /// Implementations MUST return only events of `query.user` (when given) and `query.kind` (when given)
    /// that occurred at or after `query.from` and lie beyond `query.before`
    /// ([`AuditPosition::precedes`]), newest first (time, then id, descending), at most `query.limit` of
    /// them. They MUST return a full page unless the range holds no more matching events, and MUST set
    /// `resume_after` (the position after the last event returned) when more may follow, leaving it `None`
    /// only when none do. They MUST
    /// read one user's events from that user's own events and, without a user, from an index by UTC day
    /// walked from `query.before`'s newest day back to `query.from`'s, never by scanning every event; the
    /// caller bounds how many days one query spans.
    ///
    /// # Errors
    /// Storage failures.
    async fn search(&self, query: &AuditQuery) -> Result<Page<AuditEvent, AuditPosition>, RepoError>;
}
