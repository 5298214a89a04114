//! Administering accounts: an admin changes another user's roles or disables them. Every change is audited
//! with who made it and the before and after, and takes effect on the user's next request (the authorizer
//! reads current roles and the disabled flag every time).

use std::sync::Arc;

use serde_json::json;

use crate::audit::AuditKind;
use crate::audit::service::AuditTrail;
use crate::identity::ports::UserRepository;
use crate::identity::rbac::{Principal, Role};
use crate::identity::user::User;
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;
use crate::kernel::time::Clock;

/// `PATCH /v1/admin/users/{id}`: what to change (at least one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessChange {
    /// New roles, replacing the old ones.
    pub roles: Option<Vec<Role>>,
    /// Disable (`true`) or re-enable (`false`).
    pub disabled: Option<bool>,
}

/// Why an access change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccessChangeError {
    /// Neither roles nor disabled given.
    #[error("nothing to change: give roles and/or disabled")]
    Empty,
    /// An empty or repeated role list.
    #[error("roles must be a non-empty list without repeats")]
    InvalidRoles,
    /// Admins cannot change their own access (no self-lockout, no last-admin removal by accident).
    #[error("admins cannot change their own roles or disable themselves")]
    OwnAccount,
    /// No such user.
    #[error("user not found")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

crate::storage_failures_are_unexpected!(AccessChangeError);

/// The account-administration use cases.
pub struct Administration {
    users: Arc<dyn UserRepository>,
    audit: AuditTrail,
    clock: Arc<dyn Clock>,
}

impl Administration {
    /// The use cases over their ports.
    pub fn new(users: Arc<dyn UserRepository>, audit: AuditTrail, clock: Arc<dyn Clock>) -> Self {
        Self { users, audit, clock }
    }

    /// Applies `change` to `target` on behalf of `admin` (whose permission the route has checked).
    ///
    /// # Errors
    /// See [`AccessChangeError`].
    pub async fn change_access(
        &self,
        admin: &Principal,
        target: &UserId,
        change: AccessChange,
    ) -> Result<User, AccessChangeError> {
        if change.roles.is_none() && change.disabled.is_none() {
            return Err(AccessChangeError::Empty);
        }
        if let Some(roles) = &change.roles {
            let distinct: std::collections::HashSet<_> = roles.iter().collect();
            if roles.is_empty() || distinct.len() != roles.len() {
                return Err(AccessChangeError::InvalidRoles);
            }
        }
        if admin.user_id == *target {
            return Err(AccessChangeError::OwnAccount);
        }
        let before = self.users.get(target).await?.ok_or(AccessChangeError::NotFound)?;
        let after = User {
            roles: change.roles.unwrap_or_else(|| before.roles.clone()),
            disabled: change.disabled.unwrap_or(before.disabled),
            ..before.clone()
        };
        match self
            .users
            .update_access(target, &after.roles, after.disabled)
            .await
        {
            Ok(()) => {}
            Err(RepoError::Conflict) => return Err(AccessChangeError::NotFound),
            Err(e) => return Err(e.into()),
        }
        let detail = json!({
            "by": admin.user_id,
            "before": {"roles": before.roles, "disabled": before.disabled},
            "after": {"roles": after.roles, "disabled": after.disabled},
        });
        self.audit
            .record(AuditKind::RoleChanged, Some(*target), self.clock.now(), detail)
            .await;
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditEvent;
    use crate::identity::mfa::MfaState;
    use crate::identity::user::{LoginGuard, PasswordHash};
    use crate::kernel::ids::SessionId;
    use crate::testing::{FixedClock, InMemoryUsers, RecordingPublisher, audit_trail};
    use crate::trading::account::PaperAccount;
    use chrono::Utc;

    fn user(role: Role) -> User {
        User {
            id: UserId::from_ulid(ulid::Ulid::new()),
            email: format!("{}@example.in", ulid::Ulid::new().to_string().to_lowercase())
                .parse()
                .unwrap(),
            display_name: "x".into(),
            roles: vec![role],
            password_hash: PasswordHash::from_stored("$argon2id$stub".into()),
            disabled: false,
            login_guard: LoginGuard::default(),
            mfa: MfaState::default(),
            created_at: Utc::now(),
        }
    }

    struct World {
        admin: Principal,
        trader: User,
        users: Arc<InMemoryUsers>,
        audit: Arc<RecordingPublisher>,
        service: Administration,
    }

    async fn world() -> World {
        let users = Arc::new(InMemoryUsers::default());
        let audit = Arc::new(RecordingPublisher::default());
        let (admin, trader) = (user(Role::Admin), user(Role::Trader));
        for u in [&admin, &trader] {
            users
                .create(u, &PaperAccount::open(u.id, u.created_at))
                .await
                .unwrap();
        }
        World {
            admin: Principal {
                user_id: admin.id,
                roles: vec![Role::Admin],
                session_id: SessionId::from_ulid(ulid::Ulid::new()),
            },
            trader,
            users: users.clone(),
            audit: audit.clone(),
            service: Administration::new(users, audit_trail(audit), Arc::new(FixedClock(Utc::now()))),
        }
    }

    #[tokio::test]
    async fn an_admin_demotes_a_trader_and_the_change_is_audited_with_before_and_after() {
        let w = world().await;
        let change = AccessChange {
            roles: Some(vec![Role::Viewer]),
            disabled: None,
        };
        let after = w
            .service
            .change_access(&w.admin, &w.trader.id, change)
            .await
            .unwrap();
        assert_eq!(
            (after.roles.as_slice(), after.disabled),
            ([Role::Viewer].as_slice(), false)
        );
        let stored = w.users.get(&w.trader.id).await.unwrap().unwrap();
        assert_eq!(stored.roles, [Role::Viewer]);
        let event = w.audit.published()[0].open::<AuditEvent>().unwrap();
        assert_eq!(
            (event.kind, event.user_id),
            (AuditKind::RoleChanged, Some(w.trader.id))
        );
        assert_eq!(event.detail["by"], w.admin.user_id.to_string());
        assert_eq!(event.detail["before"]["roles"], json!(["trader"]));
        assert_eq!(event.detail["after"]["roles"], json!(["viewer"]));
    }

    #[tokio::test]
    async fn refuses_empty_changes_bad_role_lists_self_changes_and_unknown_users() {
        let w = world().await;
        let roles = |r: Vec<Role>| AccessChange {
            roles: Some(r),
            disabled: None,
        };
        let cases: Vec<(UserId, AccessChange, &str)> = vec![
            (w.trader.id, AccessChange::default(), "Empty"),
            (w.trader.id, roles(vec![]), "InvalidRoles"),
            (w.trader.id, roles(vec![Role::Admin, Role::Admin]), "InvalidRoles"),
            (
                w.admin.user_id,
                AccessChange {
                    roles: None,
                    disabled: Some(true),
                },
                "OwnAccount",
            ),
            (
                UserId::from_ulid(ulid::Ulid::new()),
                roles(vec![Role::Viewer]),
                "NotFound",
            ),
        ];
        for (target, change, expected) in cases {
            let err = w
                .service
                .change_access(&w.admin, &target, change)
                .await
                .unwrap_err();
            assert!(format!("{err:?}").starts_with(expected), "{err:?}");
        }
        assert!(
            w.audit.published().is_empty(),
            "refusals change nothing and audit nothing"
        );
        assert_eq!(
            w.users.get(&w.trader.id).await.unwrap().unwrap().roles,
            [Role::Trader]
        );
    }
}
