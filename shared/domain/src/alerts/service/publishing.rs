//! A [`NotificationStore`] that tells the push channel about each notification it writes: after a new
//! notification is stored it publishes [`NotificationCreated`] (a redelivered one, refused as a conflict, is
//! not published again). A publish that fails is logged and never fails the write: the inbox has it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::alerts::notification::{Notification, NotificationCreated};
use crate::alerts::ports::NotificationStore;
use crate::kernel::error::RepoError;
use crate::kernel::events::{EventPublisher, publish_event};
use crate::kernel::ids::{IdGen, NotificationId, UserId};
use crate::kernel::page::Page;

/// `inner`, publishing each new notification to `events` (the stream queue).
pub struct PublishingNotifications {
    inner: Arc<dyn NotificationStore>,
    events: Arc<dyn EventPublisher>,
    ids: Arc<dyn IdGen>,
}

impl PublishingNotifications {
    /// Wraps `inner`; event ids come from `ids`.
    pub fn new(
        inner: Arc<dyn NotificationStore>,
        events: Arc<dyn EventPublisher>,
        ids: Arc<dyn IdGen>,
    ) -> Self {
        Self { inner, events, ids }
    }
}

#[async_trait]
impl NotificationStore for PublishingNotifications {
    async fn create(&self, notification: &Notification) -> Result<(), RepoError> {
        self.inner.create(notification).await?;
        let event = NotificationCreated {
            notification: notification.clone(),
        };
        let published = publish_event(
            self.events.as_ref(),
            self.ids.next(),
            notification.created_at,
            &event,
        );
        if let Err(error) = published.await {
            tracing::error!(notification_id = %notification.id, ?error, "notification not published; no frame is pushed");
        }
        Ok(())
    }

    async fn get(&self, user: &UserId, id: &NotificationId) -> Result<Option<Notification>, RepoError> {
        self.inner.get(user, id).await
    }

    async fn page(
        &self,
        user: &UserId,
        unread_only: bool,
        limit: u16,
        after: Option<NotificationId>,
    ) -> Result<Page<Notification, NotificationId>, RepoError> {
        self.inner.page(user, unread_only, limit, after).await
    }

    async fn mark_read(
        &self,
        user: &UserId,
        id: &NotificationId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        self.inner.mark_read(user, id, at).await
    }

    async fn mark_all_read(&self, user: &UserId, at: DateTime<Utc>) -> Result<(), RepoError> {
        self.inner.mark_all_read(user, at).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::notification::NotificationKind;
    use crate::testing::{InMemoryNotificationStore, RecordingPublisher, SequentialIds};

    fn notification() -> Notification {
        Notification {
            id: NotificationId::from_ulid(ulid::Ulid::from_parts(5, 5)),
            user_id: UserId::from_ulid(ulid::Ulid::from_parts(1, 1)),
            kind: NotificationKind::OrderUpdated,
            title: "BUY 10 NSE:INFY filled at 1500.10".into(),
            data: serde_json::json!({"order_id": "x"}),
            created_at: "2026-11-25T05:30:00Z".parse().unwrap(),
            read_at: None,
        }
    }

    #[tokio::test]
    async fn a_new_notification_is_published_once_and_a_redelivered_one_not_again() {
        let events = Arc::new(RecordingPublisher::default());
        let store = PublishingNotifications::new(
            Arc::new(InMemoryNotificationStore::default()),
            events.clone(),
            Arc::new(SequentialIds::default()),
        );
        let n = notification();
        store.create(&n).await.unwrap();
        assert!(matches!(store.create(&n).await, Err(RepoError::Conflict)));
        let published = events.published();
        assert_eq!(published.len(), 1);
        assert_eq!(
            published[0].open::<NotificationCreated>().unwrap().notification,
            n
        );
        assert_eq!(store.get(&n.user_id, &n.id).await.unwrap(), Some(n));
    }

    #[tokio::test]
    async fn a_failed_publish_never_fails_the_write() {
        let store = PublishingNotifications::new(
            Arc::new(InMemoryNotificationStore::default()),
            Arc::new(RecordingPublisher::failing()),
            Arc::new(SequentialIds::default()),
        );
        let n = notification();
        store.create(&n).await.unwrap();
        assert_eq!(store.get(&n.user_id, &n.id).await.unwrap(), Some(n));
    }
}
