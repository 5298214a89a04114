//! Lambda entry point of the strategies API.

use strategies_api::{StrategiesConfig, StrategiesState, router};
use tradesense_adapters::{AwsClients, config::process_env, telemetry};
use tradesense_http::{function_app, serve};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let cfg = StrategiesConfig::from_vars(&process_env)?;
    let aws = AwsClients::load(&cfg.aws).await;
    let state = StrategiesState::from_aws(&aws, &cfg)?;
    serve(function_app(env!("CARGO_PKG_NAME"), router(state), &cfg.http)).await
}
