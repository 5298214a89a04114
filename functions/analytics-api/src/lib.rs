//! The analytics API on the caller's own account (`analytics:read`, every role): realized P&L of a
//! financial year by Indian tax head (`GET /v1/analytics/tax-pnl`), trade statistics by group
//! (`GET /v1/analytics/trades`), and from the end-of-day snapshots the equity curve
//! (`GET /v1/analytics/equity-curve`) and performance (`GET /v1/analytics/performance`).

mod dto;
mod errors;
mod handlers;
pub mod openapi;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tradesense_adapters::AwsClients;
use tradesense_adapters::clock::market_clock;
use tradesense_adapters::config::{AwsSettings, ConfigError, Vars, required};
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::snapshots::DynamoSnapshotStore;
use tradesense_adapters::dynamo::trading::DynamoTradingLedger;
use tradesense_domain::analytics::service::AnalyticsService;
use tradesense_domain::kernel::time::Clock;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_http::HttpConfig;

/// Configuration of the analytics function.
#[derive(Clone)]
pub struct AnalyticsConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// CORS and other HTTP settings.
    pub http: HttpConfig,
    /// The single table (`TABLE_NAME`).
    pub table_name: String,
    /// The market clock: which financial year is current.
    pub clock: Arc<dyn Clock>,
}

impl AnalyticsConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsSettings::from_vars(vars)?,
            http: HttpConfig::from_vars(vars)?,
            table_name: required(vars, "TABLE_NAME")?,
            clock: market_clock(vars)?,
        })
    }
}

/// The analytics handlers' state.
#[derive(Clone)]
pub struct AnalyticsState {
    /// The analytics use cases.
    pub analytics: Arc<AnalyticsService>,
    /// The market clock.
    pub clock: Arc<dyn Clock>,
}

impl AnalyticsState {
    /// The deployed wiring: the account's fills from the paper book in the table, its snapshots beside
    /// them, and the NSE sessions.
    ///
    /// # Errors
    /// If the shipped holiday list does not parse.
    pub fn from_aws(aws: &AwsClients, cfg: &AnalyticsConfig) -> anyhow::Result<Self> {
        let table = Table::new(aws.dynamodb.clone(), &cfg.table_name);
        let analytics = AnalyticsService::new(
            Arc::new(DynamoTradingLedger::new(table.clone())),
            Arc::new(DynamoSnapshotStore::new(table)),
            Arc::new(MarketCalendar::nse()?),
        );
        Ok(Self {
            analytics: Arc::new(analytics),
            clock: cfg.clock.clone(),
        })
    }
}

/// The analytics routes, with full API Gateway paths.
pub fn router(state: AnalyticsState) -> Router {
    Router::new()
        .route("/v1/analytics/tax-pnl", get(handlers::tax_pnl))
        .route("/v1/analytics/trades", get(handlers::trades))
        .route("/v1/analytics/equity-curve", get(handlers::equity_curve))
        .route("/v1/analytics/performance", get(handlers::performance))
        .with_state(state)
}
