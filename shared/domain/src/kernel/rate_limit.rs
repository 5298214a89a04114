//! Fixed-window rate limits: at most `limit` hits per `window` per key. The counting is a port
//! ([`crate::identity::ports::RateLimiter`]); the arithmetic of windows and decisions is here.

use chrono::{DateTime, Duration, TimeZone, Utc};

/// A limit: `limit` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateRule {
    /// Hits allowed per window.
    pub limit: u32,
    /// Window length.
    pub window: Duration,
}

/// The outcome of one hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether this hit is within the limit.
    pub allowed: bool,
    /// The rule's limit (`X-RateLimit-Limit`).
    pub limit: u32,
    /// Hits left in this window (`X-RateLimit-Remaining`).
    pub remaining: u32,
    /// When the window ends (`X-RateLimit-Reset`).
    pub reset_at: DateTime<Utc>,
    /// Whole seconds from the decision to the window's end, at least 1 (`Retry-After` when refused).
    pub retry_after_secs: u64,
}

impl RateRule {
    /// The start of the window containing `now`.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let len = self.window.num_seconds().max(1);
        let start = now.timestamp().div_euclid(len) * len;
        Utc.timestamp_opt(start, 0).single().unwrap_or(now)
    }

    /// The decision for the `count`th hit (1-based) of the window containing `now`.
    pub fn decide(&self, count: u64, now: DateTime<Utc>) -> RateDecision {
        let limit = u64::from(self.limit);
        let reset_at = self.window_start(now) + self.window;
        RateDecision {
            allowed: count <= limit,
            limit: self.limit,
            remaining: u32::try_from(limit.saturating_sub(count)).unwrap_or(0),
            reset_at,
            retry_after_secs: u64::try_from((reset_at - now).num_seconds()).unwrap_or(0).max(1),
        }
    }
}
