//! The alerts API: a trader's price alerts (create, list, read with trigger history, pause, resume, edit,
//! cancel), webhook endpoints (register with a key shown once, list, delete, test, rotate) and the in-app
//! inbox (alert triggers and order events). `alerts:read` for every role, `alerts:write` for traders and
//! admins; everything is the caller's own.

mod dto;
mod errors;
mod handlers;
pub mod openapi;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tradesense_adapters::AwsClients;
use tradesense_adapters::alerts::AlertsConfig;
use tradesense_adapters::config::{AwsSettings, ConfigError, Vars, required};
use tradesense_adapters::dynamo::cursor::SignedCursors;
use tradesense_adapters::secrets::SecretsProvider;
use tradesense_domain::alerts::service::AlertService;
use tradesense_http::HttpConfig;

/// Configuration of the alerts API function.
#[derive(Clone)]
pub struct AlertsApiConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// CORS and other HTTP settings.
    pub http: HttpConfig,
    /// Table, queue, data key, market and webhook policy.
    pub alerts: AlertsConfig,
    /// The secret whose value signs list cursors (`CURSOR_KEY_SECRET_ID`).
    pub cursor_key_secret_id: String,
}

impl AlertsApiConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsSettings::from_vars(vars)?,
            http: HttpConfig::from_vars(vars)?,
            alerts: AlertsConfig::from_vars(vars)?,
            cursor_key_secret_id: required(vars, "CURSOR_KEY_SECRET_ID")?,
        })
    }
}

/// The alerts handlers' state.
#[derive(Clone)]
pub struct AlertsState {
    /// The alert use cases.
    pub alerts: Arc<AlertService>,
    /// Signs and opens the lists' cursors.
    pub cursors: Arc<SignedCursors>,
}

impl AlertsState {
    /// The deployed wiring ([`AlertsConfig::service`]).
    ///
    /// # Errors
    /// If the shipped holiday list does not parse.
    pub fn from_aws(aws: &AwsClients, cfg: &AlertsApiConfig) -> anyhow::Result<Self> {
        Ok(Self {
            alerts: Arc::new(cfg.alerts.service(aws)?),
            cursors: Arc::new(SignedCursors::new(
                SecretsProvider::new(aws.secrets.clone(), SecretsProvider::DEFAULT_TTL),
                &cfg.cursor_key_secret_id,
            )),
        })
    }
}

/// The alerts routes, with full API Gateway paths.
pub fn router(state: AlertsState) -> Router {
    Router::new()
        .route(
            "/v1/alerts",
            get(handlers::list_alerts).post(handlers::create_alert),
        )
        .route(
            "/v1/alerts/{id}",
            get(handlers::get_alert)
                .patch(handlers::edit_alert)
                .delete(handlers::cancel_alert),
        )
        .route(
            "/v1/webhooks",
            get(handlers::list_webhooks).post(handlers::create_webhook),
        )
        .route(
            "/v1/webhooks/{id}",
            axum::routing::delete(handlers::delete_webhook),
        )
        .route("/v1/webhooks/{id}/test", post(handlers::test_webhook))
        .route("/v1/webhooks/{id}/rotate", post(handlers::rotate_webhook))
        .route("/v1/notifications", get(handlers::list_notifications))
        .route(
            "/v1/notifications/read-all",
            post(handlers::read_all_notifications),
        )
        .route("/v1/notifications/{id}/read", post(handlers::read_notification))
        .with_state(state)
}
