//! The strategies API: the template catalogue, analysis of a template or of legs on the live chains (payoff
//! at expiry and today, breakevens, net Greeks, probability of profit, margin), saved strategies with their
//! mark to market, and execution as one basket of orders on the caller's account. `strategies:read` for
//! every role, `strategies:write` (and `orders:write` to execute) for traders and admins; everything saved
//! is the caller's own.

mod dto;
mod errors;
mod handlers;
pub mod openapi;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tradesense_adapters::AwsClients;
use tradesense_adapters::config::{AwsSettings, ConfigError, Vars, required};
use tradesense_adapters::dynamo::cursor::SignedCursors;
use tradesense_adapters::live::LiveConfig;
use tradesense_adapters::paper::PaperConfig;
use tradesense_adapters::secrets::SecretsProvider;
use tradesense_adapters::strategies::strategy_service;
use tradesense_domain::strategies::service::StrategyService;
use tradesense_http::HttpConfig;

/// Configuration of the strategies function.
#[derive(Clone)]
pub struct StrategiesConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// CORS and other HTTP settings.
    pub http: HttpConfig,
    /// Table, market seed, clock and risk limits (baskets are placed as orders).
    pub paper: PaperConfig,
    /// Upstox and the sealed tokens, for accounts in live mode.
    pub live: LiveConfig,
    /// The secret whose value signs list cursors (`CURSOR_KEY_SECRET_ID`).
    pub cursor_key_secret_id: String,
}

impl StrategiesConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsSettings::from_vars(vars)?,
            http: HttpConfig::from_vars(vars)?,
            paper: PaperConfig::from_vars(vars)?,
            live: LiveConfig::from_vars(vars)?,
            cursor_key_secret_id: required(vars, "CURSOR_KEY_SECRET_ID")?,
        })
    }
}

/// The strategies handlers' state.
#[derive(Clone)]
pub struct StrategiesState {
    /// The strategy use cases.
    pub strategies: Arc<StrategyService>,
    /// Signs and opens the list's cursors.
    pub cursors: Arc<SignedCursors>,
}

impl StrategiesState {
    /// The deployed wiring ([`strategy_service`]).
    ///
    /// # Errors
    /// If the shipped holiday list or charges table does not parse, or an HTTP client cannot be built.
    pub fn from_aws(aws: &AwsClients, cfg: &StrategiesConfig) -> anyhow::Result<Self> {
        Ok(Self {
            strategies: Arc::new(strategy_service(aws, &cfg.paper, &cfg.live)?),
            cursors: Arc::new(SignedCursors::new(
                SecretsProvider::new(aws.secrets.clone(), SecretsProvider::DEFAULT_TTL),
                &cfg.cursor_key_secret_id,
            )),
        })
    }
}

/// The strategies routes, with full API Gateway paths.
pub fn router(state: StrategiesState) -> Router {
    Router::new()
        .route("/v1/strategies/templates", get(handlers::templates))
        .route("/v1/strategies/analyze", post(handlers::analyze))
        .route("/v1/strategies/execute", post(handlers::execute_legs))
        .route("/v1/strategies", get(handlers::list).post(handlers::save))
        .route("/v1/strategies/{id}", get(handlers::get).delete(handlers::delete))
        .route("/v1/strategies/{id}/execute", post(handlers::execute_saved))
        .with_state(state)
}
