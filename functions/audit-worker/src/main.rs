//! Lambda entry point of the audit worker.

use audit_worker::handle;
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use tradesense_adapters::config::{TableConfig, process_env};
use tradesense_adapters::dynamo::{Table, audit::DynamoAuditLog};
use tradesense_adapters::{AwsClients, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let cfg = TableConfig::from_vars(&process_env)?;
    let aws = AwsClients::load(&cfg.aws).await;
    let log = DynamoAuditLog::new(Table::new(aws.dynamodb, cfg.table_name));
    let log = &log;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(handle(log, event.payload).await)
    }))
    .await
}
