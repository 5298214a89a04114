//! Time: the [`Clock`] port and India Standard Time, in which every market rule is stated.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Offset, Utc};

/// Tells the time. A port so that tests and backtests can run on a fixed or simulated clock.
pub trait Clock: Send + Sync {
    /// The current instant, UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// India Standard Time's offset from UTC, seconds (+05:30, no daylight saving).
const IST_OFFSET_SECS: i32 = 5 * 3600 + 30 * 60;

/// India Standard Time.
pub fn ist() -> FixedOffset {
    FixedOffset::east_opt(IST_OFFSET_SECS).unwrap_or(Utc.fix())
}

/// The instant of `time` IST on `date` (IST has one offset all year, so every local time is one instant).
pub fn ist_instant(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    (date.and_time(time) - Duration::seconds(i64::from(IST_OFFSET_SECS))).and_utc()
}

/// The IST date of `at`.
pub fn ist_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&ist()).date_naive()
}

/// One end of a time range as clients write it: an IST day (`2026-11-25`) or an RFC 3339 instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBound {
    /// A whole IST day.
    Day(NaiveDate),
    /// An instant.
    Instant(DateTime<Utc>),
}

/// A range bound that is neither `YYYY-MM-DD` nor an RFC 3339 instant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected YYYY-MM-DD (an IST day) or an RFC 3339 instant")]
pub struct BadTimeBound;

impl std::str::FromStr for TimeBound {
    type Err = BadTimeBound;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(TimeBound::Day(day));
        }
        DateTime::parse_from_rfc3339(s)
            .map(|t| TimeBound::Instant(t.with_timezone(&Utc)))
            .map_err(|_| BadTimeBound)
    }
}

impl TimeBound {
    /// Where a range starting here starts: a day's IST midnight, or the instant.
    pub fn as_start(self) -> DateTime<Utc> {
        match self {
            TimeBound::Day(day) => ist_instant(day, NaiveTime::MIN),
            TimeBound::Instant(t) => t,
        }
    }

    /// Where a range ending here ends (exclusive): after the whole of a day, or at the instant.
    pub fn as_end(self) -> DateTime<Utc> {
        match self {
            TimeBound::Day(day) => ist_instant(day, NaiveTime::MIN) + Duration::days(1),
            TimeBound::Instant(t) => t,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_bound_covers_the_whole_ist_day_and_an_instant_is_itself() {
        let day: TimeBound = "2026-11-25".parse().unwrap();
        assert_eq!(day.as_start().to_rfc3339(), "2026-11-24T18:30:00+00:00");
        assert_eq!(day.as_end().to_rfc3339(), "2026-11-25T18:30:00+00:00");
        let instant: TimeBound = "2026-11-25T11:00:00+05:30".parse().unwrap();
        assert_eq!(instant.as_start(), instant.as_end());
        assert_eq!(instant.as_start().to_rfc3339(), "2026-11-25T05:30:00+00:00");
        assert_eq!("25/11/2026".parse::<TimeBound>(), Err(BadTimeBound));
    }
}
