//! A week of snapshots with a reset on the Wednesday, and its round trips and fills, every figure worked by
//! hand here.

use chrono::{NaiveDate, TimeZone as _};
use rust_decimal_macros::dec;

use super::*;
use crate::analytics::curve::time_weighted_return;
use crate::analytics::snapshot::tests::{at, fill};
use crate::analytics::tax::closed_lots;
use crate::trading::account::Funding;
use crate::trading::request::{Product, Side};

fn day(d: u32) -> NaiveDate {
    if d >= 30 {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    } else {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }
}

fn snapshot(d: u32, equity: Decimal, realized: Decimal, fundings: Vec<Funding>) -> DailySnapshot {
    DailySnapshot {
        day: day(d),
        cash: equity,
        holdings_value: Decimal::ZERO,
        positions_mtm: Decimal::ZERO,
        unrealized_pnl: Decimal::ZERO,
        equity,
        realized_pnl: realized,
        charges: Decimal::ZERO,
        fundings,
    }
}

/// Mon 30 Nov to Fri 4 Dec: 10,00,000 → +2% → Wednesday +1% to 10,30,200, reset to 5,00,000, then +0.5% →
/// −2% → +1%.
fn week() -> Vec<DailySnapshot> {
    let reset = Funding {
        at: at("2026-12-02T12:00:00+05:30"),
        cash_before: dec!(1030200.00),
        cash_after: dec!(500000.00),
    };
    let mut friday = snapshot(4, dec!(497374.50), dec!(4924.50), vec![]);
    friday.unrealized_pnl = dec!(-120.00);
    vec![
        snapshot(30, dec!(1000000.00), dec!(0), vec![]),
        snapshot(1, dec!(1020000.00), dec!(20000.00), vec![]),
        snapshot(2, dec!(502500.00), dec!(12700.00), vec![reset]),
        snapshot(3, dec!(492450.00), dec!(-10050.00), vec![]),
        friday,
    ]
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn a_reset_is_a_flow_not_a_return() {
    let week = week();
    // Wednesday: 10,20,000 → 10,30,200 before the reset (+1%), 5,00,000 → 5,02,500 after (+0.5%).
    assert!(close(
        time_weighted_return(&week[1], &week[2]),
        1.01 * 1.005 - 1.0
    ));
    let curve = equity_curve(&week);
    let growth: Vec<f64> = curve.iter().map(|p| p.growth).collect();
    let expected = [
        1.0,
        1.02,
        1.02 * 1.01505,
        1.02 * 1.01505 * 0.98,
        1.02 * 1.01505 * 0.98 * 1.01,
    ];
    for (g, e) in growth.iter().zip(expected) {
        assert!(close(*g, e), "{growth:?}");
    }
    assert_eq!(curve[2].flow, dec!(-530200.00));
    assert_eq!(curve[2].equity, dec!(502500.00));
    // Thursday is 2% below Wednesday's peak, and Friday still 1.02% below it.
    assert!(close(curve[3].drawdown, -0.02));
    assert!(close(curve[4].drawdown, 0.98 * 1.01 - 1.0));
}

#[test]
fn a_weeks_performance_by_hand() {
    let fills = vec![
        // Round trips: INFY +300 gross −20 charges (closes Tuesday), TCS −100 − 10 (closes Thursday); a
        // round trip closed the Friday before is outside the range.
        fill(
            1,
            "NSE:RELIANCE",
            Product::Intraday,
            (Side::Buy, 1, dec!(100)),
            dec!(1.00),
            "2026-11-27T10:00:00+05:30",
        ),
        fill(
            2,
            "NSE:RELIANCE",
            Product::Intraday,
            (Side::Sell, 1, dec!(200)),
            dec!(1.00),
            "2026-11-27T11:00:00+05:30",
        ),
        fill(
            3,
            "NSE:INFY",
            Product::Intraday,
            (Side::Buy, 10, dec!(1500)),
            dec!(12.00),
            "2026-12-01T10:00:00+05:30",
        ),
        fill(
            4,
            "NSE:INFY",
            Product::Intraday,
            (Side::Sell, 10, dec!(1530)),
            dec!(8.00),
            "2026-12-01T11:00:00+05:30",
        ),
        fill(
            5,
            "NSE:TCS",
            Product::Intraday,
            (Side::Buy, 1, dec!(3000)),
            dec!(5.00),
            "2026-12-03T10:00:00+05:30",
        ),
        fill(
            6,
            "NSE:TCS",
            Product::Intraday,
            (Side::Sell, 1, dec!(2900)),
            dec!(5.00),
            "2026-12-03T11:00:00+05:30",
        ),
    ];
    let lots = closed_lots(&fills);
    let range = (day(30), day(4));
    let close_of = |d: NaiveDate| chrono::Utc.from_utc_datetime(&d.and_hms_opt(10, 0, 0).unwrap());
    let p = performance(&week(), &lots, &fills, range, close_of);

    let r = [0.02, 1.01505 - 1.0, -0.02, 0.01];
    let mean = r.iter().sum::<f64>() / 4.0;
    let std = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
    let growth = 1.02 * 1.01505 * 0.98 * 1.01;
    assert!(close(p.curve.total_return, growth - 1.0));
    assert!(close(p.curve.cagr.unwrap(), growth.powf(252.0 / 4.0) - 1.0));
    assert!(close(p.curve.annual_volatility.unwrap(), std * 252_f64.sqrt()));
    assert!(close(p.curve.sharpe.unwrap(), mean / std * 252_f64.sqrt()));
    // Downside: √(0.02² / 4) × √252 (only Thursday fell).
    let downside = (0.0004_f64 / 4.0).sqrt() * 252_f64.sqrt();
    assert!(close(p.curve.sortino.unwrap(), mean * 252.0 / downside));
    assert!(close(p.curve.max_drawdown, -0.02));
    assert!(close(p.curve.calmar.unwrap() * 0.02 / p.curve.cagr.unwrap(), 1.0));
    let drawdown = p.max_drawdown.unwrap();
    assert_eq!(
        (drawdown.peak, drawdown.trough, drawdown.recovered),
        (day(2), day(3), None)
    );
    assert_eq!(p.best_day.map(|d| d.day), Some(day(1)));
    assert_eq!(p.worst_day.map(|d| d.day), Some(day(3)));
    assert!(close(p.worst_day.unwrap().r#return, -0.02));
    assert_eq!(
        (p.start_equity, p.end_equity),
        (Some(dec!(1000000.00)), Some(dec!(497374.50)))
    );
    assert_eq!(p.net_flows, dec!(-530200.00));

    // Trades in the range: +280 and −110 net. Win rate 1/2, profit factor 280/110, expectancy 85.
    assert_eq!(p.trades.closed, 2);
    assert_eq!(p.trades.win_rate, Some(0.5));
    assert!(close(p.trades.profit_factor.unwrap(), 280.0 / 110.0));
    assert_eq!(p.trades.expectancy, Some(dec!(85)));
    assert_eq!(
        (p.trades.average_win, p.trades.average_loss),
        (Some(dec!(280)), Some(dec!(-110)))
    );
    assert_eq!(
        (p.trades.max_consecutive_wins, p.trades.max_consecutive_losses),
        (1, 1)
    );
    // Charges of the range's four fills: 12 + 8 + 5 + 5, all brokerage.
    assert_eq!(p.charges.brokerage, dec!(30.00));
    assert_eq!(p.charges.total(), dec!(30.00));
    // Realized: the sessions' own figures, 0 + 20,000 + 12,700 − 10,050 + 4,924.50; unrealized: Friday's.
    assert_eq!(p.realized_pnl, dec!(27574.50));
    assert_eq!(p.unrealized_pnl, dec!(-120.00));
}

#[test]
fn nothing_to_measure_without_snapshots() {
    let p = performance(&[], &[], &[], (day(30), day(4)), |d| {
        chrono::Utc.from_utc_datetime(&d.and_hms_opt(10, 0, 0).unwrap())
    });
    assert_eq!((p.first_day, p.best_day, p.max_drawdown), (None, None, None));
    assert_eq!((p.curve.sharpe, p.trades.win_rate), (None, None));
    assert_eq!(p.realized_pnl, Decimal::ZERO);
}
