//! User accounts: normalised emails, roles, argon2id password hashes.

use std::fmt;
use std::str::FromStr;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{
    PasswordHash as ParsedHash, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::identity::mfa::MfaState;
use crate::identity::rbac::Role;
use crate::kernel::ids::UserId;

/// Longest email accepted (RFC 5321's path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// An email address, normalised (trimmed, lower-cased) so that one mailbox is one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// Why an email was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid email address")]
pub struct InvalidEmail;

impl FromStr for Email {
    type Err = InvalidEmail;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalised = s.trim().to_lowercase();
        let (local, domain) = normalised.split_once('@').ok_or(InvalidEmail)?;
        let ok = normalised.len() <= MAX_EMAIL_LEN
            && !local.is_empty()
            && local.len() <= 64
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && normalised
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
        if ok {
            Ok(Self(normalised))
        } else {
            Err(InvalidEmail)
        }
    }
}

impl TryFrom<String> for Email {
    type Error = InvalidEmail;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl Email {
    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// An argon2id password hash in PHC string form (`$argon2id$v=19$m=19456,t=2,p=1$…`). Never the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// Hashing failed (only on invalid parameters, which ours are not).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed")]
pub struct HashingFailed;

/// [`PasswordHash::decoy`]'s PHC string.
const DECOY_PHC: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$KBkddLrDhU58ngUMzgCvwQ$4xYrxWVyb3g6XkLaA0GU2ffo8jYUI/143tCtlhswJhk";

fn argon2() -> Argon2<'static> {
    // OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl PasswordHash {
    /// Hashes `password` with a fresh random salt.
    ///
    /// # Errors
    /// [`HashingFailed`] if argon2 rejects its input.
    pub fn new(password: &str) -> Result<Self, HashingFailed> {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| Self(h.to_string()))
            .map_err(|_| HashingFailed)
    }

    /// A hash no password is known to match, with our argon2 parameters: what a login for an unknown email
    /// verifies against, so it costs what a login for a known one does. Made once by [`PasswordHash::new`]
    /// from a random password that was then thrown away, and checked in, so a cold start does not spend
    /// ~20 ms hashing it.
    pub fn decoy() -> Self {
        Self(DECOY_PHC.to_owned())
    }

    /// Wraps a stored PHC string.
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string, for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `password` matches (constant-time comparison inside argon2). A malformed hash never matches.
    pub fn verify(&self, password: &str) -> bool {
        ParsedHash::new(&self.0).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
    }
}

/// Failed logins before an account locks.
pub const LOCK_AFTER_FAILURES: u32 = 5;
/// How long a locked account stays locked.
pub const LOCK_DURATION: chrono::Duration = chrono::Duration::minutes(15);

/// The brute-force guard on an account: consecutive failed logins and any lock in force.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginGuard {
    /// Failed logins since the last success or lock.
    pub failed_logins: u32,
    /// Logins are refused until then.
    pub locked_until: Option<DateTime<Utc>>,
}

impl LoginGuard {
    /// Whether logins are refused at `now`.
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// The guard after one more failure at `now`: the [`LOCK_AFTER_FAILURES`]th consecutive failure locks the
    /// account for [`LOCK_DURATION`] and starts the count again.
    pub fn after_failure(&self, now: DateTime<Utc>) -> Self {
        let failed = self.failed_logins + 1;
        if failed >= LOCK_AFTER_FAILURES {
            Self {
                failed_logins: 0,
                locked_until: Some(now + LOCK_DURATION),
            }
        } else {
            Self {
                failed_logins: failed,
                locked_until: self.locked_until,
            }
        }
    }
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Login email, unique.
    pub email: Email,
    /// Name shown in the UI.
    pub display_name: String,
    /// Granted roles.
    pub roles: Vec<Role>,
    /// Password hash.
    pub password_hash: PasswordHash,
    /// A disabled user cannot log in, and their sessions stop working.
    pub disabled: bool,
    /// Failed-login count and lock.
    pub login_guard: LoginGuard,
    /// Second-factor state.
    pub mfa: MfaState,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn the_decoy_hash_has_our_parameters_and_matches_nothing_we_know() {
        let decoy = ParsedHash::new(DECOY_PHC).unwrap();
        let ours = argon2();
        assert_eq!(decoy.algorithm, Algorithm::Argon2id.ident());
        assert_eq!(decoy.version, Some(Version::V0x13.into()));
        let param = |name: &str| decoy.params.get_decimal(name);
        assert_eq!(param("m"), Some(ours.params().m_cost()));
        assert_eq!(param("t"), Some(ours.params().t_cost()));
        assert_eq!(param("p"), Some(ours.params().p_cost()));
        for guess in ["", "decoy", "TradeSense-demo-2026", "password"] {
            assert!(!PasswordHash::decoy().verify(guess));
        }
    }

    #[rstest]
    #[case("Trader@Demo.TradeSense.in", "trader@demo.tradesense.in")]
    #[case("  a.b+c@example.co.in ", "a.b+c@example.co.in")]
    fn normalises_emails(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(input.parse::<Email>().unwrap().as_str(), expected);
    }

    #[rstest]
    #[case("")]
    #[case("no-at-sign")]
    #[case("@example.com")]
    #[case("a@b")]
    #[case("a@@example.com")]
    #[case("a@example..com")]
    #[case("a b@example.com")]
    #[case("a@example.com.")]
    #[case("\"quoted\"@example.com")]
    fn rejects_malformed_emails(#[case] input: &str) {
        assert_eq!(input.parse::<Email>(), Err(InvalidEmail), "{input}");
    }

    #[test]
    fn rejects_an_email_over_254_characters() {
        let long = format!("a@{}.com", "b".repeat(250));
        assert!(long.parse::<Email>().is_err());
    }

    #[test]
    fn the_fifth_consecutive_failure_locks_for_fifteen_minutes() {
        use chrono::TimeZone;
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap();
        let mut guard = LoginGuard::default();
        for _ in 0..4 {
            guard = guard.after_failure(now);
            assert!(!guard.is_locked(now));
        }
        assert_eq!(guard.failed_logins, 4);
        guard = guard.after_failure(now);
        assert!(guard.is_locked(now));
        assert!(guard.is_locked(now + chrono::Duration::minutes(14) + chrono::Duration::seconds(59)));
        assert!(!guard.is_locked(now + chrono::Duration::minutes(15)));
        assert_eq!(guard.failed_logins, 0, "the count starts again after a lock");
    }

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let hash = PasswordHash::new("TradeSense-demo-2026").unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hash.verify("TradeSense-demo-2026"));
        assert!(!hash.verify("TradeSense-demo-2025"));
        assert!(!hash.verify(""));
        assert_ne!(hash, PasswordHash::new("TradeSense-demo-2026").unwrap(), "salted");
        assert!(!PasswordHash::from_stored("not-a-phc-string".into()).verify("x"));
        assert_eq!(format!("{hash:?}"), "PasswordHash(..)");
    }
}
