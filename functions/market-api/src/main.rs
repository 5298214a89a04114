//! Lambda entry point of the market-data API.

use market_api::{MarketConfig, router};
use tradesense_adapters::{config::process_env, telemetry};
use tradesense_http::{serve, with_conventions};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let cfg = MarketConfig::from_vars(&process_env)?;
    serve(with_conventions(router(), &cfg.http)).await
}
