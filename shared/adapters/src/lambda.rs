//! Helpers for SQS-triggered workers: each record is handled on its own and only retryable failures are
//! reported back (`ReportBatchItemFailures`), so one poison message never fails or blocks the batch.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use tradesense_domain::kernel::error::Retryable;

/// Runs `handle` on every record's body, in order. A retryable failure reports the record in
/// `batch_item_failures` (SQS redelivers it, then moves it to the DLQ); a permanent failure is logged and
/// acknowledged; a record without a body is permanent.
pub async fn process_sqs_batch<E, F, Fut>(event: SqsEvent, handle: F) -> SqsBatchResponse
where
    E: Retryable,
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    process_sqs_deliveries(event, |delivery| handle(delivery.body)).await
}

/// One delivery of a message: its body, and which delivery it is (SQS's `ApproximateReceiveCount`, 1 for
/// the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The message body.
    pub body: String,
    /// How many times SQS has delivered it, this one included.
    pub receive_count: u32,
}

/// [`process_sqs_batch`] for handlers that also need to know which delivery a message is on (to give up on
/// the last one).
pub async fn process_sqs_deliveries<E, F, Fut>(event: SqsEvent, handle: F) -> SqsBatchResponse
where
    E: Retryable,
    F: Fn(Delivery) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let mut failures = Vec::new();
    for record in event.records {
        let message_id = record.message_id.unwrap_or_default();
        let Some(body) = record.body else {
            tracing::error!(message_id, "message without a body dropped");
            continue;
        };
        let receive_count = record
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|c| c.parse().ok())
            .unwrap_or(1);
        match handle(Delivery { body, receive_count }).await {
            Ok(()) => {}
            Err(e) if e.is_retryable() => {
                tracing::warn!(message_id, error = ?e, "message failed; will be retried");
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = message_id;
                failures.push(failure);
            }
            Err(e) => tracing::error!(message_id, error = ?e, "message rejected permanently; acknowledged"),
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::sqs::SqsMessage;
    use std::fmt;

    #[derive(Debug)]
    struct Failure(bool);
    impl fmt::Display for Failure {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "failure (retryable: {})", self.0)
        }
    }
    impl Retryable for Failure {
        fn is_retryable(&self) -> bool {
            self.0
        }
    }

    fn event(bodies: &[Option<&str>]) -> SqsEvent {
        let mut event = SqsEvent::default();
        event.records = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let mut m = SqsMessage::default();
                m.message_id = Some(format!("m{i}"));
                m.body = b.map(str::to_owned);
                m
            })
            .collect();
        event
    }

    #[tokio::test]
    async fn reports_only_retryable_failures() {
        let batch = event(&[Some("ok"), Some("transient"), Some("poison"), None, Some("ok")]);
        let response = process_sqs_batch(batch, |body| async move {
            match body.as_str() {
                "transient" => Err(Failure(true)),
                "poison" => Err(Failure(false)),
                _ => Ok(()),
            }
        })
        .await;
        let ids: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(ids, ["m1"]);
    }

    #[tokio::test]
    async fn hands_each_body_over_with_its_receive_count_defaulting_to_the_first() {
        let mut batch = event(&[Some("third"), Some("unknown"), Some("garbled")]);
        batch.records[0]
            .attributes
            .insert("ApproximateReceiveCount".into(), "3".into());
        batch.records[2]
            .attributes
            .insert("ApproximateReceiveCount".into(), "many".into());
        let seen = std::sync::Mutex::new(Vec::new());
        let response = process_sqs_deliveries(batch, |delivery| {
            seen.lock().unwrap().push(delivery);
            async { Ok::<(), Failure>(()) }
        })
        .await;
        assert!(response.batch_item_failures.is_empty());
        let delivery = |body: &str, receive_count| Delivery {
            body: body.into(),
            receive_count,
        };
        assert_eq!(
            *seen.lock().unwrap(),
            [
                delivery("third", 3),
                delivery("unknown", 1),
                delivery("garbled", 1)
            ]
        );
    }
}
