//! The market-data API over the simulated market (and imported daily history): instruments search, quotes, candles, option chain with
//! IV and Greeks, market status (all `market:read`), and the public option calculator.

mod calculator;
mod dto;
mod errors;
mod handlers;
pub mod openapi;
mod state;

pub use state::MarketState;

use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

use tradesense_adapters::AwsClients;
use tradesense_adapters::clock::market_clock;
use tradesense_adapters::config::{AwsSettings, ConfigError, Vars, market_seed, required};
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::daily_history::DynamoDailyHistory;
use tradesense_adapters::dynamo::instruments::DynamoInstrumentStore;
use tradesense_adapters::dynamo::quote_cache::DynamoQuoteCache;
use tradesense_domain::kernel::time::Clock;
use tradesense_http::HttpConfig;

/// Configuration of the market-data function.
#[derive(Clone)]
pub struct MarketConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// CORS and other HTTP settings.
    pub http: HttpConfig,
    /// The single table, holding the quote cache (`TABLE_NAME`).
    pub table_name: String,
    /// Seed of the simulated market (`MARKET_SEED`, default 7).
    pub market_seed: u64,
    /// The deployment's market clock, the one orders and the scheduler trade on ([`market_clock`]).
    pub clock: Arc<dyn Clock>,
}

impl MarketConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsSettings::from_vars(vars)?,
            http: HttpConfig::from_vars(vars)?,
            table_name: required(vars, "TABLE_NAME")?,
            market_seed: market_seed(vars)?,
            clock: market_clock(vars)?,
        })
    }
}

impl MarketState {
    /// The deployed wiring: the simulated market with the imported daily history over it, behind the
    /// DynamoDB quote cache.
    ///
    /// # Errors
    /// If the shipped holiday list does not parse.
    pub fn from_aws(aws: &AwsClients, cfg: &MarketConfig) -> anyhow::Result<Self> {
        let table = Table::new(aws.dynamodb.clone(), &cfg.table_name);
        let cache = Arc::new(DynamoQuoteCache::new(table.clone()));
        let history = Arc::new(DynamoDailyHistory::new(table.clone()));
        let instruments = Arc::new(DynamoInstrumentStore::new(table));
        Self::simulated(cfg.market_seed, history, cache, instruments, cfg.clock.clone())
    }
}

/// The market-data routes, with full API Gateway paths.
pub fn router(state: MarketState) -> Router {
    Router::new()
        .route("/v1/market/option-calculator", post(calculator::calculate))
        .route("/v1/market/instruments", get(handlers::instruments))
        .route("/v1/market/quotes", get(handlers::quotes))
        .route("/v1/market/candles/{instrument}", get(handlers::candles))
        .route("/v1/market/option-chain/{underlying}", get(handlers::chain))
        .route("/v1/market/status", get(handlers::status))
        .with_state(state)
}
