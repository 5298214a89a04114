//! Imported daily history: a `Date,Open,High,Low,Close,Volume` CSV (as NSE's and most brokers' exports
//! give it) parsed strictly into daily bars, so backtests can run on real prices.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::market::quote::Bar;

/// One session's bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyBar {
    /// The session's date (IST).
    pub date: NaiveDate,
    /// Its prices and volume.
    pub bar: Bar,
}

/// A CSV line that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct BadCsv {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// The header the importer expects (case-insensitive, spaces ignored).
pub const HEADER: [&str; 6] = ["date", "open", "high", "low", "close", "volume"];

fn price(field: &str, name: &str, line: usize) -> Result<Decimal, BadCsv> {
    let value: Decimal = field.trim().parse().map_err(|_| BadCsv {
        line,
        reason: format!("{name} {field:?} is not a decimal number"),
    })?;
    if value <= Decimal::ZERO {
        return Err(BadCsv {
            line,
            reason: format!("{name} must be positive"),
        });
    }
    Ok(value)
}

/// Parses a daily OHLCV CSV. Dates are `YYYY-MM-DD`; every bar must be consistent (low ≤ open, close ≤ high);
/// dates must be unique. Bars come back oldest first.
///
/// # Errors
/// [`BadCsv`] naming the first bad line; nothing is imported from a bad file.
pub fn parse_daily_csv(text: &str) -> Result<Vec<DailyBar>, BadCsv> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or(BadCsv {
        line: 1,
        reason: "empty file".into(),
    })?;
    let columns: Vec<String> = header
        .split(',')
        .map(|c| c.trim().to_lowercase().replace(' ', ""))
        .collect();
    if columns != HEADER {
        return Err(BadCsv {
            line: 1,
            reason: "header must be Date,Open,High,Low,Close,Volume".into(),
        });
    }
    let mut bars = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        let fields: Vec<&str> = line.split(',').collect();
        let [date, open, high, low, close, volume] = fields.as_slice() else {
            return Err(BadCsv {
                line: n,
                reason: format!("expected 6 fields, found {}", fields.len()),
            });
        };
        let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|_| BadCsv {
            line: n,
            reason: format!("date {date:?} is not YYYY-MM-DD"),
        })?;
        let bar = Bar {
            open: price(open, "open", n)?,
            high: price(high, "high", n)?,
            low: price(low, "low", n)?,
            close: price(close, "close", n)?,
            volume: volume.trim().parse().map_err(|_| BadCsv {
                line: n,
                reason: format!("volume {volume:?} is not a whole number"),
            })?,
        };
        if bar.low > bar.open.min(bar.close) || bar.high < bar.open.max(bar.close) {
            return Err(BadCsv {
                line: n,
                reason: "inconsistent bar: need low ≤ open, close ≤ high".into(),
            });
        }
        bars.push(DailyBar { date, bar });
    }
    bars.sort_by_key(|b| b.date);
    if let Some(pair) = bars.windows(2).find(|w| w[0].date == w[1].date) {
        return Err(BadCsv {
            line: 0,
            reason: format!("{} appears twice", pair[0].date),
        });
    }
    Ok(bars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn parses_a_csv_oldest_first_with_exact_prices() {
        let csv = "Date,Open,High,Low,Close,Volume\n\
                   2026-11-20,1551.10,1560.00,1540.05,1555.55,4200000\n\
                   2026-11-19,1540.00,1552.20,1538.00,1550.95,3900000\n";
        let bars = parse_daily_csv(csv).unwrap();
        assert_eq!(bars.len(), 2);
        assert_eq!(bars[0].date.to_string(), "2026-11-19");
        assert_eq!(bars[1].bar.close, dec!(1555.55));
        assert_eq!(bars[1].bar.volume, 4_200_000);
    }

    #[test]
    fn refuses_bad_files_naming_the_line() {
        let header = "Date,Open,High,Low,Close,Volume\n";
        for (body, line) in [
            ("2026-11-20,1,2,1,2", 2),
            ("20-11-2026,1,2,1,2,5", 2),
            ("2026-11-20,1,2,1,abc,5", 2),
            ("2026-11-20,0,2,1,2,5", 2),
            ("2026-11-20,1,2,1,2,-5", 2),
            ("2026-11-20,1,2,1.5,2,5", 2),
            ("2026-11-20,1,2,1,3,5", 2),
        ] {
            let err = parse_daily_csv(&format!("{header}{body}\n")).unwrap_err();
            assert_eq!(err.line, line, "{body}: {err}");
        }
        assert!(parse_daily_csv("Open,Date\n").is_err());
        assert!(parse_daily_csv("").is_err());
        let twice = format!("{header}2026-11-20,1,2,1,2,5\n2026-11-20,1,2,1,2,5\n");
        assert!(parse_daily_csv(&twice).unwrap_err().reason.contains("twice"));
    }
}
