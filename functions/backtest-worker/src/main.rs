//! Lambda entry point of the backtest worker.

use aws_lambda_events::event::sqs::SqsEvent;
use backtest_worker::handle;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use tradesense_adapters::backtest::BacktestConfig;
use tradesense_adapters::config::{AwsSettings, process_env};
use tradesense_adapters::{AwsClients, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let cfg = BacktestConfig::from_vars(&process_env)?;
    let aws = AwsClients::load(&AwsSettings::from_vars(&process_env)?).await;
    let backtests = cfg.service(&aws)?;
    let backtests = &backtests;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(handle(backtests, event.payload).await)
    }))
    .await
}
