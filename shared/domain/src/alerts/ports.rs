//! What alerts need from the world: where alerts, their triggers, webhook endpoints and notifications are
//! kept, how a webhook message is sent, and how a webhook's key is sealed. Quotes come from market data's
//! `MarketData` port and triggers are queued through the kernel's `EventPublisher`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::alerts::alert::{Alert, AlertStatus};
use crate::alerts::notification::Notification;
use crate::alerts::scan::ScanState;
use crate::alerts::trigger::TriggerRecord;
use crate::alerts::webhook::{SendOutcome, SignedMessage, WebhookEndpoint};
use crate::kernel::error::RepoError;
use crate::kernel::ids::{AlertId, NotificationId, UserId, WebhookId};
use crate::kernel::page::Page;

/// Alerts under their owner, the platform-wide list of active ones, their triggers and the scan's state.
///
/// Implementations MUST keep, per owner, a count of alerts whose stored status is `ACTIVE` and refuse
/// ([`RepoError::Conflict`], writing nothing) a write that would take it above the cap given; MUST write a
/// changed alert only over the version before it (`Conflict` otherwise); MUST write a trigger record only
/// if none exists for its alert and minute, in the same atomic write as the alert it changes; and MUST list
/// in [`active`](AlertStore::active) exactly the alerts whose stored status is `ACTIVE`.
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Stores a new alert, if its owner stays within `cap` active alerts.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] at the cap.
    async fn create(&self, alert: &Alert, cap: u32) -> Result<(), RepoError>;

    /// One alert.
    ///
    /// # Errors
    /// Storage failures.
    async fn get(&self, user: &UserId, id: &AlertId) -> Result<Option<Alert>, RepoError>;

    /// One page of `user`'s alerts, newest first, with stored status `status` if given.
    ///
    /// # Errors
    /// Storage failures.
    async fn page(
        &self,
        user: &UserId,
        status: Option<AlertStatus>,
        limit: u16,
        after: Option<AlertId>,
    ) -> Result<Page<Alert, AlertId>, RepoError>;

    /// Writes `after` over `before` (its version), keeping the active count, capped at `cap`.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the alert changed meanwhile or the cap would be passed.
    async fn save(&self, before: &Alert, after: &Alert, cap: u32) -> Result<(), RepoError>;

    /// Every alert whose stored status is `ACTIVE`, of every account (the scan's worklist).
    ///
    /// # Errors
    /// Storage failures.
    async fn active(&self) -> Result<Vec<Alert>, RepoError>;

    /// Records `record` and writes `after` over `before`, together or not at all.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if a record exists for the alert and minute, or the alert changed.
    async fn record_trigger(
        &self,
        before: &Alert,
        after: &Alert,
        record: &TriggerRecord,
    ) -> Result<(), RepoError>;

    /// The trigger of `alert` at evaluation `minute`.
    ///
    /// # Errors
    /// Storage failures.
    async fn trigger(
        &self,
        user: &UserId,
        alert: &AlertId,
        minute: DateTime<Utc>,
    ) -> Result<Option<TriggerRecord>, RepoError>;

    /// The latest `limit` triggers of `alert`, newest first.
    ///
    /// # Errors
    /// Storage failures.
    async fn triggers(
        &self,
        user: &UserId,
        alert: &AlertId,
        limit: u16,
    ) -> Result<Vec<TriggerRecord>, RepoError>;

    /// Writes `record` over the version before its own.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if it changed meanwhile.
    async fn update_trigger(&self, record: &TriggerRecord) -> Result<(), RepoError>;

    /// The previous scan's state.
    ///
    /// # Errors
    /// Storage failures.
    async fn scan_state(&self) -> Result<ScanState, RepoError>;

    /// Stores this scan's state for the next.
    ///
    /// # Errors
    /// Storage failures.
    async fn save_scan_state(&self, state: &ScanState) -> Result<(), RepoError>;
}

/// Webhook endpoints under their owner.
///
/// Implementations MUST keep, per owner, a count of endpoints and refuse ([`RepoError::Conflict`], writing
/// nothing) a new one beyond the cap given, and MUST write a changed endpoint only over the version before it
/// (`Conflict` otherwise).
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores a new endpoint, if its owner stays within `cap` endpoints.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] at the cap.
    async fn create(&self, endpoint: &WebhookEndpoint, cap: usize) -> Result<(), RepoError>;

    /// One endpoint.
    ///
    /// # Errors
    /// Storage failures.
    async fn get(&self, user: &UserId, id: &WebhookId) -> Result<Option<WebhookEndpoint>, RepoError>;

    /// All of `user`'s endpoints, oldest first (at most a few).
    ///
    /// # Errors
    /// Storage failures.
    async fn list(&self, user: &UserId) -> Result<Vec<WebhookEndpoint>, RepoError>;

    /// Writes `endpoint` over the version before its own.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if it changed meanwhile or is gone.
    async fn update(&self, endpoint: &WebhookEndpoint) -> Result<(), RepoError>;

    /// Deletes an endpoint; `false` if there was none.
    ///
    /// # Errors
    /// Storage failures.
    async fn delete(&self, user: &UserId, id: &WebhookId) -> Result<bool, RepoError>;
}

/// The in-app inbox.
///
/// Implementations MUST write a notification only if none with its id exists ([`RepoError::Conflict`]
/// otherwise), and MUST report a notification as read (with that time) once it was marked read or a
/// read-all at or after its creation was recorded.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Stores a new notification.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if one with its id exists.
    async fn create(&self, notification: &Notification) -> Result<(), RepoError>;

    /// One notification.
    ///
    /// # Errors
    /// Storage failures.
    async fn get(&self, user: &UserId, id: &NotificationId) -> Result<Option<Notification>, RepoError>;

    /// One page of `user`'s notifications, newest first, only unread ones if `unread_only`.
    ///
    /// # Errors
    /// Storage failures.
    async fn page(
        &self,
        user: &UserId,
        unread_only: bool,
        limit: u16,
        after: Option<NotificationId>,
    ) -> Result<Page<Notification, NotificationId>, RepoError>;

    /// Marks one notification read at `at` (already read: unchanged); `false` if there is none.
    ///
    /// # Errors
    /// Storage failures.
    async fn mark_read(
        &self,
        user: &UserId,
        id: &NotificationId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError>;

    /// Marks every notification of `user` created up to `at` read.
    ///
    /// # Errors
    /// Storage failures.
    async fn mark_all_read(&self, user: &UserId, at: DateTime<Utc>) -> Result<(), RepoError>;
}

/// POSTs signed messages to endpoints.
///
/// Implementations MUST refuse (a non-retryable failure, nothing sent) a URL that is not `https` (save
/// loopback `http` where the deployment explicitly allows it) or whose host resolves, at send time, to any
/// address that is not public ([`is_public`](crate::alerts::webhook::is_public)), and MUST connect only to
/// the address they checked; MUST NOT follow redirects; MUST give up on an attempt after 5 seconds; and MUST
/// send the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers with a JSON body.
#[async_trait]
pub trait WebhookTransport: Send + Sync {
    /// One attempt to deliver `message` to `url`.
    async fn send(&self, url: &str, message: &SignedMessage) -> SendOutcome;
}

/// Seals secrets at rest (webhook keys) with the platform's data key.
///
/// Implementations MUST bind each sealed value to its `context`: it opens for that context only.
#[async_trait]
pub trait SecretSealer: Send + Sync {
    /// Seals `plaintext` for `context`.
    ///
    /// # Errors
    /// If the data key cannot be read.
    async fn seal(&self, plaintext: &[u8], context: &str) -> anyhow::Result<String>;

    /// Opens what [`seal`](SecretSealer::seal) made for `context`.
    ///
    /// # Errors
    /// If the data key cannot be read or the value does not open for `context`.
    async fn open(&self, sealed: &str, context: &str) -> anyhow::Result<Vec<u8>>;
}
