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
