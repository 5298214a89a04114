//! The pusher: each message of the stream queue is pushed on its own ([`StreamService::push_message`]): an
//! order's change becomes an `order` frame on its owner's connections subscribed to `orders`, and a
//! connection found gone is deleted. A message of no known type is logged and acknowledged; a storage
//! failure is reported back, so SQS delivers the message again (after 5 receives it goes to the DLQ, where an
//! alarm fires).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use tradesense_adapters::lambda::process_sqs_batch;
use tradesense_domain::kernel::events::Envelope;
use tradesense_domain::stream::service::{PushError, StreamService};

/// Handles one message body.
///
/// # Errors
/// [`PushError`]: refused (acknowledged) or retryable (reported back).
pub async fn handle_body(stream: &StreamService, body: String) -> Result<(), PushError> {
    let envelope = Envelope::parse(&body)?;
    let report = stream.push_message(&envelope).await?;
    tracing::info!(event_id = %envelope.id, event_type = %envelope.event_type, ?report, "stream message pushed");
    Ok(())
}

/// Handles one SQS batch.
pub async fn handle(stream: &StreamService, event: SqsEvent) -> SqsBatchResponse {
    process_sqs_batch(event, |body| handle_body(stream, body)).await
}
