//! A notification as the API shows it ([`NotificationDto`]): the inbox's shape (`GET /v1/notifications`),
//! also in the push channel's `notification` frames.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tradesense_domain::alerts::notification::Notification;
use tradesense_domain::kernel::ids::NotificationId;
use utoipa::ToSchema;

/// A notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationDto {
    /// Id.
    #[schema(value_type = String)]
    pub id: NotificationId,
    /// `alert_triggered` or `order_updated`.
    #[schema(value_type = String, example = "alert_triggered")]
    pub kind: tradesense_domain::alerts::notification::NotificationKind,
    /// One line.
    pub title: String,
    /// The event's data (what its webhook carries).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// Written.
    pub created_at: DateTime<Utc>,
    /// Read, if it was.
    pub read_at: Option<DateTime<Utc>>,
}

impl From<&Notification> for NotificationDto {
    fn from(n: &Notification) -> Self {
        Self {
            id: n.id,
            kind: n.kind,
            title: n.title.clone(),
            data: n.data.clone(),
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}
