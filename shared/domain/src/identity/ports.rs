//! What identity needs from the world: user and session storage, and fixed-window counters. Each trait says
//! what an implementation MUST do; in-memory fakes live in `crate::testing`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::identity::mfa::MfaState;
use crate::identity::rbac::Role;
use crate::identity::session::Session;
use crate::identity::user::{Email, LoginGuard, User};
use crate::kernel::error::RepoError;
use crate::kernel::ids::{SessionId, UserId};
use crate::kernel::page::Page;
use crate::kernel::rate_limit::{RateDecision, RateRule};
use crate::trading::account::PaperAccount;

/// Stores user accounts.
///
/// Implementations MUST keep emails unique and MUST create a user, its email claim and its paper account
/// atomically: [`create`](UserRepository::create) returns [`RepoError::Conflict`] and writes nothing when the
/// email (or the id) is taken.
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Stores a new user with its funded paper account.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the email or id is taken.
    async fn create(&self, user: &User, paper: &PaperAccount) -> Result<(), RepoError>;

    /// The user with `id`, if any.
    ///
    /// # Errors
    /// Any storage failure.
    async fn get(&self, id: &UserId) -> Result<Option<User>, RepoError>;

    /// The user whose (normalised) email is `email`, if any.
    ///
    /// # Errors
    /// Any storage failure.
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepoError>;

    /// Replaces a user's login guard with `next` if it is still `expected`.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the guard changed meanwhile (a concurrent login); nothing is written.
    async fn replace_login_guard(
        &self,
        id: &UserId,
        expected: &LoginGuard,
        next: &LoginGuard,
    ) -> Result<(), RepoError>;

    /// Replaces a user's MFA state with `next` if the stored state's version is still `expected_version`
    /// (a user who never touched MFA is at version 0).
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the state changed meanwhile (say, the same code used twice at once) or the
    /// user is gone; nothing is written.
    async fn replace_mfa(&self, id: &UserId, expected_version: u64, next: &MfaState)
    -> Result<(), RepoError>;

    /// Sets a user's roles and disabled flag.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the user does not exist; nothing is written.
    async fn update_access(&self, id: &UserId, roles: &[Role], disabled: bool) -> Result<(), RepoError>;
}

/// Which users to list, and where to continue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserQuery {
    /// Only emails starting with this (as stored: trimmed and lower-cased).
    pub email_prefix: Option<String>,
    /// Only users holding this role.
    pub role: Option<Role>,
    /// Only disabled (`true`) or enabled (`false`) users.
    pub disabled: Option<bool>,
    /// At most this many.
    pub limit: u16,
    /// Continue after this user (from the previous page's resume key).
    pub after: Option<UserId>,
}

/// Lists user accounts for operators, by email.
///
/// Implementations MUST list users in email order and MUST answer from an index, never by scanning the
/// table; every user created is listed.
#[async_trait]
pub trait UserDirectory: Send + Sync {
    /// One page of the users `query` asks for, in email order.
    ///
    /// # Errors
    /// Storage failures.
    async fn search(&self, query: &UserQuery) -> Result<Page<User, UserId>, RepoError>;
}

/// Stores login sessions.
///
/// Implementations MUST make [`update`](SessionRepository::update) conditional on the stored version being
/// `session.version - 1` ([`RepoError::Conflict`] otherwise, writing nothing), so two concurrent refreshes
/// cannot both rotate the same token.
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Stores a new session (version 0).
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the id exists.
    async fn create(&self, session: &Session) -> Result<(), RepoError>;

    /// The session, if it exists.
    ///
    /// # Errors
    /// Any storage failure.
    async fn get(&self, user: &UserId, id: &SessionId) -> Result<Option<Session>, RepoError>;

    /// Writes `session`, whose `version` the caller has already incremented.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] when the stored version is not `session.version - 1`.
    async fn update(&self, session: &Session) -> Result<(), RepoError>;
}

/// Counts hits per key in fixed windows.
///
/// Implementations MUST count atomically across concurrent callers and MUST let old windows expire.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one hit on `key` under `rule` at `now` and says whether it is allowed.
    ///
    /// # Errors
    /// Storage failures.
    async fn hit(&self, key: &str, rule: RateRule, now: DateTime<Utc>) -> Result<RateDecision, RepoError>;

    /// Takes back one hit that [`hit`](RateLimiter::hit) counted at `at` (for attempts that turned out to be
    /// legitimate). MUST never take a count below zero.
    ///
    /// # Errors
    /// Storage failures.
    async fn refund(&self, key: &str, rule: RateRule, at: DateTime<Utc>) -> Result<(), RepoError>;
}
