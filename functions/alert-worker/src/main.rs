//! Lambda entry point of the alert worker.

use alert_worker::handle;
use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use tradesense_adapters::alerts::AlertsConfig;
use tradesense_adapters::config::{AwsSettings, process_env};
use tradesense_adapters::{AwsClients, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let cfg = AlertsConfig::from_vars(&process_env)?;
    let aws = AwsClients::load(&AwsSettings::from_vars(&process_env)?).await;
    let alerts = cfg.service(&aws)?;
    let alerts = &alerts;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(handle(alerts, event.payload).await)
    }))
    .await
}
