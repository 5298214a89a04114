//! Lambda entry point of the push channel's ticket route.

use std::sync::Arc;

use stream_api::{StreamApiConfig, StreamApiState, router};
use tradesense_adapters::{AwsClients, config::process_env, telemetry};
use tradesense_http::{function_app, serve, stream::RestRenderer};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let cfg = StreamApiConfig::from_vars(&process_env)?;
    let aws = AwsClients::load(&cfg.aws).await;
    let stream = Arc::new(cfg.stream.deployed(&aws, Arc::new(RestRenderer))?);
    serve(function_app(
        env!("CARGO_PKG_NAME"),
        router(StreamApiState { stream }),
        &cfg.http,
    ))
    .await
}
