//! Lambda entry point of the scheduler.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use scheduler::Scheduler;
use tradesense_adapters::alerts::AlertsConfig;
use tradesense_adapters::config::{AwsSettings, process_env};
use tradesense_adapters::paper::PaperConfig;
use tradesense_adapters::{AwsClients, telemetry};
use tradesense_domain::ops::jobs::JobRequest;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let cfg = PaperConfig::from_vars(&process_env)?;
    let alerts = AlertsConfig::from_vars(&process_env)?;
    let aws = AwsClients::load(&AwsSettings::from_vars(&process_env)?).await;
    let scheduler = Scheduler::from_config(&aws, &cfg, &alerts)?;
    let scheduler = &scheduler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent<JobRequest>>| async move {
            scheduler.handle(event.payload).await.map_err(Error::from)
        },
    ))
    .await
}
