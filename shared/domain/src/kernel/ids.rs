//! Identifier newtypes. Each is a ULID (sortable by creation time, so it makes a good sort key), checked as
//! it is parsed or deserialized: an invalid id never gets past the edge.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ulid::Ulid;

/// An identifier string was not a valid ULID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: expected a 26-character ULID")]
pub struct InvalidId {
    /// Which kind of id failed to parse.
    pub kind: &'static str,
}

macro_rules! ulid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Ulid);

        impl $name {
            /// Wraps an already generated ULID.
            pub fn from_ulid(ulid: Ulid) -> Self {
                Self(ulid)
            }

            /// The ULID inside.
            pub fn ulid(&self) -> Ulid {
                self.0
            }
        }

        impl From<Ulid> for $name {
            fn from(ulid: Ulid) -> Self {
                Self(ulid)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ulid::from_string(s).map(Self).map_err(|_| InvalidId { kind: $kind })
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.to_string()
            }
        }
    };
}

ulid_id!(
    /// A user account.
    UserId,
    "user id"
);
ulid_id!(
    /// One login session; every access and refresh token belongs to exactly one.
    SessionId,
    "session id"
);
ulid_id!(
    /// One order.
    OrderId,
    "order id"
);
ulid_id!(
    /// One fill (trade) of an order.
    TradeId,
    "trade id"
);
ulid_id!(
    /// One backtest run.
    BacktestId,
    "backtest id"
);
ulid_id!(
    /// One price alert.
    AlertId,
    "alert id"
);
ulid_id!(
    /// One webhook endpoint.
    WebhookId,
    "webhook id"
);
ulid_id!(
    /// One saved option strategy.
    StrategyId,
    "strategy id"
);

ulid_id!(
    /// One in-app notification.
    NotificationId,
    "notification id"
);
ulid_id!(
    /// One domain event (also the idempotency key of its delivery).
    EventId,
    "event id"
);

/// Mints new ids: a port, so that a backtest or a replayed scenario mints the same ids every run (a sequence in
/// tests, ULIDs from the time and randomness in production).
///
/// Implementations MUST never return the same ULID twice, and SHOULD return increasing ones (ids sort by
/// creation in keys and lists).
pub trait IdGen: Send + Sync {
    /// A new ULID.
    fn next_ulid(&self) -> Ulid;
}

impl dyn IdGen {
    /// A new id of type `T` (`ids.next::<OrderId>()`).
    pub fn next<T: From<Ulid>>(&self) -> T {
        T::from(self.next_ulid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_the_same_ulid() {
        let s = "01JDQ8ZK3M4N5P6Q7R8S9T0V1W";
        let id: UserId = s.parse().unwrap();
        assert_eq!(id.to_string(), s);
    }

    #[test]
    fn rejects_a_malformed_id_when_deserializing() {
        let err = serde_json::from_str::<UserId>("\"not-a-ulid\"").unwrap_err();
        assert!(err.to_string().contains("invalid user id"), "{err}");
    }

    #[test]
    fn serializes_as_a_plain_string() {
        let id: SessionId = "01JDQ8ZK3M4N5P6Q7R8S9T0V1W".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"01JDQ8ZK3M4N5P6Q7R8S9T0V1W\""
        );
    }
}
