//! Fakes of identity's ports.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::identity::mfa::MfaState;
use crate::identity::ports::{RateLimiter, SessionRepository, UserDirectory, UserQuery, UserRepository};
use crate::identity::rbac::Role;
use crate::identity::session::Session;
use crate::identity::user::{Email, LoginGuard, User};
use crate::kernel::error::RepoError;
use crate::kernel::ids::{SessionId, UserId};
use crate::kernel::page::Page;
use crate::kernel::rate_limit::{RateDecision, RateRule};
use crate::trading::account::PaperAccount;

/// A [`UserRepository`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryUsers {
    users: Mutex<HashMap<UserId, User>>,
}

impl InMemoryUsers {
    /// Changes a stored user in place (tests use it to disable accounts or change roles).
    pub fn modify(&self, id: &UserId, change: impl FnOnce(&mut User)) {
        if let Some(u) = self.users.lock().ok().as_mut().and_then(|m| m.get_mut(id)) {
            change(u);
        }
    }
}

#[async_trait]
impl UserDirectory for InMemoryUsers {
    async fn search(&self, query: &UserQuery) -> Result<Page<User, UserId>, RepoError> {
        let users = self.users.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let mut found: Vec<&User> = users
            .values()
            .filter(|u| {
                query
                    .email_prefix
                    .as_ref()
                    .is_none_or(|p| u.email.as_str().starts_with(p.as_str()))
            })
            .filter(|u| query.role.is_none_or(|r| u.roles.contains(&r)))
            .filter(|u| query.disabled.is_none_or(|d| u.disabled == d))
            .collect();
        found.sort_by(|a, b| (a.email.as_str(), a.id).cmp(&(b.email.as_str(), b.id)));
        if let Some(after) = query.after.and_then(|id| users.get(&id)) {
            found.retain(|u| (u.email.as_str(), u.id) > (after.email.as_str(), after.id));
        }
        let more = found.len() > usize::from(query.limit);
        found.truncate(usize::from(query.limit));
        Ok(Page {
            resume_after: more.then(|| found.last().map(|u| u.id)).flatten(),
            items: found.into_iter().cloned().collect(),
        })
    }
}

#[async_trait]
impl UserRepository for InMemoryUsers {
    async fn create(&self, user: &User, paper: &PaperAccount) -> Result<(), RepoError> {
        let mut users = self.users.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        if paper.user_id != user.id {
            return Err(anyhow::anyhow!("paper account of another user").into());
        }
        if users.contains_key(&user.id) || users.values().any(|u| u.email == user.email) {
            return Err(RepoError::Conflict);
        }
        users.insert(user.id, user.clone());
        Ok(())
    }

    async fn get(&self, id: &UserId) -> Result<Option<User>, RepoError> {
        Ok(self
            .users
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .get(id)
            .cloned())
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepoError> {
        let users = self.users.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(users.values().find(|u| &u.email == email).cloned())
    }

    async fn replace_login_guard(
        &self,
        id: &UserId,
        expected: &LoginGuard,
        next: &LoginGuard,
    ) -> Result<(), RepoError> {
        let mut users = self.users.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        match users.get_mut(id) {
            Some(u) if u.login_guard == *expected => {
                u.login_guard = *next;
                Ok(())
            }
            _ => Err(RepoError::Conflict),
        }
    }

    async fn update_access(&self, id: &UserId, roles: &[Role], disabled: bool) -> Result<(), RepoError> {
        let mut users = self.users.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let user = users.get_mut(id).ok_or(RepoError::Conflict)?;
        user.roles = roles.to_vec();
        user.disabled = disabled;
        Ok(())
    }

    async fn replace_mfa(
        &self,
        id: &UserId,
        expected_version: u64,
        next: &MfaState,
    ) -> Result<(), RepoError> {
        let mut users = self.users.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        match users.get_mut(id) {
            Some(u) if u.mfa.version == expected_version => {
                u.mfa = next.clone();
                Ok(())
            }
            _ => Err(RepoError::Conflict),
        }
    }
}

/// A [`RateLimiter`] in memory: fixed windows, like the real one.
#[derive(Debug, Default)]
pub struct InMemoryRateLimiter {
    counts: Mutex<HashMap<(String, i64), u64>>,
}

#[async_trait]
impl RateLimiter for InMemoryRateLimiter {
    async fn hit(&self, key: &str, rule: RateRule, now: DateTime<Utc>) -> Result<RateDecision, RepoError> {
        let mut counts = self.counts.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let count = counts
            .entry((key.to_owned(), rule.window_start(now).timestamp()))
            .or_default();
        *count += 1;
        Ok(rule.decide(*count, now))
    }

    async fn refund(&self, key: &str, rule: RateRule, at: DateTime<Utc>) -> Result<(), RepoError> {
        let mut counts = self.counts.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        if let Some(count) = counts.get_mut(&(key.to_owned(), rule.window_start(at).timestamp())) {
            *count = count.saturating_sub(1);
        }
        Ok(())
    }
}

/// A [`SessionRepository`] in memory, with the same version check as the real one.
#[derive(Debug, Default)]
pub struct InMemorySessions {
    sessions: Mutex<HashMap<(UserId, SessionId), Session>>,
}

#[async_trait]
impl SessionRepository for InMemorySessions {
    async fn create(&self, session: &Session) -> Result<(), RepoError> {
        let mut sessions = self.sessions.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let key = (session.user_id, session.id);
        if sessions.contains_key(&key) {
            return Err(RepoError::Conflict);
        }
        sessions.insert(key, session.clone());
        Ok(())
    }

    async fn get(&self, user: &UserId, id: &SessionId) -> Result<Option<Session>, RepoError> {
        Ok(self
            .sessions
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .get(&(*user, *id))
            .cloned())
    }

    async fn update(&self, session: &Session) -> Result<(), RepoError> {
        let mut sessions = self.sessions.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        match sessions.get_mut(&(session.user_id, session.id)) {
            Some(stored) if stored.version + 1 == session.version => {
                *stored = session.clone();
                Ok(())
            }
            _ => Err(RepoError::Conflict),
        }
    }
}
