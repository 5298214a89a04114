//! Lambda entry point of the market-data API.

use std::sync::Arc;

use market_api::{MarketConfig, MarketState, router};
use tradesense_adapters::clock::SystemClock;
use tradesense_adapters::{config::process_env, telemetry};
use tradesense_http::{serve, with_conventions};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let cfg = MarketConfig::from_vars(&process_env)?;
    let state = MarketState::simulated(cfg.market_seed, Arc::new(SystemClock))?;
    serve(with_conventions(router(state), &cfg.http)).await
}
