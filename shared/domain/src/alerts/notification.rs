//! In-app notifications: what the trader's inbox holds (an alert's trigger, an order's fill, rejection,
//! expiry or square-off), written once each by the alert worker.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::kernel::events::DomainEvent;
use crate::kernel::ids::{NotificationId, UserId};

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// An alert fired.
    AlertTriggered,
    /// One of the trader's orders changed (filled, part-filled, rejected, expired, squared off).
    OrderUpdated,
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notification {
    /// Its id (the id of the message that made it, so a redelivery makes no second one).
    pub id: NotificationId,
    /// Whose inbox.
    pub user_id: UserId,
    /// What it is about.
    pub kind: NotificationKind,
    /// One line for the inbox.
    pub title: String,
    /// The event's data (the same `data` its webhook carries).
    pub data: serde_json::Value,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When the trader read it (one by one, or by reading all).
    pub read_at: Option<DateTime<Utc>>,
}

/// A notification just written to its owner's inbox, for the push channel's `notification` frames.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationCreated {
    /// The notification as written.
    pub notification: Notification,
}

impl DomainEvent for NotificationCreated {
    const TYPE: &'static str = "notification.created";
    const VERSION: u32 = 1;
}
