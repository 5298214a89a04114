//! The backtest worker: runs each queued backtest ([`BacktestService::execute`]), one message at a time.
//! A message that is not a backtest request is logged and acknowledged; a transient failure is reported back
//! so SQS delivers it again (on the last delivery the run is failed with its reason, then the message goes
//! to the DLQ); a finished run's message is acknowledged without running it again.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use tradesense_adapters::lambda::{Delivery, process_sqs_deliveries};
use tradesense_domain::backtest::run::BacktestRequested;
use tradesense_domain::backtest::service::{BacktestService, ExecuteError};
use tradesense_domain::kernel::error::Retryable;
use tradesense_domain::kernel::events::{Envelope, EnvelopeError};

/// Why a message was not run.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// Not a backtest request: it never will be.
    #[error(transparent)]
    Rejected(#[from] EnvelopeError),
    /// Worth another delivery.
    #[error(transparent)]
    Execute(#[from] ExecuteError),
}

impl Retryable for WorkerError {
    fn is_retryable(&self) -> bool {
        matches!(self, WorkerError::Execute(e) if e.is_retryable())
    }
}

/// Runs one delivered message.
///
/// # Errors
/// [`WorkerError`]: rejected (acknowledged) or retryable (reported back).
pub async fn run_delivery(backtests: &BacktestService, delivery: Delivery) -> Result<(), WorkerError> {
    let job: BacktestRequested = Envelope::parse(&delivery.body)?.open()?;
    let executed = backtests.execute(&job, delivery.receive_count).await?;
    tracing::info!(run_id = %job.run_id, ?executed, receive_count = delivery.receive_count, "backtest message handled");
    Ok(())
}

/// Handles one SQS batch.
pub async fn handle(backtests: &BacktestService, event: SqsEvent) -> SqsBatchResponse {
    process_sqs_deliveries(event, |delivery| run_delivery(backtests, delivery)).await
}
