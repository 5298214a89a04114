//! In-memory fakes of the alert ports, keeping their contracts: the active cap, versions, one trigger per
//! alert and minute; a transport that answers as scripted and keeps what it was sent; a sealer bound to
//! its context.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::alerts::alert::{Alert, AlertStatus};
use crate::alerts::notification::Notification;
use crate::alerts::ports::{AlertStore, NotificationStore, SecretSealer, WebhookStore, WebhookTransport};
use crate::alerts::scan::ScanState;
use crate::alerts::trigger::TriggerRecord;
use crate::alerts::webhook::{SendOutcome, SignedMessage, WebhookEndpoint};
use crate::kernel::error::RepoError;
use crate::kernel::ids::{AlertId, NotificationId, UserId, WebhookId};
use crate::kernel::page::Page;

fn poisoned() -> RepoError {
    anyhow::anyhow!("poisoned").into()
}

#[derive(Debug, Default)]
struct Alerts {
    alerts: BTreeMap<(UserId, AlertId), Alert>,
    triggers: BTreeMap<(AlertId, DateTime<Utc>), TriggerRecord>,
    scan: ScanState,
}

impl Alerts {
    fn active_count(&self, user: &UserId) -> u32 {
        let n = self
            .alerts
            .values()
            .filter(|a| a.user_id == *user && a.status == AlertStatus::Active)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

/// An [`AlertStore`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryAlertStore {
    inner: Mutex<Alerts>,
}

impl InMemoryAlertStore {
    /// Every trigger record kept, of anyone.
    pub fn all_triggers(&self) -> Vec<TriggerRecord> {
        self.inner
            .lock()
            .map(|a| a.triggers.values().cloned().collect())
            .unwrap_or_default()
    }
}

#[async_trait]
impl AlertStore for InMemoryAlertStore {
    async fn create(&self, alert: &Alert, cap: u32) -> Result<(), RepoError> {
        let mut a = self.inner.lock().map_err(|_| poisoned())?;
        if a.alerts.contains_key(&(alert.user_id, alert.id))
            || (alert.status == AlertStatus::Active && a.active_count(&alert.user_id) >= cap)
        {
            return Err(RepoError::Conflict);
        }
        a.alerts.insert((alert.user_id, alert.id), alert.clone());
        Ok(())
    }

    async fn get(&self, user: &UserId, id: &AlertId) -> Result<Option<Alert>, RepoError> {
        Ok(self
            .inner
            .lock()
            .map_err(|_| poisoned())?
            .alerts
            .get(&(*user, *id))
            .cloned())
    }

    async fn page(
        &self,
        user: &UserId,
        status: Option<AlertStatus>,
        limit: u16,
        after: Option<AlertId>,
    ) -> Result<Page<Alert, AlertId>, RepoError> {
        let a = self.inner.lock().map_err(|_| poisoned())?;
        let mut mine: Vec<&Alert> = a
            .alerts
            .values()
            .filter(|x| x.user_id == *user && status.is_none_or(|s| x.status == s))
            .filter(|x| after.is_none_or(|after| x.id < after))
            .collect();
        mine.sort_by_key(|x| std::cmp::Reverse(x.id));
        let more = mine.len() > usize::from(limit);
        let items: Vec<Alert> = mine.into_iter().take(usize::from(limit)).cloned().collect();
        Ok(Page {
            resume_after: if more { items.last().map(|x| x.id) } else { None },
            items,
        })
    }

    async fn save(&self, before: &Alert, after: &Alert, cap: u32) -> Result<(), RepoError> {
        let mut a = self.inner.lock().map_err(|_| poisoned())?;
        let stored = a.alerts.get(&(before.user_id, before.id));
        if stored.is_none_or(|s| s.version != before.version) {
            return Err(RepoError::Conflict);
        }
        let activates = after.status == AlertStatus::Active && before.status != AlertStatus::Active;
        if activates && a.active_count(&before.user_id) >= cap {
            return Err(RepoError::Conflict);
        }
        a.alerts.insert((after.user_id, after.id), after.clone());
        Ok(())
    }

    async fn active(&self) -> Result<Vec<Alert>, RepoError> {
        let a = self.inner.lock().map_err(|_| poisoned())?;
        Ok(a.alerts
            .values()
            .filter(|x| x.status == AlertStatus::Active)
            .cloned()
            .collect())
    }

    async fn record_trigger(
        &self,
        before: &Alert,
        after: &Alert,
        record: &TriggerRecord,
    ) -> Result<(), RepoError> {
        let mut a = self.inner.lock().map_err(|_| poisoned())?;
        let key = (record.alert_id, record.triggered_at);
        let stored = a.alerts.get(&(before.user_id, before.id));
        if a.triggers.contains_key(&key) || stored.is_none_or(|s| s.version != before.version) {
            return Err(RepoError::Conflict);
        }
        a.triggers.insert(key, record.clone());
        a.alerts.insert((after.user_id, after.id), after.clone());
        Ok(())
    }

    async fn trigger(
        &self,
        user: &UserId,
        alert: &AlertId,
        minute: DateTime<Utc>,
    ) -> Result<Option<TriggerRecord>, RepoError> {
        let a = self.inner.lock().map_err(|_| poisoned())?;
        Ok(a.triggers
            .get(&(*alert, minute))
            .filter(|r| r.user_id == *user)
            .cloned())
    }

    async fn triggers(
        &self,
        user: &UserId,
        alert: &AlertId,
        limit: u16,
    ) -> Result<Vec<TriggerRecord>, RepoError> {
        let a = self.inner.lock().map_err(|_| poisoned())?;
        Ok(a.triggers
            .values()
            .rev()
            .filter(|r| r.alert_id == *alert && r.user_id == *user)
            .take(usize::from(limit))
            .cloned()
            .collect())
    }

    async fn update_trigger(&self, record: &TriggerRecord) -> Result<(), RepoError> {
        let mut a = self.inner.lock().map_err(|_| poisoned())?;
        match a.triggers.get_mut(&(record.alert_id, record.triggered_at)) {
            Some(stored) if stored.version + 1 == record.version => {
                *stored = record.clone();
                Ok(())
            }
            _ => Err(RepoError::Conflict),
        }
    }

    async fn scan_state(&self) -> Result<ScanState, RepoError> {
        Ok(self.inner.lock().map_err(|_| poisoned())?.scan.clone())
    }

    async fn save_scan_state(&self, state: &ScanState) -> Result<(), RepoError> {
        self.inner.lock().map_err(|_| poisoned())?.scan = state.clone();
        Ok(())
    }
}

/// A [`WebhookStore`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryWebhookStore {
    inner: Mutex<BTreeMap<(UserId, WebhookId), WebhookEndpoint>>,
}

#[async_trait]
impl WebhookStore for InMemoryWebhookStore {
    async fn create(&self, endpoint: &WebhookEndpoint, cap: usize) -> Result<(), RepoError> {
        let mut w = self.inner.lock().map_err(|_| poisoned())?;
        let owned = w.values().filter(|e| e.user_id == endpoint.user_id).count();
        if owned >= cap || w.contains_key(&(endpoint.user_id, endpoint.id)) {
            return Err(RepoError::Conflict);
        }
        w.insert((endpoint.user_id, endpoint.id), endpoint.clone());
        Ok(())
    }

    async fn get(&self, user: &UserId, id: &WebhookId) -> Result<Option<WebhookEndpoint>, RepoError> {
        Ok(self
            .inner
            .lock()
            .map_err(|_| poisoned())?
            .get(&(*user, *id))
            .cloned())
    }

    async fn list(&self, user: &UserId) -> Result<Vec<WebhookEndpoint>, RepoError> {
        let w = self.inner.lock().map_err(|_| poisoned())?;
        Ok(w.values().filter(|e| e.user_id == *user).cloned().collect())
    }

    async fn update(&self, endpoint: &WebhookEndpoint) -> Result<(), RepoError> {
        let mut w = self.inner.lock().map_err(|_| poisoned())?;
        match w.get_mut(&(endpoint.user_id, endpoint.id)) {
            Some(stored) if stored.version + 1 == endpoint.version => {
                *stored = endpoint.clone();
                Ok(())
            }
            _ => Err(RepoError::Conflict),
        }
    }

    async fn delete(&self, user: &UserId, id: &WebhookId) -> Result<bool, RepoError> {
        Ok(self
            .inner
            .lock()
            .map_err(|_| poisoned())?
            .remove(&(*user, *id))
            .is_some())
    }
}

#[derive(Debug, Default)]
struct Inbox {
    notes: BTreeMap<(UserId, NotificationId), Notification>,
    read_all: HashMap<UserId, DateTime<Utc>>,
}

/// A [`NotificationStore`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryNotificationStore {
    inner: Mutex<Inbox>,
}

impl InMemoryNotificationStore {
    /// How many notifications are kept, of anyone.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.notes.len()).unwrap_or_default()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn resolved(n: &Notification, read_all: Option<DateTime<Utc>>) -> Notification {
    let mut n = n.clone();
    if n.read_at.is_none() {
        n.read_at = read_all.filter(|at| *at >= n.created_at);
    }
    n
}

#[async_trait]
impl NotificationStore for InMemoryNotificationStore {
    async fn create(&self, notification: &Notification) -> Result<(), RepoError> {
        let mut i = self.inner.lock().map_err(|_| poisoned())?;
        let key = (notification.user_id, notification.id);
        if i.notes.contains_key(&key) {
            return Err(RepoError::Conflict);
        }
        i.notes.insert(key, notification.clone());
        Ok(())
    }

    async fn get(&self, user: &UserId, id: &NotificationId) -> Result<Option<Notification>, RepoError> {
        let i = self.inner.lock().map_err(|_| poisoned())?;
        Ok(i.notes
            .get(&(*user, *id))
            .map(|n| resolved(n, i.read_all.get(user).copied())))
    }

    async fn page(
        &self,
        user: &UserId,
        unread_only: bool,
        limit: u16,
        after: Option<NotificationId>,
    ) -> Result<Page<Notification, NotificationId>, RepoError> {
        let i = self.inner.lock().map_err(|_| poisoned())?;
        let watermark = i.read_all.get(user).copied();
        let mut mine: Vec<Notification> = i
            .notes
            .values()
            .filter(|n| n.user_id == *user && after.is_none_or(|a| n.id < a))
            .map(|n| resolved(n, watermark))
            .filter(|n| !unread_only || n.read_at.is_none())
            .collect();
        mine.sort_by_key(|x| std::cmp::Reverse(x.id));
        let more = mine.len() > usize::from(limit);
        mine.truncate(usize::from(limit));
        Ok(Page {
            resume_after: if more { mine.last().map(|n| n.id) } else { None },
            items: mine,
        })
    }

    async fn mark_read(
        &self,
        user: &UserId,
        id: &NotificationId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let mut i = self.inner.lock().map_err(|_| poisoned())?;
        Ok(match i.notes.get_mut(&(*user, *id)) {
            Some(n) => {
                n.read_at.get_or_insert(at);
                true
            }
            None => false,
        })
    }

    async fn mark_all_read(&self, user: &UserId, at: DateTime<Utc>) -> Result<(), RepoError> {
        self.inner
            .lock()
            .map_err(|_| poisoned())?
            .read_all
            .insert(*user, at);
        Ok(())
    }
}

/// A [`WebhookTransport`] answering from a script (then `Delivered {status: 200}`), keeping every message
/// with its URL.
#[derive(Debug, Default)]
pub struct ScriptedTransport {
    script: Mutex<VecDeque<SendOutcome>>,
    sent: Mutex<Vec<(String, SignedMessage)>>,
}

impl ScriptedTransport {
    /// A transport whose next sends answer `outcomes`, in order.
    pub fn answering(outcomes: impl IntoIterator<Item = SendOutcome>) -> Self {
        Self {
            script: Mutex::new(outcomes.into_iter().collect()),
            sent: Mutex::default(),
        }
    }

    /// Everything sent, in order.
    pub fn sent(&self) -> Vec<(String, SignedMessage)> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl WebhookTransport for ScriptedTransport {
    async fn send(&self, url: &str, message: &SignedMessage) -> SendOutcome {
        if let Ok(mut sent) = self.sent.lock() {
            sent.push((url.to_owned(), message.clone()));
        }
        self.script
            .lock()
            .ok()
            .and_then(|mut s| s.pop_front())
            .unwrap_or(SendOutcome::Delivered { status: 200 })
    }
}

/// A [`SecretSealer`] that "seals" as `<context>|<hex>`: readable, but bound to its context like the real one.
#[derive(Debug, Default)]
pub struct ContextSealer;

#[async_trait]
impl SecretSealer for ContextSealer {
    async fn seal(&self, plaintext: &[u8], context: &str) -> anyhow::Result<String> {
        let hex: String = plaintext.iter().map(|b| format!("{b:02x}")).collect();
        Ok(format!("{context}|{hex}"))
    }

    async fn open(&self, sealed: &str, context: &str) -> anyhow::Result<Vec<u8>> {
        let (bound, hex) = sealed
            .rsplit_once('|')
            .ok_or_else(|| anyhow::anyhow!("not sealed"))?;
        anyhow::ensure!(bound == context, "sealed for another context");
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16).map_err(anyhow::Error::from))
            .collect()
    }
}
