//! The audit worker: stores each audit event from the audit queue exactly once. Poison messages are logged
//! and acknowledged; storage failures are reported back so SQS retries them (then moves them to the DLQ).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use tradesense_adapters::lambda::process_sqs_batch;
use tradesense_domain::audit::ports::AuditLog;
use tradesense_domain::audit::service::{RecordAuditError, record_audit_message};

/// Handles one SQS batch.
pub async fn handle(log: &dyn AuditLog, event: SqsEvent) -> SqsBatchResponse {
    process_sqs_batch(event, |body| async move {
        let outcome = record_audit_message(log, &body).await?;
        tracing::info!(?outcome, "audit message handled");
        Ok::<_, RecordAuditError>(())
    })
    .await
}
