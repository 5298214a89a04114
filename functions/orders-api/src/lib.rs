//! The orders API over the paper broker: place (idempotent, rate limited, risk checked, filled where the
//! market allows), list (filtered, a page at a time), get with status history, modify, cancel, and fills with
//! their charges. Prices come from the same simulated market and quote cache as the market-data API. An
//! account switched to live mode places at its linked Upstox account instead, through the same routes.

mod dto;
mod errors;
mod handlers;
pub mod openapi;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tradesense_adapters::AwsClients;
use tradesense_adapters::config::{AwsSettings, ConfigError, Vars, required};
use tradesense_adapters::dynamo::cursor::SignedCursors;
use tradesense_adapters::live::LiveConfig;
use tradesense_adapters::paper::PaperConfig;
use tradesense_adapters::secrets::SecretsProvider;
use tradesense_domain::trading::service::OrderService;
use tradesense_http::HttpConfig;

/// Configuration of the orders function.
#[derive(Clone)]
pub struct OrdersConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// CORS and other HTTP settings.
    pub http: HttpConfig,
    /// Table, market seed and clock.
    pub paper: PaperConfig,
    /// The secret whose value signs list cursors (`CURSOR_KEY_SECRET_ID`).
    pub cursor_key_secret_id: String,
    /// Upstox and the sealed tokens, for live mode.
    pub live: LiveConfig,
}

impl OrdersConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsSettings::from_vars(vars)?,
            http: HttpConfig::from_vars(vars)?,
            paper: PaperConfig::from_vars(vars)?,
            cursor_key_secret_id: required(vars, "CURSOR_KEY_SECRET_ID")?,
            live: LiveConfig::from_vars(vars)?,
        })
    }
}

/// The orders handlers' state.
#[derive(Clone)]
pub struct OrdersState {
    /// The order use cases (and, through them, the book).
    pub orders: Arc<OrderService>,
    /// Signs and opens the lists' cursors.
    pub cursors: Arc<SignedCursors>,
}

impl OrdersState {
    /// The deployed wiring ([`PaperConfig::order_service`]).
    ///
    /// # Errors
    /// If the shipped holiday list or charges table does not parse.
    pub fn from_aws(aws: &AwsClients, cfg: &OrdersConfig) -> anyhow::Result<Self> {
        Ok(Self {
            orders: Arc::new(cfg.paper.order_service(aws, &cfg.live)?),
            cursors: Arc::new(SignedCursors::new(
                SecretsProvider::new(aws.secrets.clone(), SecretsProvider::DEFAULT_TTL),
                &cfg.cursor_key_secret_id,
            )),
        })
    }
}

/// The orders routes, with full API Gateway paths.
pub fn router(state: OrdersState) -> Router {
    Router::new()
        .route("/v1/orders", get(handlers::list).post(handlers::place))
        .route(
            "/v1/orders/{id}",
            get(handlers::get).put(handlers::modify).delete(handlers::cancel),
        )
        .route("/v1/trades", get(handlers::trades))
        .with_state(state)
}
