//! The alert worker: each message of the alert queue is handled on its own ([`AlertService::handle_message`]):
//! a trigger is recorded once and delivered, a webhook retry attempted, an order event notified. A message of
//! no known type is logged and acknowledged; a storage, data-key or queue failure is reported back, so SQS
//! delivers the message again (after 5 receives it goes to the DLQ, where an alarm fires).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use tradesense_adapters::lambda::process_sqs_batch;
use tradesense_domain::alerts::service::{AlertService, DeliverError};
use tradesense_domain::kernel::events::Envelope;

/// Handles one message body.
///
/// # Errors
/// [`DeliverError`]: rejected (acknowledged) or retryable (reported back).
pub async fn handle_body(alerts: &AlertService, body: String) -> Result<(), DeliverError> {
    let envelope = Envelope::parse(&body)?;
    let handled = alerts.handle_message(&envelope).await?;
    tracing::info!(event_id = %envelope.id, event_type = %envelope.event_type, ?handled, "alert message handled");
    Ok(())
}

/// Handles one SQS batch.
pub async fn handle(alerts: &AlertService, event: SqsEvent) -> SqsBatchResponse {
    process_sqs_batch(event, |body| handle_body(alerts, body)).await
}
