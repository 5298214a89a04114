//! Lambda entry point of the WebSocket API's routes.

use std::sync::Arc;

use aws_lambda_events::event::apigw::ApiGatewayWebsocketProxyRequest;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use tradesense_adapters::config::process_env;
use tradesense_adapters::{stream::StreamConfig, telemetry};
use tradesense_http::stream::RestRenderer;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let stream = &StreamConfig::load_deployed(&process_env, Arc::new(RestRenderer)).await?;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| async move {
            Ok::<_, Error>(stream::handle(stream, event.payload).await)
        },
    ))
    .await
}
