//! Lambda entry point of the WebSocket API's routes.

use std::sync::Arc;

use aws_lambda_events::event::apigw::ApiGatewayWebsocketProxyRequest;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use tradesense_adapters::config::{AwsSettings, process_env};
use tradesense_adapters::{AwsClients, stream::StreamConfig, telemetry};
use tradesense_http::trading::RestOrderRenderer;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let cfg = StreamConfig::from_vars(&process_env)?;
    let aws = AwsClients::load(&AwsSettings::from_vars(&process_env)?).await;
    let stream = &cfg.deployed(&aws, Arc::new(RestOrderRenderer))?;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| async move {
            Ok::<_, Error>(stream::handle(stream, event.payload).await)
        },
    ))
    .await
}
