//! Candle intervals and aggregation. Intraday candles are built from one-minute bars and bucketed from the
//! session open (09:15 IST), so a 1h candle covers 09:15–10:15 … and the last one 15:15–15:30; daily candles
//! are whole sessions.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::quote::Bar;

/// A candle interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Interval {
    /// One minute.
    #[serde(rename = "1m")]
    M1,
    /// Five minutes.
    #[serde(rename = "5m")]
    M5,
    /// Fifteen minutes.
    #[serde(rename = "15m")]
    M15,
    /// Thirty minutes.
    #[serde(rename = "30m")]
    M30,
    /// One hour.
    #[serde(rename = "1h")]
    H1,
    /// One session.
    #[serde(rename = "1d")]
    D1,
}

impl Interval {
    /// Minutes per candle (a session for `1d`).
    pub fn minutes(self) -> i64 {
        match self {
            Interval::M1 => 1,
            Interval::M5 => 5,
            Interval::M15 => 15,
            Interval::M30 => 30,
            Interval::H1 => 60,
            Interval::D1 => 375,
        }
    }

    /// The longest range one request may cover, so a response stays bounded (≤ ~10,000 candles).
    pub fn max_range(self) -> Duration {
        match self {
            Interval::M1 => Duration::days(30),
            Interval::M5 | Interval::M15 => Duration::days(120),
            Interval::M30 | Interval::H1 => Duration::days(365),
            Interval::D1 => Duration::days(3650),
        }
    }
}

/// One candle: start time, OHLC, volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candle {
    /// Start of the candle.
    pub start: DateTime<Utc>,
    /// Open.
    pub open: Decimal,
    /// High.
    pub high: Decimal,
    /// Low.
    pub low: Decimal,
    /// Close.
    pub close: Decimal,
    /// Volume.
    pub volume: u64,
}

/// Aggregates one session's one-minute bars (in order, from the session open) into `interval` candles.
pub fn aggregate(minute_bars: &[(DateTime<Utc>, Bar)], interval: Interval) -> Vec<Candle> {
    let size = usize::try_from(interval.minutes()).unwrap_or(1);
    minute_bars
        .chunks(size)
        .map(|bucket| {
            let (start, first) = bucket[0];
            bucket.iter().skip(1).fold(
                Candle {
                    start,
                    open: first.open,
                    high: first.high,
                    low: first.low,
                    close: first.close,
                    volume: first.volume,
                },
                |c, (_, bar)| Candle {
                    high: c.high.max(bar.high),
                    low: c.low.min(bar.low),
                    close: bar.close,
                    volume: c.volume + bar.volume,
                    ..c
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn bar(open: Decimal, high: Decimal, low: Decimal, close: Decimal, volume: u64) -> Bar {
        Bar {
            open,
            high,
            low,
            close,
            volume,
        }
    }

    fn session(minutes: usize) -> Vec<(DateTime<Utc>, Bar)> {
        // 09:15 IST = 03:45 UTC.
        let open = DateTime::parse_from_rfc3339("2026-11-24T03:45:00Z")
            .unwrap()
            .with_timezone(&Utc);
        (0..minutes)
            .map(|m| {
                let p = Decimal::from(100 + m as i64);
                (
                    open + Duration::minutes(m as i64),
                    bar(p, p + dec!(0.5), p - dec!(0.5), p + dec!(1), 10),
                )
            })
            .collect()
    }

    #[test]
    fn five_minute_candles_take_first_open_extremes_last_close_and_summed_volume() {
        let candles = aggregate(&session(10), Interval::M5);
        assert_eq!(candles.len(), 2);
        let c = candles[0];
        assert_eq!(
            (c.open, c.high, c.low, c.close, c.volume),
            (dec!(100), dec!(104.5), dec!(99.5), dec!(105), 50)
        );
        assert_eq!(c.start.to_rfc3339(), "2026-11-24T03:45:00+00:00");
        assert_eq!(candles[1].start.to_rfc3339(), "2026-11-24T03:50:00+00:00");
    }

    #[test]
    fn hourly_candles_start_at_the_open_and_the_last_is_the_short_one() {
        let candles = aggregate(&session(375), Interval::H1);
        assert_eq!(candles.len(), 7, "09:15, 10:15, … 14:15 full, 15:15–15:30 short");
        assert_eq!(
            candles[6].start.to_rfc3339(),
            "2026-11-24T09:45:00+00:00",
            "15:15 IST"
        );
        assert_eq!(candles[6].volume, 150);
        assert_eq!(aggregate(&session(375), Interval::M1).len(), 375);
    }
}
