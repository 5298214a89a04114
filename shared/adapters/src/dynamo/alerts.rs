//! Alerts, their triggers, webhook endpoints and the inbox in DynamoDB, under their owner's partition.
//! An active alert also sits in GSI1's `ACTIVE_ALERTS` partition (the scan's worklist, sorted by
//! instrument); a per-user counter item, changed in the same transaction as each alert whose activity
//! changes, enforces the active cap (and another the endpoint cap); a trigger item per alert and minute is written only if absent, in the
//! same transaction as the alert it fires.

use crate::aws::sdk_error;
use std::collections::HashMap;

use anyhow::Context as _;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
use chrono::{DateTime, Duration, Utc};
use tradesense_domain::alerts::alert::{Alert, AlertStatus};
use tradesense_domain::alerts::notification::Notification;
use tradesense_domain::alerts::ports::{AlertStore, NotificationStore, WebhookStore};
use tradesense_domain::alerts::scan::ScanState;
use tradesense_domain::alerts::trigger::TriggerRecord;
use tradesense_domain::alerts::webhook::WebhookEndpoint;
use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::ids::{AlertId, NotificationId, UserId, WebhookId};
use tradesense_domain::kernel::page::Page;

use super::document::{self, document, from_document, n, s};
use super::keys;
use super::table::{Item, PageFilter, PageQuery, Table};

/// How long a notification is kept.
pub const NOTIFICATION_DAYS: i64 = 90;

/// [`AlertStore`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoAlertStore {
    table: Table,
}

impl DynamoAlertStore {
    /// Alerts in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    fn alert_item(alert: &Alert) -> anyhow::Result<Item> {
        let mut item = document(
            &keys::alert(&alert.user_id, &alert.id),
            "alert",
            alert,
            Some(alert.version),
        )?;
        item.insert("status".into(), s(alert.status.name()));
        if alert.status == AlertStatus::Active {
            let (pk, sk) = keys::active_alert(&alert.user_id, &alert.id, &alert.instrument);
            item.insert(keys::GSI1PK.into(), s(pk));
            item.insert(keys::GSI1SK.into(), s(sk));
        }
        Ok(item)
    }

    /// The counter change for an alert going from `before` to `after` active, refused at `cap` when it adds.
    fn count(&self, user: &UserId, delta: i64, cap: u32) -> anyhow::Result<Option<TransactWriteItem>> {
        let builder = Update::builder()
            .table_name(self.table.name())
            .set_key(Some(keys::alert_count(user).to_attributes()))
            .update_expression("ADD active :delta")
            .expression_attribute_values(":delta", n(delta));
        let update = match delta {
            0 => return Ok(None),
            d if d > 0 => builder
                .condition_expression("attribute_not_exists(active) OR active < :cap")
                .expression_attribute_values(":cap", n(cap)),
            _ => builder,
        };
        Ok(Some(
            TransactWriteItem::builder()
                .update(update.build().context("build alert count")?)
                .build(),
        ))
    }

    fn activity(alert: &Alert) -> i64 {
        i64::from(alert.status == AlertStatus::Active)
    }
}

#[async_trait]
impl AlertStore for DynamoAlertStore {
    async fn create(&self, alert: &Alert, cap: u32) -> Result<(), RepoError> {
        let mut writes =
            vec![
                self.table
                    .put_write(Self::alert_item(alert)?, "attribute_not_exists(pk)", None)?,
            ];
        writes.extend(self.count(&alert.user_id, Self::activity(alert), cap)?);
        self.table.transact(writes).await.map_err(RepoError::from)
    }

    async fn get(&self, user: &UserId, id: &AlertId) -> Result<Option<Alert>, RepoError> {
        document::one(&self.table, &keys::alert(user, id)).await
    }

    async fn page(
        &self,
        user: &UserId,
        status: Option<AlertStatus>,
        limit: u16,
        after: Option<AlertId>,
    ) -> Result<Page<Alert, AlertId>, RepoError> {
        let query = PageQuery {
            on_gsi1: false,
            partition: keys::user_partition(user),
            sort_prefix: Some(keys::ALERT_PREFIX.to_owned()),
            filter: status.map(|st| {
                PageFilter::default().and(
                    "#status = :status",
                    ("#status", "status"),
                    (":status", s(st.name())),
                )
            }),
            limit,
            descending: true,
        };
        let start = after.map(|id| keys::alert(user, &id).to_attributes());
        let (items, resume) = document::page(&self.table, &query, start).await?;
        Ok(Page {
            items,
            resume_after: resume
                .map(|sk| sk.trim_start_matches(keys::ALERT_PREFIX).parse())
                .transpose()
                .context("resume key")?,
        })
    }

    async fn save(&self, before: &Alert, after: &Alert, cap: u32) -> Result<(), RepoError> {
        let delta = Self::activity(after) - Self::activity(before);
        let mut writes = vec![self.table.put_write(
            Self::alert_item(after)?,
            "version = :version",
            Some(before.version),
        )?];
        writes.extend(self.count(&after.user_id, delta, cap)?);
        self.table.transact(writes).await.map_err(RepoError::from)
    }

    async fn active(&self) -> Result<Vec<Alert>, RepoError> {
        let query = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .index_name(keys::GSI1)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", keys::GSI1PK)
            .expression_attribute_values(":pk", s(keys::ACTIVE_ALERTS))
            .projection_expression("doc");
        let items = self.table.query_all(query, "active alerts").await?;
        Ok(items.iter().map(from_document).collect::<anyhow::Result<_>>()?)
    }

    async fn record_trigger(
        &self,
        before: &Alert,
        after: &Alert,
        record: &TriggerRecord,
    ) -> Result<(), RepoError> {
        let key = keys::alert_trigger(&record.user_id, &record.alert_id, record.triggered_at);
        let trigger = document(&key, "alert_trigger", record, Some(record.version))?;
        let mut writes = vec![
            self.table.put_write(trigger, "attribute_not_exists(pk)", None)?,
            self.table.put_write(
                Self::alert_item(after)?,
                "version = :version",
                Some(before.version),
            )?,
        ];
        writes.extend(self.count(
            &after.user_id,
            Self::activity(after) - Self::activity(before),
            u32::MAX,
        )?);
        self.table.transact(writes).await.map_err(RepoError::from)
    }

    async fn trigger(
        &self,
        user: &UserId,
        alert: &AlertId,
        minute: DateTime<Utc>,
    ) -> Result<Option<TriggerRecord>, RepoError> {
        document::one(&self.table, &keys::alert_trigger(user, alert, minute)).await
    }

    async fn triggers(
        &self,
        user: &UserId,
        alert: &AlertId,
        limit: u16,
    ) -> Result<Vec<TriggerRecord>, RepoError> {
        let query = PageQuery {
            on_gsi1: false,
            partition: keys::user_partition(user),
            sort_prefix: Some(keys::alert_triggers_prefix(alert)),
            filter: None,
            limit,
            descending: true,
        };
        Ok(document::page(&self.table, &query, None).await?.0)
    }

    async fn update_trigger(&self, record: &TriggerRecord) -> Result<(), RepoError> {
        let key = keys::alert_trigger(&record.user_id, &record.alert_id, record.triggered_at);
        let item = document(&key, "alert_trigger", record, Some(record.version))?;
        let previous = HashMap::from([(":previous".to_owned(), n(record.version.saturating_sub(1)))]);
        self.table.put_if(item, "version = :previous", previous).await
    }

    async fn scan_state(&self) -> Result<ScanState, RepoError> {
        Ok(document::one(&self.table, &keys::alert_scan_state())
            .await?
            .unwrap_or_default())
    }

    async fn save_scan_state(&self, state: &ScanState) -> Result<(), RepoError> {
        let item = document(&keys::alert_scan_state(), "alert_scan", state, None)?;
        Ok(self.table.put(item, "alert scan state").await?)
    }
}

/// [`WebhookStore`] over the single table.
#[derive(Clone, Debug)]
pub struct DynamoWebhookStore {
    table: Table,
}

impl DynamoWebhookStore {
    /// Endpoints in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    fn item(endpoint: &WebhookEndpoint) -> anyhow::Result<Item> {
        document(
            &keys::webhook(&endpoint.user_id, &endpoint.id),
            "webhook",
            endpoint,
            Some(endpoint.version),
        )
    }
}

#[async_trait]
impl WebhookStore for DynamoWebhookStore {
    async fn create(&self, endpoint: &WebhookEndpoint, cap: usize) -> Result<(), RepoError> {
        let count = Update::builder()
            .table_name(self.table.name())
            .set_key(Some(keys::webhook_count(&endpoint.user_id).to_attributes()))
            .update_expression("ADD endpoints :one")
            .condition_expression("attribute_not_exists(endpoints) OR endpoints < :cap")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":cap", n(cap))
            .build()
            .context("build webhook count")?;
        let writes = vec![
            self.table
                .put_write(Self::item(endpoint)?, "attribute_not_exists(pk)", None)?,
            TransactWriteItem::builder().update(count).build(),
        ];
        self.table.transact(writes).await.map_err(RepoError::from)
    }

    async fn get(&self, user: &UserId, id: &WebhookId) -> Result<Option<WebhookEndpoint>, RepoError> {
        document::one(&self.table, &keys::webhook(user, id)).await
    }

    async fn list(&self, user: &UserId) -> Result<Vec<WebhookEndpoint>, RepoError> {
        let query = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(keys::user_partition(user)))
            .expression_attribute_values(":prefix", s(keys::WEBHOOK_PREFIX))
            .consistent_read(true);
        let items = self.table.query_all(query, "webhooks").await?;
        Ok(items.iter().map(from_document).collect::<anyhow::Result<_>>()?)
    }

    async fn update(&self, endpoint: &WebhookEndpoint) -> Result<(), RepoError> {
        let previous = HashMap::from([(":previous".to_owned(), n(endpoint.version.saturating_sub(1)))]);
        self.table
            .put_if(Self::item(endpoint)?, "version = :previous", previous)
            .await
    }

    async fn delete(&self, user: &UserId, id: &WebhookId) -> Result<bool, RepoError> {
        let delete = Delete::builder()
            .table_name(self.table.name())
            .set_key(Some(keys::webhook(user, id).to_attributes()))
            .condition_expression("attribute_exists(pk)")
            .build()
            .context("build delete")?;
        let count = Update::builder()
            .table_name(self.table.name())
            .set_key(Some(keys::webhook_count(user).to_attributes()))
            .update_expression("ADD endpoints :minus")
            .expression_attribute_values(":minus", n(-1))
            .build()
            .context("build webhook count")?;
        let writes = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().update(count).build(),
        ];
        match self.table.transact(writes).await.map_err(RepoError::from) {
            Ok(()) => Ok(true),
            Err(RepoError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// [`NotificationStore`] over the single table: each notification an item (its read time an attribute beside
/// the document, kept 90 days by TTL), and one item holding when the user last read everything.
#[derive(Clone, Debug)]
pub struct DynamoNotificationStore {
    table: Table,
}

/// Which notifications a page lists.
#[derive(Debug, Clone, Copy)]
enum Listing {
    /// Every one.
    All,
    /// Those unread: never read one by one, and newer than the read-all watermark (if there is one).
    UnreadAfter(Option<DateTime<Utc>>),
}

impl DynamoNotificationStore {
    /// The inbox in `table`.
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    async fn read_all_at(&self, user: &UserId) -> anyhow::Result<Option<DateTime<Utc>>> {
        let Some(item) = self.table.get(&keys::notifications_read_all(user)).await? else {
            return Ok(None);
        };
        let at = item
            .get("at")
            .and_then(|v| v.as_s().ok())
            .context("read-all without its time")?;
        Ok(Some(
            DateTime::parse_from_rfc3339(at)
                .context("read-all time")?
                .with_timezone(&Utc),
        ))
    }

    /// One page of `user`'s notification items as `listing` asks, newest first, after `after`.
    async fn notifications_page(
        &self,
        user: &UserId,
        listing: Listing,
        limit: u16,
        after: Option<NotificationId>,
    ) -> anyhow::Result<(Vec<Item>, Option<Item>)> {
        let filter = match listing {
            Listing::All => None,
            Listing::UnreadAfter(read_all) => {
                let unread = PageFilter {
                    conditions: vec!["attribute_not_exists(#read)".to_owned()],
                    names: HashMap::from([("#read".to_owned(), "read_at".to_owned())]),
                    values: HashMap::new(),
                };
                Some(match read_all {
                    Some(at) => unread.and(
                        "#created > :read_all",
                        ("#created", "created_at"),
                        (":read_all", s(keys::sortable_time(at))),
                    ),
                    None => unread,
                })
            }
        };
        let query = PageQuery {
            on_gsi1: false,
            partition: keys::user_partition(user),
            sort_prefix: Some(keys::NOTIFICATION_PREFIX.to_owned()),
            filter,
            limit,
            descending: true,
        };
        let start = after.map(|id| keys::notification(user, &id).to_attributes());
        self.table.query_from(&query, start).await
    }

    fn resolve(item: &Item, read_all: Option<DateTime<Utc>>) -> anyhow::Result<Notification> {
        let mut notification: Notification = from_document(item)?;
        notification.read_at = match item.get("read_at").and_then(|v| v.as_s().ok()) {
            Some(at) => Some(
                DateTime::parse_from_rfc3339(at)
                    .context("read time")?
                    .with_timezone(&Utc),
            ),
            None => read_all.filter(|at| *at >= notification.created_at),
        };
        Ok(notification)
    }
}

#[async_trait]
impl NotificationStore for DynamoNotificationStore {
    async fn create(&self, notification: &Notification) -> Result<(), RepoError> {
        let key = keys::notification(&notification.user_id, &notification.id);
        let mut item = document(&key, "notification", notification, None)?;
        item.insert(
            "created_at".into(),
            s(keys::sortable_time(notification.created_at)),
        );
        let expires = notification.created_at + Duration::days(NOTIFICATION_DAYS);
        item.insert(keys::TTL.into(), n(expires.timestamp()));
        self.table.put_new(item).await
    }

    async fn get(&self, user: &UserId, id: &NotificationId) -> Result<Option<Notification>, RepoError> {
        let (item, read_all) = futures::future::try_join(
            self.table.get(&keys::notification(user, id)),
            self.read_all_at(user),
        )
        .await?;
        Ok(item.map(|i| Self::resolve(&i, read_all)).transpose()?)
    }

    async fn page(
        &self,
        user: &UserId,
        unread_only: bool,
        limit: u16,
        after: Option<NotificationId>,
    ) -> Result<Page<Notification, NotificationId>, RepoError> {
        // The read-all watermark filters the query only for unread notifications; otherwise both go at once.
        let (read_all, (items, resume)) = if unread_only {
            let read_all = self.read_all_at(user).await?;
            let unread = Listing::UnreadAfter(read_all);
            (
                read_all,
                self.notifications_page(user, unread, limit, after).await?,
            )
        } else {
            futures::try_join!(
                self.read_all_at(user),
                self.notifications_page(user, Listing::All, limit, after)
            )?
        };
        let resume_after = resume
            .as_ref()
            .and_then(|k| k.get(keys::SK))
            .and_then(|sk| sk.as_s().ok())
            .map(|sk| sk.trim_start_matches(keys::NOTIFICATION_PREFIX).parse())
            .transpose()
            .context("resume key")?;
        Ok(Page {
            items: items
                .iter()
                .map(|i| Self::resolve(i, read_all))
                .collect::<anyhow::Result<_>>()?,
            resume_after,
        })
    }

    async fn mark_read(
        &self,
        user: &UserId,
        id: &NotificationId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(keys::notification(user, id).to_attributes()))
            .update_expression("SET read_at = if_not_exists(read_at, :at)")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", s(keys::sortable_time(at)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(sdk_error(e, "mark notification read").into()),
        }
    }

    async fn mark_all_read(&self, user: &UserId, at: DateTime<Utc>) -> Result<(), RepoError> {
        let mut item: Item = keys::notifications_read_all(user).to_attributes();
        item.insert("entity".into(), s("notifications_read_all"));
        item.insert("at".into(), s(keys::sortable_time(at)));
        Ok(self.table.put(item, "read-all").await?)
    }
}
