//! Pushing: a user's own updates to their connections subscribed to `orders` (the pusher's, fed by the
//! stream queue), and the quote tick (the scheduled ticker's): one quote read for every subscribed
//! instrument, fanned out to every subscriber. A connection that answers `Gone` is deleted.

use std::collections::{BTreeSet, HashMap};

use futures::StreamExt as _;

use crate::alerts::notification::NotificationCreated;
use crate::identity::session::SessionEnded;
use crate::kernel::error::{RepoError, Retryable};
use crate::kernel::events::{DomainEvent, Envelope, EnvelopeError};
use crate::kernel::ids::{SessionId, UserId};
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::market::quote::Quote;
use crate::stream::connection::ConnectionId;
use crate::stream::fanout::{SubscriberIndex, fan_out};
use crate::stream::messages::{AccountUpdate, MAX_FRAME_BYTES, ServerFrame};
use crate::stream::ports::PostOutcome;
use crate::stream::service::{PUSH_CONCURRENCY, StreamService};
use crate::trading::events::OrderChanged;
use crate::trading::order::Order;
use crate::trading::portfolio::{mark, valuation};

/// What one push did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Frames delivered.
    pub sent: usize,
    /// Connections found gone (and deleted).
    pub gone: usize,
    /// Connections a post failed for (throttling, network): the rest of their frames were not sent.
    pub failed: usize,
    /// Connections of sessions that have ended (signed out, expired, user disabled): closed, not sent to.
    pub ended: usize,
}

impl PushReport {
    /// This push and `other` together.
    fn and(self, other: PushReport) -> PushReport {
        PushReport {
            sent: self.sent + other.sent,
            gone: self.gone + other.gone,
            failed: self.failed + other.failed,
            ended: self.ended + other.ended,
        }
    }
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Instruments quoted (one read for all of them).
    pub instruments: usize,
    /// Connections told to reconnect.
    pub reconnects: usize,
    /// The posts.
    pub push: PushReport,
}

/// An update could not be pushed.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The rendered update does not fit in a frame; nothing was sent.
    #[error("an update of {bytes} bytes does not fit in a frame")]
    FrameTooLarge {
        /// Its size as a frame.
        bytes: usize,
    },
    /// A stream-queue message that is not an envelope of a known event (never retried).
    #[error(transparent)]
    Malformed(#[from] EnvelopeError),
    /// A stream-queue message of an event the pusher does not push (never retried).
    #[error("{0} is not pushed")]
    NotPushed(String),
    /// Storage failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

crate::storage_failures_are_unexpected!(PushError);

impl Retryable for PushError {
    fn is_retryable(&self) -> bool {
        matches!(self, PushError::Unexpected(_))
    }
}

impl StreamService {
    /// Pushes what a stream-queue message carries to its owner: an order's change ([`OrderChanged`]) or a
    /// new notification ([`NotificationCreated`]); a session's end ([`SessionEnded`]) closes its sockets. Redelivery pushes the same frame again, which a client
    /// takes as the same state.
    ///
    /// # Errors
    /// [`PushError`]: retryable only when storage failed.
    pub async fn push_message(&self, envelope: &Envelope) -> Result<PushReport, PushError> {
        match envelope.event_type.as_str() {
            OrderChanged::TYPE => {
                let changed: OrderChanged = envelope.open()?;
                let order = self.push_order(&changed.order).await?;
                let position = if changed.order.filled_quantity > 0 {
                    self.push_position(&changed.order).await?
                } else {
                    PushReport::default()
                };
                Ok(order.and(position))
            }
            SessionEnded::TYPE => {
                let ended: SessionEnded = envelope.open()?;
                let closed = self.end_session(&ended.user_id, &ended.session_id).await?;
                Ok(PushReport {
                    ended: closed,
                    ..PushReport::default()
                })
            }
            NotificationCreated::TYPE => {
                let created: NotificationCreated = envelope.open()?;
                let n = &created.notification;
                self.push_update(
                    &n.user_id,
                    AccountUpdate::Notification(self.ctx.renderer.notification(n)),
                )
                .await
            }
            other => Err(PushError::NotPushed(other.to_owned())),
        }
    }

    /// Pushes `order` (as the REST API shows it) to its owner's connections subscribed to `orders`: the
    /// recipients come from the order itself, so no other user's connection can get it.
    ///
    /// # Errors
    /// [`PushError`].
    pub async fn push_order(&self, order: &Order) -> Result<PushReport, PushError> {
        let update = AccountUpdate::Order(self.ctx.renderer.order(order));
        self.push_update(&order.user_id, update).await
    }

    /// Pushes the position a filled order traded in, valued at the last price as the portfolio values it
    /// (nothing for a position the portfolio would not list, or none in the paper book: a live order's).
    ///
    /// # Errors
    /// [`PushError`].
    pub async fn push_position(&self, order: &Order) -> Result<PushReport, PushError> {
        let product = order.request.product;
        let Some(record) = self
            .ctx
            .ledger
            .position(&order.user_id, &order.instrument, product)
            .await?
        else {
            return Ok(PushReport::default());
        };
        let now = self.ctx.clock.now();
        let master = self.ctx.master.get(now).await?;
        let listed: Vec<&Instrument> = master.get(order.instrument.as_str()).into_iter().collect();
        let prices = self
            .ctx
            .market
            .last_prices(&master, &listed, now)
            .await
            .map_err(anyhow::Error::from)?;
        let book = valuation(std::slice::from_ref(&record), |r| mark(&prices, r));
        let Some(position) = book.positions.first() else {
            return Ok(PushReport::default());
        };
        let update = AccountUpdate::Position(self.ctx.renderer.position(position));
        self.push_update(&order.user_id, update).await
    }

    /// Pushes one of `user`'s updates to their connections subscribed to `orders`, and to no one else's.
    /// Connections whose session has ended since they opened are closed instead.
    ///
    /// # Errors
    /// [`PushError`].
    pub async fn push_update(&self, user: &UserId, update: AccountUpdate) -> Result<PushReport, PushError> {
        let frame = ServerFrame::from(update).to_text();
        if frame.len() > MAX_FRAME_BYTES {
            return Err(PushError::FrameTooLarge { bytes: frame.len() });
        }
        let now = self.ctx.wall_clock.now();
        let mine = self.ctx.connections.of_user(user).await?;
        // The store answers only `user`'s connections; checked again here, as the rule that must never break.
        let recipients: Vec<_> = mine
            .into_iter()
            .filter(|c| c.user_id == *user && c.subscriptions.orders && !c.is_expired(now))
            .collect();
        // A socket opened before its session ended gets nothing private after it: it is closed instead.
        let sessions: BTreeSet<SessionId> = recipients.iter().map(|c| c.session_id).collect();
        let checked = futures::future::join_all(sessions.iter().map(|s| self.signed_in(user, s, now))).await;
        let mut live = BTreeSet::new();
        for (session, signed_in) in sessions.into_iter().zip(checked) {
            if signed_in? {
                live.insert(session);
            }
        }
        let (recipients, ended): (Vec<_>, Vec<_>) =
            recipients.into_iter().partition(|c| live.contains(&c.session_id));
        for connection in &ended {
            self.close(&connection.id).await;
        }
        let batches = recipients
            .into_iter()
            .map(|c| (c.id, vec![frame.clone()]))
            .collect();
        Ok(PushReport {
            ended: ended.len(),
            ..self.deliver(batches).await?
        })
    }

    /// One tick: every subscribed instrument quoted with one read, each subscriber's quotes batched into
    /// frames of at most 32 KiB, `reconnect` to connections near their end, gone connections deleted.
    /// Instruments no longer listed are skipped.
    ///
    /// # Errors
    /// Storage, instrument-master or market-data failures (nothing was sent; the next tick tries again).
    pub async fn tick(&self) -> anyhow::Result<TickReport> {
        let index = self.ctx.connections.subscribers().await?;
        let quotes = self.quotes(&index).await?;
        let due = self
            .ctx
            .connections
            .due_for_reconnect(self.ctx.wall_clock.now())
            .await?;
        let mut frames = fan_out(&index, &quotes);
        let reconnect = ServerFrame::Reconnect.to_text();
        for id in &due {
            frames.entry(id).or_default().push(reconnect.clone());
        }
        let report = TickReport {
            instruments: quotes.len(),
            reconnects: due.len(),
            push: self
                .deliver(frames.into_iter().map(|(id, f)| (id.clone(), f)).collect())
                .await?,
        };
        tracing::info!(?report, "stream tick done");
        Ok(report)
    }

    /// The quotes of the listed instruments in `index`, one read for all (none for an empty index).
    async fn quotes(&self, index: &SubscriberIndex) -> anyhow::Result<HashMap<InstrumentKey, Quote>> {
        if index.is_empty() {
            return Ok(HashMap::new());
        }
        let now = self.ctx.clock.now();
        let master = self.ctx.master.get(now).await?;
        let instruments: Vec<&Instrument> = index.keys().filter_map(|k| master.get(k.as_str())).collect();
        Ok(self.ctx.market.quotes(&master, &instruments, now).await?)
    }

    /// Posts each connection's frames in order (connections in parallel), then deletes the gone ones.
    async fn deliver(&self, batches: Vec<(ConnectionId, Vec<String>)>) -> Result<PushReport, RepoError> {
        let outcomes: Vec<(ConnectionId, Delivery)> = futures::stream::iter(batches)
            .map(|(id, frames)| async move {
                let delivery = self.post_all(&id, &frames).await;
                (id, delivery)
            })
            .buffer_unordered(PUSH_CONCURRENCY)
            .collect()
            .await;
        let mut report = PushReport::default();
        for (id, delivery) in outcomes {
            report.sent += delivery.sent;
            match delivery.end {
                End::Done => {}
                End::Gone => {
                    self.ctx.connections.delete(&id).await?;
                    report.gone += 1;
                }
                End::Failed => report.failed += 1,
            }
        }
        Ok(report)
    }

    /// Posts `frames` to `id` in order, stopping at the first that is not delivered.
    async fn post_all(&self, id: &ConnectionId, frames: &[String]) -> Delivery {
        let mut sent = 0;
        for frame in frames {
            match self.ctx.pusher.post(id, frame).await {
                Ok(PostOutcome::Sent) => sent += 1,
                Ok(PostOutcome::Gone) => return Delivery { sent, end: End::Gone },
                Err(e) => {
                    tracing::warn!(connection = %id, error = ?e, "post to a connection failed");
                    return Delivery {
                        sent,
                        end: End::Failed,
                    };
                }
            }
        }
        Delivery { sent, end: End::Done }
    }
}

/// What became of one connection's frames.
struct Delivery {
    sent: usize,
    end: End,
}

/// How one connection's posting ended.
enum End {
    /// Every frame delivered.
    Done,
    /// The connection is gone.
    Gone,
    /// A post failed.
    Failed,
}
