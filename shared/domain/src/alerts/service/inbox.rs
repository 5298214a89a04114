//! The trader's inbox: list (optionally unread only), read one, read all.

use crate::alerts::notification::Notification;
use crate::alerts::service::AlertService;
use crate::kernel::error::RepoError;
use crate::kernel::ids::{NotificationId, UserId};
use crate::kernel::page::Page;

impl AlertService {
    /// One page of `user`'s notifications, newest first.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn notifications(
        &self,
        user: &UserId,
        unread_only: bool,
        limit: u16,
        after: Option<NotificationId>,
    ) -> Result<Page<Notification, NotificationId>, RepoError> {
        self.ctx.notifications.page(user, unread_only, limit, after).await
    }

    /// Marks one of `user`'s notifications read; `false` if there is none.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn read_notification(&self, user: &UserId, id: &NotificationId) -> Result<bool, RepoError> {
        self.ctx
            .notifications
            .mark_read(user, id, self.ctx.clock.now())
            .await
    }

    /// Marks every notification `user` has now read.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn read_all_notifications(&self, user: &UserId) -> Result<(), RepoError> {
        self.ctx
            .notifications
            .mark_all_read(user, self.ctx.clock.now())
            .await
    }
}
