//! The local stand-ins for Lambda's event sources: an SQS poller per queue trigger and a timer per schedule.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context as _, bail};
use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use tokio::sync::watch;

use crate::functions::{ScheduleHandler, SqsHandler};

/// Long-poll wait per receive; also bounds how long shutdown waits for a poller.
const WAIT: Duration = Duration::from_secs(1);

fn to_lambda_record(m: aws_sdk_sqs::types::Message, queue_arn: &str) -> SqsMessage {
    let mut record = SqsMessage::default();
    record.message_id = m.message_id;
    record.receipt_handle = m.receipt_handle;
    record.body = m.body;
    record.md5_of_body = m.md5_of_body;
    record.event_source = Some("aws:sqs".into());
    record.event_source_arn = Some(queue_arn.to_owned());
    record.aws_region = Some("us-east-1".into());
    record.attributes = m
        .attributes
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.as_str().to_owned(), v))
        .collect::<HashMap<_, _>>();
    record
}

/// Polls `queue_url` and hands batches of up to `batch_size` to `handler`, as Lambda's SQS event source
/// does: records the handler reports as failed stay on the queue (redelivered after the visibility timeout,
/// then moved to the DLQ by the queue's redrive policy); the rest are deleted.
pub async fn poll_queue(
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    queue_arn: String,
    batch_size: i32,
    handler: SqsHandler,
    mut shutdown: watch::Receiver<bool>,
) {
    while !*shutdown.borrow() {
        let received = tokio::select! {
            r = sqs.receive_message()
                .queue_url(&queue_url)
                .max_number_of_messages(batch_size.clamp(1, 10))
                .wait_time_seconds(i32::try_from(WAIT.as_secs()).unwrap_or(1))
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send() => r,
            _ = shutdown.changed() => break,
        };
        let messages = match received {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(queue_url, error = ?e, "receive failed");
                tokio::time::sleep(WAIT).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let receipts: HashMap<String, String> = messages
            .iter()
            .filter_map(|m| Some((m.message_id.clone()?, m.receipt_handle.clone()?)))
            .collect();
        let mut event = SqsEvent::default();
        event.records = messages
            .into_iter()
            .map(|m| to_lambda_record(m, &queue_arn))
            .collect();
        let response = handler(event).await;
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        let done: Vec<DeleteMessageBatchRequestEntry> = receipts
            .iter()
            .filter(|(id, _)| !failed.contains(&id.as_str()))
            .enumerate()
            .filter_map(|(i, (_, receipt))| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(receipt)
                    .build()
                    .ok()
            })
            .collect();
        if !done.is_empty()
            && let Err(e) = sqs
                .delete_message_batch()
                .queue_url(&queue_url)
                .set_entries(Some(done))
                .send()
                .await
        {
            tracing::warn!(queue_url, error = ?e, "delete failed; messages will be redelivered");
        }
    }
}

/// The period of a `rate(N unit)` schedule expression.
///
/// # Errors
/// For anything else (`cron(...)` is not run locally yet; add it here when a job first needs it).
pub fn rate_period(expression: &str) -> anyhow::Result<Duration> {
    let inner = expression
        .strip_prefix("rate(")
        .and_then(|s| s.strip_suffix(')'))
        .with_context(|| {
            format!("unsupported schedule expression {expression:?} (only rate(...) runs locally)")
        })?;
    let (n, unit) = inner
        .trim()
        .split_once(' ')
        .context("rate needs a value and a unit")?;
    let n: u64 = n.parse().context("rate value")?;
    let secs = match unit {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        other => bail!("unknown rate unit {other:?}"),
    };
    if n == 0 {
        bail!("rate must be positive");
    }
    Ok(Duration::from_secs(n * secs))
}

/// Invokes `handler` with `input` now and then every `period`, until shutdown, which also ends a run under
/// way. Failures are logged, as Lambda's asynchronous invocation would record them.
pub async fn fire_schedule(
    name: String,
    period: Duration,
    input: serde_json::Value,
    handler: ScheduleHandler,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(period);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = shutdown.changed() => break,
        }
        // A long run (the stream ticker's minute) ends with the stack, as Lambda ends it with its timeout.
        tokio::select! {
            result = handler(input.clone()) => {
                if let Err(e) = result {
                    tracing::error!(schedule = name, error = ?e, "scheduled invocation failed");
                }
            }
            _ = shutdown.changed() => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rate_expressions() {
        assert_eq!(rate_period("rate(5 minutes)").unwrap(), Duration::from_secs(300));
        assert_eq!(rate_period("rate(1 hour)").unwrap(), Duration::from_secs(3600));
        assert!(rate_period("rate(0 minutes)").is_err());
        assert!(rate_period("cron(50 9 ? * MON-FRI *)").is_err());
        assert!(rate_period("rate(5 fortnights)").is_err());
    }
}
