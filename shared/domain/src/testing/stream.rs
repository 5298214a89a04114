//! Fakes of the push channel's ports, keeping their contracts: a ticket taken once; connections written over
//! their version, with the subscriber index derived from them and each reconnect returned once; a pusher
//! that records what it posted and closed and answers `Gone` for connections it is told are gone; an order
//! renderer that shows the domain order as it serializes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::alerts::notification::Notification;
use crate::kernel::error::RepoError;
use crate::kernel::ids::UserId;
use crate::stream::connection::{Connection, ConnectionId};
use crate::stream::fanout::{Subscriber, SubscriberIndex};
use crate::stream::ports::{ConnectionPusher, ConnectionStore, PostOutcome, TicketStore, UpdateRenderer};
use crate::stream::ticket::{TicketHash, TicketRecord};
use crate::trading::order::Order;
use crate::trading::portfolio::PositionValue;

fn poisoned() -> RepoError {
    anyhow::anyhow!("poisoned").into()
}

/// A [`TicketStore`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryTicketStore {
    tickets: Mutex<HashMap<TicketHash, TicketRecord>>,
}

#[async_trait]
impl TicketStore for InMemoryTicketStore {
    async fn put(&self, ticket: &TicketRecord) -> Result<(), RepoError> {
        let mut tickets = self.tickets.lock().map_err(|_| poisoned())?;
        if tickets.contains_key(&ticket.hash) {
            return Err(RepoError::Conflict);
        }
        tickets.insert(ticket.hash.clone(), ticket.clone());
        Ok(())
    }

    async fn take(&self, hash: &TicketHash) -> Result<Option<TicketRecord>, RepoError> {
        Ok(self.tickets.lock().map_err(|_| poisoned())?.remove(hash))
    }
}

#[derive(Debug, Default)]
struct Connections {
    by_id: BTreeMap<ConnectionId, Connection>,
    told_to_reconnect: HashSet<ConnectionId>,
}

/// A [`ConnectionStore`] in memory. Its subscriber index is derived from the connections, so it never lags.
#[derive(Debug, Default)]
pub struct InMemoryConnectionStore {
    inner: Mutex<Connections>,
}

impl InMemoryConnectionStore {
    /// Every stored connection, in id order.
    pub fn all(&self) -> Vec<Connection> {
        self.inner
            .lock()
            .map(|c| c.by_id.values().cloned().collect())
            .unwrap_or_default()
    }
}

#[async_trait]
impl ConnectionStore for InMemoryConnectionStore {
    async fn put(&self, connection: &Connection) -> Result<(), RepoError> {
        let mut c = self.inner.lock().map_err(|_| poisoned())?;
        if c.by_id.contains_key(&connection.id) {
            return Err(RepoError::Conflict);
        }
        c.by_id.insert(connection.id.clone(), connection.clone());
        Ok(())
    }

    async fn get(&self, id: &ConnectionId) -> Result<Option<Connection>, RepoError> {
        Ok(self.inner.lock().map_err(|_| poisoned())?.by_id.get(id).cloned())
    }

    async fn update(&self, before: &Connection, after: &Connection) -> Result<(), RepoError> {
        let mut c = self.inner.lock().map_err(|_| poisoned())?;
        match c.by_id.get_mut(&before.id) {
            Some(stored) if stored.version == before.version => {
                *stored = after.clone();
                Ok(())
            }
            _ => Err(RepoError::Conflict),
        }
    }

    async fn delete(&self, id: &ConnectionId) -> Result<(), RepoError> {
        let mut c = self.inner.lock().map_err(|_| poisoned())?;
        c.by_id.remove(id);
        c.told_to_reconnect.remove(id);
        Ok(())
    }

    async fn of_user(&self, user: &UserId) -> Result<Vec<Connection>, RepoError> {
        let c = self.inner.lock().map_err(|_| poisoned())?;
        Ok(c.by_id.values().filter(|x| x.user_id == *user).cloned().collect())
    }

    async fn subscribers(&self) -> Result<SubscriberIndex, RepoError> {
        let c = self.inner.lock().map_err(|_| poisoned())?;
        let mut index = SubscriberIndex::new();
        for connection in c.by_id.values() {
            for (instrument, mode) in &connection.subscriptions.quotes {
                index.entry(instrument.clone()).or_default().push(Subscriber {
                    connection: connection.id.clone(),
                    mode: *mode,
                });
            }
        }
        Ok(index)
    }

    async fn due_for_reconnect(&self, now: DateTime<Utc>) -> Result<Vec<ConnectionId>, RepoError> {
        let mut c = self.inner.lock().map_err(|_| poisoned())?;
        let due: Vec<ConnectionId> = c
            .by_id
            .values()
            .filter(|x| x.reconnect_due(now) && !c.told_to_reconnect.contains(&x.id))
            .map(|x| x.id.clone())
            .collect();
        c.told_to_reconnect.extend(due.iter().cloned());
        Ok(due)
    }
}

/// A [`ConnectionPusher`] that records every frame posted and every connection closed, and answers `Gone`
/// for connections it was told are gone (as API Gateway's `410`).
#[derive(Debug, Default)]
pub struct RecordingPusher {
    posted: Mutex<Vec<(ConnectionId, String)>>,
    closed: Mutex<Vec<ConnectionId>>,
    gone: Mutex<HashSet<ConnectionId>>,
}

impl RecordingPusher {
    /// From now on posts to `id` answer `Gone`.
    pub fn set_gone(&self, id: &ConnectionId) {
        if let Ok(mut gone) = self.gone.lock() {
            gone.insert(id.clone());
        }
    }

    /// The frames delivered to `id` so far, in order.
    pub fn frames_to(&self, id: &ConnectionId) -> Vec<String> {
        self.posted
            .lock()
            .map(|p| {
                p.iter()
                    .filter(|(to, _)| to == id)
                    .map(|(_, f)| f.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every frame delivered so far, to anyone, in order.
    pub fn all_frames(&self) -> Vec<(ConnectionId, String)> {
        self.posted.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Forgets what was delivered so far.
    pub fn clear(&self) {
        if let Ok(mut posted) = self.posted.lock() {
            posted.clear();
        }
    }

    /// The connections closed so far, in order.
    pub fn closed(&self) -> Vec<ConnectionId> {
        self.closed.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl ConnectionPusher for RecordingPusher {
    async fn post(&self, connection: &ConnectionId, frame: &str) -> anyhow::Result<PostOutcome> {
        if self
            .gone
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .contains(connection)
        {
            return Ok(PostOutcome::Gone);
        }
        self.posted
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .push((connection.clone(), frame.to_owned()));
        Ok(PostOutcome::Sent)
    }

    async fn close(&self, connection: &ConnectionId) -> anyhow::Result<()> {
        self.closed
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .push(connection.clone());
        Ok(())
    }
}

/// An [`UpdateRenderer`] showing the domain values as they serialize (the functions render the REST shapes).
#[derive(Debug, Default)]
pub struct SerializedUpdates;

impl UpdateRenderer for SerializedUpdates {
    fn order(&self, order: &Order) -> serde_json::Value {
        serde_json::to_value(order).unwrap_or_default()
    }

    fn position(&self, p: &PositionValue) -> serde_json::Value {
        serde_json::json!({
            "instrument": p.instrument, "product": p.product, "quantity": p.quantity,
            "average_price": p.average_price, "last_price": p.last_price, "realized_pnl": p.realized_pnl,
        })
    }

    fn notification(&self, notification: &Notification) -> serde_json::Value {
        serde_json::to_value(notification).unwrap_or_default()
    }
}
