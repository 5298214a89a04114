//! The standard performance metrics of an equity curve and its trades, with the empyrical / QuantStats
//! definitions: simple per-bar returns of the close-marked curve (N bars give N−1 returns; a flat bar is a
//! zero return), annualised with the bars a year holds (252 sessions, times the bars in a session for
//! intraday intervals), a risk-free rate of 0, sample standard deviations (ddof 1). Ratios are floats;
//! money (commissions, expectancy) stays decimal. A ratio with nothing to divide by is `None`.

use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;
use serde::{Deserialize, Serialize};

use crate::backtest::engine::{Outcome, TradeStatus};
use crate::kernel::time::ist;
use crate::market::candles::Interval;

/// Trading sessions in a year.
pub const SESSIONS_PER_YEAR: f64 = 252.0;

/// Bars of `interval` in a year: 252 sessions of 375 minutes, the session's last bar counting whole.
pub fn periods_per_year(interval: Interval) -> f64 {
    let per_session = match interval {
        Interval::D1 => 1.0,
        other => (375.0 / other.minutes() as f64).ceil(),
    };
    SESSIONS_PER_YEAR * per_session
}

/// The metrics of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Last equity ÷ first − 1.
    pub total_return: f64,
    /// (Π(1 + r))^(periods per year ÷ returns) − 1.
    pub cagr: Option<f64>,
    /// (last ÷ first)^(365.25 ÷ calendar days between the first and last bar) − 1.
    pub cagr_calendar: Option<f64>,
    /// Sample standard deviation of the returns × √(periods per year).
    pub annual_volatility: Option<f64>,
    /// Mean return ÷ its sample standard deviation × √(periods per year).
    pub sharpe: Option<f64>,
    /// Mean return × periods per year ÷ downside risk, where downside risk = √(mean over all returns of
    /// min(r, 0)²) × √(periods per year).
    pub sortino: Option<f64>,
    /// The deepest fall from a running peak of the curve (started at 1), a negative fraction (0: none).
    pub max_drawdown: f64,
    /// CAGR ÷ |max drawdown|.
    pub calmar: Option<f64>,
    /// Closed trades with a positive net P&L ÷ closed trades.
    pub win_rate: Option<f64>,
    /// Σ net P&L of winning closed trades ÷ |Σ of the others|.
    pub profit_factor: Option<f64>,
    /// Trades, the open one included.
    pub trades: usize,
    /// Bars ending in the market ÷ bars, percent.
    pub exposure_pct: f64,
    /// Commissions (or charges) paid.
    pub total_commission: Decimal,
    /// The longest run of closed trades with a negative net P&L.
    pub max_consecutive_losses: usize,
    /// Mean net P&L of a closed trade.
    pub expectancy: Option<Decimal>,
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// The sample (ddof 1) standard deviation; `None` under two values.
fn sample_std(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let m = mean(xs);
    Some((xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64).sqrt())
}

/// `x` unless it is zero or not finite.
fn nonzero(x: f64) -> Option<f64> {
    (x != 0.0 && x.is_finite()).then_some(x)
}

/// Simple returns of `equity`, bar over bar.
pub fn returns(equity: &[f64]) -> Vec<f64> {
    equity.windows(2).map(|w| w[1] / w[0] - 1.0).collect()
}

/// The drawdown at every bar: equity ÷ its running peak − 1 (0 at a peak, negative below).
pub fn drawdowns(equity: &[f64]) -> Vec<f64> {
    let mut peak = f64::MIN;
    equity
        .iter()
        .map(|e| {
            peak = peak.max(*e);
            e / peak - 1.0
        })
        .collect()
}

/// The figures of an equity curve alone ([`Metrics`] documents each).
#[derive(Debug, Clone, PartialEq)]
pub struct CurveStats {
    /// Last ÷ first − 1.
    pub total_return: f64,
    /// Compounded per-period growth, annualised.
    pub cagr: Option<f64>,
    /// Growth annualised over calendar days.
    pub cagr_calendar: Option<f64>,
    /// Annualised sample standard deviation of the returns.
    pub annual_volatility: Option<f64>,
    /// Annualised mean return over its standard deviation.
    pub sharpe: Option<f64>,
    /// Annualised mean return over the downside risk.
    pub sortino: Option<f64>,
    /// The deepest drawdown (0 or negative).
    pub max_drawdown: f64,
    /// CAGR ÷ |max drawdown|.
    pub calmar: Option<f64>,
}

/// The [`CurveStats`] of `equity`, whose points are at `times`, with `periods` points in a year.
pub fn curve_stats(equity: &[f64], times: &[DateTime<Utc>], periods: f64) -> CurveStats {
    let r = returns(equity);
    let growth = equity.last().zip(equity.first()).map_or(1.0, |(l, f)| l / f);
    let cagr = (!r.is_empty()).then(|| growth.powf(periods / r.len() as f64) - 1.0);
    let days = match (times.first(), times.last()) {
        (Some(first), Some(last)) => (*last - *first).num_seconds() as f64 / 86_400.0,
        _ => 0.0,
    };
    let std = sample_std(&r);
    let downside =
        (!r.is_empty()).then(|| (r.iter().map(|x| x.min(0.0).powi(2)).sum::<f64>() / r.len() as f64).sqrt());
    let max_drawdown = deepest_drawdown(equity).map_or(0.0, |d| d.depth);
    CurveStats {
        total_return: growth - 1.0,
        cagr,
        cagr_calendar: (days > 0.0).then(|| growth.powf(365.25 / days) - 1.0),
        annual_volatility: std.map(|s| s * periods.sqrt()),
        sharpe: std.and_then(nonzero).map(|s| mean(&r) / s * periods.sqrt()),
        sortino: downside
            .and_then(nonzero)
            .map(|d| mean(&r) * periods / (d * periods.sqrt())),
        max_drawdown,
        calmar: cagr.zip(nonzero(max_drawdown)).map(|(c, d)| c / d.abs()),
    }
}

/// The deepest fall of a curve from a running peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drawdown {
    /// Trough ÷ peak − 1 (negative).
    pub depth: f64,
    /// The index of the peak it fell from.
    pub peak: usize,
    /// The index of its trough.
    pub trough: usize,
    /// The index where the curve first regained the peak, if it did.
    pub recovered: Option<usize>,
}

/// The deepest drawdown of `equity`; `None` when it never falls below a running peak.
pub fn deepest_drawdown(equity: &[f64]) -> Option<Drawdown> {
    let mut peak = 0;
    let mut deepest: Option<Drawdown> = None;
    for (i, e) in equity.iter().enumerate() {
        if *e >= equity[peak] {
            peak = i;
            continue;
        }
        let depth = e / equity[peak] - 1.0;
        if deepest.is_none_or(|d| depth < d.depth) {
            deepest = Some(Drawdown {
                depth,
                peak,
                trough: i,
                recovered: None,
            });
        }
    }
    deepest.map(|d| Drawdown {
        recovered: (d.trough..equity.len()).find(|i| equity[*i] >= equity[d.peak]),
        ..d
    })
}

/// The figures of closed trades alone, from their net P&L in the order they closed.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeStats {
    /// Closed trades.
    pub closed: usize,
    /// Trades with a positive net P&L ÷ closed trades.
    pub win_rate: Option<f64>,
    /// Σ winning net P&L ÷ |Σ of the others|.
    pub profit_factor: Option<f64>,
    /// Mean net P&L of the winners.
    pub average_win: Option<Decimal>,
    /// Mean net P&L of the losers (negative).
    pub average_loss: Option<Decimal>,
    /// Mean net P&L of a closed trade.
    pub expectancy: Option<Decimal>,
    /// The longest run of winners.
    pub max_consecutive_wins: usize,
    /// The longest run of losers (negative net P&L).
    pub max_consecutive_losses: usize,
}

/// The mean of `xs`; `None` when empty.
fn mean_decimal(xs: &[Decimal]) -> Option<Decimal> {
    (!xs.is_empty()).then(|| xs.iter().sum::<Decimal>() / Decimal::from(xs.len()))
}

/// The [`TradeStats`] of closed trades with net P&L `net`, in the order they closed.
pub fn trade_stats(net: &[Decimal]) -> TradeStats {
    let winners: Vec<Decimal> = net.iter().copied().filter(|p| *p > Decimal::ZERO).collect();
    let losers: Vec<Decimal> = net.iter().copied().filter(|p| *p < Decimal::ZERO).collect();
    let others: Decimal = net.iter().filter(|p| **p <= Decimal::ZERO).sum();
    let longest_run = |wins: bool| {
        let (mut run, mut longest) = (0, 0);
        for p in net {
            let counts = if wins {
                *p > Decimal::ZERO
            } else {
                *p < Decimal::ZERO
            };
            run = if counts { run + 1 } else { 0 };
            longest = longest.max(run);
        }
        longest
    };
    TradeStats {
        closed: net.len(),
        win_rate: (!net.is_empty()).then(|| winners.len() as f64 / net.len() as f64),
        profit_factor: nonzero(others.abs().to_f64().unwrap_or(0.0))
            .map(|losses| winners.iter().sum::<Decimal>().to_f64().unwrap_or(0.0) / losses),
        average_win: mean_decimal(&winners),
        average_loss: mean_decimal(&losers),
        expectancy: mean_decimal(net),
        max_consecutive_wins: longest_run(true),
        max_consecutive_losses: longest_run(false),
    }
}

/// The metrics of `outcome` over bars starting at `times`, of `interval`.
pub fn metrics(outcome: &Outcome, times: &[DateTime<Utc>], interval: Interval) -> Metrics {
    let equity: Vec<f64> = outcome
        .equity
        .iter()
        .map(|e| e.to_f64().unwrap_or(f64::NAN))
        .collect();
    let curve = curve_stats(&equity, times, periods_per_year(interval));
    let closed: Vec<Decimal> = outcome
        .trades
        .iter()
        .filter(|t| t.status == TradeStatus::Closed)
        .map(|t| t.net_pnl)
        .collect();
    let trades = trade_stats(&closed);
    Metrics {
        total_return: curve.total_return,
        cagr: curve.cagr,
        cagr_calendar: curve.cagr_calendar,
        annual_volatility: curve.annual_volatility,
        sharpe: curve.sharpe,
        sortino: curve.sortino,
        max_drawdown: curve.max_drawdown,
        calmar: curve.calmar,
        win_rate: trades.win_rate,
        profit_factor: trades.profit_factor,
        trades: outcome.trades.len(),
        exposure_pct: if equity.is_empty() {
            0.0
        } else {
            outcome.bars_in_market as f64 / equity.len() as f64 * 100.0
        },
        total_commission: outcome.total_commission,
        max_consecutive_losses: trades.max_consecutive_losses,
        expectancy: trades.expectancy,
    }
}

/// One calendar month's return (IST).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlyReturn {
    /// `YYYY-MM`.
    pub month: String,
    /// The month's last equity ÷ the previous month's last (the initial equity for the first) − 1.
    pub r#return: f64,
}

/// The return of every calendar month (IST) the bars at `times` cover.
pub fn monthly_returns(equity: &[Decimal], times: &[DateTime<Utc>]) -> Vec<MonthlyReturn> {
    let mut out: Vec<MonthlyReturn> = Vec::new();
    let Some(first) = equity.first().and_then(|e| e.to_f64()) else {
        return out;
    };
    let mut base = first;
    let mut month_end: Option<(String, f64)> = None;
    for (e, t) in equity.iter().zip(times) {
        let local = t.with_timezone(&ist());
        let month = format!("{:04}-{:02}", local.year(), local.month());
        let value = e.to_f64().unwrap_or(f64::NAN);
        if let Some((current, last)) = &month_end
            && *current != month
        {
            out.push(MonthlyReturn {
                month: current.clone(),
                r#return: last / base - 1.0,
            });
            base = *last;
        }
        month_end = Some((month, value));
    }
    if let Some((month, last)) = month_end {
        out.push(MonthlyReturn {
            month,
            r#return: last / base - 1.0,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::engine::Trade;
    use chrono::Duration;
    use rust_decimal_macros::dec;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn outcome(equity: &[i64]) -> Outcome {
        Outcome {
            trades: Vec::new(),
            equity: equity.iter().map(|e| Decimal::from(*e)).collect(),
            bars_in_market: 2,
            total_commission: dec!(1.5),
        }
    }

    fn days(n: usize) -> Vec<DateTime<Utc>> {
        let first: DateTime<Utc> = "2026-01-01T03:45:00Z".parse().unwrap();
        (0..n).map(|i| first + Duration::days(i as i64)).collect()
    }

    #[test]
    fn the_metrics_of_a_four_bar_curve_by_hand() {
        // 100 → 110 → 99 → 108: returns 0.1, −0.1, 108/99 − 1 = 0.0909…; total 8%; CAGR 1.08^(252/3) − 1;
        // max drawdown 99/110 − 1 = −0.1.
        let m = metrics(&outcome(&[100, 110, 99, 108]), &days(4), Interval::D1);
        let r = [0.1, -0.1, 108.0 / 99.0 - 1.0];
        let mean = r.iter().sum::<f64>() / 3.0;
        let var = r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0;
        assert!(close(m.total_return, 0.08));
        assert!(close(m.cagr.unwrap(), 1.08_f64.powf(84.0) - 1.0));
        assert!(close(m.annual_volatility.unwrap(), var.sqrt() * 252_f64.sqrt()));
        assert!(close(m.sharpe.unwrap(), mean / var.sqrt() * 252_f64.sqrt()));
        // Downside: √((0 + 0.01 + 0) / 3) × √252; Sortino = mean × 252 / that.
        let downside = (0.01_f64 / 3.0).sqrt() * 252_f64.sqrt();
        assert!(close(m.sortino.unwrap(), mean * 252.0 / downside));
        assert!(close(m.max_drawdown, 99.0 / 110.0 - 1.0));
        assert!(close(m.calmar.unwrap(), m.cagr.unwrap() / (1.0 - 99.0 / 110.0)));
        // Three calendar days: (1.08)^(365.25 / 3) − 1.
        assert!(close(m.cagr_calendar.unwrap(), 1.08_f64.powf(365.25 / 3.0) - 1.0));
        assert!(close(m.exposure_pct, 50.0));
        assert_eq!((m.win_rate, m.profit_factor, m.expectancy), (None, None, None));
    }

    #[test]
    fn a_flat_curve_has_no_ratio_to_divide_by() {
        let m = metrics(&outcome(&[100, 100, 100]), &days(3), Interval::D1);
        assert_eq!((m.total_return, m.max_drawdown), (0.0, 0.0));
        assert_eq!((m.sharpe, m.sortino, m.calmar), (None, None, None));
        assert_eq!(m.annual_volatility, Some(0.0));
    }

    #[test]
    fn trade_statistics_over_closed_trades_by_hand() {
        let trade = |net: Decimal| Trade {
            entry_signal_at: days(1)[0],
            entry_at: days(2)[1],
            entry_price: dec!(1),
            quantity: 1,
            entry_commission: Decimal::ZERO,
            exit_signal_at: None,
            exit_at: None,
            exit_price: None,
            exit_commission: None,
            gross_pnl: net,
            net_pnl: net,
            return_pct: Decimal::ZERO,
            bars_held: 1,
            status: TradeStatus::Closed,
            mark_price: None,
        };
        let mut o = outcome(&[100, 100]);
        o.trades = vec![
            trade(dec!(30)),
            trade(dec!(-10)),
            trade(dec!(-5)),
            trade(dec!(20)),
        ];
        o.trades.push(Trade {
            status: TradeStatus::Open,
            ..trade(dec!(-1000))
        });
        let m = metrics(&o, &days(2), Interval::D1);
        // Closed: +30 −10 −5 +20. Win rate 2/4; profit factor 50/15; expectancy 35/4; two losses in a row.
        assert_eq!(m.win_rate, Some(0.5));
        assert!(close(m.profit_factor.unwrap(), 50.0 / 15.0));
        assert_eq!(m.expectancy, Some(dec!(8.75)));
        assert_eq!((m.max_consecutive_losses, m.trades), (2, 5));
    }

    #[test]
    fn the_deepest_drawdown_names_its_peak_trough_and_recovery() {
        // 100 → 120 → 90 → 110 → 125 → 100: the fall from 120 to 90 (−25%) beats 125 to 100 (−20%); 120 is
        // regained at index 4.
        let d = deepest_drawdown(&[100.0, 120.0, 90.0, 110.0, 125.0, 100.0]).unwrap();
        assert!(close(d.depth, -0.25));
        assert_eq!((d.peak, d.trough, d.recovered), (1, 2, Some(4)));
        let unrecovered = deepest_drawdown(&[100.0, 80.0, 90.0]).unwrap();
        assert_eq!(
            (unrecovered.peak, unrecovered.trough, unrecovered.recovered),
            (0, 1, None)
        );
        assert_eq!(deepest_drawdown(&[1.0, 2.0, 2.0]), None);
    }

    #[test]
    fn trade_runs_averages_and_expectancy_by_hand() {
        // +10 +20 −5 +0 −15 −10 +30: wins 10, 20, 30 (mean 20); losses −5, −15, −10 (mean −10); the zero
        // breaks both runs; expectancy 30/7.
        let s = trade_stats(&[
            dec!(10),
            dec!(20),
            dec!(-5),
            dec!(0),
            dec!(-15),
            dec!(-10),
            dec!(30),
        ]);
        assert_eq!(
            (s.closed, s.max_consecutive_wins, s.max_consecutive_losses),
            (7, 2, 2)
        );
        assert_eq!((s.average_win, s.average_loss), (Some(dec!(20)), Some(dec!(-10))));
        assert_eq!(s.expectancy, Some(dec!(30) / dec!(7)));
        assert!(close(s.win_rate.unwrap(), 3.0 / 7.0) && close(s.profit_factor.unwrap(), 2.0));
        assert_eq!(trade_stats(&[]).win_rate, None);
    }

    #[test]
    fn months_chain_from_the_previous_month_end() {
        let first: DateTime<Utc> = "2026-01-29T03:45:00Z".parse().unwrap();
        let times: Vec<_> = (0..5).map(|i| first + Duration::days(i)).collect();
        // Jan 29, 30, 31: 100, 105, 110; Feb 1, 2: 99, 121.
        let m = monthly_returns(&[dec!(100), dec!(105), dec!(110), dec!(99), dec!(121)], &times);
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].month.as_str(), m[1].month.as_str()), ("2026-01", "2026-02"));
        assert!(close(m[0].r#return, 0.1) && close(m[1].r#return, 0.1));
        assert!(close(periods_per_year(Interval::M30), 252.0 * 13.0));
    }
}
