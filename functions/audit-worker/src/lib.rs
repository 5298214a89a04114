//! The audit worker: stores each audit event from the audit queue exactly once. Poison messages are logged
//! and acknowledged; storage failures are reported back so SQS retries them (then moves them to the DLQ).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use tradesense_adapters::config::{AwsSettings, ConfigError, Vars, required};
use tradesense_adapters::lambda::process_sqs_batch;
use tradesense_domain::audit::{RecordAuditError, record_audit_message};
use tradesense_domain::ports::AuditLog;

/// Configuration of the audit worker.
#[derive(Debug, Clone)]
pub struct AuditWorkerConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// The single table (`TABLE_NAME`).
    pub table_name: String,
}

impl AuditWorkerConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsSettings::from_vars(vars)?,
            table_name: required(vars, "TABLE_NAME")?,
        })
    }
}

/// Handles one SQS batch.
pub async fn handle(log: &dyn AuditLog, event: SqsEvent) -> SqsBatchResponse {
    process_sqs_batch(event, |body| async move {
        let outcome = record_audit_message(log, &body).await?;
        tracing::info!(?outcome, "audit message handled");
        Ok::<_, RecordAuditError>(())
    })
    .await
}
