//! Lambda entry point of the scheduler.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use scheduler::handle;
use tradesense_adapters::clock::SystemClock;
use tradesense_adapters::config::{TableConfig, process_env};
use tradesense_adapters::dynamo::{Table, jobs::DynamoJobRunLog};
use tradesense_adapters::{AwsClients, telemetry};
use tradesense_domain::jobs::JobRequest;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let cfg = TableConfig::from_vars(&process_env)?;
    let aws = AwsClients::load(&cfg.aws).await;
    let runs = DynamoJobRunLog::new(Table::new(aws.dynamodb, cfg.table_name));
    let runs = &runs;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent<JobRequest>>| async move {
            handle(runs, &SystemClock, event.payload)
                .await
                .map_err(Error::from)
        },
    ))
    .await
}
