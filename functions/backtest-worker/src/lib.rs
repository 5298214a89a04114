//! The backtest worker: runs each queued backtest ([`BacktestService::execute`]), one message at a time.
//! A message that is not a backtest request is logged and acknowledged; a transient failure is reported back
//! so SQS delivers it again (on the last delivery the run is failed with its reason, then the message goes
//! to the DLQ); a finished run's message is acknowledged without running it again; a message whose run
//! another worker holds is reported back too, so that if that worker dies the run still has a message to
//! restart it once its lease lapses.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use tradesense_adapters::lambda::{Delivery, process_sqs_deliveries};
use tradesense_domain::backtest::run::BacktestRequested;
use tradesense_domain::backtest::service::{BacktestService, ExecuteError, Executed};
use tradesense_domain::kernel::error::Retryable;
use tradesense_domain::kernel::events::{Envelope, EnvelopeError};
use tradesense_domain::kernel::ids::BacktestId;

/// Why a message was not run.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// Not a backtest request: it never will be.
    #[error(transparent)]
    Rejected(#[from] EnvelopeError),
    /// Worth another delivery.
    #[error(transparent)]
    Execute(#[from] ExecuteError),
    /// Another worker holds the run: delivered again after the visibility timeout, it finds the run finished
    /// (and is acknowledged) or its lease lapsed (and restarts it).
    #[error("backtest {0} is held by another worker")]
    Held(BacktestId),
}

impl Retryable for WorkerError {
    fn is_retryable(&self) -> bool {
        match self {
            WorkerError::Rejected(_) => false,
            WorkerError::Execute(e) => e.is_retryable(),
            WorkerError::Held(_) => true,
        }
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
    match executed {
        Executed::Held => Err(WorkerError::Held(job.run_id)),
        Executed::Done | Executed::Failed | Executed::AlreadyFinished(_) | Executed::Cancelled => Ok(()),
    }
}

/// Handles one SQS batch.
pub async fn handle(backtests: &BacktestService, event: SqsEvent) -> SqsBatchResponse {
    process_sqs_deliveries(event, |delivery| run_delivery(backtests, delivery)).await
}
