//! Fixed-window rate limits: at most `limit` hits per `window` per key. The counting is a port
//! ([`crate::ports::RateLimiter`]); the arithmetic of windows and decisions is here.

use chrono::{DateTime, Duration, TimeZone, Utc};

/// A limit: `limit` hits per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateRule {
    /// Hits allowed per window.
    pub limit: u32,
    /// Window length.
    pub window: Duration,
}

/// Logins per source IP: 20 a minute.
pub const LOGIN_PER_IP: RateRule = RateRule {
    limit: 20,
    window: Duration::minutes(1),
};

/// Order placements per account: 10 a minute. Counted in the placement's own transaction, so a refused or
/// replayed placement costs nothing.
pub const ORDERS_PER_ACCOUNT: RateRule = RateRule {
    limit: 10,
    window: Duration::minutes(1),
};

/// Second-factor code attempts per user (challenge, enable, disable, new backup codes): 5 wrong codes in
/// 5 minutes. Every attempt is counted before the code is checked (so parallel guesses cannot outrun the
/// count) and a right code's count is refunded.
pub const MFA_ATTEMPTS_PER_USER: RateRule = RateRule {
    limit: 5,
    window: Duration::minutes(5),
};

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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, s).unwrap()
    }

    #[test]
    fn windows_align_to_the_rule_length() {
        assert_eq!(LOGIN_PER_IP.window_start(at(4, 5, 59)), at(4, 5, 0));
        assert_eq!(LOGIN_PER_IP.window_start(at(4, 6, 0)), at(4, 6, 0));
    }

    #[test]
    fn the_twenty_first_login_in_a_minute_is_refused_until_the_window_ends() {
        let now = at(4, 5, 42);
        let last_allowed = LOGIN_PER_IP.decide(20, now);
        assert!(last_allowed.allowed);
        assert_eq!(last_allowed.remaining, 0);
        let refused = LOGIN_PER_IP.decide(21, now);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.reset_at, at(4, 6, 0));
        assert_eq!(refused.retry_after_secs, 18);
        assert_eq!(LOGIN_PER_IP.decide(1, now).remaining, 19);
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let half_a_second_left = at(4, 5, 59) + Duration::milliseconds(500);
        assert_eq!(LOGIN_PER_IP.decide(99, half_a_second_left).retry_after_secs, 1);
        assert_eq!(LOGIN_PER_IP.decide(99, at(4, 5, 0)).retry_after_secs, 60);
    }
}
