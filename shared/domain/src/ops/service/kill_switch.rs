//! Flipping the platform kill switch: admins only, with a reason, every flip audited.

use std::sync::Arc;

use serde_json::json;

use crate::audit::AuditKind;
use crate::audit::service::AuditTrail;
use crate::identity::rbac::Principal;
use crate::kernel::time::Clock;
use crate::ops::kill_switch::{KillSwitch, MAX_REASON_CHARS};
use crate::ops::ports::KillSwitchStore;

/// Why a flip was refused.
#[derive(Debug, thiserror::Error)]
pub enum KillSwitchError {
    /// The reason is empty, too long or holds control characters.
    #[error("reason must be 1 to {MAX_REASON_CHARS} printable characters")]
    InvalidReason,
    /// Storage failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

crate::storage_failures_are_unexpected!(KillSwitchError);

/// Flipping the switch.
pub struct KillSwitchControl {
    store: Arc<dyn KillSwitchStore>,
    audit: AuditTrail,
    clock: Arc<dyn Clock>,
}

impl KillSwitchControl {
    /// The use case over its ports.
    pub fn new(store: Arc<dyn KillSwitchStore>, audit: AuditTrail, clock: Arc<dyn Clock>) -> Self {
        Self { store, audit, clock }
    }

    /// Turns the switch on or off on behalf of `admin` (whose permission the route has checked).
    ///
    /// # Errors
    /// [`KillSwitchError`]; nothing changes.
    pub async fn set(
        &self,
        admin: &Principal,
        enabled: bool,
        reason: &str,
    ) -> Result<KillSwitch, KillSwitchError> {
        let reason = reason.trim();
        let length = reason.chars().count();
        if length == 0 || length > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
            return Err(KillSwitchError::InvalidReason);
        }
        let switch = KillSwitch {
            enabled,
            reason: reason.to_owned(),
            changed_by: admin.user_id,
            changed_at: self.clock.now(),
        };
        self.store.set(&switch).await?;
        self.audit
            .record(
                AuditKind::KillSwitchChanged,
                Some(admin.user_id),
                switch.changed_at,
                json!({"enabled": enabled, "reason": switch.reason}),
            )
            .await;
        Ok(switch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::rbac::Role;
    use crate::kernel::ids::SessionId;
    use crate::kernel::ids::UserId;
    use crate::testing::{FixedClock, InMemoryKillSwitch, RecordingPublisher, audit_trail};

    fn admin() -> Principal {
        Principal {
            user_id: UserId::from_ulid(ulid::Ulid::new()),
            roles: vec![Role::Admin],
            session_id: SessionId::from_ulid(ulid::Ulid::new()),
        }
    }

    #[tokio::test]
    async fn a_flip_is_stored_and_audited_and_a_bad_reason_changes_nothing() {
        let store = Arc::new(InMemoryKillSwitch::default());
        let audit = Arc::new(RecordingPublisher::default());
        let at = "2026-11-25T05:30:00Z".parse().unwrap();
        let control = KillSwitchControl::new(
            store.clone(),
            audit_trail(audit.clone()),
            Arc::new(FixedClock(at)),
        );
        let admin = admin();
        let on = control.set(&admin, true, "  exchange outage  ").await.unwrap();
        assert!(on.enabled);
        assert_eq!(on.reason, "exchange outage");
        assert_eq!(store.current().await.unwrap(), Some(on));
        assert_eq!(audit.published().len(), 1);

        for bad in ["", "   ", "line\nbreak", &"x".repeat(MAX_REASON_CHARS + 1)] {
            assert!(matches!(
                control.set(&admin, false, bad).await,
                Err(KillSwitchError::InvalidReason)
            ));
        }
        assert!(store.current().await.unwrap().unwrap().enabled, "still on");
        assert_eq!(audit.published().len(), 1, "refusals are not audited");
    }
}
