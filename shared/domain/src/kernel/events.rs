//! The versioned envelope every queued message travels in: `{id, type, version, occurred_at, data}`.
//! Consumers check type and version before touching `data`, so a producer can evolve without breaking them.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use async_trait::async_trait;

use crate::kernel::ids::EventId;

/// An event payload that can travel in an [`Envelope`].
pub trait DomainEvent: Serialize + DeserializeOwned {
    /// The envelope's `type` (`audit.recorded`).
    const TYPE: &'static str;
    /// The payload's schema version; bump it on a breaking change.
    const VERSION: u32;
}

/// A message on a queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Unique id; consumers use it to process a redelivered message once.
    pub id: EventId,
    /// What happened (`audit.recorded`).
    #[serde(rename = "type")]
    pub event_type: String,
    /// Schema version of `data`.
    pub version: u32,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The payload.
    pub data: serde_json::Value,
}

/// An envelope could not be built or opened.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// The body is not an envelope at all.
    #[error("malformed envelope: {0}")]
    Malformed(String),
    /// The envelope holds another event type or an unsupported version.
    #[error("unexpected event {found_type} v{found_version}, expected {expected_type} v{expected_version}")]
    UnexpectedType {
        /// The type found.
        found_type: String,
        /// The version found.
        found_version: u32,
        /// The type expected.
        expected_type: &'static str,
        /// The version expected.
        expected_version: u32,
    },
}

impl Envelope {
    /// Wraps `event`.
    ///
    /// # Errors
    /// [`EnvelopeError::Malformed`] if the event does not serialize.
    pub fn wrap<E: DomainEvent>(
        id: EventId,
        occurred_at: DateTime<Utc>,
        event: &E,
    ) -> Result<Self, EnvelopeError> {
        let data = serde_json::to_value(event).map_err(|e| EnvelopeError::Malformed(e.to_string()))?;
        Ok(Self {
            id,
            event_type: E::TYPE.to_owned(),
            version: E::VERSION,
            occurred_at,
            data,
        })
    }

    /// Parses a message body.
    ///
    /// # Errors
    /// [`EnvelopeError::Malformed`] if the body is not an envelope.
    pub fn parse(body: &str) -> Result<Self, EnvelopeError> {
        serde_json::from_str(body).map_err(|e| EnvelopeError::Malformed(e.to_string()))
    }

    /// Opens the payload as `E`, checking type and version first.
    ///
    /// # Errors
    /// [`EnvelopeError::UnexpectedType`] or [`EnvelopeError::Malformed`].
    pub fn open<E: DomainEvent>(&self) -> Result<E, EnvelopeError> {
        if self.event_type != E::TYPE || self.version != E::VERSION {
            return Err(EnvelopeError::UnexpectedType {
                found_type: self.event_type.clone(),
                found_version: self.version,
                expected_type: E::TYPE,
                expected_version: E::VERSION,
            });
        }
        serde_json::from_value(self.data.clone()).map_err(|e| EnvelopeError::Malformed(e.to_string()))
    }
}

/// Wraps `event` in its envelope (id `id`, occurred `at`) and publishes it to `events`.
///
/// # Errors
/// The event does not serialize, or the transport failed.
pub async fn publish_event<E: DomainEvent>(
    events: &dyn EventPublisher,
    id: EventId,
    at: DateTime<Utc>,
    event: &E,
) -> anyhow::Result<()> {
    events.publish(&Envelope::wrap(id, at, event)?).await
}

/// Publishes domain events to a queue or bus.
///
/// Implementations MUST write the whole [`Envelope`] as the message body (JSON) and MUST NOT return before the
/// message is accepted by the transport (a Lambda environment may be frozen right after the response).
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes one event.
    ///
    /// # Errors
    /// Any transport failure; the event may then not have been published.
    async fn publish(&self, envelope: &Envelope) -> anyhow::Result<()>;

    /// Publishes one event, to be delivered no sooner than `delay` from now (a queue may cap the delay:
    /// SQS at 15 minutes).
    ///
    /// # Errors
    /// Any transport failure; the event may then not have been published.
    async fn publish_delayed(&self, envelope: &Envelope, delay: std::time::Duration) -> anyhow::Result<()>;
}
