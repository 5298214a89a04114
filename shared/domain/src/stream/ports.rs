//! What the push channel needs from the world: where tickets and connections are kept, how a frame reaches
//! a connection, and how an order or a notification is rendered as the REST API shows it. Sessions and users are read through
//! identity's ports, quotes through market data's.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::alerts::notification::Notification;
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;
use crate::stream::connection::{Connection, ConnectionId};
use crate::stream::fanout::SubscriberIndex;
use crate::stream::ticket::{TicketHash, TicketRecord};
use crate::trading::order::Order;
use crate::trading::portfolio::PositionValue;

/// Issued connect tickets, by hash.
///
/// Implementations MUST make [`take`](TicketStore::take) atomic: of any number of takes of one hash, at most
/// one returns the record, and the record is gone after it (a DynamoDB `DeleteItem` returning the old item).
/// They MUST let records expire (a TTL at `expires_at`) and MAY return one past its expiry: the caller
/// checks it.
#[async_trait]
pub trait TicketStore: Send + Sync {
    /// Stores a new ticket.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if its hash exists (never, for 256 random bits).
    async fn put(&self, ticket: &TicketRecord) -> Result<(), RepoError>;

    /// Removes and returns the ticket with `hash`; `None` if there is none (never issued, or taken).
    ///
    /// # Errors
    /// Storage failures (then nothing was taken).
    async fn take(&self, hash: &TicketHash) -> Result<Option<TicketRecord>, RepoError>;
}

/// Open connections, their subscriptions, and the index the ticker reads.
///
/// Implementations MUST:
/// - expire every item they write at its connection's `expires_at` (a TTL), and MAY return a connection past
///   it (callers check [`Connection::is_expired`]);
/// - write a changed connection only over the version before it ([`RepoError::Conflict`] otherwise);
/// - keep a subscriber index beside the connections: one item per (instrument, connection) with its mode,
///   put and deleted as [`update`](ConnectionStore::update) and [`delete`](ConnectionStore::delete) change the
///   connection's quotes, under an index key that lets [`subscribers`](ConnectionStore::subscribers) read
///   them all with one paginated Query (never a Scan of the table). The index may lag the connection item
///   after a failed write (more than 100 items cannot be one transaction); rewriting it is idempotent, and
///   an entry of a closed connection costs one `Gone` push before the ticker deletes the connection;
/// - answer [`of_user`](ConnectionStore::of_user) from the user's partition or an index, never a Scan;
/// - answer [`due_for_reconnect`](ConnectionStore::due_for_reconnect) from an index on
///   [`Connection::reconnect_at`], never a Scan, returning each connection at most once.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Stores a connection just accepted.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if its id exists.
    async fn put(&self, connection: &Connection) -> Result<(), RepoError>;

    /// One connection.
    ///
    /// # Errors
    /// Storage failures.
    async fn get(&self, id: &ConnectionId) -> Result<Option<Connection>, RepoError>;

    /// Writes `after` over `before` (its version) and brings the subscriber index from `before`'s quotes to
    /// `after`'s.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] if the connection changed meanwhile or is gone; nothing is written.
    async fn update(&self, before: &Connection, after: &Connection) -> Result<(), RepoError>;

    /// Deletes a connection and its index entries; deleting one that is gone does nothing.
    ///
    /// # Errors
    /// Storage failures.
    async fn delete(&self, id: &ConnectionId) -> Result<(), RepoError>;

    /// Every connection of `user`.
    ///
    /// # Errors
    /// Storage failures.
    async fn of_user(&self, user: &UserId) -> Result<Vec<Connection>, RepoError>;

    /// Every subscribed instrument with its subscribers.
    ///
    /// # Errors
    /// Storage failures.
    async fn subscribers(&self) -> Result<SubscriberIndex, RepoError>;

    /// The connections whose reconnect is due at `now` and that were not returned before.
    ///
    /// # Errors
    /// Storage failures.
    async fn due_for_reconnect(&self, now: DateTime<Utc>) -> Result<Vec<ConnectionId>, RepoError>;
}

/// What became of a frame posted to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostOutcome {
    /// Delivered to API Gateway for the connection.
    Sent,
    /// The connection is gone (API Gateway's `410 Gone`): the caller MUST delete it.
    Gone,
}

/// Posts frames to connections and closes them (API Gateway's management API, `@connections`; locally an
/// in-process pusher).
///
/// Implementations MUST report `410 Gone` as [`PostOutcome::Gone`], not as an error, and MUST treat closing
/// a connection that is already gone as done.
#[async_trait]
pub trait ConnectionPusher: Send + Sync {
    /// Posts one text frame to `connection`.
    ///
    /// # Errors
    /// Anything but delivery or `Gone` (throttling, network).
    async fn post(&self, connection: &ConnectionId, frame: &str) -> anyhow::Result<PostOutcome>;

    /// Closes `connection` (its `$disconnect` follows).
    ///
    /// # Errors
    /// Anything but success or the connection being gone.
    async fn close(&self, connection: &ConnectionId) -> anyhow::Result<()>;
}

/// Renders a user's updates exactly as the REST API shows them, for `order`, `position` and `notification`
/// frames (implemented by the caller with the HTTP crate's DTOs, which the domain cannot name).
///
/// Implementations MUST render what `GET /v1/orders/{id}` returns for an order, what `GET
/// /v1/portfolio/positions` lists for a position and what `GET /v1/notifications` lists for a notification.
pub trait UpdateRenderer: Send + Sync {
    /// The order as JSON.
    fn order(&self, order: &Order) -> serde_json::Value;

    /// The position as JSON.
    fn position(&self, position: &PositionValue) -> serde_json::Value;

    /// The notification as JSON.
    fn notification(&self, notification: &Notification) -> serde_json::Value;
}
