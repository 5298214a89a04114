//! Lambda entry point of the market-data API.

use market_api::{MarketConfig, MarketState, router};
use tradesense_adapters::{AwsClients, config::process_env, telemetry};
use tradesense_http::{function_app, serve};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let cfg = MarketConfig::from_vars(&process_env)?;
    let aws = AwsClients::load(&cfg.aws).await;
    let state = MarketState::from_aws(&aws, &cfg)?;
    serve(function_app(env!("CARGO_PKG_NAME"), router(state), &cfg.http)).await
}
