//! Quotes and bars, as every market-data source reports them, and the freshness rule of the quote cache.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How long a cached quote may be served: never a price older than this.
pub const QUOTE_CACHE_TTL: Duration = Duration::seconds(5);

/// Open, high, low, close and volume over some span (a minute, a session so far).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bar {
    /// Open.
    pub open: Decimal,
    /// High.
    pub high: Decimal,
    /// Low.
    pub low: Decimal,
    /// Close (or last, for a span in progress).
    pub close: Decimal,
    /// Volume.
    pub volume: u64,
}

/// A quote at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Last traded price.
    pub last_price: Decimal,
    /// Best bid.
    pub bid: Decimal,
    /// Best ask.
    pub ask: Decimal,
    /// The session so far (or the last full session when closed).
    pub day: Bar,
    /// The previous session's close.
    pub previous_close: Decimal,
    /// When the price was struck.
    pub timestamp: DateTime<Utc>,
    /// Open interest in units (derivatives; `None` where the source has none).
    #[serde(default)]
    pub open_interest: Option<u64>,
    /// Units offered at the best bid; `None` where the source gives no depth.
    #[serde(default)]
    pub bid_quantity: Option<u64>,
    /// Units offered at the best ask; `None` where the source gives no depth.
    #[serde(default)]
    pub ask_quantity: Option<u64>,
}

/// Whether a quote fetched at `fetched_at` may still be served at `now`.
pub fn is_fresh(fetched_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    fetched_at <= now && now - fetched_at < QUOTE_CACHE_TTL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_quote_lives_five_seconds_and_never_comes_from_the_future() {
        let t = Utc::now();
        assert!(is_fresh(t, t));
        assert!(is_fresh(t, t + Duration::milliseconds(4_999)));
        assert!(!is_fresh(t, t + Duration::seconds(5)));
        assert!(!is_fresh(t + Duration::seconds(1), t), "clock skew: refetch");
    }
}
