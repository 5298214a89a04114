//! Connect tickets: how a browser authenticates a WebSocket without putting a long-lived token in a URL.
//!
//! A signed-in user asks `POST /v1/stream/ticket` for a ticket bound to their user and session, then opens
//! `url?ticket=…` within [`TICKET_TTL`]. The ticket is 256 random bits ([`random_secret`], as refresh tokens
//! are), stored only as its SHA-256, and accepted once: taking it from the store consumes it. A ticket that
//! leaks through a log or a proxy is worth nothing after its first use or 30 seconds, whichever comes first.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::kernel::ids::{SessionId, UserId};
use crate::kernel::secret::{SECRET_CHARS, random_secret, sha256_hex};

/// How long a ticket may wait for its connection.
pub const TICKET_TTL: Duration = Duration::seconds(30);

/// A ticket as handed to the client. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectTicket(String);

impl std::fmt::Debug for ConnectTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConnectTicket(..)")
    }
}

impl ConnectTicket {
    /// The ticket string for the client.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The stored form of a ticket: the SHA-256 of its secret, lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketHash(String);

impl TicketHash {
    /// The hash as text (the adapter's key).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hash of a presented ticket; `None` for anything that cannot be one (wrong length or alphabet),
    /// so junk never reaches the store.
    pub fn of_presented(ticket: &str) -> Option<Self> {
        let well_formed = ticket.len() == SECRET_CHARS
            && ticket
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        well_formed.then(|| Self(sha256_hex(ticket)))
    }
}

/// What the store keeps of an issued ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketRecord {
    /// The ticket's hash.
    pub hash: TicketHash,
    /// Whose ticket.
    pub user_id: UserId,
    /// The session it was issued in: it is accepted only while that session is live.
    pub session_id: SessionId,
    /// When it stops being accepted ([`TICKET_TTL`] after issue).
    pub expires_at: DateTime<Utc>,
}

impl TicketRecord {
    /// A fresh ticket for `user`'s `session`, issued at `now`, with the record to store.
    pub fn issue(user_id: UserId, session_id: SessionId, now: DateTime<Utc>) -> (ConnectTicket, Self) {
        let secret = random_secret();
        let record = Self {
            hash: TicketHash(sha256_hex(&secret)),
            user_id,
            session_id,
            expires_at: now + TICKET_TTL,
        };
        (ConnectTicket(secret), record)
    }

    /// Whether the ticket is still accepted at `now`.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

/// `POST /v1/stream/ticket` → `{ticket, url, expires_in}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTicket {
    /// The single-use secret.
    pub ticket: ConnectTicket,
    /// Where to connect, as `url?ticket=…`.
    pub url: String,
    /// Seconds the ticket waits for its connection (30).
    pub expires_in: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ulid::Ulid;

    fn issued() -> (ConnectTicket, TicketRecord, DateTime<Utc>) {
        let now = DateTime::<Utc>::from_timestamp(1_795_000_000, 0).unwrap();
        let (ticket, record) = TicketRecord::issue(
            UserId::from_ulid(Ulid::from_parts(1, 1)),
            SessionId::from_ulid(Ulid::from_parts(2, 2)),
            now,
        );
        (ticket, record, now)
    }

    #[test]
    fn a_ticket_is_stored_only_as_the_hash_of_what_the_client_presents() {
        let (ticket, record, _) = issued();
        assert_eq!(
            TicketHash::of_presented(ticket.expose()),
            Some(record.hash.clone())
        );
        assert!(!record.hash.as_str().contains(ticket.expose()));
        assert_eq!(format!("{ticket:?}"), "ConnectTicket(..)");
    }

    #[test]
    fn is_accepted_for_thirty_seconds() {
        let (_, record, now) = issued();
        assert!(record.is_valid_at(now + Duration::seconds(29)));
        assert!(!record.is_valid_at(now + TICKET_TTL));
    }

    #[test]
    fn junk_is_refused_before_the_store_is_asked() {
        let (ticket, _, _) = issued();
        for junk in [
            "",
            "short",
            &format!("{}x", ticket.expose()),
            &"a/".repeat(22)[..43],
        ] {
            assert_eq!(TicketHash::of_presented(junk), None, "{junk}");
        }
    }
}
