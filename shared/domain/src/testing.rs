//! In-memory fakes of the ports and a fixed clock, for fast use-case tests. Every adapter is also tested
//! against the emulator; these never replace that.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::sync::atomic::{AtomicU64, Ordering};

use ulid::Ulid;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::audit::AuditEvent;
use crate::audit::service::AuditTrail;
use crate::audit::ports::AuditLog;
use crate::broker::link::{Broker, BrokerAccessToken, BrokerAuthError, BrokerGrant, BrokerLink};
use crate::broker::ports::{BrokerAuthorization, BrokerLinkRepository};
use crate::identity::mfa::MfaState;
use crate::identity::ports::{RateLimiter, SessionRepository, UserRepository};
use crate::identity::rbac::Role;
use crate::identity::session::Session;
use crate::identity::user::{Email, LoginGuard, User};
use crate::kernel::error::RepoError;
use crate::kernel::events::{Envelope, EventPublisher};
use crate::kernel::ids::{IdGen, SessionId, UserId};
use crate::kernel::rate_limit::{RateDecision, RateRule};
use crate::kernel::time::Clock;
use crate::market::instrument::InstrumentKey;
use crate::market::master::InstrumentSnapshot;
use crate::market::ports::{InstrumentStore, QuoteCache};
use crate::market::quote::Quote;
use crate::ops::jobs::ScheduledJob;
use crate::ops::kill_switch::KillSwitch;
use crate::ops::ports::{DependencyCheck, JobRunLog, KillSwitchStore};
use crate::trading::account::PaperAccount;

/// An [`IdGen`] counting up from 1: the same ids every run, in the order they were minted.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl IdGen for SequentialIds {
    fn next_ulid(&self) -> Ulid {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        Ulid::from_parts(n, u128::from(n))
    }
}

/// An [`AuditTrail`] into `publisher`, its events numbered by [`SequentialIds`].
pub fn audit_trail(publisher: Arc<RecordingPublisher>) -> AuditTrail {
    AuditTrail::new(publisher, Arc::new(SequentialIds::default()))
}

/// A clock stuck at one instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// An [`AuditLog`] in memory; `failing()` makes every write fail.
#[derive(Debug, Default)]
pub struct InMemoryAuditLog {
    events: Mutex<Vec<AuditEvent>>,
    fail: bool,
}

impl InMemoryAuditLog {
    /// A log whose writes always fail with [`RepoError::Unexpected`].
    pub fn failing() -> Self {
        Self {
            events: Mutex::default(),
            fail: true,
        }
    }

    /// Everything recorded so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl AuditLog for InMemoryAuditLog {
    async fn record(&self, event: &AuditEvent) -> Result<(), RepoError> {
        if self.fail {
            return Err(anyhow::anyhow!("audit log unavailable").into());
        }
        let mut events = self.events.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        if events.iter().any(|e| e.id == event.id) {
            return Err(RepoError::Conflict);
        }
        events.push(event.clone());
        Ok(())
    }
}

/// A [`JobRunLog`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryJobRunLog {
    runs: Mutex<HashMap<ScheduledJob, DateTime<Utc>>>,
}

#[async_trait]
impl JobRunLog for InMemoryJobRunLog {
    async fn record_run(&self, job: ScheduledJob, at: DateTime<Utc>) -> Result<(), RepoError> {
        let mut runs = self.runs.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let entry = runs.entry(job).or_insert(at);
        *entry = (*entry).max(at);
        Ok(())
    }

    async fn last_run(&self, job: ScheduledJob) -> Result<Option<DateTime<Utc>>, RepoError> {
        Ok(self
            .runs
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .get(&job)
            .copied())
    }
}

/// A [`DependencyCheck`] with a fixed answer.
#[derive(Debug)]
pub struct StaticCheck {
    name: &'static str,
    failure: Option<&'static str>,
}

impl StaticCheck {
    /// A dependency that always answers.
    pub fn up(name: &'static str) -> Self {
        Self { name, failure: None }
    }

    /// A dependency that always fails with `cause`.
    pub fn down(name: &'static str, cause: &'static str) -> Self {
        Self {
            name,
            failure: Some(cause),
        }
    }
}

#[async_trait]
impl DependencyCheck for StaticCheck {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn check(&self) -> anyhow::Result<()> {
        match self.failure {
            None => Ok(()),
            Some(cause) => Err(anyhow::anyhow!(cause)),
        }
    }
}

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

/// An [`EventPublisher`] that keeps what it is given.
#[derive(Debug, Default)]
pub struct RecordingPublisher {
    published: Mutex<Vec<Envelope>>,
}

impl RecordingPublisher {
    /// Everything published so far.
    pub fn published(&self) -> Vec<Envelope> {
        self.published.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl EventPublisher for RecordingPublisher {
    async fn publish(&self, envelope: &Envelope) -> anyhow::Result<()> {
        self.published
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .push(envelope.clone());
        Ok(())
    }
}

/// A [`BrokerLinkRepository`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryBrokerLinks {
    links: Mutex<HashMap<(UserId, Broker), BrokerLink>>,
}

#[async_trait]
impl BrokerLinkRepository for InMemoryBrokerLinks {
    async fn put(&self, link: &BrokerLink) -> Result<(), RepoError> {
        let mut links = self.links.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        links.insert((link.user_id, link.broker), link.clone());
        Ok(())
    }

    async fn get(&self, user: &UserId, broker: Broker) -> Result<Option<BrokerLink>, RepoError> {
        let links = self.links.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(links.get(&(*user, broker)).cloned())
    }

    async fn delete(&self, user: &UserId, broker: Broker) -> Result<bool, RepoError> {
        let mut links = self.links.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(links.remove(&(*user, broker)).is_some())
    }
}

/// A broker that accepts exactly one code, `good-code`, granting `token-for-good-code`; `down` makes it
/// unavailable.
#[derive(Debug, Default)]
pub struct ScriptedBroker;

#[async_trait]
impl BrokerAuthorization for ScriptedBroker {
    async fn authorize_url(&self, state: &str) -> Result<String, BrokerAuthError> {
        Ok(format!("https://broker.test/login?state={state}"))
    }

    async fn exchange_code(&self, code: &str) -> Result<BrokerGrant, BrokerAuthError> {
        match code {
            "good-code" => Ok(BrokerGrant {
                broker_user_id: "AB1234".into(),
                access_token: BrokerAccessToken("token-for-good-code".into()),
            }),
            "down" => Err(BrokerAuthError::Unavailable(anyhow::anyhow!("503"))),
            _ => Err(BrokerAuthError::Rejected("Invalid Auth code".into())),
        }
    }
}

/// A [`QuoteCache`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryQuoteCache {
    quotes: Mutex<HashMap<InstrumentKey, (Quote, DateTime<Utc>)>>,
}

#[async_trait]
impl QuoteCache for InMemoryQuoteCache {
    async fn get(
        &self,
        keys: &[InstrumentKey],
    ) -> Result<HashMap<InstrumentKey, (Quote, DateTime<Utc>)>, RepoError> {
        let quotes = self.quotes.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(keys
            .iter()
            .filter_map(|k| quotes.get(k).map(|v| (k.clone(), v.clone())))
            .collect())
    }

    async fn put(
        &self,
        fresh: &HashMap<InstrumentKey, Quote>,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let mut quotes = self.quotes.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        for (k, q) in fresh {
            quotes.insert(k.clone(), (q.clone(), fetched_at));
        }
        Ok(())
    }
}

/// An [`InstrumentStore`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryInstrumentStore {
    current: Mutex<Option<InstrumentSnapshot>>,
}

#[async_trait]
impl InstrumentStore for InMemoryInstrumentStore {
    async fn publish(&self, snapshot: &InstrumentSnapshot) -> Result<(), RepoError> {
        *self.current.lock().map_err(|_| anyhow::anyhow!("poisoned"))? = Some(snapshot.clone());
        Ok(())
    }

    async fn current_id(&self) -> Result<Option<String>, RepoError> {
        let current = self.current.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        Ok(current.as_ref().map(|s| s.id.clone()))
    }

    async fn current(&self) -> Result<Option<InstrumentSnapshot>, RepoError> {
        Ok(self
            .current
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .clone())
    }
}

/// A [`KillSwitchStore`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryKillSwitch {
    switch: Mutex<Option<KillSwitch>>,
}

#[async_trait]
impl KillSwitchStore for InMemoryKillSwitch {
    async fn current(&self) -> Result<Option<KillSwitch>, RepoError> {
        Ok(self
            .switch
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .clone())
    }

    async fn set(&self, switch: &KillSwitch) -> Result<(), RepoError> {
        *self.switch.lock().map_err(|_| anyhow::anyhow!("poisoned"))? = Some(switch.clone());
        Ok(())
    }
}
