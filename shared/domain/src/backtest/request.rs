//! What a backtest asks for: a strategy with its parameters, an instrument's history over a range and
//! interval, the capital, and how fills cost; and its rules, checked all at once, each violation naming its
//! field.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

use crate::kernel::validation::Violation;
use crate::market::candles::Interval;
use crate::market::instrument::{Instrument, InstrumentKey, Segment};
use crate::trading::request::Product;

/// A long-only strategy and its parameters. Each rule reads bar t's close and acts at bar t+1's open.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    content = "params",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Strategy {
    /// Buys when the `fast` simple moving average of closes crosses above the `slow` one; sells when it
    /// crosses below.
    SmaCrossover(Crossover),
    /// Buys when the `fast` exponential moving average crosses above the `slow` one; sells when it crosses
    /// below.
    EmaCrossover(Crossover),
    /// Buys when Wilder's RSI over `period` closes is below `lower`; sells when it is above `upper`.
    RsiReversion(RsiReversion),
    /// Buys when the close rises above the highest high of the `lookback` bars before it (a Donchian
    /// breakout); sells when it falls below their lowest low.
    Breakout(Breakout),
    /// Buys when the close is below the lower Bollinger band (`period`-bar mean − `stddev` population standard
    /// deviations); sells when it is back above the mean.
    BollingerReversion(Bollinger),
}

/// Two moving-average lengths, in bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crossover {
    /// The fast average's length (shorter).
    pub fast: u32,
    /// The slow average's length (longer).
    pub slow: u32,
}

/// RSI's length and its two thresholds (0–100).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RsiReversion {
    /// Bars in the RSI.
    pub period: u32,
    /// Buy below this.
    pub lower: f64,
    /// Sell above this.
    pub upper: f64,
}

/// The breakout's channel length, in bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Breakout {
    /// Bars the channel looks back over (the current bar excluded).
    pub lookback: u32,
}

/// The Bollinger bands' length and width.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bollinger {
    /// Bars in the mean and standard deviation.
    pub period: u32,
    /// Standard deviations from the mean to the lower band.
    pub stddev: f64,
}

/// The longest indicator a strategy may use, in bars.
pub const MAX_PERIOD: u32 = 500;

impl Strategy {
    /// Bars before the first possible signal (the longest indicator's warm-up).
    pub fn warm_up(&self) -> usize {
        let bars = match self {
            Strategy::SmaCrossover(c) | Strategy::EmaCrossover(c) => c.slow,
            Strategy::RsiReversion(r) => r.period + 1,
            Strategy::Breakout(b) => b.lookback + 1,
            Strategy::BollingerReversion(b) => b.period,
        };
        usize::try_from(bars).unwrap_or(usize::MAX)
    }

    fn violations(&self) -> Vec<Violation> {
        let mut v = Vec::new();
        let period = |v: &mut Vec<Violation>, name: &'static str, value: u32, least: u32| {
            if !(least..=MAX_PERIOD).contains(&value) {
                v.push(Violation::new(
                    name,
                    format!("must be {least} to {MAX_PERIOD} bars"),
                ));
            }
        };
        match *self {
            Strategy::SmaCrossover(c) | Strategy::EmaCrossover(c) => {
                period(&mut v, "strategy.params.fast", c.fast, 1);
                period(&mut v, "strategy.params.slow", c.slow, 2);
                if c.fast >= c.slow {
                    v.push(Violation::new("strategy.params.fast", "must be less than slow"));
                }
            }
            Strategy::RsiReversion(r) => {
                period(&mut v, "strategy.params.period", r.period, 2);
                if !(r.lower > 0.0 && r.lower < 100.0) {
                    v.push(Violation::new(
                        "strategy.params.lower",
                        "must be between 0 and 100",
                    ));
                }
                if !(r.upper > 0.0 && r.upper < 100.0) {
                    v.push(Violation::new(
                        "strategy.params.upper",
                        "must be between 0 and 100",
                    ));
                }
                if r.lower >= r.upper {
                    v.push(Violation::new("strategy.params.lower", "must be less than upper"));
                }
            }
            Strategy::Breakout(b) => period(&mut v, "strategy.params.lookback", b.lookback, 1),
            Strategy::BollingerReversion(b) => {
                period(&mut v, "strategy.params.period", b.period, 2);
                if !(b.stddev > 0.0 && b.stddev <= 10.0) {
                    v.push(Violation::new(
                        "strategy.params.stddev",
                        "must be above 0 and at most 10",
                    ));
                }
            }
        }
        v
    }
}

/// What each fill pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChargeModel {
    /// Only `commission_pct` (none by default).
    #[default]
    None,
    /// The platform's dated statutory charge table for the product, as paper fills pay.
    Statutory,
}

/// A backtest as submitted (`POST /v1/backtests`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestRequest {
    /// The strategy.
    pub strategy: Strategy,
    /// Whose history.
    pub instrument: InstrumentKey,
    /// The bars' interval.
    pub interval: Interval,
    /// First bar's start (inclusive).
    pub from: DateTime<Utc>,
    /// Last bar's start is before this.
    pub to: DateTime<Utc>,
    /// Cash at the start, rupees.
    pub initial_capital: Decimal,
    /// Commission per side, percent of the fill's value (`0.03` = 0.03%).
    pub commission_pct: Decimal,
    /// Slippage against each fill, basis points of the price.
    pub slippage_bps: Decimal,
    /// What fills pay.
    pub charges: ChargeModel,
    /// The product the statutory charges are of.
    pub product: Product,
}

/// The most capital a backtest may start with: ₹1,000 crore.
pub const MAX_CAPITAL: Decimal = dec!(10000000000);
/// The highest commission, percent per side.
pub const MAX_COMMISSION_PCT: Decimal = dec!(5);
/// The highest slippage, basis points.
pub const MAX_SLIPPAGE_BPS: Decimal = dec!(500);

/// The longest range a backtest of `interval` may cover: about 25,000 bars of intraday data, or 25 years
/// of daily bars.
pub fn max_range(interval: Interval) -> Duration {
    match interval {
        Interval::M1 => Duration::days(90),
        Interval::M5 => Duration::days(365),
        Interval::M15 => Duration::days(3 * 365),
        Interval::M30 | Interval::H1 => Duration::days(5 * 365),
        Interval::D1 => Duration::days(25 * 365 + 6),
    }
}

impl BacktestRequest {
    /// Checks the request against `instrument` (as listed; `None` when it is not) at `now`; every violation
    /// is reported, each naming its field.
    ///
    /// # Errors
    /// The violations, in field order.
    pub fn validate(
        &self,
        instrument: Option<&Instrument>,
        now: DateTime<Utc>,
    ) -> Result<(), Vec<Violation>> {
        let mut v = self.strategy.violations();
        match instrument {
            None => v.push(Violation::new("instrument", "unknown instrument")),
            Some(i) if matches!(i.segment, Segment::Future | Segment::Option) => v.push(Violation::new(
                "instrument",
                "futures and options expire: backtest their underlying",
            )),
            Some(_) => {}
        }
        if self.from >= self.to {
            v.push(Violation::new("to", "must be after from"));
        } else if self.to - self.from > max_range(self.interval) {
            v.push(Violation::new(
                "to",
                format!(
                    "the range may cover at most {} days of {} bars",
                    max_range(self.interval).num_days(),
                    interval_name(self.interval)
                ),
            ));
        }
        if self.from >= now {
            v.push(Violation::new("from", "must be in the past"));
        }
        if self.initial_capital <= Decimal::ZERO
            || self.initial_capital > MAX_CAPITAL
            || self.initial_capital.round_dp(2) != self.initial_capital
        {
            v.push(Violation::new(
                "initial_capital",
                format!("must be above 0 and at most {MAX_CAPITAL}, in whole paise"),
            ));
        }
        if !(Decimal::ZERO..=MAX_COMMISSION_PCT).contains(&self.commission_pct) {
            v.push(Violation::new(
                "commission_pct",
                format!("must be 0 to {MAX_COMMISSION_PCT} percent"),
            ));
        } else if self.charges == ChargeModel::Statutory && !self.commission_pct.is_zero() {
            v.push(Violation::new(
                "commission_pct",
                "statutory charges replace the commission: leave it out",
            ));
        }
        if !(Decimal::ZERO..=MAX_SLIPPAGE_BPS).contains(&self.slippage_bps) {
            v.push(Violation::new(
                "slippage_bps",
                format!("must be 0 to {MAX_SLIPPAGE_BPS} basis points"),
            ));
        }
        if v.is_empty() { Ok(()) } else { Err(v) }
    }
}

/// The interval as the API spells it (`1d`).
pub fn interval_name(interval: Interval) -> &'static str {
    match interval {
        Interval::M1 => "1m",
        Interval::M5 => "5m",
        Interval::M15 => "15m",
        Interval::M30 => "30m",
        Interval::H1 => "1h",
        Interval::D1 => "1d",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::calendar::MarketCalendar;
    use crate::market::master::InstrumentMaster;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn request() -> BacktestRequest {
        BacktestRequest {
            strategy: Strategy::SmaCrossover(Crossover { fast: 10, slow: 30 }),
            instrument: InstrumentKey::parse("NSE:INFY").unwrap(),
            interval: Interval::D1,
            from: at("2024-01-01T00:00:00+05:30"),
            to: at("2026-01-01T00:00:00+05:30"),
            initial_capital: dec!(100000),
            commission_pct: dec!(0.03),
            slippage_bps: Decimal::ZERO,
            charges: ChargeModel::None,
            product: Product::Delivery,
        }
    }

    fn fields(r: Result<(), Vec<Violation>>) -> Vec<&'static str> {
        r.err().unwrap_or_default().iter().map(|v| v.field).collect()
    }

    #[test]
    fn a_good_request_passes_and_every_bad_field_is_named_at_once() {
        let master =
            InstrumentMaster::shipped(&MarketCalendar::default(), "2026-11-23".parse().unwrap()).unwrap();
        let infy = master.get("NSE:INFY");
        let now = at("2026-11-25T11:00:00+05:30");
        assert_eq!(request().validate(infy, now), Ok(()));
        let bad = BacktestRequest {
            strategy: Strategy::SmaCrossover(Crossover { fast: 30, slow: 30 }),
            from: at("2026-01-01T00:00:00+05:30"),
            to: at("2026-01-01T00:00:00+05:30"),
            initial_capital: dec!(0),
            commission_pct: dec!(6),
            slippage_bps: dec!(-1),
            ..request()
        };
        assert_eq!(
            fields(bad.validate(None, now)),
            [
                "strategy.params.fast",
                "instrument",
                "to",
                "initial_capital",
                "commission_pct",
                "slippage_bps"
            ]
        );
        let too_long = BacktestRequest {
            interval: Interval::M1,
            ..request()
        };
        assert_eq!(fields(too_long.validate(infy, now)), ["to"]);
        let statutory_with_commission = BacktestRequest {
            charges: ChargeModel::Statutory,
            ..request()
        };
        assert_eq!(
            fields(statutory_with_commission.validate(infy, now)),
            ["commission_pct"]
        );
        let future = master
            .all()
            .iter()
            .find(|i| i.segment == Segment::Future)
            .unwrap();
        assert_eq!(fields(request().validate(Some(future), now)), ["instrument"]);
    }

    #[test]
    fn each_strategy_checks_its_own_parameters() {
        let bad = [
            Strategy::EmaCrossover(Crossover { fast: 0, slow: 501 }),
            Strategy::RsiReversion(RsiReversion {
                period: 14,
                lower: 70.0,
                upper: 30.0,
            }),
            Strategy::Breakout(Breakout { lookback: 0 }),
            Strategy::BollingerReversion(Bollinger {
                period: 20,
                stddev: 0.0,
            }),
        ];
        let named: Vec<Vec<&str>> = bad
            .iter()
            .map(|s| s.violations().iter().map(|v| v.field).collect())
            .collect();
        assert_eq!(
            named,
            [
                vec!["strategy.params.fast", "strategy.params.slow"],
                vec!["strategy.params.lower"],
                vec!["strategy.params.lookback"],
                vec!["strategy.params.stddev"],
            ]
        );
        let json =
            serde_json::json!({"kind": "rsi_reversion", "params": {"period": 14, "lower": 30, "upper": 70}});
        let parsed: Strategy = serde_json::from_value(json).unwrap();
        assert_eq!(parsed.warm_up(), 15);
        let unknown = serde_json::json!({"kind": "martingale", "params": {}});
        assert!(serde_json::from_value::<Strategy>(unknown).is_err());
    }
}
