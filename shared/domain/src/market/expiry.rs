//! NSE index-derivative expiries and contract symbols. Contracts expire on Tuesday; the monthly contract on
//! the month's last Tuesday; an expiry that falls on a holiday moves to the previous trading day.
//! NIFTY also has weekly contracts (every Tuesday); BANKNIFTY and FINNIFTY are monthly only (SEBI allows
//! one weekly index per exchange).

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::market::calendar::MarketCalendar;
use crate::market::instrument::Exchange;

/// The expiry weekday.
pub const EXPIRY_WEEKDAY: Weekday = Weekday::Tue;

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// The monthly expiry of `year`-`month`: its last Tuesday, or the trading day before it on a holiday.
pub fn monthly_expiry(calendar: &MarketCalendar, year: i32, month: u32) -> Option<NaiveDate> {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let mut day = first_of_next.pred_opt()?;
    while day.weekday() != EXPIRY_WEEKDAY {
        day = day.pred_opt()?;
    }
    Some(calendar.trading_day_at_or_before(Exchange::Nfo, day))
}

/// Whether `expiry` is its month's monthly expiry.
pub fn is_monthly(calendar: &MarketCalendar, expiry: NaiveDate) -> bool {
    monthly_expiry(calendar, expiry.year(), expiry.month()) == Some(expiry)
}

/// The next `count` monthly expiries on or after `from`.
pub fn monthly_expiries(calendar: &MarketCalendar, from: NaiveDate, count: usize) -> Vec<NaiveDate> {
    let (mut year, mut month) = (from.year(), from.month());
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        if let Some(expiry) = monthly_expiry(calendar, year, month).filter(|e| *e >= from) {
            out.push(expiry);
        }
        (year, month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
    }
    out
}

/// The next `count` weekly expiries on or after `from` (monthly ones included).
pub fn weekly_expiries(calendar: &MarketCalendar, from: NaiveDate, count: usize) -> Vec<NaiveDate> {
    let mut tuesday = from;
    while tuesday.weekday() != EXPIRY_WEEKDAY {
        tuesday = tuesday.succ_opt().unwrap_or(tuesday);
    }
    let mut out = Vec::with_capacity(count);
    // A Tuesday holiday can move the previous week's expiry back to before `from`: look one week back too.
    let mut candidate = tuesday.checked_sub_days(Days::new(7)).unwrap_or(tuesday);
    while out.len() < count {
        let expiry = calendar.trading_day_at_or_before(Exchange::Nfo, candidate);
        if expiry >= from && out.last() != Some(&expiry) {
            out.push(expiry);
        }
        candidate = candidate.checked_add_days(Days::new(7)).unwrap_or(candidate);
    }
    out
}

fn strike_text(strike: rust_decimal::Decimal) -> String {
    strike.normalize().to_string()
}

/// NSE's trading symbol of an option: monthly `NIFTY26DEC26000CE`, weekly `NIFTY2612126000CE` (year,
/// month as 1–9/O/N/D, day).
pub fn option_symbol(
    calendar: &MarketCalendar,
    underlying: &str,
    expiry: NaiveDate,
    strike: rust_decimal::Decimal,
    option_type: crate::market::options::OptionType,
) -> String {
    let kind = match option_type {
        crate::market::options::OptionType::Call => "CE",
        crate::market::options::OptionType::Put => "PE",
    };
    let yy = expiry.year() % 100;
    if is_monthly(calendar, expiry) {
        let month = MONTHS[expiry.month0() as usize];
        format!("{underlying}{yy:02}{month}{}{kind}", strike_text(strike))
    } else {
        let month = match expiry.month() {
            10 => 'O',
            11 => 'N',
            12 => 'D',
            m => char::from_digit(m, 10).unwrap_or('?'),
        };
        format!(
            "{underlying}{yy:02}{month}{:02}{}{kind}",
            expiry.day(),
            strike_text(strike)
        )
    }
}

/// NSE's trading symbol of a (monthly) future: `NIFTY26DECFUT`.
pub fn future_symbol(underlying: &str, expiry: NaiveDate) -> String {
    format!(
        "{underlying}{:02}{}FUT",
        expiry.year() % 100,
        MONTHS[expiry.month0() as usize]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::options::OptionType;
    use rust_decimal_macros::dec;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn monthly_expiry_is_the_last_tuesday_or_the_trading_day_before_a_holiday() {
        let plain = MarketCalendar::default();
        assert_eq!(monthly_expiry(&plain, 2026, 12), Some(day("2026-12-29")));
        assert_eq!(monthly_expiry(&plain, 2026, 11), Some(day("2026-11-24")));
        assert_eq!(monthly_expiry(&plain, 2027, 3), Some(day("2027-03-30")));
        // A holiday on the last Tuesday moves it to Monday; on Monday too, to the Friday before.
        let holidays = MarketCalendar::with_holidays([day("2026-12-29"), day("2026-12-28")]);
        assert_eq!(monthly_expiry(&holidays, 2026, 12), Some(day("2026-12-25")));
    }

    #[test]
    fn weekly_expiries_are_tuesdays_from_today_including_the_monthly() {
        let plain = MarketCalendar::default();
        assert_eq!(
            weekly_expiries(&plain, day("2026-11-23"), 3),
            [day("2026-11-24"), day("2026-12-01"), day("2026-12-08")]
        );
        // On the expiry day itself, that expiry is still live.
        assert_eq!(weekly_expiries(&plain, day("2026-11-24"), 1), [day("2026-11-24")]);
        // A holiday Tuesday moves the expiry to Monday.
        let holiday = MarketCalendar::with_holidays([day("2026-12-01")]);
        assert_eq!(
            weekly_expiries(&holiday, day("2026-11-25"), 2),
            [day("2026-11-30"), day("2026-12-08")]
        );
    }

    #[test]
    fn monthly_expiries_skip_a_month_whose_expiry_has_passed() {
        let plain = MarketCalendar::default();
        assert_eq!(
            monthly_expiries(&plain, day("2026-11-25"), 2),
            [day("2026-12-29"), day("2027-01-26")]
        );
    }

    #[test]
    fn symbols_follow_nse_conventions() {
        let plain = MarketCalendar::default();
        let call = OptionType::Call;
        assert_eq!(
            option_symbol(&plain, "NIFTY", day("2026-12-29"), dec!(26000), call),
            "NIFTY26DEC26000CE"
        );
        assert_eq!(
            option_symbol(&plain, "NIFTY", day("2026-12-01"), dec!(26050), OptionType::Put),
            "NIFTY26D0126050PE"
        );
        assert_eq!(
            option_symbol(&plain, "NIFTY", day("2027-02-02"), dec!(25000), call),
            "NIFTY2720225000CE"
        );
        assert_eq!(future_symbol("BANKNIFTY", day("2026-12-29")), "BANKNIFTY26DECFUT");
    }
}
