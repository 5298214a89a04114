//! Audit events: security-relevant facts (logins, MFA changes, role changes, …) recorded once each, for the
//! admin audit log. Producers publish them to the audit queue; the audit worker stores them; operators search
//! them ([`search`]). Each event carries who did it, to whom, and from which request.

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
    /// An admin searched the audit log.
    AuditSearched,
    /// An admin read the request and queue metrics.
    MetricsRead,
}

impl AuditKind {
    /// Every kind, in a stable order.
    pub const ALL: [AuditKind; 15] = [
        AuditKind::LoginSucceeded,
        AuditKind::LoginFailed,
        AuditKind::AccountLocked,
        AuditKind::MfaEnabled,
        AuditKind::MfaDisabled,
        AuditKind::BackupCodesRegenerated,
        AuditKind::RefreshTokenReused,
        AuditKind::RoleChanged,
        AuditKind::BrokerLinkChanged,
        AuditKind::KillSwitchChanged,
        AuditKind::DeadLettersRedriven,
        AuditKind::UsersListed,
        AuditKind::UserViewed,
        AuditKind::AuditSearched,
        AuditKind::MetricsRead,
    ];

    /// The kind's wire name (`ROLE_CHANGED`), as stored and as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::LoginSucceeded => "LOGIN_SUCCEEDED",
            AuditKind::LoginFailed => "LOGIN_FAILED",
            AuditKind::AccountLocked => "ACCOUNT_LOCKED",
            AuditKind::MfaEnabled => "MFA_ENABLED",
            AuditKind::MfaDisabled => "MFA_DISABLED",
            AuditKind::BackupCodesRegenerated => "BACKUP_CODES_REGENERATED",
            AuditKind::RefreshTokenReused => "REFRESH_TOKEN_REUSED",
            AuditKind::RoleChanged => "ROLE_CHANGED",
            AuditKind::BrokerLinkChanged => "BROKER_LINK_CHANGED",
            AuditKind::KillSwitchChanged => "KILL_SWITCH_CHANGED",
            AuditKind::DeadLettersRedriven => "DEAD_LETTERS_REDRIVEN",
            AuditKind::UsersListed => "USERS_LISTED",
            AuditKind::UserViewed => "USER_VIEWED",
            AuditKind::AuditSearched => "AUDIT_SEARCHED",
            AuditKind::MetricsRead => "METRICS_READ",
        }
    }
}

/// One audit event.
///
/// `actor`, `request_id` and `source_ip` came after the first events were recorded: events stored and messages
/// queued before them lack the fields and read as `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    /// Unique id (the envelope's).
    pub id: EventId,
    /// What happened.
    pub kind: AuditKind,
    /// The user it concerns (its target), when known: the user who logged in, whose roles changed, the admin
    /// whose read of other accounts is recorded.
    pub user_id: Option<UserId>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Kind-specific detail. MUST NOT contain secrets, tokens or passwords.
    pub detail: serde_json::Value,
    /// Who did it: the authenticated user of the request that caused it; `None` for a login (nobody is
    /// authenticated yet) and outside a request (the scheduler, the workers).
    #[serde(default)]
    pub actor: Option<UserId>,
    /// The id of the request that caused it, if a request did.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The IP the request came from, as API Gateway saw it, if a request caused it.
    #[serde(default)]
    pub source_ip: Option<String>,
}

impl DomainEvent for AuditEvent {
    const TYPE: &'static str = "audit.recorded";
    const VERSION: u32 = 1;
}

pub mod ports;
pub mod search;
pub mod service;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_wire_name() {
        for kind in AuditKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }
}
