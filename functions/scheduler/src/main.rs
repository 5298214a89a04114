//! Lambda entry point of the scheduler.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use scheduler::Scheduler;
use tradesense_adapters::clock::SystemClock;
use tradesense_adapters::config::{TableConfig, market_seed, process_env};
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::{AwsClients, telemetry};
use tradesense_domain::jobs::JobRequest;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let cfg = TableConfig::from_vars(&process_env)?;
    let aws = AwsClients::load(&cfg.aws).await;
    let seed = market_seed(&process_env)?;
    let scheduler = Scheduler::from_table(Table::new(aws.dynamodb, cfg.table_name), seed)?;
    let scheduler = &scheduler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent<JobRequest>>| async move {
            scheduler
                .handle(&SystemClock, event.payload)
                .await
                .map_err(Error::from)
        },
    ))
    .await
}
