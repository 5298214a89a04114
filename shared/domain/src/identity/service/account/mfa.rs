//! Second-factor use cases: set up, enable, disable, new backup codes, and the login challenge. Wrong codes
//! count against [`MFA_ATTEMPTS_PER_USER`]; every change is a conditional write on the MFA state's
//! version, so one code can never be used twice, even by two requests at once. The TOTP secret is stored
//! sealed ([`Sealer`]) and bound to its user.

use serde_json::json;

use crate::audit::AuditKind;
use crate::identity::limits::MFA_ATTEMPTS_PER_USER;
use crate::identity::mfa::{MfaState, SecondFactor, TotpSecret, generate_backup_codes};
use crate::identity::rbac::Principal;
use crate::identity::sealed::Sealer;
use crate::identity::service::account::{AccountService, LoginError, Tokens};
use crate::identity::token::{TokenSigner, TokenVerifier};
use crate::identity::user::User;
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;
use crate::kernel::rate_limit::RateDecision;

/// What setup hands the user to enrol an authenticator app.
#[derive(Debug, Clone)]
pub struct MfaEnrolment {
    /// The new secret (pending until enabled).
    pub secret: TotpSecret,
    /// The `otpauth://` URI for a QR code.
    pub otpauth_uri: String,
}

/// Why an MFA change was refused.
#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    /// Setup or enable while MFA is on.
    #[error("MFA is already enabled")]
    AlreadyEnabled,
    /// Disable or new backup codes while MFA is off.
    #[error("MFA is not enabled")]
    NotEnabled,
    /// Enable before setup.
    #[error("no MFA setup in progress: call setup first")]
    NotSetUp,
    /// The code is wrong, expired or already used.
    #[error("invalid or already used code")]
    InvalidCode,
    /// The password is wrong.
    #[error("wrong password")]
    WrongPassword,
    /// Too many code attempts; try again after the window.
    #[error("too many attempts")]
    TooManyAttempts(RateDecision),
    /// Storage or decryption failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

crate::storage_failures_are_unexpected!(MfaError);

/// What the sealed TOTP secret of `user` is bound to.
fn totp_context(user: &UserId) -> String {
    format!("totp:{user}")
}

fn open_secret(sealer: &Sealer, user: &UserId, sealed: Option<&String>) -> anyhow::Result<TotpSecret> {
    let sealed = sealed.ok_or_else(|| anyhow::anyhow!("MFA state without a secret"))?;
    let bytes = sealer
        .open(sealed, &totp_context(user))
        .map_err(|e| anyhow::anyhow!("TOTP secret of {user}: {e}"))?;
    Ok(TotpSecret::from_bytes(bytes))
}

impl AccountService {
    async fn current_user(&self, principal: &Principal) -> Result<User, MfaError> {
        self.users
            .get(&principal.user_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("authenticated user {} not found", principal.user_id).into())
    }

    /// Checks one code for `user` under the attempt limit: the attempt is counted first, and refunded when
    /// `check` accepts the code.
    async fn limited<T>(&self, user: &UserId, check: impl FnOnce() -> Option<T>) -> Result<T, MfaError> {
        let (key, at) = (format!("mfa:{user}"), self.clock.now());
        let decision = self.limiter.hit(&key, MFA_ATTEMPTS_PER_USER, at).await?;
        if !decision.allowed {
            return Err(MfaError::TooManyAttempts(decision));
        }
        let accepted = check().ok_or(MfaError::InvalidCode)?;
        if let Err(e) = self.limiter.refund(&key, MFA_ATTEMPTS_PER_USER, at).await {
            // The user keeps one attempt fewer in this window; not worth failing a valid code for.
            tracing::warn!(error = ?e, %user, "MFA attempt not refunded");
        }
        Ok(accepted)
    }

    /// Checks `code` against an enabled MFA state and returns the state with the code consumed.
    async fn accept_code(
        &self,
        sealer: &Sealer,
        user: &User,
        code: &str,
    ) -> Result<(MfaState, SecondFactor), MfaError> {
        let secret = open_secret(sealer, &user.id, user.mfa.secret.as_ref())?;
        let now = self.clock.now();
        self.limited(&user.id, || user.mfa.accept(&secret, code, now))
            .await
    }

    /// Writes `next` over the state `user` was read with; a concurrent change makes the code count as used.
    async fn store_mfa(&self, user: &User, next: &MfaState) -> Result<(), MfaError> {
        match self.users.replace_mfa(&user.id, user.mfa.version, next).await {
            Ok(()) => Ok(()),
            Err(RepoError::Conflict) => Err(MfaError::InvalidCode),
            Err(e) => Err(e.into()),
        }
    }

    /// Generates a new TOTP secret, stored sealed as pending until [`enable_mfa`](Self::enable_mfa).
    ///
    /// # Errors
    /// [`MfaError::AlreadyEnabled`]; storage failures.
    pub async fn setup_mfa(&self, sealer: &Sealer, principal: &Principal) -> Result<MfaEnrolment, MfaError> {
        let user = self.current_user(principal).await?;
        if user.mfa.enabled {
            return Err(MfaError::AlreadyEnabled);
        }
        let secret = TotpSecret::generate();
        let next = MfaState {
            pending_secret: Some(sealer.seal(secret.as_bytes(), &totp_context(&user.id))),
            version: user.mfa.version + 1,
            ..MfaState::default()
        };
        self.store_mfa(&user, &next).await?;
        Ok(MfaEnrolment {
            otpauth_uri: secret.otpauth_uri(user.email.as_str()),
            secret,
        })
    }

    /// Turns MFA on with the first valid code of the pending secret, and returns 10 fresh backup codes.
    ///
    /// # Errors
    /// [`MfaError::AlreadyEnabled`], [`MfaError::NotSetUp`], [`MfaError::InvalidCode`],
    /// [`MfaError::TooManyAttempts`]; storage failures.
    pub async fn enable_mfa(
        &self,
        sealer: &Sealer,
        principal: &Principal,
        code: &str,
    ) -> Result<Vec<String>, MfaError> {
        let user = self.current_user(principal).await?;
        if user.mfa.enabled {
            return Err(MfaError::AlreadyEnabled);
        }
        let pending = user.mfa.pending_secret.clone().ok_or(MfaError::NotSetUp)?;
        let secret = open_secret(sealer, &user.id, Some(&pending))?;
        let now = self.clock.now();
        let step = self.limited(&user.id, || secret.verify(code, now, None)).await?;
        let (codes, hashes) = generate_backup_codes();
        let next = MfaState {
            secret: Some(pending),
            pending_secret: None,
            enabled: true,
            last_used_step: Some(step),
            backup_code_hashes: hashes,
            version: user.mfa.version + 1,
        };
        self.store_mfa(&user, &next).await?;
        self.record(AuditKind::MfaEnabled, Some(user.id), json!({})).await;
        Ok(codes)
    }

    /// Turns MFA off; needs the password and a current code (TOTP or backup).
    ///
    /// # Errors
    /// [`MfaError::NotEnabled`], [`MfaError::WrongPassword`], [`MfaError::InvalidCode`],
    /// [`MfaError::TooManyAttempts`]; storage failures.
    pub async fn disable_mfa(
        &self,
        sealer: &Sealer,
        principal: &Principal,
        password: &str,
        code: &str,
    ) -> Result<(), MfaError> {
        let user = self.current_user(principal).await?;
        if !user.mfa.enabled {
            return Err(MfaError::NotEnabled);
        }
        if !user.password_hash.verify(password) {
            return Err(MfaError::WrongPassword);
        }
        let (used, factor) = self.accept_code(sealer, &user, code).await?;
        let next = MfaState {
            version: used.version,
            ..MfaState::default()
        };
        self.store_mfa(&user, &next).await?;
        let detail = json!({"factor": factor_name(factor)});
        self.record(AuditKind::MfaDisabled, Some(user.id), detail).await;
        Ok(())
    }

    /// Replaces the backup codes; needs a current code. The old codes stop working at once.
    ///
    /// # Errors
    /// [`MfaError::NotEnabled`], [`MfaError::InvalidCode`], [`MfaError::TooManyAttempts`]; storage failures.
    pub async fn regenerate_backup_codes(
        &self,
        sealer: &Sealer,
        principal: &Principal,
        code: &str,
    ) -> Result<Vec<String>, MfaError> {
        let user = self.current_user(principal).await?;
        if !user.mfa.enabled {
            return Err(MfaError::NotEnabled);
        }
        let (mut next, factor) = self.accept_code(sealer, &user, code).await?;
        let (codes, hashes) = generate_backup_codes();
        next.backup_code_hashes = hashes;
        self.store_mfa(&user, &next).await?;
        let detail = json!({"factor": factor_name(factor)});
        self.record(AuditKind::BackupCodesRegenerated, Some(user.id), detail)
            .await;
        Ok(codes)
    }

    /// Finishes a login that [`login`](Self::login) answered with a challenge: a valid `mfa_token` and a TOTP or
    /// backup code start the session.
    ///
    /// # Errors
    /// [`LoginError::InvalidCredentials`] for a bad token or code (or a user locked, disabled or without MFA
    /// since), [`LoginError::TooManyAttempts`]; storage failures.
    pub async fn complete_mfa_login(
        &self,
        signer: &TokenSigner,
        verifier: &TokenVerifier,
        sealer: &Sealer,
        mfa_token: &str,
        code: &str,
        source_ip: Option<&str>,
    ) -> Result<Tokens, LoginError> {
        let user_id = verifier
            .verify_mfa(mfa_token)
            .map_err(|_| LoginError::InvalidCredentials)?;
        let user = self
            .users
            .get(&user_id)
            .await?
            .ok_or(LoginError::InvalidCredentials)?;
        if user.disabled || user.login_guard.is_locked(self.clock.now()) || !user.mfa.enabled {
            return Err(LoginError::InvalidCredentials);
        }
        let accepted = self.accept_code(sealer, &user, code).await;
        let stored = match accepted {
            Ok((next, factor)) => self.store_mfa(&user, &next).await.map(|()| factor),
            Err(e) => Err(e),
        };
        match stored {
            Ok(factor) => {
                let factors = format!("password+{}", factor_name(factor));
                self.start_session(signer, user, source_ip, &factors).await
            }
            Err(MfaError::InvalidCode) => {
                let detail = json!({"ip": source_ip, "reason": "wrong_mfa_code"});
                self.record(AuditKind::LoginFailed, Some(user.id), detail).await;
                Err(LoginError::InvalidCredentials)
            }
            Err(MfaError::TooManyAttempts(decision)) => Err(LoginError::TooManyAttempts(decision)),
            Err(e) => Err(LoginError::Unexpected(e.into())),
        }
    }
}

fn factor_name(factor: SecondFactor) -> &'static str {
    match factor {
        SecondFactor::Totp(_) => "totp",
        SecondFactor::BackupCode => "backup_code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditKind;
    use crate::identity::mfa::step_of;
    use crate::identity::ports::UserRepository;
    use crate::identity::sealed::DataKey;
    use crate::identity::service::account::tests::{PASSWORD, World, world};
    use crate::identity::service::account::{LoginAttempt, LoginOutcome};

    fn sealer() -> Sealer {
        Sealer::new(DataKey::from_secret(&"k".repeat(64)).unwrap(), None)
    }

    struct Enrolled {
        principal: Principal,
        secret: TotpSecret,
        backup_codes: Vec<String>,
    }

    impl World {
        async fn enrolled(&self, email: &str) -> Enrolled {
            self.registered(email).await;
            let tokens = self.login(email, PASSWORD).await.unwrap();
            let principal = self.principal(&tokens);
            let enrolment = self.service.setup_mfa(&sealer(), &principal).await.unwrap();
            let code = enrolment.secret.code_at(step_of(self.now) - 1);
            let backup_codes = self
                .service
                .enable_mfa(&sealer(), &principal, &code)
                .await
                .unwrap();
            Enrolled {
                principal,
                secret: enrolment.secret,
                backup_codes,
            }
        }

        async fn challenge(&self, email: &str) -> String {
            let attempt = LoginAttempt {
                email: email.into(),
                password: PASSWORD.into(),
                source_ip: None,
            };
            match self.service.login(&self.signer(), &attempt).await.unwrap() {
                LoginOutcome::MfaRequired { mfa_token } => mfa_token,
                LoginOutcome::Signed(_) => panic!("expected an MFA challenge"),
            }
        }

        async fn answer(&self, mfa_token: &str, code: &str) -> Result<Tokens, LoginError> {
            let verifier = TokenVerifier::new([&self.key]).unwrap();
            self.service
                .complete_mfa_login(&self.signer(), &verifier, &sealer(), mfa_token, code, None)
                .await
        }
    }

    #[tokio::test]
    async fn setup_stores_the_secret_sealed_and_pending() {
        let w = world();
        let user = w.registered("asha@example.in").await;
        let principal = w.principal(&w.login("asha@example.in", PASSWORD).await.unwrap());
        let enrolment = w.service.setup_mfa(&sealer(), &principal).await.unwrap();
        assert!(enrolment.otpauth_uri.contains(&enrolment.secret.base32()));
        let stored = w.users.get(&user.id).await.unwrap().unwrap().mfa;
        assert!(!stored.enabled);
        let sealed = stored.pending_secret.unwrap();
        assert!(!sealed.contains(&enrolment.secret.base32()), "encrypted at rest");
        let opened = sealer().open(&sealed, &format!("totp:{}", user.id)).unwrap();
        assert_eq!(opened, enrolment.secret.as_bytes());
    }

    #[tokio::test]
    async fn enable_needs_setup_and_a_valid_code() {
        let w = world();
        w.registered("asha@example.in").await;
        let principal = w.principal(&w.login("asha@example.in", PASSWORD).await.unwrap());
        let early = w.service.enable_mfa(&sealer(), &principal, "123456").await;
        assert!(matches!(early, Err(MfaError::NotSetUp)));
        let enrolment = w.service.setup_mfa(&sealer(), &principal).await.unwrap();
        let wrong = enrolment.secret.code_at(step_of(w.now) + 5);
        let refused = w.service.enable_mfa(&sealer(), &principal, &wrong).await;
        assert!(matches!(refused, Err(MfaError::InvalidCode)));
        let code = enrolment.secret.code_at(step_of(w.now));
        let codes = w.service.enable_mfa(&sealer(), &principal, &code).await.unwrap();
        assert_eq!(codes.len(), 10);
        let again = w.service.setup_mfa(&sealer(), &principal).await;
        assert!(matches!(again, Err(MfaError::AlreadyEnabled)));
    }

    #[tokio::test]
    async fn login_with_mfa_on_needs_the_challenge_and_a_code_works_once() {
        let w = world();
        let e = w.enrolled("asha@example.in").await;
        let token = w.challenge("asha@example.in").await;
        let code = e.secret.code_at(step_of(w.now));
        let tokens = w.answer(&token, &code).await.unwrap();
        assert_eq!(w.principal(&tokens).user_id, e.principal.user_id);
        let token = w.challenge("asha@example.in").await;
        assert!(
            matches!(w.answer(&token, &code).await, Err(LoginError::InvalidCredentials)),
            "replayed"
        );
        let next = e.secret.code_at(step_of(w.now) + 1);
        assert!(w.answer(&token, &next).await.is_ok(), "the next step still works");
    }

    #[tokio::test]
    async fn the_code_enrolment_used_cannot_log_in() {
        let w = world();
        let e = w.enrolled("asha@example.in").await;
        let token = w.challenge("asha@example.in").await;
        let enrolment_code = e.secret.code_at(step_of(w.now) - 1);
        assert!(w.answer(&token, &enrolment_code).await.is_err());
    }

    #[tokio::test]
    async fn a_backup_code_logs_in_once() {
        let w = world();
        let e = w.enrolled("asha@example.in").await;
        let token = w.challenge("asha@example.in").await;
        w.answer(&token, &e.backup_codes[0]).await.unwrap();
        assert!(w.answer(&token, &e.backup_codes[0]).await.is_err(), "reused");
        assert!(w.answer(&token, &e.backup_codes[1].to_uppercase()).await.is_ok());
    }

    #[tokio::test]
    async fn wrong_codes_are_limited_to_five_attempts_in_five_minutes() {
        let w = world();
        let e = w.enrolled("asha@example.in").await;
        let token = w.challenge("asha@example.in").await;
        let backup = e.backup_codes[0].clone();
        w.answer(&token, &backup).await.unwrap();
        for _ in 0..5 {
            assert!(matches!(
                w.answer(&token, "000000").await,
                Err(LoginError::InvalidCredentials)
            ));
        }
        let right = e.secret.code_at(step_of(w.now));
        let limited = w.answer(&token, &right).await;
        let Err(LoginError::TooManyAttempts(decision)) = limited else {
            panic!("expected the limit, got {limited:?}");
        };
        assert_eq!((decision.limit, decision.remaining), (5, 0));
    }

    #[tokio::test]
    async fn forged_or_foreign_challenge_tokens_fail() {
        let w = world();
        let e = w.enrolled("asha@example.in").await;
        let code = e.secret.code_at(step_of(w.now));
        let access = w.access_token_of_another_user().await;
        for token in ["", "garbage", access.as_str()] {
            assert!(matches!(
                w.answer(token, &code).await,
                Err(LoginError::InvalidCredentials)
            ));
        }
    }

    impl World {
        async fn access_token_of_another_user(&self) -> String {
            self.registered("bravo@example.in").await;
            self.login("bravo@example.in", PASSWORD)
                .await
                .unwrap()
                .access_token
        }
    }

    #[tokio::test]
    async fn disable_needs_password_and_code_and_is_audited() {
        let w = world();
        let e = w.enrolled("asha@example.in").await;
        let code = e.secret.code_at(step_of(w.now));
        let wrong_password = w
            .service
            .disable_mfa(&sealer(), &e.principal, "nope-nope-nope", &code)
            .await;
        assert!(matches!(wrong_password, Err(MfaError::WrongPassword)));
        let wrong_code = w
            .service
            .disable_mfa(&sealer(), &e.principal, PASSWORD, "999999x")
            .await;
        assert!(matches!(wrong_code, Err(MfaError::InvalidCode)));
        w.service
            .disable_mfa(&sealer(), &e.principal, PASSWORD, &code)
            .await
            .unwrap();
        let stored = w.users.get(&e.principal.user_id).await.unwrap().unwrap().mfa;
        assert!(!stored.enabled && stored.secret.is_none() && stored.backup_code_hashes.is_empty());
        assert!(
            w.login("asha@example.in", PASSWORD).await.is_ok(),
            "password alone again"
        );
        let kinds: Vec<_> = w.audited().iter().map(|e| e.kind).collect();
        assert!(kinds.contains(&AuditKind::MfaEnabled) && kinds.contains(&AuditKind::MfaDisabled));
    }

    #[tokio::test]
    async fn new_backup_codes_kill_the_old_ones() {
        let w = world();
        let e = w.enrolled("asha@example.in").await;
        let code = e.secret.code_at(step_of(w.now));
        let fresh = w
            .service
            .regenerate_backup_codes(&sealer(), &e.principal, &code)
            .await
            .unwrap();
        assert!(fresh.iter().all(|c| !e.backup_codes.contains(c)));
        let token = w.challenge("asha@example.in").await;
        assert!(w.answer(&token, &e.backup_codes[0]).await.is_err());
        assert!(w.answer(&token, &fresh[0]).await.is_ok());
        let kinds: Vec<_> = w.audited().iter().map(|e| e.kind).collect();
        assert!(kinds.contains(&AuditKind::BackupCodesRegenerated));
    }

    #[tokio::test]
    async fn a_disabled_user_cannot_finish_a_challenge() {
        let w = world();
        let e = w.enrolled("asha@example.in").await;
        let token = w.challenge("asha@example.in").await;
        w.users.modify(&e.principal.user_id, |u| u.disabled = true);
        let code = e.secret.code_at(step_of(w.now));
        assert!(matches!(
            w.answer(&token, &code).await,
            Err(LoginError::InvalidCredentials)
        ));
    }
}
