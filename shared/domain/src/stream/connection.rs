//! One open WebSocket: whose it is, when it ends, what it is subscribed to, and the limits on all three.
//!
//! API Gateway closes a WebSocket after [`CONNECTION_LIFETIME`] (2 hours) and after 10 idle minutes (clients
//! send `ping`); the record lives as long ([`Connection::expires_at`] is its TTL). A `reconnect` frame goes out
//! at [`RECONNECT_AFTER`] so a client opens its next socket before the platform drops this one.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::kernel::ids::{SessionId, UserId};
use crate::market::instrument::InstrumentKey;

/// Instruments one connection may watch.
pub const MAX_INSTRUMENTS_PER_CONNECTION: usize = 200;
/// Open connections per user; connecting another closes the oldest.
pub const MAX_CONNECTIONS_PER_USER: usize = 5;
/// API Gateway's limit on a WebSocket's life.
pub const CONNECTION_LIFETIME: Duration = Duration::hours(2);
/// When a connection is told to reconnect: 5 minutes before API Gateway closes it.
pub const RECONNECT_AFTER: Duration = Duration::minutes(115);
/// The longest connection id accepted.
const MAX_CONNECTION_ID_CHARS: usize = 128;

/// An API Gateway connection id (`L0SM9cOFvHcCIhw=`), or the local stack's. Checked as it is parsed: 1 to
/// 128 characters of base64 and `-`/`_`, so it is safe in a storage key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConnectionId(String);

/// A connection id that API Gateway cannot have made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid connection id")]
pub struct InvalidConnectionId;

impl ConnectionId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ConnectionId {
    type Err = InvalidConnectionId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid = (1..=MAX_CONNECTION_ID_CHARS).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'));
        valid.then(|| Self(s.to_owned())).ok_or(InvalidConnectionId)
    }
}

impl TryFrom<String> for ConnectionId {
    type Error = InvalidConnectionId;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ConnectionId> for String {
    fn from(id: ConnectionId) -> String {
        id.0
    }
}

impl std::fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How much of a quote a subscriber gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteMode {
    /// The last traded price and its time.
    Ltp,
    /// The whole quote: last price, best bid and ask with sizes, the session's bar, open interest.
    Quote,
}

/// What a connection is subscribed to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscriptions {
    /// Instruments whose quotes it gets, each in its mode.
    pub quotes: BTreeMap<InstrumentKey, QuoteMode>,
    /// Whether it gets its user's order, position and notification updates.
    pub orders: bool,
}

/// A subscription that would take a connection past [`MAX_INSTRUMENTS_PER_CONNECTION`]; nothing of it was
/// applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "a connection watches at most {limit} instruments: this would make {would_watch}; unsubscribe some first"
)]
pub struct TooManyInstruments {
    /// The limit.
    pub limit: usize,
    /// How many the connection would have watched.
    pub would_watch: usize,
}

/// One open connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// API Gateway's id.
    pub id: ConnectionId,
    /// Whose connection (from the ticket, never from the client).
    pub user_id: UserId,
    /// The session the ticket was issued in.
    pub session_id: SessionId,
    /// When it was accepted.
    pub connected_at: DateTime<Utc>,
    /// When API Gateway will have closed it: the record's TTL.
    pub expires_at: DateTime<Utc>,
    /// What it gets.
    pub subscriptions: Subscriptions,
    /// Optimistic-lock version: 1 when accepted, bumped on every change.
    pub version: u64,
}

impl Connection {
    /// A connection of `user`'s `session` accepted at `now`, subscribed to nothing yet.
    pub fn open(id: ConnectionId, user_id: UserId, session_id: SessionId, now: DateTime<Utc>) -> Self {
        Self {
            id,
            user_id,
            session_id,
            connected_at: now,
            expires_at: now + CONNECTION_LIFETIME,
            subscriptions: Subscriptions::default(),
            version: 1,
        }
    }

    /// Whether API Gateway has closed it by `now` (the record may outlive it until its TTL runs).
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }

    /// When it is told to reconnect.
    pub fn reconnect_at(&self) -> DateTime<Utc> {
        self.connected_at + RECONNECT_AFTER
    }

    /// Whether the `reconnect` frame is due at `now`.
    pub fn reconnect_due(&self, now: DateTime<Utc>) -> bool {
        now >= self.reconnect_at()
    }

    /// This connection also watching `instruments` in `mode` (one already watched takes the new mode), as
    /// its next version.
    ///
    /// # Errors
    /// [`TooManyInstruments`] if it would watch more than [`MAX_INSTRUMENTS_PER_CONNECTION`]: nothing is
    /// subscribed.
    pub fn subscribe_quotes(
        &self,
        instruments: &[InstrumentKey],
        mode: QuoteMode,
    ) -> Result<Self, TooManyInstruments> {
        let mut next = self.next_version();
        next.subscriptions
            .quotes
            .extend(instruments.iter().map(|k| (k.clone(), mode)));
        let would_watch = next.subscriptions.quotes.len();
        if would_watch > MAX_INSTRUMENTS_PER_CONNECTION {
            return Err(TooManyInstruments {
                limit: MAX_INSTRUMENTS_PER_CONNECTION,
                would_watch,
            });
        }
        Ok(next)
    }

    /// This connection no longer watching `instruments` (those it did not watch are ignored), as its next
    /// version.
    pub fn unsubscribe_quotes(&self, instruments: &[InstrumentKey]) -> Self {
        let mut next = self.next_version();
        for key in instruments {
            next.subscriptions.quotes.remove(key);
        }
        next
    }

    /// This connection getting its user's updates (`true`) or not, as its next version.
    pub fn with_orders(&self, orders: bool) -> Self {
        let mut next = self.next_version();
        next.subscriptions.orders = orders;
        next
    }

    fn next_version(&self) -> Self {
        Self {
            version: self.version + 1,
            ..self.clone()
        }
    }
}

/// The connections to close so that `user_connections` (one user's, including the one just accepted,
/// `newest`) keeps at most [`MAX_CONNECTIONS_PER_USER`] open: the oldest others, oldest first. The newest is
/// never chosen, and connections API Gateway has already closed by `now` do not count.
pub fn connections_to_close<'a>(
    user_connections: &'a [Connection],
    newest: &ConnectionId,
    now: DateTime<Utc>,
) -> Vec<&'a ConnectionId> {
    let mut others: Vec<&Connection> = user_connections
        .iter()
        .filter(|c| c.id != *newest && !c.is_expired(now))
        .collect();
    others.sort_by(|a, b| (a.connected_at, &a.id).cmp(&(b.connected_at, &b.id)));
    let excess = others.len().saturating_sub(MAX_CONNECTIONS_PER_USER - 1);
    others.into_iter().take(excess).map(|c| &c.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ulid::Ulid;

    fn t0() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_795_000_000, 0).unwrap()
    }

    fn conn(id: &str, connected_at: DateTime<Utc>) -> Connection {
        Connection::open(
            id.parse().unwrap(),
            UserId::from_ulid(Ulid::from_parts(1, 1)),
            SessionId::from_ulid(Ulid::from_parts(2, 2)),
            connected_at,
        )
    }

    fn keys(n: usize, prefix: &str) -> Vec<InstrumentKey> {
        (0..n)
            .map(|i| InstrumentKey::parse(&format!("NSE:{prefix}{i}")).unwrap())
            .collect()
    }

    #[test]
    fn connection_ids_are_what_api_gateway_makes() {
        assert!("L0SM9cOFvHcCIhw=".parse::<ConnectionId>().is_ok());
        for bad in ["", "has space", "USER#x", &"a".repeat(129)] {
            assert_eq!(bad.parse::<ConnectionId>(), Err(InvalidConnectionId), "{bad}");
        }
        assert!(serde_json::from_str::<ConnectionId>("\"a#b\"").is_err());
    }

    #[test]
    fn lives_two_hours_and_is_told_to_reconnect_five_minutes_before() {
        let c = conn("a", t0());
        assert_eq!(c.expires_at, t0() + Duration::hours(2));
        assert!(!c.reconnect_due(t0() + Duration::minutes(114)));
        assert!(c.reconnect_due(t0() + Duration::minutes(115)));
        assert!(!c.is_expired(t0() + Duration::minutes(119)));
        assert!(c.is_expired(t0() + CONNECTION_LIFETIME));
    }

    #[test]
    fn watches_up_to_two_hundred_instruments_and_refuses_the_whole_subscribe_beyond() {
        let c = conn("a", t0());
        let full = c.subscribe_quotes(&keys(200, "A"), QuoteMode::Ltp).unwrap();
        assert_eq!((full.subscriptions.quotes.len(), full.version), (200, 2));
        let again = full.subscribe_quotes(&keys(200, "A"), QuoteMode::Quote).unwrap();
        assert_eq!(
            again.subscriptions.quotes.len(),
            200,
            "a mode change adds nothing"
        );
        assert!(
            again
                .subscriptions
                .quotes
                .values()
                .all(|m| *m == QuoteMode::Quote)
        );
        let refused = full.subscribe_quotes(&keys(2, "B"), QuoteMode::Ltp).unwrap_err();
        assert_eq!(
            refused,
            TooManyInstruments {
                limit: 200,
                would_watch: 202
            }
        );
        assert!(refused.to_string().contains("at most 200 instruments"));
    }

    #[test]
    fn unsubscribing_forgets_only_what_is_named() {
        let c = conn("a", t0())
            .subscribe_quotes(&keys(3, "A"), QuoteMode::Ltp)
            .unwrap()
            .with_orders(true);
        let after = c.unsubscribe_quotes(&keys(2, "A"));
        assert_eq!(
            after.subscriptions.quotes.keys().collect::<Vec<_>>(),
            vec![&keys(3, "A")[2]]
        );
        assert!(after.subscriptions.orders);
        assert_eq!(after.version, c.version + 1);
    }

    #[test]
    fn a_sixth_connection_closes_the_oldest_and_never_itself() {
        let mut all: Vec<Connection> = (0..5)
            .map(|i| conn(&format!("c{i}"), t0() + Duration::minutes(i)))
            .collect();
        assert!(connections_to_close(&all, &all[4].id.clone(), t0()).is_empty());
        // The newest connects at the same instant as others: still never chosen.
        all.push(conn("a-newest", t0()));
        let newest = all[5].id.clone();
        let closed = connections_to_close(&all, &newest, t0() + Duration::minutes(5));
        assert_eq!(closed, vec![&all[0].id]);
    }

    #[test]
    fn connections_already_closed_by_api_gateway_do_not_count() {
        let mut all: Vec<Connection> = (0..5)
            .map(|i| conn(&format!("c{i}"), t0() + Duration::minutes(i)))
            .collect();
        all.push(conn("new", t0() + CONNECTION_LIFETIME));
        let newest = all[5].id.clone();
        assert!(
            connections_to_close(&all, &newest, t0() + CONNECTION_LIFETIME).is_empty(),
            "c0 has expired, leaving four others"
        );
    }
}
