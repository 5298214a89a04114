//! The real clock, and a shifted one for tests that need market hours whatever the real time.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tradesense_domain::ports::Clock;

use crate::config::{ConfigError, Vars, optional};

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The wall clock moved by a fixed offset: it reads `start` when built and runs at the real rate from there.
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    offset: TimeDelta,
}

impl ShiftedClock {
    /// A clock reading `start` now.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            offset: start - Utc::now(),
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

/// The clock `SIMULATED_CLOCK_START` asks for: a [`ShiftedClock`] starting at that RFC 3339 instant, or the
/// [`SystemClock`] when it is absent or empty (every deployment).
///
/// # Errors
/// [`ConfigError::Invalid`] for a value that is not an RFC 3339 instant.
pub fn clock_from_vars(vars: Vars<'_>) -> Result<Arc<dyn Clock>, ConfigError> {
    match optional(vars, "SIMULATED_CLOCK_START").filter(|v| !v.is_empty()) {
        None => Ok(Arc::new(SystemClock)),
        Some(start) => {
            let start = DateTime::parse_from_rfc3339(&start).map_err(|_| ConfigError::Invalid {
                key: "SIMULATED_CLOCK_START".into(),
                reason: "not an RFC 3339 instant".into(),
            })?;
            Ok(Arc::new(ShiftedClock::starting_at(start.with_timezone(&Utc))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shifted_clock_starts_where_asked_and_an_empty_setting_is_the_wall_clock() {
        let start: DateTime<Utc> = "2026-11-25T05:30:00Z".parse().unwrap();
        let vars = |k: &str| (k == "SIMULATED_CLOCK_START").then(|| "2026-11-25T11:00:00+05:30".to_owned());
        let shifted = clock_from_vars(&vars).unwrap().now();
        assert!(shifted >= start && shifted - start < TimeDelta::seconds(5));
        let empty = |_: &str| Some(String::new());
        let wall = clock_from_vars(&empty).unwrap().now();
        assert!((wall - Utc::now()).abs() < TimeDelta::seconds(5));
        let bad = |_: &str| Some("tomorrow".to_owned());
        assert!(clock_from_vars(&bad).is_err());
    }
}
