//! A linked broker account (Upstox) as stored: the broker, the user's id there, the access token sealed at
//! rest, and its expiry. Upstox access tokens die at 03:30 IST the next morning whatever time they were
//! issued, so a link shows as unlinked from then until the user logs in to Upstox again. The linking flow
//! itself is [`crate::broker::service`].

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::kernel::ids::UserId;
use crate::kernel::time::{ist, ist_instant};

/// A broker we can link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Broker {
    /// Upstox (RKSV Securities).
    Upstox,
}

impl Broker {
    /// The name used in URLs, keys and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Broker::Upstox => "upstox",
        }
    }
}

/// When an Upstox access token issued at `issued_at` expires: the first 03:30 IST strictly after it.
pub fn upstox_token_expiry(issued_at: DateTime<Utc>) -> DateTime<Utc> {
    let local = issued_at.with_timezone(&ist());
    let cutoff = NaiveTime::from_hms_opt(3, 30, 0).unwrap_or_default();
    let today = local.date_naive();
    let day = if local.time() < cutoff {
        today
    } else {
        today.succ_opt().unwrap_or(today)
    };
    ist_instant(day, cutoff)
}

/// A broker access token. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct BrokerAccessToken(pub String);

impl std::fmt::Debug for BrokerAccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BrokerAccessToken(..)")
    }
}

/// What the broker grants for an authorization code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerGrant {
    /// The user's id at the broker (Upstox's `user_id`).
    pub broker_user_id: String,
    /// The access token for the broker's API.
    pub access_token: BrokerAccessToken,
}

/// A user's link to a broker account, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerLink {
    /// Our user.
    pub user_id: UserId,
    /// Which broker.
    pub broker: Broker,
    /// The user's id at the broker.
    pub broker_user_id: String,
    /// The access token, sealed for [`token_context`].
    pub sealed_access_token: String,
    /// When the link was made.
    pub linked_at: DateTime<Utc>,
    /// When the access token stops working.
    pub expires_at: DateTime<Utc>,
}

impl BrokerLink {
    /// Whether the access token still works at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

/// What a sealed broker token is bound to: one user's link to one broker.
pub fn token_context(user: &UserId, broker: Broker) -> String {
    format!("broker:{}:{user}", broker.as_str())
}

/// Why the broker refused or failed a code exchange.
#[derive(Debug, thiserror::Error)]
pub enum BrokerAuthError {
    /// The broker refused (bad or used code, misconfigured app): its message.
    #[error("broker refused: {0}")]
    Rejected(String),
    /// The broker could not be reached or failed (timeout, 5xx, garbage).
    #[error("broker unavailable")]
    Unavailable(#[source] anyhow::Error),
}

/// Where a live order went: the broker, and the broker's id for it once the broker confirmed it. Stored on
/// the [`crate::trading::order::Order`]; a paper order has none.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BrokerOrderRef {
    /// The broker.
    pub broker: Broker,
    /// The broker's id of the order; `None` until the broker confirms it.
    pub broker_order_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[rstest]
    // 10:00 IST on 23 Nov → 03:30 IST on 24 Nov (22:00 UTC on 23 Nov).
    #[case("2026-11-23T04:30:00Z", "2026-11-23T22:00:00Z")]
    // 02:00 IST on 24 Nov (before the cutoff) → 03:30 IST the same morning.
    #[case("2026-11-23T20:30:00Z", "2026-11-23T22:00:00Z")]
    // Exactly 03:30 IST → the next day's 03:30.
    #[case("2026-11-23T22:00:00Z", "2026-11-24T22:00:00Z")]
    // 23:59 IST on 31 Dec → 03:30 IST on 1 Jan.
    #[case("2026-12-31T18:29:00Z", "2026-12-31T22:00:00Z")]
    fn upstox_tokens_expire_at_the_next_0330_ist(#[case] issued: &str, #[case] expires: &str) {
        assert_eq!(upstox_token_expiry(utc(issued)), utc(expires));
    }
}
