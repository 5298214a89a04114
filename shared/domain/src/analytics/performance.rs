//! An account's performance over a date range: the equity curve's figures (time-weighted, with the backtest's
//! definitions: [`crate::backtest::metrics`], one implementation for both), its best and worst days, the
//! closed trades' statistics (FIFO round trips, as the trade statistics count them, net of their charges),
//! the charges paid by kind, and the realized and unrealized P&L.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::analytics::curve::{CurvePoint, equity_curve};
use crate::analytics::snapshot::DailySnapshot;
use crate::analytics::tax::ClosedLot;
use crate::backtest::metrics::{
    CurveStats, SESSIONS_PER_YEAR, TradeStats, curve_stats, deepest_drawdown, trade_stats,
};
use crate::kernel::time::ist_date;
use crate::trading::charges::Charges;
use crate::trading::trade::Trade;

/// The deepest drawdown, dated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DatedDrawdown {
    /// Trough ÷ peak − 1 of the time-weighted growth (negative).
    pub depth: f64,
    /// The peak's session.
    pub peak: NaiveDate,
    /// The trough's session.
    pub trough: NaiveDate,
    /// The session the peak was regained, if it was.
    pub recovered: Option<NaiveDate>,
}

/// One session's return.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayReturn {
    /// The session.
    pub day: NaiveDate,
    /// Its time-weighted return.
    pub r#return: f64,
}

/// The performance of a range.
#[derive(Debug, Clone, PartialEq)]
pub struct Performance {
    /// The first snapshot's session (the base), if any.
    pub first_day: Option<NaiveDate>,
    /// The last snapshot's session, if any.
    pub last_day: Option<NaiveDate>,
    /// Equity at the first snapshot.
    pub start_equity: Option<Decimal>,
    /// Equity at the last snapshot.
    pub end_equity: Option<Decimal>,
    /// Money paid in or out after the base.
    pub net_flows: Decimal,
    /// The curve's figures over the time-weighted growth (annualised over 252 sessions).
    pub curve: CurveStats,
    /// The deepest drawdown, dated; `None` without one.
    pub max_drawdown: Option<DatedDrawdown>,
    /// The best session; `None` under two snapshots.
    pub best_day: Option<DayReturn>,
    /// The worst session.
    pub worst_day: Option<DayReturn>,
    /// Round trips closed in the range, net of their charges.
    pub trades: TradeStats,
    /// Charges of the range's fills, by kind.
    pub charges: Charges,
    /// P&L realized in the range's sessions (the book's average-cost figure, as the portfolio shows it).
    pub realized_pnl: Decimal,
    /// Unrealized P&L at the last snapshot.
    pub unrealized_pnl: Decimal,
}

/// The performance over `snapshots` (oldest first, the range's), `lots` (the account's closed round trips)
/// and `fills`, counting the lots and fills of sessions `from` to `to`; `close_of` gives a session's close.
pub fn performance(
    snapshots: &[DailySnapshot],
    lots: &[ClosedLot],
    fills: &[Trade],
    (from, to): (NaiveDate, NaiveDate),
    close_of: impl Fn(NaiveDate) -> DateTime<Utc>,
) -> Performance {
    let points = equity_curve(snapshots);
    let growth: Vec<f64> = points.iter().map(|p| p.growth).collect();
    let times: Vec<DateTime<Utc>> = points.iter().map(|p| close_of(p.day)).collect();
    let day_of = |i: usize| points[i].day;
    let days = points.get(1..).unwrap_or_default();
    let best = |better: fn(f64, f64) -> bool| {
        days.iter()
            .fold(None::<&CurvePoint>, |best, p| match best {
                Some(b) if !better(p.daily_return, b.daily_return) => Some(b),
                _ => Some(p),
            })
            .map(|p| DayReturn {
                day: p.day,
                r#return: p.daily_return,
            })
    };
    let mut in_range: Vec<&ClosedLot> = lots
        .iter()
        .filter(|l| (from..=to).contains(&l.closed_on))
        .collect();
    in_range.sort_by_key(|l| l.closed_at);
    let net: Vec<Decimal> = in_range.iter().map(|l| l.pnl - l.charges.total()).collect();
    let charges = fills
        .iter()
        .filter(|f| (from..=to).contains(&ist_date(f.executed_at)))
        .fold(Charges::default(), |sum, f| sum + f.charges);
    Performance {
        first_day: snapshots.first().map(|s| s.day),
        last_day: snapshots.last().map(|s| s.day),
        start_equity: snapshots.first().map(|s| s.equity),
        end_equity: snapshots.last().map(|s| s.equity),
        net_flows: snapshots.iter().skip(1).map(DailySnapshot::flow).sum(),
        curve: curve_stats(&growth, &times, SESSIONS_PER_YEAR),
        max_drawdown: deepest_drawdown(&growth).map(|d| DatedDrawdown {
            depth: d.depth,
            peak: day_of(d.peak),
            trough: day_of(d.trough),
            recovered: d.recovered.map(day_of),
        }),
        best_day: best(|a, b| a > b),
        worst_day: best(|a, b| a < b),
        trades: trade_stats(&net),
        charges,
        realized_pnl: snapshots.iter().map(|s| s.realized_pnl).sum(),
        unrealized_pnl: snapshots.last().map_or(Decimal::ZERO, |s| s.unrealized_pnl),
    }
}

#[cfg(test)]
mod tests;
