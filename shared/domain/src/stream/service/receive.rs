//! `$default`: one client message in, the frames to send back out. A bad message gets an error frame
//! naming the problem and changes nothing; the connection stays open.

use crate::kernel::error::RepoError;
use crate::market::instrument::InstrumentKey;
use crate::stream::connection::{Connection, ConnectionId};
use crate::stream::messages::{Channel, ClientMessage, ServerFrame, parse};
use crate::stream::service::StreamService;

/// Times a subscription change is tried over a connection changed meanwhile (two messages at once).
const ATTEMPTS: usize = 3;

impl StreamService {
    /// Answers one message from `connection_id` with one frame: `pong`, an acknowledgement of a subscription
    /// change, an error frame, or `reconnect` if the connection is no longer known.
    ///
    /// # Errors
    /// Storage or instrument-master failures (nothing was changed).
    pub async fn receive(&self, connection_id: &ConnectionId, text: &str) -> anyhow::Result<ServerFrame> {
        let message = match parse(text) {
            Ok(ClientMessage::Ping) => return Ok(ServerFrame::Pong),
            Ok(message) => message,
            Err(e) => return Ok((&e).into()),
        };
        if let ClientMessage::SubscribeQuotes { instruments, .. } = &message
            && let Some(unlisted) = self.first_unlisted(instruments).await?
        {
            return Ok(ServerFrame::error(
                "unlisted_instrument",
                format!("{unlisted} is not listed"),
            ));
        }
        for _ in 0..ATTEMPTS {
            let Some(before) = self.ctx.connections.get(connection_id).await? else {
                return Ok(ServerFrame::Reconnect);
            };
            let (after, ack) = match apply(&before, &message) {
                Ok(change) => change,
                Err(refusal) => return Ok(refusal),
            };
            if after.subscriptions == before.subscriptions {
                return Ok(ack);
            }
            match self.ctx.connections.update(&before, &after).await {
                Ok(()) => return Ok(ack),
                Err(RepoError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        anyhow::bail!("connection {connection_id} kept changing")
    }

    /// The first of `instruments` the current master does not list.
    async fn first_unlisted<'a>(
        &self,
        instruments: &'a [InstrumentKey],
    ) -> anyhow::Result<Option<&'a InstrumentKey>> {
        let master = self.ctx.master.get(self.ctx.clock.now()).await?;
        Ok(instruments.iter().find(|k| master.get(k.as_str()).is_none()))
    }
}

/// `message` applied to `connection`: its next version and the acknowledgement, or the one frame to answer
/// when nothing changes (a refused subscription's error, `pong`).
fn apply(connection: &Connection, message: &ClientMessage) -> Result<(Connection, ServerFrame), ServerFrame> {
    let (after, ack) = match message {
        ClientMessage::SubscribeQuotes { instruments, mode } => (
            connection
                .subscribe_quotes(instruments, *mode)
                .map_err(|e| ServerFrame::from(&e))?,
            ServerFrame::Subscribed {
                channel: Channel::Quotes,
                instruments: instruments.clone(),
                mode: Some(*mode),
            },
        ),
        ClientMessage::UnsubscribeQuotes { instruments } => (
            connection.unsubscribe_quotes(instruments),
            ServerFrame::Unsubscribed {
                channel: Channel::Quotes,
                instruments: instruments.clone(),
            },
        ),
        ClientMessage::SubscribeOrders => (
            connection.with_orders(true),
            ServerFrame::Subscribed {
                channel: Channel::Orders,
                instruments: Vec::new(),
                mode: None,
            },
        ),
        ClientMessage::UnsubscribeOrders => (
            connection.with_orders(false),
            ServerFrame::Unsubscribed {
                channel: Channel::Orders,
                instruments: Vec::new(),
            },
        ),
        ClientMessage::Ping => return Err(ServerFrame::Pong),
    };
    Ok((after, ack))
}
