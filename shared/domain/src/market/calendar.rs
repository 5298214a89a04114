//! The exchange clock in IST: trading days (weekends and the exchange holiday list off), the sessions of a
//! trading day, and the market status with the next open and close.
//!
//! Sessions: NSE, NFO and BSE have pre-open 09:00–09:15, the normal market 09:15–15:30 and the closing
//! session 15:40–16:00; MCX trades 09:00–23:30. The holiday list is data (`data/market/nse-holidays.csv`,
//! source in its header) and applies to NSE, NFO and BSE; MCX closes on weekends only here.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc, Weekday};
use serde::Serialize;

use crate::kernel::time::{ist, ist_instant};
use crate::market::instrument::Exchange;

/// Which part of the trading day it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Session {
    /// Order collection before the open (NSE/BSE 09:00–09:15).
    PreOpen,
    /// The normal market.
    Normal,
    /// Closing session at the closing price (NSE/BSE 15:40–16:00).
    Closing,
    /// No trading.
    Closed,
}

/// The market's state at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarketStatus {
    /// The exchange.
    pub exchange: Exchange,
    /// Whether the normal market is open.
    pub open: bool,
    /// The session now.
    pub session: Session,
    /// Start of the next normal market (after now, or now's if it has not started).
    pub next_open: DateTime<Utc>,
    /// End of the current normal market, or of the next one.
    pub next_close: DateTime<Utc>,
}

/// A malformed holiday file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("holiday file line {line}: {reason}")]
pub struct BadHolidayFile {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Trading days and sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarketCalendar {
    holidays: BTreeSet<NaiveDate>,
}

/// The shipped NSE holiday list.
const NSE_HOLIDAYS_CSV: &str = include_str!("../../../../data/market/nse-holidays.csv");

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

/// `(pre-open start, normal start, normal end, closing start, closing end)` in IST.
fn sessions(exchange: Exchange) -> [NaiveTime; 5] {
    match exchange {
        Exchange::Nse | Exchange::Nfo | Exchange::Bse => {
            [hm(9, 0), hm(9, 15), hm(15, 30), hm(15, 40), hm(16, 0)]
        }
        // No pre-open or closing session: empty windows.
        Exchange::Mcx => [hm(9, 0), hm(9, 0), hm(23, 30), hm(23, 30), hm(23, 30)],
    }
}

impl MarketCalendar {
    /// The calendar with the shipped NSE holiday list.
    ///
    /// # Errors
    /// If the shipped file is malformed (a test proves it is not).
    pub fn nse() -> Result<Self, BadHolidayFile> {
        Self::from_csv(NSE_HOLIDAYS_CSV)
    }

    /// Parses `date,name` lines (`#` comments and a `date,name` header allowed).
    ///
    /// # Errors
    /// [`BadHolidayFile`] naming the first bad line.
    pub fn from_csv(text: &str) -> Result<Self, BadHolidayFile> {
        let mut holidays = BTreeSet::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with("date,") {
                continue;
            }
            let bad = |reason: &str| BadHolidayFile {
                line: i + 1,
                reason: reason.to_owned(),
            };
            let (date, name) = line.split_once(',').ok_or_else(|| bad("expected date,name"))?;
            let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                .map_err(|_| bad("date is not YYYY-MM-DD"))?;
            if name.trim().is_empty() {
                return Err(bad("holiday without a name"));
            }
            if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                return Err(bad("a weekend date is not a trading holiday"));
            }
            if !holidays.insert(date) {
                return Err(bad("listed twice"));
            }
        }
        Ok(Self { holidays })
    }

    /// A calendar with exactly these holidays (tests, backtests).
    pub fn with_holidays(holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self {
            holidays: holidays.into_iter().collect(),
        }
    }

    /// Whether `exchange` trades on `date`.
    pub fn is_trading_day(&self, exchange: Exchange, date: NaiveDate) -> bool {
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        !weekend && (exchange == Exchange::Mcx || !self.holidays.contains(&date))
    }

    /// The last trading day at or before `date`.
    pub fn trading_day_at_or_before(&self, exchange: Exchange, mut date: NaiveDate) -> NaiveDate {
        while !self.is_trading_day(exchange, date) {
            date = date.pred_opt().unwrap_or(date);
        }
        date
    }

    fn next_trading_day_from(&self, exchange: Exchange, mut date: NaiveDate) -> NaiveDate {
        while !self.is_trading_day(exchange, date) {
            date = date.checked_add_days(Days::new(1)).unwrap_or(date);
        }
        date
    }

    /// The start of `exchange`'s normal market on `date` (whether or not it trades that day): a daily bar's
    /// start.
    pub fn open_on(&self, exchange: Exchange, date: NaiveDate) -> DateTime<Utc> {
        ist_instant(date, sessions(exchange)[1])
    }

    /// The end of `exchange`'s normal market on `date` (whether or not it trades that day).
    pub fn close_on(&self, exchange: Exchange, date: NaiveDate) -> DateTime<Utc> {
        ist_instant(date, sessions(exchange)[2])
    }

    /// The latest end of a normal market of `exchange` at or before `now`.
    pub fn last_close(&self, exchange: Exchange, now: DateTime<Utc>) -> DateTime<Utc> {
        let mut date = now.with_timezone(&ist()).date_naive();
        if self.close_on(exchange, date) > now {
            date = date.pred_opt().unwrap_or(date);
        }
        self.close_on(exchange, self.trading_day_at_or_before(exchange, date))
    }

    /// The status of `exchange` at `now`.
    pub fn status(&self, exchange: Exchange, now: DateTime<Utc>) -> MarketStatus {
        let local = now.with_timezone(&ist());
        let (today, time) = (local.date_naive(), local.time());
        let [pre_open, open, close, closing_start, closing_end] = sessions(exchange);
        let at = ist_instant;
        let trading_today = self.is_trading_day(exchange, today);
        let session = match time {
            _ if !trading_today => Session::Closed,
            t if t >= pre_open && t < open => Session::PreOpen,
            t if t >= open && t < close => Session::Normal,
            t if t >= closing_start && t < closing_end => Session::Closing,
            _ => Session::Closed,
        };
        let next_day = |d: NaiveDate| self.next_trading_day_from(exchange, d.succ_opt().unwrap_or(d));
        let next_session_day = if trading_today && time < open {
            today
        } else {
            next_day(today)
        };
        let next_open = at(next_session_day, open);
        let next_close = if session == Session::Normal {
            at(today, close)
        } else {
            at(next_session_day, close)
        };
        MarketStatus {
            exchange,
            open: session == Session::Normal,
            session,
            next_open,
            next_close,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ist_at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{s}+05:30"))
            .unwrap()
            .with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// A made-up holiday on Wednesday 2026-12-02, for the rules only (the shipped list is tested separately).
    fn calendar() -> MarketCalendar {
        MarketCalendar::with_holidays([day("2026-12-02")])
    }

    #[test]
    fn sessions_through_a_trading_day() {
        let c = calendar();
        for (time, session) in [
            ("2026-11-24T08:59:59", Session::Closed),
            ("2026-11-24T09:00:00", Session::PreOpen),
            ("2026-11-24T09:15:00", Session::Normal),
            ("2026-11-24T15:29:59", Session::Normal),
            ("2026-11-24T15:30:00", Session::Closed),
            ("2026-11-24T15:40:00", Session::Closing),
            ("2026-11-24T16:00:00", Session::Closed),
        ] {
            assert_eq!(c.status(Exchange::Nse, ist_at(time)).session, session, "{time}");
        }
    }

    #[test]
    fn next_open_and_close_skip_weekends_and_holidays() {
        let c = calendar();
        // Friday after the close → Monday.
        let friday = c.status(Exchange::Nse, ist_at("2026-11-27T16:30:00"));
        assert!(!friday.open);
        assert_eq!(friday.next_open, ist_at("2026-11-30T09:15:00"));
        assert_eq!(friday.next_close, ist_at("2026-11-30T15:30:00"));
        // Open on Tuesday → closes today; the holiday Wednesday is skipped for the next open.
        let tuesday = c.status(Exchange::Nse, ist_at("2026-12-01T11:00:00"));
        assert!(tuesday.open);
        assert_eq!(tuesday.next_close, ist_at("2026-12-01T15:30:00"));
        assert_eq!(tuesday.next_open, ist_at("2026-12-03T09:15:00"));
        // Pre-open → opens today.
        let early = c.status(Exchange::Nse, ist_at("2026-12-03T09:05:00"));
        assert_eq!(early.next_open, ist_at("2026-12-03T09:15:00"));
        // A holiday is closed all day.
        assert_eq!(
            c.status(Exchange::Nse, ist_at("2026-12-02T11:00:00")).session,
            Session::Closed
        );
    }

    #[test]
    fn mcx_trades_late_and_ignores_the_nse_holidays() {
        let c = calendar();
        let evening = c.status(Exchange::Mcx, ist_at("2026-12-02T22:00:00"));
        assert!(evening.open);
        assert_eq!(evening.next_close, ist_at("2026-12-02T23:30:00"));
        assert!(!c.status(Exchange::Mcx, ist_at("2026-12-02T23:45:00")).open);
    }

    #[test]
    fn the_previous_trading_day_steps_over_holidays_and_weekends() {
        let c = calendar();
        assert_eq!(
            c.trading_day_at_or_before(Exchange::Nfo, day("2026-12-02")),
            day("2026-12-01")
        );
        assert_eq!(
            c.trading_day_at_or_before(Exchange::Nfo, day("2026-11-29")),
            day("2026-11-27")
        );
    }

    #[test]
    fn the_holiday_file_is_parsed_strictly() {
        assert!(MarketCalendar::from_csv("date,name\n2026-12-02,Test\n").is_ok());
        for bad in [
            "2026-13-01,X",
            "2026-12-02",
            "2026-12-02,",
            "2026-11-28,Saturday",
            "2026-12-02,A\n2026-12-02,B",
        ] {
            assert!(MarketCalendar::from_csv(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_shipped_holiday_list_closes_the_2026_holidays() {
        let nse = MarketCalendar::nse().unwrap();
        for holiday in ["2026-01-26", "2026-03-03", "2026-11-24", "2026-12-25"] {
            assert!(!nse.is_trading_day(Exchange::Nse, day(holiday)), "{holiday}");
        }
        assert!(nse.is_trading_day(Exchange::Nse, day("2026-11-23")));
        // Guru Nanak Jayanti (Tuesday 24 Nov): the status on Monday evening points to Wednesday.
        let monday = nse.status(Exchange::Nse, ist_at("2026-11-23T18:00:00"));
        assert_eq!(monday.next_open, ist_at("2026-11-25T09:15:00"));
    }

    #[test]
    fn the_last_close_is_the_latest_normal_market_end_at_or_before_now() {
        let calendar = MarketCalendar::default();
        // Wednesday 25 Nov 2026: before 15:30 the last close was Tuesday's; from 15:30 on it is Wednesday's.
        assert_eq!(
            calendar.last_close(Exchange::Nse, ist_at("2026-11-25T15:29:59")),
            ist_at("2026-11-24T15:30:00")
        );
        assert_eq!(
            calendar.last_close(Exchange::Nse, ist_at("2026-11-25T15:30:00")),
            ist_at("2026-11-25T15:30:00")
        );
        // Monday morning: Friday's close, across the weekend.
        assert_eq!(
            calendar.last_close(Exchange::Nse, ist_at("2026-11-30T09:20:00")),
            ist_at("2026-11-27T15:30:00")
        );
        assert_eq!(
            calendar.last_close(Exchange::Mcx, ist_at("2026-11-25T23:45:00")),
            ist_at("2026-11-25T23:30:00")
        );
    }
}
