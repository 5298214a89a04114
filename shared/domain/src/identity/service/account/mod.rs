//! Account use cases: register, login, refresh, logout, me, and the liveness check the authorizer runs on
//! every request; the second factor's use cases are in `mfa`. Login never tells an unknown email from a wrong password, a locked or a disabled account:
//! all are [`LoginError::InvalidCredentials`], and an unknown email still pays for one password hash.

mod mfa;

pub use mfa::{MfaEnrolment, MfaError};

use std::sync::Arc;

use chrono::{DateTime, Utc};

use serde_json::json;

use crate::audit::AuditKind;
use crate::audit::service::AuditTrail;
use crate::identity::mfa::MfaState;
use crate::identity::password::{self, WeakPassword};
use crate::identity::ports::{RateLimiter, SessionRepository, UserRepository};
use crate::identity::rbac::{Principal, Role};
use crate::identity::session::{RefreshOutcome, RefreshToken, Session};
use crate::identity::token::{ACCESS_TOKEN_TTL, AccessClaims, MfaChallengeClaims, TokenError, TokenSigner};
use crate::identity::user::{Email, LOCK_DURATION, LoginGuard, PasswordHash, User};
use crate::kernel::error::RepoError;
use crate::kernel::ids::{IdGen, SessionId, UserId};
use crate::kernel::rate_limit::RateDecision;
use crate::kernel::time::Clock;
use crate::trading::account::PaperAccount;

/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME: usize = 80;

/// `POST /v1/auth/register`.
#[derive(Debug, Clone)]
pub struct Register {
    /// Email as typed.
    pub email: String,
    /// Password as typed.
    pub password: String,
    /// Optional name; defaults to the mailbox name.
    pub display_name: Option<String>,
}

/// `POST /v1/auth/login`, with where it came from.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    /// Email as typed.
    pub email: String,
    /// Password as typed.
    pub password: String,
    /// The client's address, for the audit trail.
    pub source_ip: Option<String>,
}

/// Why registration failed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// Not an email address.
    #[error("invalid email address")]
    InvalidEmail,
    /// Breaks the password policy.
    #[error("password {0}")]
    WeakPassword(#[from] WeakPassword),
    /// Blank, too long, or containing control characters.
    #[error("display name must be 1 to 80 printable characters")]
    InvalidDisplayName,
    /// The email has an account.
    #[error("email already registered")]
    EmailTaken,
    /// Storage or hashing failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Why a login or refresh failed. Deliberately coarse.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong email or password, locked, disabled, or a bad refresh token: one answer for all.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many second-factor attempts for this account; try again after the window.
    #[error("too many attempts")]
    TooManyAttempts(RateDecision),
    /// Storage or signing failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

crate::storage_failures_are_unexpected!(LoginError);

impl From<TokenError> for LoginError {
    fn from(e: TokenError) -> Self {
        LoginError::Unexpected(e.into())
    }
}

/// A fresh token pair for a user.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// Signed access JWT.
    pub access_token: String,
    /// Opaque refresh token.
    pub refresh_token: RefreshToken,
    /// Access-token lifetime, seconds.
    pub expires_in: i64,
    /// The user.
    pub user: User,
}

/// What a correct password leads to.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// No second factor: the session has started.
    Signed(Box<Tokens>),
    /// MFA is on: the session starts when `mfa_token` and a code reach the challenge.
    MfaRequired {
        /// Signed challenge token ([`MfaChallengeClaims`]).
        mfa_token: String,
    },
}

/// The account use cases.
pub struct AccountService {
    users: Arc<dyn UserRepository>,
    sessions: Arc<dyn SessionRepository>,
    audit: AuditTrail,
    /// Counts second-factor attempts per user.
    limiter: Arc<dyn RateLimiter>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
    /// Verified against when the email is unknown, so timing does not reveal it.
    decoy_hash: PasswordHash,
}

fn display_name_for(requested: Option<String>, email: &Email) -> Result<String, RegisterError> {
    let name = match requested {
        Some(n) => n.trim().to_owned(),
        None => email.as_str().split('@').next().unwrap_or_default().to_owned(),
    };
    let ok =
        !name.is_empty() && name.chars().count() <= MAX_DISPLAY_NAME && !name.chars().any(char::is_control);
    if ok {
        Ok(name)
    } else {
        Err(RegisterError::InvalidDisplayName)
    }
}

impl AccountService {
    /// The service over its ports.
    pub fn new(
        users: Arc<dyn UserRepository>,
        sessions: Arc<dyn SessionRepository>,
        audit: AuditTrail,
        limiter: Arc<dyn RateLimiter>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGen>,
    ) -> Self {
        let decoy_hash = PasswordHash::decoy();
        Self {
            users,
            sessions,
            audit,
            limiter,
            clock,
            ids,
            decoy_hash,
        }
    }

    /// Creates a `trader` account with a funded paper account.
    ///
    /// # Errors
    /// See [`RegisterError`].
    pub async fn register(&self, cmd: Register) -> Result<User, RegisterError> {
        let email: Email = cmd.email.parse().map_err(|_| RegisterError::InvalidEmail)?;
        password::check(&cmd.password, &email)?;
        let display_name = display_name_for(cmd.display_name, &email)?;
        let user = User {
            id: self.ids.next(),
            email,
            display_name,
            roles: vec![Role::Trader],
            password_hash: PasswordHash::new(&cmd.password).map_err(anyhow::Error::from)?,
            disabled: false,
            login_guard: LoginGuard::default(),
            mfa: MfaState::default(),
            created_at: self.clock.now(),
        };
        match self
            .users
            .create(&user, &PaperAccount::open(user.id, user.created_at))
            .await
        {
            Ok(()) => Ok(user),
            Err(RepoError::Conflict) => Err(RegisterError::EmailTaken),
            Err(RepoError::Unexpected(e)) => Err(e.into()),
        }
    }

    /// Checks a password and starts a session, or, with MFA on, issues the challenge that will.
    ///
    /// # Errors
    /// [`LoginError::InvalidCredentials`] for every refusal.
    pub async fn login(
        &self,
        signer: &TokenSigner,
        attempt: &LoginAttempt,
    ) -> Result<LoginOutcome, LoginError> {
        let now = self.clock.now();
        let email = attempt.email.parse::<Email>().ok();
        let user = match &email {
            Some(email) => self.users.find_by_email(email).await?,
            None => None,
        };
        let refuse = |user: Option<UserId>, reason: &'static str| {
            let detail = json!({
                "ip": attempt.source_ip,
                "email": email.as_ref().map(Email::as_str),
                "reason": reason,
            });
            self.record(AuditKind::LoginFailed, user, detail)
        };
        let Some(user) = user else {
            let _ = self.decoy_hash.verify(&attempt.password);
            refuse(None, "unknown_email").await;
            return Err(LoginError::InvalidCredentials);
        };
        let password_ok = user.password_hash.verify(&attempt.password);
        if user.disabled || user.login_guard.is_locked(now) {
            refuse(Some(user.id), if user.disabled { "disabled" } else { "locked" }).await;
            return Err(LoginError::InvalidCredentials);
        }
        if !password_ok {
            refuse(Some(user.id), "wrong_password").await;
            if self.count_failure(&user, now).await? {
                let detail =
                    json!({"ip": attempt.source_ip, "locked_for_minutes": LOCK_DURATION.num_minutes()});
                self.record(AuditKind::AccountLocked, Some(user.id), detail).await;
            }
            return Err(LoginError::InvalidCredentials);
        }
        if user.login_guard != LoginGuard::default() {
            // A stale guard is harmless; a failed reset only means the count starts higher next time.
            let _ = self
                .users
                .replace_login_guard(&user.id, &user.login_guard, &LoginGuard::default())
                .await;
        }
        if user.mfa.enabled {
            let mfa_token = signer.sign(&MfaChallengeClaims::new(user.id, now))?;
            return Ok(LoginOutcome::MfaRequired { mfa_token });
        }
        self.start_session(signer, user, attempt.source_ip.as_deref(), "password")
            .await
            .map(|tokens| LoginOutcome::Signed(Box::new(tokens)))
    }

    /// Starts a session for a user who has passed every factor, and audits the login.
    async fn start_session(
        &self,
        signer: &TokenSigner,
        user: User,
        source_ip: Option<&str>,
        factors: &str,
    ) -> Result<Tokens, LoginError> {
        let now = self.clock.now();
        let (session, refresh_token) = Session::start(self.ids.next(), user.id, now);
        self.sessions.create(&session).await?;
        let detail = json!({"ip": source_ip, "session_id": session.id, "factors": factors});
        self.record(AuditKind::LoginSucceeded, Some(user.id), detail)
            .await;
        self.tokens(signer, user, session.id, refresh_token, now)
    }

    /// Publishes an audit event. A publishing failure is logged, not returned: the audit trail must not take
    /// logins down with it.
    async fn record(&self, kind: AuditKind, user_id: Option<UserId>, detail: serde_json::Value) {
        self.audit.record(kind, user_id, self.clock.now(), detail).await;
    }

    /// Counts one failed login; `true` when it locked the account.
    async fn count_failure(&self, user: &User, now: DateTime<Utc>) -> Result<bool, LoginError> {
        let mut guard = user.login_guard;
        for _ in 0..3 {
            let next = guard.after_failure(now);
            match self.users.replace_login_guard(&user.id, &guard, &next).await {
                Ok(()) => return Ok(next.is_locked(now) && !guard.is_locked(now)),
                Err(RepoError::Conflict) => {
                    // A concurrent attempt moved the count: re-read and count on top of it.
                    guard = self
                        .users
                        .get(&user.id)
                        .await?
                        .map(|u| u.login_guard)
                        .unwrap_or_default();
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(false)
    }

    fn tokens(
        &self,
        signer: &TokenSigner,
        user: User,
        session: SessionId,
        refresh_token: RefreshToken,
        now: DateTime<Utc>,
    ) -> Result<Tokens, LoginError> {
        let access_token = signer.sign(&AccessClaims::new(user.id, session, user.roles.clone(), now))?;
        Ok(Tokens {
            access_token,
            refresh_token,
            expires_in: ACCESS_TOKEN_TTL.num_seconds(),
            user,
        })
    }

    /// Rotates a refresh token into a new pair. A spent token revokes its session.
    ///
    /// # Errors
    /// [`LoginError::InvalidCredentials`] for every refusal.
    pub async fn refresh(&self, signer: &TokenSigner, token: &str) -> Result<Tokens, LoginError> {
        let now = self.clock.now();
        let presented = RefreshToken::parse(token).ok_or(LoginError::InvalidCredentials)?;
        let mut session = self
            .sessions
            .get(&presented.user_id, &presented.session_id)
            .await?
            .ok_or(LoginError::InvalidCredentials)?;
        let outcome = session.refresh(&presented.hash, now);
        let rotated = match outcome {
            RefreshOutcome::Refused => return Err(LoginError::InvalidCredentials),
            RefreshOutcome::Reused => None,
            RefreshOutcome::Rotated(next) => Some(next),
        };
        session.version += 1;
        match self.sessions.update(&session).await {
            Ok(()) => {}
            // A concurrent refresh of the same token won: this one is the loser, and refused.
            Err(RepoError::Conflict) => return Err(LoginError::InvalidCredentials),
            Err(e) => return Err(e.into()),
        }
        let Some(next) = rotated else {
            let detail = json!({"session_id": session.id});
            self.record(AuditKind::RefreshTokenReused, Some(session.user_id), detail)
                .await;
            return Err(LoginError::InvalidCredentials);
        };
        let user = self
            .users
            .get(&session.user_id)
            .await?
            .ok_or(LoginError::InvalidCredentials)?;
        if user.disabled {
            return Err(LoginError::InvalidCredentials);
        }
        self.tokens(signer, user, session.id, next, now)
    }

    /// Ends the caller's session at once.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn logout(&self, principal: &Principal) -> Result<(), RepoError> {
        for _ in 0..3 {
            let Some(mut session) = self
                .sessions
                .get(&principal.user_id, &principal.session_id)
                .await?
            else {
                return Ok(());
            };
            if session.revoked_at.is_some() {
                return Ok(());
            }
            session.revoke(self.clock.now());
            session.version += 1;
            match self.sessions.update(&session).await {
                Err(RepoError::Conflict) => continue,
                other => return other,
            }
        }
        Err(anyhow::anyhow!("session kept changing during logout").into())
    }

    /// The caller's account.
    ///
    /// # Errors
    /// Storage failures; `Ok(None)` if the account no longer exists.
    pub async fn me(&self, principal: &Principal) -> Result<Option<User>, RepoError> {
        self.users.get(&principal.user_id).await
    }
}

/// The principal to let through for a verified token's `principal`, or `None` when its session is over or its
/// user is gone or disabled. The roles are the user's current ones, so a role change takes effect on the next
/// request. This is the authorizer's per-request check.
///
/// # Errors
/// Storage failures (the authorizer then denies).
pub async fn live_principal(
    users: &dyn UserRepository,
    sessions: &dyn SessionRepository,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<Option<Principal>, RepoError> {
    let (session, user) = futures::future::join(
        sessions.get(&principal.user_id, &principal.session_id),
        users.get(&principal.user_id),
    )
    .await;
    let (Some(session), Some(user)) = (session?, user?) else {
        return Ok(None);
    };
    let live = session.is_live(now) && !user.disabled;
    Ok(live.then(|| Principal {
        roles: user.roles,
        ..principal.clone()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditEvent, AuditKind};
    use crate::identity::rbac::Role;
    use crate::identity::token::{SigningKeyMaterial, TokenVerifier};
    use crate::testing::{
        FixedClock, InMemoryRateLimiter, InMemorySessions, InMemoryUsers, RecordingPublisher, SequentialIds,
    };

    pub(super) const PASSWORD: &str = "correct-horse-battery-42";

    /// The service over in-memory fakes, with a signing key; shared with the MFA tests.
    pub(super) struct World {
        pub(super) service: AccountService,
        pub(super) users: Arc<InMemoryUsers>,
        pub(super) sessions: Arc<InMemorySessions>,
        pub(super) audit: Arc<RecordingPublisher>,
        pub(super) key: SigningKeyMaterial,
        pub(super) now: DateTime<Utc>,
    }

    pub(super) fn world() -> World {
        let users = Arc::new(InMemoryUsers::default());
        // Access tokens are verified against the real clock, so the fixed clock stands at the real now.
        let now = Utc::now();
        let clock = Arc::new(FixedClock(now));
        let sessions = Arc::new(InMemorySessions::default());
        let audit = Arc::new(RecordingPublisher::default());
        let limiter = Arc::new(InMemoryRateLimiter::default());
        let ids = Arc::new(SequentialIds::default());
        let trail = AuditTrail::new(audit.clone(), ids.clone());
        let service = AccountService::new(users.clone(), sessions.clone(), trail, limiter, clock, ids);
        World {
            service,
            users,
            sessions,
            audit,
            key: SigningKeyMaterial::generate("k1"),
            now,
        }
    }

    impl World {
        pub(super) fn signer(&self) -> TokenSigner {
            TokenSigner::new(&self.key).unwrap()
        }

        pub(super) async fn registered(&self, email: &str) -> User {
            let cmd = Register {
                email: email.into(),
                password: PASSWORD.into(),
                display_name: None,
            };
            self.service.register(cmd).await.unwrap()
        }

        pub(super) async fn login(&self, email: &str, password: &str) -> Result<Tokens, LoginError> {
            let attempt = LoginAttempt {
                email: email.into(),
                password: password.into(),
                source_ip: Some("203.0.113.7".into()),
            };
            match self.service.login(&self.signer(), &attempt).await? {
                LoginOutcome::Signed(tokens) => Ok(*tokens),
                LoginOutcome::MfaRequired { .. } => panic!("MFA is off in these tests"),
            }
        }

        pub(super) fn audited(&self) -> Vec<AuditEvent> {
            self.audit
                .published()
                .iter()
                .map(|e| e.open::<AuditEvent>().unwrap())
                .collect()
        }

        pub(super) async fn live(&self, tokens: &Tokens) -> Option<Principal> {
            live_principal(
                self.users.as_ref(),
                self.sessions.as_ref(),
                &self.principal(tokens),
                Utc::now(),
            )
            .await
            .unwrap()
        }

        pub(super) fn principal(&self, tokens: &Tokens) -> Principal {
            TokenVerifier::new([&self.key])
                .unwrap()
                .verify(&tokens.access_token)
                .unwrap()
        }
    }

    #[tokio::test]
    async fn registers_a_trader_with_a_normalised_email_and_a_default_name() {
        let w = world();
        let user = w.registered(" Asha@Example.IN ").await;
        assert_eq!(user.email.as_str(), "asha@example.in");
        assert_eq!(user.roles, [Role::Trader]);
        assert_eq!(user.display_name, "asha");
        assert!(user.password_hash.verify(PASSWORD));
    }

    #[tokio::test]
    async fn refuses_weak_passwords_taken_emails_and_bad_names() {
        let w = world();
        w.registered("asha@example.in").await;
        let cmd = |email: &str, password: &str, name: Option<&str>| Register {
            email: email.into(),
            password: password.into(),
            display_name: name.map(str::to_owned),
        };
        let taken = w.service.register(cmd("ASHA@example.in", PASSWORD, None)).await;
        assert!(matches!(taken, Err(RegisterError::EmailTaken)));
        let weak = w
            .service
            .register(cmd("ravi@example.in", "password1234", None))
            .await;
        assert!(matches!(
            weak,
            Err(RegisterError::WeakPassword(WeakPassword::Common))
        ));
        let bad_email = w.service.register(cmd("ravi", PASSWORD, None)).await;
        assert!(matches!(bad_email, Err(RegisterError::InvalidEmail)));
        let bad_name = w
            .service
            .register(cmd("ravi@example.in", PASSWORD, Some("bell\u{7}")))
            .await;
        assert!(matches!(bad_name, Err(RegisterError::InvalidDisplayName)));
    }

    #[tokio::test]
    async fn login_issues_tokens_for_the_user_and_its_new_session() {
        let w = world();
        let user = w.registered("asha@example.in").await;
        let tokens = w.login("ASHA@example.in", PASSWORD).await.unwrap();
        let principal = w.principal(&tokens);
        assert_eq!(principal.user_id, user.id);
        assert_eq!(tokens.expires_in, 900);
        assert!(w.live(&tokens).await.is_some());
    }

    #[tokio::test]
    async fn unknown_email_wrong_password_and_malformed_email_fail_alike() {
        let w = world();
        w.registered("asha@example.in").await;
        for (email, password) in [
            ("nobody@example.in", PASSWORD),
            ("asha@example.in", "wrong-password-123"),
            ("", ""),
        ] {
            assert!(
                matches!(
                    w.login(email, password).await,
                    Err(LoginError::InvalidCredentials)
                ),
                "{email}"
            );
        }
    }

    #[tokio::test]
    async fn the_fifth_wrong_password_locks_the_account_even_against_the_right_one() {
        let w = world();
        let user = w.registered("asha@example.in").await;
        for _ in 0..5 {
            assert!(w.login("asha@example.in", "wrong-password-123").await.is_err());
        }
        assert!(
            w.service
                .me(&Principal {
                    user_id: user.id,
                    roles: vec![],
                    session_id: SessionId::from_ulid(ulid::Ulid::new())
                })
                .await
                .unwrap()
                .unwrap()
                .login_guard
                .locked_until
                .is_some()
        );
        assert!(matches!(
            w.login("asha@example.in", PASSWORD).await,
            Err(LoginError::InvalidCredentials)
        ));
    }

    #[tokio::test]
    async fn a_success_resets_the_failure_count() {
        let w = world();
        let user = w.registered("asha@example.in").await;
        for _ in 0..4 {
            assert!(w.login("asha@example.in", "wrong-password-123").await.is_err());
        }
        w.login("asha@example.in", PASSWORD).await.unwrap();
        let stored = w.users.get(&user.id).await.unwrap().unwrap();
        assert_eq!(stored.login_guard, LoginGuard::default());
    }

    #[tokio::test]
    async fn a_disabled_user_cannot_log_in_and_their_sessions_die() {
        let w = world();
        let user = w.registered("asha@example.in").await;
        let tokens = w.login("asha@example.in", PASSWORD).await.unwrap();
        w.users.modify(&user.id, |u| u.disabled = true);
        assert!(w.login("asha@example.in", PASSWORD).await.is_err());
        assert!(w.live(&tokens).await.is_none());
        assert!(
            w.service
                .refresh(&w.signer(), tokens.refresh_token.expose())
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn refresh_rotates_and_reuse_revokes_the_whole_session() {
        let w = world();
        w.registered("asha@example.in").await;
        let first = w.login("asha@example.in", PASSWORD).await.unwrap();
        let second = w
            .service
            .refresh(&w.signer(), first.refresh_token.expose())
            .await
            .unwrap();
        assert_ne!(second.refresh_token, first.refresh_token);
        assert_eq!(w.principal(&second).session_id, w.principal(&first).session_id);
        assert!(matches!(
            w.service.refresh(&w.signer(), first.refresh_token.expose()).await,
            Err(LoginError::InvalidCredentials)
        ));
        assert!(
            w.service
                .refresh(&w.signer(), second.refresh_token.expose())
                .await
                .is_err(),
            "family revoked"
        );
        assert!(w.live(&second).await.is_none());
    }

    #[tokio::test]
    async fn logout_ends_the_session_at_once_and_only_that_session() {
        let w = world();
        w.registered("asha@example.in").await;
        let phone = w.login("asha@example.in", PASSWORD).await.unwrap();
        let laptop = w.login("asha@example.in", PASSWORD).await.unwrap();
        w.service.logout(&w.principal(&phone)).await.unwrap();
        w.service.logout(&w.principal(&phone)).await.unwrap();
        assert!(w.live(&phone).await.is_none());
        assert!(w.live(&laptop).await.is_some());
        assert!(
            w.service
                .refresh(&w.signer(), phone.refresh_token.expose())
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_role_change_applies_to_live_tokens_at_once() {
        let w = world();
        let user = w.registered("asha@example.in").await;
        let tokens = w.login("asha@example.in", PASSWORD).await.unwrap();
        w.users.modify(&user.id, |u| u.roles = vec![Role::Viewer]);
        let live = w.live(&tokens).await.unwrap();
        assert_eq!(live.roles, [Role::Viewer]);
    }

    #[tokio::test]
    async fn audits_successes_failures_lockouts_and_refresh_reuse() {
        let w = world();
        let user = w.registered("asha@example.in").await;
        w.login("nobody@example.in", PASSWORD).await.unwrap_err();
        let first = w.login("asha@example.in", PASSWORD).await.unwrap();
        for _ in 0..5 {
            w.login("asha@example.in", "wrong-password-123")
                .await
                .unwrap_err();
        }
        let kinds: Vec<AuditKind> = w.audited().iter().map(|e| e.kind).collect();
        assert_eq!(kinds[..2], [AuditKind::LoginFailed, AuditKind::LoginSucceeded]);
        assert_eq!(kinds.iter().filter(|k| **k == AuditKind::LoginFailed).count(), 6);
        assert_eq!(kinds.last(), Some(&AuditKind::AccountLocked));
        let unknown = &w.audited()[0];
        assert_eq!(unknown.user_id, None);
        assert_eq!(unknown.detail["reason"], "unknown_email");
        assert_eq!(unknown.detail["ip"], "203.0.113.7");
        assert!(
            !unknown.detail.to_string().contains(PASSWORD),
            "never the password"
        );

        let second = w
            .service
            .refresh(&w.signer(), first.refresh_token.expose())
            .await
            .unwrap();
        w.service
            .refresh(&w.signer(), first.refresh_token.expose())
            .await
            .unwrap_err();
        let reuse = w.audited().pop().unwrap();
        assert_eq!(
            (reuse.kind, reuse.user_id),
            (AuditKind::RefreshTokenReused, Some(user.id))
        );
        assert_eq!(
            reuse.detail["session_id"],
            w.principal(&second).session_id.to_string()
        );
    }
}
