//! The backtest API: submit a strategy over an instrument's history (validated, idempotent, queued for the
//! backtest worker: `202`), list one's runs a page at a time, read one with its metrics, trades and curves,
//! and delete one (a queued or running run is cancelled). `backtests:read` for every role,
//! `backtests:write` for traders and admins; every run is the caller's own.

mod dto;
mod errors;
mod handlers;
pub mod openapi;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tradesense_adapters::AwsClients;
use tradesense_adapters::backtest::BacktestConfig;
use tradesense_adapters::config::{AwsSettings, ConfigError, Vars, required};
use tradesense_adapters::dynamo::cursor::SignedCursors;
use tradesense_adapters::secrets::SecretsProvider;
use tradesense_domain::backtest::service::BacktestService;
use tradesense_http::HttpConfig;

/// Configuration of the backtest API function.
#[derive(Clone)]
pub struct BacktestApiConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// CORS and other HTTP settings.
    pub http: HttpConfig,
    /// Table, queue, market seed and clock.
    pub backtest: BacktestConfig,
    /// The secret whose value signs list cursors (`CURSOR_KEY_SECRET_ID`).
    pub cursor_key_secret_id: String,
}

impl BacktestApiConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsSettings::from_vars(vars)?,
            http: HttpConfig::from_vars(vars)?,
            backtest: BacktestConfig::from_vars(vars)?,
            cursor_key_secret_id: required(vars, "CURSOR_KEY_SECRET_ID")?,
        })
    }
}

/// The backtest handlers' state.
#[derive(Clone)]
pub struct BacktestState {
    /// The backtest use cases.
    pub backtests: Arc<BacktestService>,
    /// Signs and opens the list's cursors.
    pub cursors: Arc<SignedCursors>,
}

impl BacktestState {
    /// The deployed wiring ([`BacktestConfig::service`]).
    ///
    /// # Errors
    /// If the shipped holiday list or charge table does not parse.
    pub fn from_aws(aws: &AwsClients, cfg: &BacktestApiConfig) -> anyhow::Result<Self> {
        Ok(Self {
            backtests: Arc::new(cfg.backtest.service(aws)?),
            cursors: Arc::new(SignedCursors::new(
                SecretsProvider::new(aws.secrets.clone(), SecretsProvider::DEFAULT_TTL),
                &cfg.cursor_key_secret_id,
            )),
        })
    }
}

/// The backtest routes, with full API Gateway paths.
pub fn router(state: BacktestState) -> Router {
    Router::new()
        .route("/v1/backtests", get(handlers::list).post(handlers::submit))
        .route("/v1/backtests/{id}", get(handlers::get).delete(handlers::delete))
        .with_state(state)
}
