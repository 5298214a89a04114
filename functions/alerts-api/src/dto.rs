//! The alerts API's JSON: prices and percentages as decimal strings, times as RFC 3339.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use tradesense_http::notifications::NotificationDto;

use tradesense_domain::alerts::alert::{Alert, AlertDraft, AlertEdit, AlertStatus, Channel, TriggerMode};
use tradesense_domain::alerts::condition::ConditionKind;
use tradesense_domain::alerts::service::{CreatedWebhook, TestResult};
use tradesense_domain::alerts::trigger::{Delivery, DeliveryStatus, TriggerRecord};
use tradesense_domain::alerts::webhook::{SendOutcome, WebhookEndpoint};
use tradesense_domain::kernel::ids::{AlertId, WebhookId};
use tradesense_domain::market::instrument::InstrumentKey;

/// A delivery channel.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelDto {
    /// The in-app inbox.
    InApp,
    /// A webhook endpoint.
    Webhook,
}

impl From<ChannelDto> for Channel {
    fn from(c: ChannelDto) -> Self {
        match c {
            ChannelDto::InApp => Channel::InApp,
            ChannelDto::Webhook => Channel::Webhook,
        }
    }
}

/// A new alert. Rules stated here in words answer `422` when broken: `target` is required by the price
/// conditions (a positive multiple of the instrument's tick) and the percent conditions (above 0, at most
/// 1000, or 100 for `PCT_CHANGE_DOWN`, 2 decimals at most) and refused by the SMA ones, which need `period`
/// (2–200 daily closes); `channels` names each of `in_app`, `webhook` at most once and `webhook` needs
/// `webhook_id` (one of your endpoints); `cooldown_minutes` (1–1440) goes with `cooldown` mode only;
/// `max_triggers` (1–1000) not with `once`; `expires_at` within a year ahead; `note` at most 200
/// characters; at most 200 alerts may be `ACTIVE` per account (`409` beyond).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAlertRequest {
    /// `EXCHANGE:SYMBOL` of a listed instrument.
    #[schema(pattern = "^(NSE|NFO|BSE|MCX):[A-Za-z0-9&_-]{1,40}$", example = "NSE:INFY")]
    pub instrument: String,
    /// The condition.
    #[schema(value_type = String,
        pattern = "^(ABOVE|BELOW|CROSSES_UP|CROSSES_DOWN|PCT_CHANGE_UP|PCT_CHANGE_DOWN|CROSSES_SMA_UP|CROSSES_SMA_DOWN)$",
        example = "CROSSES_UP")]
    pub condition: ConditionKind,
    /// Target price, or percentage for the percent conditions.
    #[schema(value_type = Option<tradesense_http::openapi::DecimalString>, example = "1600.00")]
    pub target: Option<Decimal>,
    /// Daily closes in the SMA (SMA conditions).
    #[schema(minimum = 0, maximum = 65535, example = 20)]
    pub period: Option<u16>,
    /// Where triggers are delivered.
    #[schema(example = json!(["in_app"]))]
    pub channels: Vec<ChannelDto>,
    /// The endpoint, with the webhook channel.
    #[schema(value_type = Option<String>, pattern = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$")]
    pub webhook_id: Option<String>,
    /// How often it may fire.
    #[schema(value_type = String, pattern = "^(once|cooldown|every_time)$", example = "once")]
    pub trigger_mode: TriggerMode,
    /// Quiet minutes after a trigger (cooldown mode).
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    pub cooldown_minutes: Option<u32>,
    /// Most triggers (cooldown and every_time modes).
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    pub max_triggers: Option<u32>,
    /// When it stops.
    pub expires_at: Option<DateTime<Utc>>,
    /// Your note.
    #[schema(example = "breakout above resistance")]
    pub note: Option<String>,
}

impl CreateAlertRequest {
    /// The draft it asks for; an instrument key or webhook id that does not have the document's form is a
    /// `400` on that field.
    pub fn to_draft(&self) -> Result<AlertDraft, (&'static str, &'static str)> {
        Ok(AlertDraft {
            instrument: InstrumentKey::parse(&self.instrument)
                .ok_or(("instrument", "must be EXCHANGE:SYMBOL"))?,
            kind: self.condition,
            target: self.target,
            period: self.period,
            channels: self.channels.iter().map(|&c| Channel::from(c)).collect(),
            webhook_id: self
                .webhook_id
                .as_deref()
                .map(str::parse::<WebhookId>)
                .transpose()
                .map_err(|_| ("webhook_id", "must be a webhook id"))?,
            trigger_mode: self.trigger_mode,
            cooldown_minutes: self.cooldown_minutes,
            max_triggers: self.max_triggers,
            expires_at: self.expires_at,
            note: self.note.clone(),
        })
    }
}

/// An edit of an open alert: pause (`PAUSED`), resume (`ACTIVE`, within the 200 active), a new target
/// (tick-checked; re-arms crossings), a note (`""` clears it) or an expiry. A triggered, expired or
/// cancelled alert answers `409`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditAlertRequest {
    /// `ACTIVE` or `PAUSED`.
    #[schema(value_type = Option<String>, pattern = "^(ACTIVE|PAUSED)$")]
    pub status: Option<AlertStatus>,
    /// A new target.
    #[schema(value_type = Option<tradesense_http::openapi::DecimalString>, example = "1610.00")]
    pub target: Option<Decimal>,
    /// A new note; `""` clears it.
    pub note: Option<String>,
    /// A new expiry.
    pub expires_at: Option<DateTime<Utc>>,
}

impl EditAlertRequest {
    /// The edit it asks for.
    pub fn to_edit(&self) -> AlertEdit {
        AlertEdit {
            status: self.status,
            target: self.target,
            note: self.note.clone().map(|n| Some(n).filter(|n| !n.is_empty())),
            expires_at: self.expires_at.map(Some),
        }
    }
}

/// One channel's delivery of a trigger.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDto {
    /// `in_app` or `webhook`.
    #[schema(value_type = String, example = "webhook")]
    pub channel: Channel,
    /// `PENDING`, `DELIVERED`, `RETRYING` or `FAILED`.
    #[schema(value_type = String, example = "DELIVERED")]
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's error.
    pub last_error: Option<String>,
}

impl From<&Delivery> for DeliveryDto {
    fn from(d: &Delivery) -> Self {
        Self {
            channel: d.channel,
            status: d.status,
            attempts: d.attempts,
            last_error: d.last_error.clone(),
        }
    }
}

/// One trigger.
#[derive(Debug, Serialize, ToSchema)]
pub struct TriggerDto {
    /// The evaluation minute.
    pub triggered_at: DateTime<Utc>,
    /// The price that met the condition.
    #[schema(value_type = String, example = "1600.10")]
    pub price: Decimal,
    /// Per channel.
    pub deliveries: Vec<DeliveryDto>,
}

/// An alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDto {
    /// Id.
    #[schema(value_type = String)]
    pub id: AlertId,
    /// Instrument.
    #[schema(value_type = String, example = "NSE:INFY")]
    pub instrument: InstrumentKey,
    /// Condition.
    #[schema(value_type = String, example = "CROSSES_UP")]
    pub condition: ConditionKind,
    /// Target price or percentage.
    #[schema(value_type = Option<String>)]
    pub target: Option<Decimal>,
    /// SMA period.
    pub period: Option<u16>,
    /// Channels.
    #[schema(value_type = Vec<String>)]
    pub channels: Vec<Channel>,
    /// Webhook endpoint.
    #[schema(value_type = Option<String>)]
    pub webhook_id: Option<WebhookId>,
    /// Trigger mode.
    #[schema(value_type = String, example = "once")]
    pub trigger_mode: TriggerMode,
    /// Cooldown.
    pub cooldown_minutes: Option<u32>,
    /// Cap.
    pub max_triggers: Option<u32>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Note.
    pub note: Option<String>,
    /// `ACTIVE`, `PAUSED`, `TRIGGERED`, `EXPIRED` or `CANCELLED`.
    #[schema(value_type = String, example = "ACTIVE")]
    pub status: AlertStatus,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Times fired.
    pub trigger_count: u32,
    /// Last trigger's minute.
    pub last_triggered_at: Option<DateTime<Utc>>,
    /// Last trigger's price.
    #[schema(value_type = Option<String>)]
    pub last_triggered_price: Option<Decimal>,
    /// The latest 50 triggers, newest first (on `GET /v1/alerts/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triggers: Option<Vec<TriggerDto>>,
}

impl AlertDto {
    /// `alert`, with `triggers` if given.
    pub fn of(alert: &Alert, triggers: Option<&[TriggerRecord]>) -> Self {
        Self {
            id: alert.id,
            instrument: alert.instrument.clone(),
            condition: alert.condition.kind,
            target: alert.condition.target,
            period: alert.condition.period,
            channels: alert.channels.clone(),
            webhook_id: alert.webhook_id,
            trigger_mode: alert.trigger_mode,
            cooldown_minutes: alert.cooldown_minutes,
            max_triggers: alert.max_triggers,
            expires_at: alert.expires_at,
            note: alert.note.clone(),
            status: alert.status,
            created_at: alert.created_at,
            updated_at: alert.updated_at,
            trigger_count: alert.trigger_count,
            last_triggered_at: alert.last_triggered_at,
            last_triggered_price: alert.last_triggered_price,
            triggers: triggers.map(|t| {
                t.iter()
                    .map(|r| TriggerDto {
                        triggered_at: r.triggered_at,
                        price: r.price,
                        deliveries: r.deliveries.iter().map(DeliveryDto::from).collect(),
                    })
                    .collect()
            }),
        }
    }
}

/// One page of alerts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertsResponse {
    /// Newest first.
    pub items: Vec<AlertDto>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// `?status=&limit=&cursor=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertListQuery {
    /// Only alerts with this stored status.
    #[param(value_type = Option<String>, pattern = "^(ACTIVE|PAUSED|TRIGGERED|EXPIRED|CANCELLED)$")]
    pub status: Option<AlertStatus>,
    /// At most this many (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u16>,
    /// The previous page's `next_cursor` (opaque; one this list did not issue is a 422).
    pub cursor: Option<String>,
}

/// A new endpoint. The URL must be `https` to a public host (`422` otherwise: loopback, private,
/// link-local and metadata addresses are refused, now and again at every send), at most 2048 characters;
/// the description at most 200; at most 10 endpoints per account (`409`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// Where messages are POSTed.
    #[schema(example = "https://hooks.example.com/tradesense")]
    pub url: String,
    /// Your description.
    pub description: Option<String>,
}

/// An endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDto {
    /// Id.
    #[schema(value_type = String)]
    pub id: WebhookId,
    /// URL.
    pub url: String,
    /// Description.
    pub description: Option<String>,
    /// Registered.
    pub created_at: DateTime<Utc>,
    /// When the current key was made.
    pub secret_created_at: Option<DateTime<Utc>>,
}

impl From<&WebhookEndpoint> for WebhookDto {
    fn from(e: &WebhookEndpoint) -> Self {
        Self {
            id: e.id,
            url: e.url.clone(),
            description: e.description.clone(),
            created_at: e.created_at,
            secret_created_at: e.secrets.first().map(|s| s.created_at),
        }
    }
}

/// A registered (or rotated) endpoint with its signing key, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookDto {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: WebhookDto,
    /// `whsec_<base64 key>`: verify `webhook-signature` with it (Standard Webhooks).
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

impl From<&CreatedWebhook> for CreatedWebhookDto {
    fn from(c: &CreatedWebhook) -> Self {
        Self {
            endpoint: WebhookDto::from(&c.endpoint),
            secret: c.secret.reveal(),
        }
    }
}

/// Your endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhooksResponse {
    /// Oldest first.
    pub items: Vec<WebhookDto>,
}

/// How a test message went.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestResultDto {
    /// The `webhook-id` it carried.
    pub message_id: String,
    /// Whether the endpoint answered 2xx.
    pub delivered: bool,
    /// The endpoint's status, when it answered 2xx.
    pub status_code: Option<u16>,
    /// What went wrong otherwise.
    pub error: Option<String>,
}

impl From<&TestResult> for TestResultDto {
    fn from(t: &TestResult) -> Self {
        let (delivered, status_code, error) = match &t.outcome {
            SendOutcome::Delivered { status } => (true, Some(*status), None),
            SendOutcome::Failed { error, .. } => (false, None, Some(error.clone())),
        };
        Self {
            message_id: t.message_id.clone(),
            delivered,
            status_code,
            error,
        }
    }
}

/// One page of notifications.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationsResponse {
    /// Newest first.
    pub items: Vec<NotificationDto>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// `?unread=&limit=&cursor=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread ones.
    pub unread: Option<bool>,
    /// At most this many (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u16>,
    /// The previous page's `next_cursor` (opaque; one this list did not issue is a 422).
    pub cursor: Option<String>,
}
