//! The alert worker's use cases: record a trigger exactly once (keyed by alert and evaluation minute), write
//! its in-app notification once, and deliver webhooks with retries through the queue (a failed attempt
//! queues the next one, delayed by the backoff, up to a day); and turn order events into notifications and
//! `order.updated` webhooks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alerts::alert::{Alert, Channel};
use crate::alerts::notification::{Notification, NotificationKind};
use crate::alerts::service::AlertService;
use crate::alerts::trigger::{AlertTriggered, Delivery, DeliveryStatus, TriggerRecord};
use crate::alerts::webhook::{SendOutcome, WebhookMessage};
use crate::kernel::error::{RepoError, Retryable};
use crate::kernel::events::{DomainEvent, Envelope, EnvelopeError};
use crate::kernel::ids::{AlertId, EventId, NotificationId, UserId, WebhookId};
use crate::trading::events::OrderUpdated;

/// How many times a trigger is re-tried against an alert that keeps changing under it.
const RECORD_ATTEMPTS: usize = 3;

/// The next attempt of a failed webhook delivery, queued with the backoff's delay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookRetry {
    /// The endpoint's owner.
    pub user_id: UserId,
    /// The endpoint.
    pub webhook_id: WebhookId,
    /// The message, exactly as first sent (same id and body).
    pub message: WebhookMessage,
    /// The attempt this is (2 for the first retry).
    pub attempt: u32,
    /// When the first attempt was made (no attempt starts a day after it).
    pub first_attempt_at: DateTime<Utc>,
    /// The trigger whose delivery log records the attempts, for an alert's message.
    pub trigger: Option<(AlertId, DateTime<Utc>)>,
}

impl DomainEvent for WebhookRetry {
    const TYPE: &'static str = "webhook.retry";
    const VERSION: u32 = 1;
}

/// What handling one message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// A trigger recorded (or a redelivery of its message continued) and its deliveries made.
    Triggered,
    /// Another message already recorded this alert's trigger for the minute: nothing done.
    Duplicate,
    /// The alert may no longer fire (paused, cancelled, fired its last, in cooldown) or is gone.
    NotTriggered,
    /// A webhook retry attempted.
    Retried,
    /// A retry no longer due (its attempt was already made or the delivery finished).
    Stale,
    /// An order event's notification written and its webhooks attempted.
    OrderNotified,
    /// An order event whose notification already exists (a redelivery): nothing done.
    OrderAlreadyNotified,
}

/// Why a message was not handled.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// Not a message the worker knows: it never will be.
    #[error(transparent)]
    Rejected(#[from] EnvelopeError),
    /// Storage, the data key or the queue failed: worth another delivery.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

crate::storage_failures_are_unexpected!(DeliverError);

impl Retryable for DeliverError {
    fn is_retryable(&self) -> bool {
        matches!(self, DeliverError::Unexpected(_))
    }
}

/// The notification (and webhook) id of the message `event`: a redelivery maps to the same one.
fn notification_id(event: EventId) -> NotificationId {
    NotificationId::from_ulid(event.ulid())
}

/// What an alert's trigger tells its webhook and its notification.
fn trigger_data(alert: &Alert, record: &TriggerRecord) -> serde_json::Value {
    serde_json::json!({
        "alert_id": alert.id,
        "instrument": alert.instrument,
        "condition": alert.condition.kind.name(),
        "target": alert.condition.target,
        "period": alert.condition.period,
        "price": record.price,
        "triggered_at": record.triggered_at,
        "note": alert.note,
    })
}

fn trigger_title(alert: &Alert, record: &TriggerRecord) -> String {
    let what = match (alert.condition.target, alert.condition.period) {
        (Some(target), _) => format!("{} {}", alert.condition.kind.name(), target),
        (None, Some(period)) => format!("{} {period}", alert.condition.kind.name()),
        (None, None) => alert.condition.kind.name().to_owned(),
    };
    format!("{} {what}: last price {}", alert.instrument, record.price)
}

impl AlertService {
    /// Handles one message of the alert queue.
    ///
    /// # Errors
    /// [`DeliverError::Rejected`] for a message of no known type (acknowledged); [`DeliverError::Unexpected`]
    /// for a failure worth redelivering.
    pub async fn handle_message(&self, envelope: &Envelope) -> Result<Handled, DeliverError> {
        match envelope.event_type.as_str() {
            AlertTriggered::TYPE => self.record_and_deliver(envelope.id, &envelope.open()?).await,
            WebhookRetry::TYPE => self.retry_webhook(&envelope.open()?).await,
            OrderUpdated::TYPE => self.notify_order(envelope.id, &envelope.open()?).await,
            _ => Err(envelope.open::<AlertTriggered>().err().unwrap_or_else(|| {
                EnvelopeError::Malformed(format!("unexpected event {}", envelope.event_type))
            }))?,
        }
    }

    /// Records `event` (message `id`) once and delivers it: a redelivery of the same message continues
    /// deliveries it did not finish; another message for the same alert and minute does nothing.
    async fn record_and_deliver(&self, id: EventId, event: &AlertTriggered) -> Result<Handled, DeliverError> {
        let store = &self.ctx.alerts;
        for _ in 0..RECORD_ATTEMPTS {
            let Some(alert) = store.get(&event.user_id, &event.alert_id).await? else {
                return Ok(Handled::NotTriggered);
            };
            if let Some(existing) = store
                .trigger(&event.user_id, &event.alert_id, event.minute)
                .await?
            {
                if existing.event_id != id {
                    return Ok(Handled::Duplicate);
                }
                self.deliver_trigger(&alert, existing).await?;
                return Ok(Handled::Triggered);
            }
            let Some(fired) = alert.fire(event.minute, event.price) else {
                return Ok(Handled::NotTriggered);
            };
            let record = TriggerRecord::new(event, id, &alert.channels);
            match store.record_trigger(&alert, &fired, &record).await {
                Ok(()) => {
                    self.deliver_trigger(&fired, record).await?;
                    return Ok(Handled::Triggered);
                }
                // The alert changed, or another worker recorded the minute: look again.
                Err(RepoError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(anyhow::anyhow!(
            "alert {} kept changing while its trigger was recorded",
            event.alert_id
        )
        .into())
    }

    /// Makes the deliveries of `record` that are still pending.
    async fn deliver_trigger(&self, alert: &Alert, mut record: TriggerRecord) -> Result<(), DeliverError> {
        let data = trigger_data(alert, &record);
        if let Some(d) = record
            .delivery(Channel::InApp)
            .filter(|d| d.status != DeliveryStatus::Delivered)
        {
            let attempts = d.attempts + 1;
            self.notify(Notification {
                id: notification_id(record.event_id),
                user_id: alert.user_id,
                kind: NotificationKind::AlertTriggered,
                title: trigger_title(alert, &record),
                data: data.clone(),
                created_at: self.ctx.clock.now(),
                read_at: None,
            })
            .await?;
            record = record.with_delivery(Delivery {
                channel: Channel::InApp,
                status: DeliveryStatus::Delivered,
                attempts,
                last_error: None,
            });
            self.ctx.alerts.update_trigger(&record).await?;
        }
        let pending_webhook = record
            .delivery(Channel::Webhook)
            .is_some_and(|d| d.status == DeliveryStatus::Pending);
        if let (true, Some(webhook_id)) = (pending_webhook, alert.webhook_id) {
            let message = WebhookMessage::new(
                &record.event_id.to_string(),
                AlertTriggered::TYPE,
                record.triggered_at,
                &data,
            );
            let attempt = WebhookRetry {
                user_id: alert.user_id,
                webhook_id,
                message,
                attempt: 1,
                first_attempt_at: self.ctx.wall_clock.now(),
                trigger: Some((alert.id, record.triggered_at)),
            };
            self.attempt_webhook(&attempt, Some(record)).await?;
        }
        Ok(())
    }

    /// Writes `notification` unless it exists (a redelivery).
    async fn notify(&self, notification: Notification) -> Result<bool, DeliverError> {
        match self.ctx.notifications.create(&notification).await {
            Ok(()) => Ok(true),
            Err(RepoError::Conflict) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// A queued retry: attempted only if the delivery log still waits for exactly this attempt.
    async fn retry_webhook(&self, retry: &WebhookRetry) -> Result<Handled, DeliverError> {
        let record = match retry.trigger {
            Some((alert, minute)) => {
                let record = self.ctx.alerts.trigger(&retry.user_id, &alert, minute).await?;
                let due = record
                    .as_ref()
                    .and_then(|r| r.delivery(Channel::Webhook))
                    .is_some_and(|d| d.status == DeliveryStatus::Retrying && d.attempts + 1 == retry.attempt);
                if !due {
                    return Ok(Handled::Stale);
                }
                record
            }
            None => None,
        };
        self.attempt_webhook(retry, record).await?;
        Ok(Handled::Retried)
    }

    /// Makes attempt `attempt.attempt`: sends the message signed now, queues the next attempt if it failed
    /// and may be retried, and logs the attempt in `record`'s webhook delivery.
    async fn attempt_webhook(
        &self,
        attempt: &WebhookRetry,
        record: Option<TriggerRecord>,
    ) -> Result<(), DeliverError> {
        let now = self.ctx.wall_clock.now();
        let outcome = match self
            .ctx
            .webhooks
            .get(&attempt.user_id, &attempt.webhook_id)
            .await?
        {
            None => SendOutcome::Failed {
                error: "the webhook endpoint was deleted".to_owned(),
                retryable: false,
            },
            Some(endpoint) => {
                let keys = self.signing_keys(&endpoint, now).await?;
                self.ctx
                    .transport
                    .send(&endpoint.url, &attempt.message.sign(&keys, now))
                    .await
            }
        };
        let (status, last_error) = match outcome {
            SendOutcome::Delivered { .. } => (DeliveryStatus::Delivered, None),
            SendOutcome::Failed { error, retryable } => {
                let delay = retryable
                    .then(|| {
                        self.ctx.retry.next_delay(
                            attempt.attempt,
                            rand::random::<f64>(),
                            attempt.first_attempt_at,
                            now,
                        )
                    })
                    .flatten();
                match delay.and_then(|d| d.to_std().ok()) {
                    Some(delay) => {
                        let next = WebhookRetry {
                            attempt: attempt.attempt + 1,
                            ..attempt.clone()
                        };
                        let envelope =
                            Envelope::wrap(self.ctx.ids.next(), now, &next).map_err(anyhow::Error::from)?;
                        self.ctx.queue.publish_delayed(&envelope, delay).await?;
                        (DeliveryStatus::Retrying, Some(error))
                    }
                    None if retryable => (
                        DeliveryStatus::Failed,
                        Some(format!("gave up after a day: {error}")),
                    ),
                    None => (DeliveryStatus::Failed, Some(error)),
                }
            }
        };
        tracing::info!(webhook_id = %attempt.webhook_id, attempt = attempt.attempt, ?status, ?last_error, "webhook attempt");
        if let Some(record) = record {
            let logged = record.with_delivery(Delivery {
                channel: Channel::Webhook,
                status,
                attempts: attempt.attempt,
                last_error,
            });
            self.ctx.alerts.update_trigger(&logged).await?;
        }
        Ok(())
    }

    /// An order event: `order.updated` to each of the owner's endpoints, then the in-app notification (a
    /// redelivery finding the notification written does nothing more).
    async fn notify_order(&self, id: EventId, event: &OrderUpdated) -> Result<Handled, DeliverError> {
        let data = serde_json::to_value(event).map_err(anyhow::Error::from)?;
        let notification = Notification {
            id: notification_id(id),
            user_id: event.user_id,
            kind: NotificationKind::OrderUpdated,
            title: event.title(),
            data: data.clone(),
            created_at: self.ctx.clock.now(),
            read_at: None,
        };
        if self
            .ctx
            .notifications
            .get(&event.user_id, &notification.id)
            .await?
            .is_some()
        {
            return Ok(Handled::OrderAlreadyNotified);
        }
        let now = self.ctx.wall_clock.now();
        for endpoint in self.ctx.webhooks.list(&event.user_id).await? {
            let attempt = WebhookRetry {
                user_id: event.user_id,
                webhook_id: endpoint.id,
                message: WebhookMessage::new(
                    &format!("{id}_{}", endpoint.id),
                    OrderUpdated::TYPE,
                    event.at,
                    &data,
                ),
                attempt: 1,
                first_attempt_at: now,
                trigger: None,
            };
            self.attempt_webhook(&attempt, None).await?;
        }
        Ok(if self.notify(notification).await? {
            Handled::OrderNotified
        } else {
            Handled::OrderAlreadyNotified
        })
    }
}
