//! Identity's rate limits: logins per source IP and second-factor attempts per user.

use chrono::Duration;

use crate::kernel::rate_limit::RateRule;

/// Logins per source IP: 20 a minute.
pub const LOGIN_PER_IP: RateRule = RateRule {
    limit: 20,
    window: Duration::minutes(1),
};

/// Second-factor code attempts per user (challenge, enable, disable, new backup codes): 5 wrong codes in
/// 5 minutes. Every attempt is counted before the code is checked (so parallel guesses cannot outrun the
/// count) and a right code's count is refunded.
pub const MFA_ATTEMPTS_PER_USER: RateRule = RateRule {
    limit: 5,
    window: Duration::minutes(5),
};

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};

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
