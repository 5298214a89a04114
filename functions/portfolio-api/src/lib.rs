//! The portfolio API: the summary, positions and holdings valued at the last price, funds (all
//! `portfolio:read`) of the paper account or, in live mode, of the user's Upstox account as Upstox reports it;
//! the paper reset and the switch between paper and live mode (`orders:write`). Every read is the caller's
//! own account.

mod dto;
mod errors;
mod handlers;
pub mod openapi;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tradesense_adapters::AwsClients;
use tradesense_adapters::config::{AwsSettings, ConfigError, Vars};
use tradesense_adapters::live::LiveConfig;
use tradesense_adapters::paper::PaperConfig;
use tradesense_domain::trading::service::OrderService;
use tradesense_http::HttpConfig;

/// Configuration of the portfolio function.
#[derive(Clone)]
pub struct PortfolioConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// CORS and other HTTP settings.
    pub http: HttpConfig,
    /// Table, market seed and clock.
    pub paper: PaperConfig,
    /// Upstox and the sealed tokens, for live mode.
    pub live: LiveConfig,
}

impl PortfolioConfig {
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
        })
    }
}

/// The portfolio handlers' state.
#[derive(Clone)]
pub struct PortfolioState {
    /// The order use cases (valuation, reset, the mode, live reads) and, through them, the book.
    pub paper: Arc<OrderService>,
}

impl PortfolioState {
    /// The deployed wiring ([`PaperConfig::order_service`]).
    ///
    /// # Errors
    /// If the shipped holiday list or charges table does not parse.
    pub fn from_aws(aws: &AwsClients, cfg: &PortfolioConfig) -> anyhow::Result<Self> {
        Ok(Self {
            paper: Arc::new(cfg.paper.order_service(aws, &cfg.live)?),
        })
    }
}

/// The portfolio routes, with full API Gateway paths.
pub fn router(state: PortfolioState) -> Router {
    Router::new()
        .route("/v1/portfolio", get(handlers::summary))
        .route("/v1/portfolio/positions", get(handlers::positions))
        .route("/v1/portfolio/holdings", get(handlers::holdings))
        .route("/v1/portfolio/funds", get(handlers::funds))
        .route("/v1/portfolio/paper/reset", post(handlers::reset))
        .route(
            "/v1/portfolio/mode",
            get(handlers::mode).put(handlers::switch_mode),
        )
        .with_state(state)
}
