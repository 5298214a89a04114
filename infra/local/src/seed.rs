//! Demo data for the local stack only: one user per role, all with the same password
//! (`DEMO_PASSWORD`, default [`DEFAULT_DEMO_PASSWORD`]).

use chrono::{DateTime, Utc};
use tradesense_domain::identity::ports::UserRepository;
use tradesense_domain::identity::rbac::Role;
use tradesense_domain::identity::user::{LoginGuard, PasswordHash, User};
use tradesense_domain::kernel::ids::UserId;
use tradesense_domain::trading::account::PaperAccount;

/// The demo users' password unless `DEMO_PASSWORD` overrides it.
pub const DEFAULT_DEMO_PASSWORD: &str = "TradeSense-demo-2026";

/// The demo accounts: email, display name, role.
pub const DEMO_USERS: [(&str, &str, Role); 3] = [
    ("admin@demo.tradesense.in", "Demo Admin", Role::Admin),
    ("trader@demo.tradesense.in", "Demo Trader", Role::Trader),
    ("viewer@demo.tradesense.in", "Demo Viewer", Role::Viewer),
];

/// Creates the demo users with `password`.
///
/// # Errors
/// When a user cannot be hashed or stored.
pub async fn seed_demo_users(
    users: &dyn UserRepository,
    password: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<User>> {
    let mut created = Vec::with_capacity(DEMO_USERS.len());
    for (email, name, role) in DEMO_USERS {
        let user = User {
            id: UserId::from_ulid(ulid::Ulid::new()),
            email: email.parse()?,
            display_name: name.to_owned(),
            roles: vec![role],
            password_hash: PasswordHash::new(password)?,
            disabled: false,
            login_guard: LoginGuard::default(),
            mfa: tradesense_domain::identity::mfa::MfaState::default(),
            created_at: now,
        };
        users.create(&user, &PaperAccount::open(user.id, now)).await?;
        created.push(user);
    }
    Ok(created)
}
