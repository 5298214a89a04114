//! Publishing envelopes to an SQS queue, moving dead letters back to their queue, and reading the workers'
//! queue depths.

use std::collections::HashMap;

use anyhow::Context as _;

use crate::aws::sdk_error;
use async_trait::async_trait;
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};
use tradesense_domain::kernel::events::{Envelope, EventPublisher};
use tradesense_domain::ops::dead_letters::RedrivableQueue;
use tradesense_domain::ops::metrics::QueueDepth;
use tradesense_domain::ops::ports::{DeadLetters, QueueDepths};

/// [`EventPublisher`] writing each envelope as one SQS message (JSON body), with the event type as a message
/// attribute. On a FIFO queue the envelope id is the deduplication id and the event type the group.
#[derive(Clone, Debug)]
pub struct SqsPublisher {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsPublisher {
    /// A publisher to `queue_url`.
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }
}

/// SQS's longest message delay.
const MAX_DELAY_SECONDS: u64 = 900;

#[async_trait]
impl EventPublisher for SqsPublisher {
    async fn publish(&self, envelope: &Envelope) -> anyhow::Result<()> {
        self.send(envelope, 0).await
    }

    /// Delays the message by `delay`, at most SQS's 15 minutes (not on a FIFO queue, which delays per queue).
    async fn publish_delayed(&self, envelope: &Envelope, delay: std::time::Duration) -> anyhow::Result<()> {
        let seconds = delay.as_secs().min(MAX_DELAY_SECONDS);
        self.send(envelope, i32::try_from(seconds).unwrap_or(0)).await
    }
}

impl SqsPublisher {
    async fn send(&self, envelope: &Envelope, delay_seconds: i32) -> anyhow::Result<()> {
        let body = serde_json::to_string(envelope).context("encode envelope")?;
        let event_type = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(&envelope.event_type)
            .build()
            .context("build message attribute")?;
        let mut send = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_attributes("event_type", event_type);
        if delay_seconds > 0 && !self.queue_url.ends_with(".fifo") {
            send = send.delay_seconds(delay_seconds);
        }
        if self.queue_url.ends_with(".fifo") {
            send = send
                .message_group_id(&envelope.event_type)
                .message_deduplication_id(envelope.id.to_string());
        }
        send.send().await.map_err(|e| sdk_error(e, "send message"))?;
        Ok(())
    }
}

/// [`DeadLetters`] and [`QueueDepths`] over SQS: each redrivable queue's dead-letter queue URL and its own.
#[derive(Clone, Debug)]
pub struct SqsDeadLetters {
    client: aws_sdk_sqs::Client,
    queues: HashMap<RedrivableQueue, (String, String)>,
}

impl SqsDeadLetters {
    /// Dead letters of `queues`: `(queue, its dead-letter queue URL, its URL)`.
    pub fn new(
        client: aws_sdk_sqs::Client,
        queues: impl IntoIterator<Item = (RedrivableQueue, String, String)>,
    ) -> Self {
        Self {
            client,
            queues: queues.into_iter().map(|(q, dlq, url)| (q, (dlq, url))).collect(),
        }
    }

    /// `queue`'s dead-letter queue URL and its own.
    fn urls(&self, queue: RedrivableQueue) -> anyhow::Result<(&str, &str)> {
        self.queues
            .get(&queue)
            .map(|(dead_letters, url)| (dead_letters.as_str(), url.as_str()))
            .with_context(|| format!("no dead-letter queue configured for {}", queue.name()))
    }

    /// The messages a queue holds: `(waiting, in flight)`, one `GetQueueAttributes`.
    async fn messages(&self, url: &str) -> anyhow::Result<(u64, u64)> {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| sdk_error(e, "get queue attributes"))?;
        let attributes = out.attributes.unwrap_or_default();
        let number = |name: &QueueAttributeName| -> anyhow::Result<u64> {
            let value = attributes.get(name).map_or("0", String::as_str);
            value
                .parse()
                .with_context(|| format!("queue attribute {name} is {value:?}"))
        };
        Ok((
            number(&QueueAttributeName::ApproximateNumberOfMessages)?,
            number(&QueueAttributeName::ApproximateNumberOfMessagesNotVisible)?,
        ))
    }
}

#[async_trait]
impl QueueDepths for SqsDeadLetters {
    /// Every queue and dead-letter queue asked for at once: one round trip however many.
    async fn depths(&self, queues: &[RedrivableQueue]) -> anyhow::Result<Vec<QueueDepth>> {
        let reads = queues.iter().map(|&queue| async move {
            let (dead_letters, url) = self.urls(queue)?;
            let ((depth, in_flight), (dlq_depth, _)) =
                futures::try_join!(self.messages(url), self.messages(dead_letters))?;
            anyhow::Ok(QueueDepth {
                queue,
                depth,
                in_flight,
                dlq_depth,
            })
        });
        futures::future::try_join_all(reads).await
    }
}

#[async_trait]
impl DeadLetters for SqsDeadLetters {
    async fn redrive(&self, queue: RedrivableQueue, max: usize) -> anyhow::Result<usize> {
        let (dead_letters, target) = self.urls(queue)?;
        let mut moved = 0;
        while moved < max {
            let batch = i32::try_from((max - moved).min(10)).unwrap_or(10);
            let received = self
                .client
                .receive_message()
                .queue_url(dead_letters)
                .max_number_of_messages(batch)
                .message_attribute_names("All")
                .wait_time_seconds(0)
                .send()
                .await
                .map_err(|e| sdk_error(e, "receive dead letters"))?;
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for message in messages {
                // Sent back before it is deleted: a failure in between leaves a copy in each queue (the
                // workers are idempotent), never none.
                self.client
                    .send_message()
                    .queue_url(target)
                    .set_message_body(message.body)
                    .set_message_attributes(message.message_attributes)
                    .send()
                    .await
                    .map_err(|e| sdk_error(e, "send a dead letter back"))?;
                if let Some(receipt) = message.receipt_handle {
                    self.client
                        .delete_message()
                        .queue_url(dead_letters)
                        .receipt_handle(receipt)
                        .send()
                        .await
                        .map_err(|e| sdk_error(e, "delete a redriven dead letter"))?;
                }
                moved += 1;
            }
        }
        Ok(moved)
    }
}
