//! The push channel's use cases: a ticket for a signed-in user (the ticket route's), accepting, serving and
//! forgetting a connection (the `stream` function's `$connect`, `$default` and `$disconnect`), pushing a
//! user's updates (the pusher's, fed by the order-events queue) and the quote tick (the scheduled ticker's).

mod connect;
mod push;
mod receive;
#[cfg(test)]
mod tests;

pub use connect::{Accepted, ConnectError};
pub use push::{PushError, PushReport, TickReport};

use std::sync::Arc;

use crate::identity::ports::{SessionRepository, UserRepository};
use crate::kernel::time::Clock;
use crate::market::ports::MarketData;
use crate::market::service::current::CurrentMaster;
use crate::stream::ports::{ConnectionPusher, ConnectionStore, TicketStore, UpdateRenderer};
use crate::trading::ports::TradingLedger;

/// Frames posted at once by a tick or a push.
const PUSH_CONCURRENCY: usize = 64;

/// What the push channel's use cases run on.
pub struct StreamContext {
    /// Issued tickets.
    pub tickets: Arc<dyn TicketStore>,
    /// Open connections and the subscriber index.
    pub connections: Arc<dyn ConnectionStore>,
    /// Posts frames to connections and closes them.
    pub pusher: Arc<dyn ConnectionPusher>,
    /// Sessions: a ticket is accepted only while its session is live.
    pub sessions: Arc<dyn SessionRepository>,
    /// Users: nor when its user has been disabled since.
    pub users: Arc<dyn UserRepository>,
    /// The paper book: a filled order's position, for its `position` frame.
    pub ledger: Arc<dyn TradingLedger>,
    /// Quotes, one read per tick for every subscribed instrument.
    pub market: Arc<dyn MarketData>,
    /// Instruments: subscriptions name listed ones.
    pub master: Arc<CurrentMaster>,
    /// Renders orders and notifications as the REST API shows them.
    pub renderer: Arc<dyn UpdateRenderer>,
    /// The market clock: when quotes are read.
    pub clock: Arc<dyn Clock>,
    /// The real time: ticket expiry, sessions and connection lifetimes (API Gateway's limits and DynamoDB's
    /// TTLs run in real time).
    pub wall_clock: Arc<dyn Clock>,
    /// The WebSocket URL tickets are for (`wss://…/v1/stream`, locally `ws://127.0.0.1:3000/v1/stream`).
    pub socket_url: String,
}

/// The push channel's use cases.
pub struct StreamService {
    ctx: StreamContext,
}

impl StreamService {
    /// The use cases over `ctx`.
    pub fn new(ctx: StreamContext) -> Self {
        Self { ctx }
    }
}
