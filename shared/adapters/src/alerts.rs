//! The alert area's deployed wiring, shared by its API function, its worker and the scheduler's scan: the
//! DynamoDB stores, the alert queue, the data key that seals webhook keys, the HTTP webhook transport, and
//! the same market the paper broker prices with (the simulated market behind the shared quote cache).

use std::sync::Arc;

use tradesense_domain::alerts::ports::NotificationStore;
use tradesense_domain::alerts::service::{AlertService, AlertsContext, PublishingNotifications};
use tradesense_domain::alerts::trigger::RetryPolicy;
use tradesense_domain::alerts::webhook::UrlPolicy;
use tradesense_domain::kernel::time::Clock;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::service::cached::CachedMarketData;
use tradesense_domain::market::service::current::CurrentMaster;
use tradesense_domain::market::service::simulated::SimulatedMarket;

use crate::AwsClients;
use crate::clock::{SystemClock, market_clock};
use crate::config::{ConfigError, Vars, market_seed, optional, required};
use crate::dynamo::Table;
use crate::dynamo::alerts::{DynamoAlertStore, DynamoNotificationStore, DynamoWebhookStore};
use crate::dynamo::instruments::DynamoInstrumentStore;
use crate::dynamo::quote_cache::DynamoQuoteCache;
use crate::dynamo::rate_limits::DynamoRateLimiter;
use crate::ids::UlidIds;
use crate::secrets::SecretsProvider;
use crate::sqs::SqsPublisher;
use crate::webhooks::{DataKeySealer, HttpWebhookTransport};

/// The setting that lets endpoints be plain `http://127.0.0.1:<port>`: the local stack and tests set it;
/// no deployment does (template.yaml never passes it).
pub const ALLOW_LOOPBACK_HTTP: &str = "WEBHOOKS_ALLOW_LOOPBACK_HTTP";

/// What an alert function reads from its environment.
#[derive(Clone)]
pub struct AlertsConfig {
    /// The single table (`TABLE_NAME`).
    pub table_name: String,
    /// The alert queue (`ALERT_QUEUE_URL`).
    pub queue_url: String,
    /// The data key that seals webhook keys (`DATA_KEY_SECRET_ID`).
    pub data_key_secret_id: String,
    /// The simulated market's seed (`MARKET_SEED`).
    pub market_seed: u64,
    /// The market clock.
    pub clock: Arc<dyn Clock>,
    /// Which endpoint URLs are accepted ([`ALLOW_LOOPBACK_HTTP`] = `true`: loopback HTTP too).
    pub url_policy: UrlPolicy,
    /// When failed webhook deliveries are retried (the default everywhere; tests shorten it).
    pub retry: RetryPolicy,
    /// Where each new notification goes for the push channel (`STREAM_QUEUE_URL`, the stream queue; set on the
    /// alert worker, which writes them); none: none.
    pub stream_queue_url: Option<String>,
}

impl AlertsConfig {
    /// The inbox, telling the push channel about each new notification when a stream queue is set.
    fn notifications(&self, aws: &AwsClients, table: &Table) -> Arc<dyn NotificationStore> {
        let inbox = Arc::new(DynamoNotificationStore::new(table.clone()));
        match &self.stream_queue_url {
            Some(url) => Arc::new(PublishingNotifications::new(
                inbox,
                Arc::new(SqsPublisher::new(aws.sqs.clone(), url)),
                Arc::new(UlidIds::default()),
            )),
            None => inbox,
        }
    }

    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        let url_policy = match optional(vars, ALLOW_LOOPBACK_HTTP).as_deref() {
            None | Some("" | "false") => UrlPolicy::PublicHttps,
            Some("true") => UrlPolicy::AlsoLoopbackHttp,
            Some(_) => {
                return Err(ConfigError::Invalid {
                    key: ALLOW_LOOPBACK_HTTP.into(),
                    reason: "true or false".into(),
                });
            }
        };
        Ok(Self {
            table_name: required(vars, "TABLE_NAME")?,
            queue_url: required(vars, "ALERT_QUEUE_URL")?,
            data_key_secret_id: required(vars, "DATA_KEY_SECRET_ID")?,
            market_seed: market_seed(vars)?,
            clock: market_clock(vars)?,
            url_policy,
            retry: RetryPolicy::default(),
            stream_queue_url: optional(vars, "STREAM_QUEUE_URL").filter(|u| !u.is_empty()),
        })
    }

    /// The alert use cases this configuration describes.
    ///
    /// # Errors
    /// If the shipped holiday list does not parse.
    pub fn service(&self, aws: &AwsClients) -> anyhow::Result<AlertService> {
        let table = Table::new(aws.dynamodb.clone(), &self.table_name);
        let calendar = Arc::new(MarketCalendar::nse()?);
        let source = Arc::new(SimulatedMarket::new((*calendar).clone(), self.market_seed));
        Ok(AlertService::new(AlertsContext {
            alerts: Arc::new(DynamoAlertStore::new(table.clone())),
            webhooks: Arc::new(DynamoWebhookStore::new(table.clone())),
            notifications: self.notifications(aws, &table),
            sealer: Arc::new(DataKeySealer::new(
                SecretsProvider::new(aws.secrets.clone(), SecretsProvider::DEFAULT_TTL),
                &self.data_key_secret_id,
            )),
            transport: Arc::new(HttpWebhookTransport::new(self.url_policy)),
            limiter: Arc::new(DynamoRateLimiter::new(table.clone())),
            queue: Arc::new(SqsPublisher::new(aws.sqs.clone(), &self.queue_url)),
            market: CachedMarketData::over(source, Arc::new(DynamoQuoteCache::new(table.clone()))),
            master: Arc::new(CurrentMaster::new(
                Arc::new(DynamoInstrumentStore::new(table)),
                calendar.clone(),
            )),
            calendar,
            clock: self.clock.clone(),
            wall_clock: Arc::new(SystemClock),
            ids: Arc::new(UlidIds::default()),
            url_policy: self.url_policy,
            retry: self.retry,
        }))
    }
}
