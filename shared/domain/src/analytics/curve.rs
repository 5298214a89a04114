//! The equity curve: the snapshots' equity day by day, and its time-weighted growth. Money paid in or out (a
//! reset) is not a return: a day with fundings is split at each one into sub-periods, each measured from the
//! value it started with (the previous close, or the cash just after a funding) to the value it ended with
//! (the cash just before the next funding, or the close), and the sub-period returns are compounded. The
//! drawdown is measured on that growth, so a reset from ₹10 lakh to ₹5 lakh is not a 50% loss.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;

use crate::analytics::snapshot::DailySnapshot;

/// One day of the curve.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    /// The session.
    pub day: NaiveDate,
    /// The account's value at its close.
    pub equity: Decimal,
    /// Money paid in (positive) or out since the previous point.
    pub flow: Decimal,
    /// The day's time-weighted return (0 on the first point, which is the base).
    pub daily_return: f64,
    /// Growth of 1 invested at the first point's close (1 on the first point).
    pub growth: f64,
    /// Growth ÷ its running peak − 1 (0 at a peak, negative below).
    pub drawdown: f64,
}

/// The time-weighted return from `previous`'s close to `current`'s. A sub-period starting at zero or less
/// has no return to measure and counts as flat.
pub fn time_weighted_return(previous: &DailySnapshot, current: &DailySnapshot) -> f64 {
    let mut factor = 1.0;
    let mut start = previous.equity;
    let mut close = |start: Decimal, end: Decimal| {
        if start > Decimal::ZERO {
            factor *= (end / start).to_f64().unwrap_or(1.0);
        }
    };
    for funding in &current.fundings {
        close(start, funding.cash_before);
        start = funding.cash_after;
    }
    close(start, current.equity);
    factor - 1.0
}

/// The curve of `snapshots` (oldest first).
pub fn equity_curve(snapshots: &[DailySnapshot]) -> Vec<CurvePoint> {
    let mut points: Vec<CurvePoint> = Vec::with_capacity(snapshots.len());
    let mut peak = 1.0_f64;
    for (i, snapshot) in snapshots.iter().enumerate() {
        let daily_return = match i {
            0 => 0.0,
            _ => time_weighted_return(&snapshots[i - 1], snapshot),
        };
        let growth = points.last().map_or(1.0, |p| p.growth * (1.0 + daily_return));
        peak = peak.max(growth);
        points.push(CurvePoint {
            day: snapshot.day,
            equity: snapshot.equity,
            flow: snapshot.flow(),
            daily_return,
            growth,
            drawdown: growth / peak - 1.0,
        });
    }
    points
}
