//! The alert use cases: a trader's alerts, webhook endpoints and inbox (the API's); the minute scan (the
//! scheduler's); and recording and delivering what the scan found (the alert worker's).

mod alerts;
mod deliver;
mod inbox;
mod publishing;
mod scan;
#[cfg(test)]
mod tests;
mod webhooks;

pub use alerts::{AlertError, AlertView};
pub use deliver::{DeliverError, Handled, WebhookRetry};
pub use publishing::PublishingNotifications;
pub use scan::ScanReport;
pub use webhooks::{CreatedWebhook, TestResult, WebhookError};

use std::sync::Arc;

use crate::alerts::ports::{AlertStore, NotificationStore, SecretSealer, WebhookStore, WebhookTransport};
use crate::alerts::trigger::RetryPolicy;
use crate::alerts::webhook::UrlPolicy;
use crate::identity::ports::RateLimiter;
use crate::kernel::events::EventPublisher;
use crate::kernel::ids::IdGen;
use crate::kernel::time::Clock;
use crate::market::calendar::MarketCalendar;
use crate::market::ports::MarketData;
use crate::market::service::current::CurrentMaster;

/// What the alert use cases run on.
pub struct AlertsContext {
    /// Alerts, triggers and the scan's state.
    pub alerts: Arc<dyn AlertStore>,
    /// Webhook endpoints.
    pub webhooks: Arc<dyn WebhookStore>,
    /// The inbox.
    pub notifications: Arc<dyn NotificationStore>,
    /// Seals webhook keys.
    pub sealer: Arc<dyn SecretSealer>,
    /// Sends webhook messages.
    pub transport: Arc<dyn WebhookTransport>,
    /// Counts test messages per user ([`TEST_RATE`](crate::alerts::webhook::TEST_RATE)).
    pub limiter: Arc<dyn RateLimiter>,
    /// The alert queue (triggers, webhook retries).
    pub queue: Arc<dyn EventPublisher>,
    /// Quotes and daily closes.
    pub market: Arc<dyn MarketData>,
    /// Instruments.
    pub master: Arc<CurrentMaster>,
    /// Market hours.
    pub calendar: Arc<MarketCalendar>,
    /// The market clock: evaluation minutes, alert and inbox times.
    pub clock: Arc<dyn Clock>,
    /// The real time: webhook timestamps (receivers check them against theirs) and retry schedules (SQS
    /// delays run in real time). The same as the market clock in deployments; not under a simulated one.
    pub wall_clock: Arc<dyn Clock>,
    /// Mints ids.
    pub ids: Arc<dyn IdGen>,
    /// Which endpoint URLs are accepted.
    pub url_policy: UrlPolicy,
    /// When failed webhook deliveries are retried.
    pub retry: RetryPolicy,
}

/// The alert use cases.
pub struct AlertService {
    ctx: AlertsContext,
}

impl AlertService {
    /// The use cases over `ctx`.
    pub fn new(ctx: AlertsContext) -> Self {
        Self { ctx }
    }
}
