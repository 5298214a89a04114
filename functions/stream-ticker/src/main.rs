//! Lambda entry point of the ticker.

use std::sync::Arc;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use stream_ticker::{RUN_FOR, TICK_EVERY, run};
use tradesense_adapters::config::process_env;
use tradesense_adapters::{stream::StreamConfig, telemetry};
use tradesense_http::stream::RestRenderer;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let stream = &StreamConfig::load_deployed(&process_env, Arc::new(RestRenderer)).await?;
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<EventBridgeEvent<serde_json::Value>>| async move {
            run(stream, RUN_FOR, TICK_EVERY).await;
            Ok::<_, Error>(())
        },
    ))
    .await
}
