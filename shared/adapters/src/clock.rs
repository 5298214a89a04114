//! The two clocks a deployment reads.
//!
//! - The **market clock** ([`market_clock`]) tells every market and trading function what time it is: quotes,
//!   candles, chains, market status, placements and fills, the scheduler's ticks, valuations. One setting
//!   (`SIMULATED_CLOCK_START`, with `SIMULATED_CLOCK_ANCHOR`) moves it for the whole deployment, so every one
//!   of those functions agrees on "now" to the millisecond. Empty in every deployment: the wall clock.
//! - The **wall clock** ([`SystemClock`]) is for time the outside world checks: access-token and session
//!   expiry, TOTP codes, lockouts and login rate limits, the broker's 03:30 IST token cut-off, audit
//!   timestamps and DynamoDB TTLs. Identity, admin and live-broker token checks read it, never the market
//!   clock.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tradesense_domain::kernel::time::Clock;

use crate::config::{ConfigError, Vars, optional};

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The wall clock moved by a fixed offset: it reads `start` at the real instant `anchor` and runs at the real
/// rate from there.
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    offset: TimeDelta,
}

impl ShiftedClock {
    /// A clock that read `start` at the real instant `anchor`.
    pub fn anchored(start: DateTime<Utc>, anchor: DateTime<Utc>) -> Self {
        Self {
            offset: start - anchor,
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

/// The deployment's market clock (see the module doc): a [`ShiftedClock`] that read `SIMULATED_CLOCK_START`
/// at the real instant `SIMULATED_CLOCK_ANCHOR`, or the [`SystemClock`] when the start is absent or empty
/// (every deployment). Without an anchor the function's cold start anchors it, so functions started at
/// different times would disagree: the local stack and the tests always set one for every function.
///
/// # Errors
/// [`ConfigError::Invalid`] for a value that is not an RFC 3339 instant.
pub fn market_clock(vars: Vars<'_>) -> Result<Arc<dyn Clock>, ConfigError> {
    let instant = |key: &str| {
        optional(vars, key)
            .map(|value| {
                DateTime::parse_from_rfc3339(&value)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| ConfigError::Invalid {
                        key: key.into(),
                        reason: "not an RFC 3339 instant".into(),
                    })
            })
            .transpose()
    };
    let anchor = instant("SIMULATED_CLOCK_ANCHOR")?;
    Ok(match instant("SIMULATED_CLOCK_START")? {
        None => Arc::new(SystemClock),
        Some(start) => Arc::new(ShiftedClock::anchored(start, anchor.unwrap_or_else(Utc::now))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: &str = "2026-11-25T11:00:00+05:30";

    fn vars(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
        move |k: &str| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_market_clock_starts_where_asked_and_an_empty_setting_is_the_wall_clock() {
        let start: DateTime<Utc> = "2026-11-25T05:30:00Z".parse().unwrap();
        let shifted = market_clock(&vars(vec![("SIMULATED_CLOCK_START", START.into())]))
            .unwrap()
            .now();
        assert!(shifted >= start && shifted - start < TimeDelta::seconds(5));
        let wall = market_clock(&vars(vec![("SIMULATED_CLOCK_START", String::new())]))
            .unwrap()
            .now();
        assert!((wall - Utc::now()).abs() < TimeDelta::seconds(5));
        assert!(market_clock(&vars(vec![("SIMULATED_CLOCK_START", "tomorrow".into())])).is_err());
        let bad_anchor = vars(vec![
            ("SIMULATED_CLOCK_START", START.into()),
            ("SIMULATED_CLOCK_ANCHOR", "yesterday".into()),
        ]);
        assert!(market_clock(&bad_anchor).is_err());
    }

    #[test]
    fn clocks_with_one_anchor_agree_whenever_each_was_built() {
        // Anchored an hour ago: both read 12:00 IST now, however far apart they were built.
        let settings = vars(vec![
            ("SIMULATED_CLOCK_START", START.into()),
            (
                "SIMULATED_CLOCK_ANCHOR",
                (Utc::now() - TimeDelta::hours(1)).to_rfc3339(),
            ),
        ]);
        let first = market_clock(&settings).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let second = market_clock(&settings).unwrap();
        let (a, b) = (first.now(), second.now());
        assert!((a - b).abs() < TimeDelta::milliseconds(20), "{a} vs {b}");
        let noon: DateTime<Utc> = "2026-11-25T06:30:00Z".parse().unwrap();
        assert!((a - noon).abs() < TimeDelta::seconds(5), "{a}");
    }
}
