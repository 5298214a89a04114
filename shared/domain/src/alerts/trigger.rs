//! A trigger: the scan's message that an alert's condition held at an evaluation minute, the record the
//! worker writes once per alert and minute, and the delivery log of each channel.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::alerts::alert::Channel;
use crate::kernel::events::DomainEvent;
use crate::kernel::ids::{AlertId, EventId, UserId};

/// The scan found an alert's condition met: queued for the alert worker, which records it and delivers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertTriggered {
    /// The alert.
    pub alert_id: AlertId,
    /// Its owner.
    pub user_id: UserId,
    /// The evaluation minute (one trigger per alert and minute).
    pub minute: DateTime<Utc>,
    /// The price that met the condition.
    pub price: Decimal,
}

impl DomainEvent for AlertTriggered {
    const TYPE: &'static str = "alert.triggered";
    const VERSION: u32 = 1;
}

/// Where one channel's delivery of a trigger stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    /// Not tried yet.
    Pending,
    /// Delivered.
    Delivered,
    /// Failed; another attempt is queued.
    Retrying,
    /// Given up (a refused address, a deleted endpoint, or 24 hours of failures).
    Failed,
}

/// One channel's delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// The channel.
    pub channel: Channel,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's error, if it failed.
    pub last_error: Option<String>,
}

/// One trigger of one alert, written once (keyed by alert and minute) with its deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerRecord {
    /// The alert.
    pub alert_id: AlertId,
    /// Its owner.
    pub user_id: UserId,
    /// The evaluation minute.
    pub triggered_at: DateTime<Utc>,
    /// The price that met the condition.
    pub price: Decimal,
    /// The message that recorded it: its redelivery continues the deliveries, any other message for the same
    /// minute is a duplicate.
    pub event_id: EventId,
    /// One log per channel of the alert.
    pub deliveries: Vec<Delivery>,
    /// Optimistic-concurrency version (1 when written).
    pub version: u64,
}

impl TriggerRecord {
    /// A new record of `event` (message `event_id`), every channel pending.
    pub fn new(event: &AlertTriggered, event_id: EventId, channels: &[Channel]) -> Self {
        Self {
            alert_id: event.alert_id,
            user_id: event.user_id,
            triggered_at: event.minute,
            price: event.price,
            event_id,
            deliveries: channels
                .iter()
                .map(|&channel| Delivery {
                    channel,
                    status: DeliveryStatus::Pending,
                    attempts: 0,
                    last_error: None,
                })
                .collect(),
            version: 1,
        }
    }

    /// The delivery log of `channel`, if the alert delivers there.
    pub fn delivery(&self, channel: Channel) -> Option<&Delivery> {
        self.deliveries.iter().find(|d| d.channel == channel)
    }

    /// The record with `channel`'s log replaced by `delivery`, one version on.
    pub fn with_delivery(&self, delivery: Delivery) -> Self {
        let mut next = self.clone();
        for d in &mut next.deliveries {
            if d.channel == delivery.channel {
                *d = delivery.clone();
            }
        }
        next.version += 1;
        next
    }
}

/// When failed webhook deliveries are tried again: exponential backoff with jitter, each wait at most what
/// an SQS delay allows, giving up a day after the first attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait before the second attempt (doubling after each failure).
    pub base: Duration,
    /// The longest wait (SQS delays a message at most 15 minutes).
    pub cap: Duration,
    /// No attempt starts later than this after the first.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::seconds(30),
            cap: Duration::minutes(15),
            give_up_after: Duration::hours(24),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1 for the first), with `jitter` in `[0, 1)` taking up to half
    /// of it off so that retries of many deliveries spread out; `None` once the next attempt would start more
    /// than [`give_up_after`](Self::give_up_after) after `first_attempt_at`.
    pub fn next_delay(
        &self,
        attempt: u32,
        jitter: f64,
        first_attempt_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<Duration> {
        let doubling = 2_i32.saturating_pow(attempt.saturating_sub(1).min(20));
        let full = (self.base * doubling).min(self.cap);
        let millis = full.num_milliseconds();
        // Jitter is a fraction in [0, 1); the product stays within i64.
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let off = (millis as f64 * jitter.clamp(0.0, 1.0) / 2.0) as i64;
        let wait = Duration::milliseconds(millis - off).max(Duration::seconds(1));
        (now + wait <= first_attempt_at + self.give_up_after).then_some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn waits_double_from_the_base_up_to_the_cap_then_give_up_after_a_day() {
        let policy = RetryPolicy::default();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 5, 0, 0).unwrap();
        let wait = |attempt, now| policy.next_delay(attempt, 0.0, t0, now);
        assert_eq!(wait(1, t0), Some(Duration::seconds(30)));
        assert_eq!(wait(2, t0), Some(Duration::seconds(60)));
        assert_eq!(wait(5, t0), Some(Duration::seconds(480)));
        assert_eq!(wait(6, t0), Some(Duration::minutes(15)), "960 s capped at 900 s");
        assert_eq!(wait(60, t0), Some(Duration::minutes(15)));
        // Jitter takes at most half off: 0.5 → a quarter off.
        assert_eq!(
            policy.next_delay(1, 0.5, t0, t0),
            Some(Duration::milliseconds(22_500))
        );
        let late = t0 + Duration::hours(24) - Duration::minutes(10);
        assert_eq!(wait(30, late), None, "the next attempt would start after 24 h");
        assert_eq!(wait(30, late - Duration::minutes(5)), Some(Duration::minutes(15)));
    }
}
