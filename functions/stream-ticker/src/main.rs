//! Lambda entry point of the ticker.

use std::sync::Arc;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use stream_ticker::{RUN_FOR, TICK_EVERY, run};
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
        move |_: LambdaEvent<EventBridgeEvent<serde_json::Value>>| async move {
            run(stream, RUN_FOR, TICK_EVERY).await;
            Ok::<_, Error>(())
        },
    ))
    .await
}
