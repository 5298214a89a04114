//! Audit events: security-relevant facts (logins, MFA changes, role changes, …) recorded once each, for the
//! admin audit log. Producers publish them to the audit queue; the audit worker stores them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::kernel::events::DomainEvent;
use crate::kernel::ids::{EventId, UserId};

/// What kind of fact an audit event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuditKind {
    /// A successful login.
    LoginSucceeded,
    /// A failed login attempt.
    LoginFailed,
    /// An account was locked after repeated failures.
    AccountLocked,
    /// MFA was enabled.
    MfaEnabled,
    /// MFA was disabled.
    MfaDisabled,
    /// Backup codes were regenerated.
    BackupCodesRegenerated,
    /// A spent refresh token was presented; its family was revoked.
    RefreshTokenReused,
    /// A user's roles or disabled flag changed.
    RoleChanged,
    /// A broker account was linked or unlinked.
    BrokerLinkChanged,
    /// An admin turned the platform kill switch on or off.
    KillSwitchChanged,
    /// An admin moved a dead-letter queue's messages back to their queue.
    DeadLettersRedriven,
    /// An admin listed users.
    UsersListed,
    /// An admin read one user's account.
    UserViewed,
    /// An admin read the request and queue metrics.
    MetricsRead,
}

/// One audit event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    /// Unique id (the envelope's).
    pub id: EventId,
    /// What happened.
    pub kind: AuditKind,
    /// The user it concerns, when known.
    pub user_id: Option<UserId>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Kind-specific detail. MUST NOT contain secrets, tokens or passwords.
    pub detail: serde_json::Value,
}

impl DomainEvent for AuditEvent {
    const TYPE: &'static str = "audit.recorded";
    const VERSION: u32 = 1;
}

pub mod ports;
pub mod service;
