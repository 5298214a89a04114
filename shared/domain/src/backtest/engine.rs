//! The backtest engine: one strategy over one series of bars, long only, with the conventions of
//! backtrader-style engines (docs/decisions.md, "Backtests"):
//! - a signal is taken at bar t's close and fills at bar t+1's open; a signal on the last bar never fills;
//! - the strategy enters only when flat and exits only when long;
//! - an entry buys all-in, in whole units at the fill price: `floor(cash / (price × (1 + c)))` with a
//!   commission of `c` per side (or, with statutory charges, the most units whose cost and charges the cash
//!   covers); slippage moves the fill price against the trade;
//! - equity is `cash + quantity × close[t]` at every bar; a position still open at the end is marked at the
//!   last close and reported as an open trade.
//!
//! Money is exact (`Decimal`); only the indicators and the metrics use floats.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;
use serde::{Deserialize, Serialize};

use crate::backtest::indicators::{
    Units, ema, highest_before, lowest_before, rolling_moments, rsi, sma_spread_signs, spread_signs,
};
use crate::backtest::request::Strategy;
use crate::kernel::time::ist;
use crate::market::candles::Candle;
use crate::trading::charges::{BrokeragePlan, ChargeSchedule, ChargeSegment, NoRates, fill_charges};
use crate::trading::request::Side;

/// The bars a run reads, oldest first, with the exact and float views the indicators need.
#[derive(Debug, Clone)]
pub struct Series {
    /// The bars.
    pub bars: Vec<Candle>,
    /// What the trading loop reads of each bar, packed (half a candle's size): a position is marked at
    /// every close it is held, and the next fill reads the same rows.
    rows: Vec<Row>,
    closes: Units,
    highs: Units,
    lows: Units,
    closes_f: Vec<f64>,
}

impl Series {
    /// `bars`, oldest first.
    pub fn new(bars: Vec<Candle>) -> Series {
        let units = |price: fn(&Candle) -> Decimal| Units::of(&bars.iter().map(price).collect::<Vec<_>>());
        let closes = units(|b| b.close);
        Series {
            rows: bars
                .iter()
                .map(|b| Row {
                    start: b.start,
                    open: b.open,
                    close: b.close,
                })
                .collect(),
            closes_f: closes.to_f64(),
            closes,
            highs: units(|b| b.high),
            lows: units(|b| b.low),
            bars,
        }
    }

    /// How many bars.
    pub fn len(&self) -> usize {
        self.bars.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }
}

/// A bar as the trading loop reads it.
#[derive(Debug, Clone, Copy)]
struct Row {
    start: DateTime<Utc>,
    open: Decimal,
    close: Decimal,
}

/// What a strategy wants at one bar's close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Nothing.
    Hold,
    /// Buy (acted on when flat).
    Enter,
    /// Sell (acted on when long).
    Exit,
}

/// Crossings of a spread's sign: up when it turns positive and the last non-zero sign before was negative,
/// down the other way. A series that starts with the spread already positive has no crossing up.
fn crossings(signs: impl Iterator<Item = Option<i8>>) -> Vec<Signal> {
    let mut last = 0_i8;
    signs
        .map(|sign| {
            let Some(sign) = sign else {
                return Signal::Hold;
            };
            let signal = match (last, sign) {
                (-1, 1) => Signal::Enter,
                (1, -1) => Signal::Exit,
                _ => Signal::Hold,
            };
            if sign != 0 {
                last = sign;
            }
            signal
        })
        .collect()
}

/// Every bar's signal of `strategy` over `series`.
pub fn signals(strategy: &Strategy, series: &Series) -> Vec<Signal> {
    let n = |bars: u32| usize::try_from(bars).unwrap_or(usize::MAX);
    match strategy {
        Strategy::SmaCrossover(c) => crossings(sma_spread_signs(&series.closes.values, n(c.fast), n(c.slow))),
        Strategy::EmaCrossover(c) => crossings(spread_signs(
            &ema(&series.closes_f, n(c.fast)),
            &ema(&series.closes_f, n(c.slow)),
        )),
        Strategy::RsiReversion(r) => rsi(&series.closes_f, n(r.period))
            .iter()
            .map(|value| {
                if *value < r.lower {
                    Signal::Enter
                } else if *value > r.upper {
                    Signal::Exit
                } else {
                    Signal::Hold
                }
            })
            .collect(),
        Strategy::Breakout(b) => {
            let closes = &series.closes.values;
            let above = highest_before(&series.highs.values, n(b.lookback));
            let below = lowest_before(&series.lows.values, n(b.lookback));
            // Highs, lows and closes may carry different scales: compare at one.
            let (cs, hs, ls) = (series.closes.scale, series.highs.scale, series.lows.scale);
            let scale = cs.max(hs).max(ls);
            let factor = |s: u32| 10_i128.pow(scale - s);
            let (cf, hf, lf) = (factor(cs), factor(hs), factor(ls));
            closes
                .iter()
                .zip(above.iter().zip(&below))
                .map(|(close, (high, low))| {
                    let close = i128::from(*close) * cf;
                    match (high, low) {
                        (Some(h), _) if close > i128::from(*h) * hf => Signal::Enter,
                        (_, Some(l)) if close < i128::from(*l) * lf => Signal::Exit,
                        _ => Signal::Hold,
                    }
                })
                .collect()
        }
        Strategy::BollingerReversion(b) => {
            let period = n(b.period);
            let closes = &series.closes.values;
            let scale = 10_f64.powi(i32::try_from(series.closes.scale).unwrap_or(0));
            closes
                .iter()
                .zip(rolling_moments(closes, period))
                .map(|(close, moments)| {
                    let Some(m) = moments else {
                        return Signal::Hold;
                    };
                    // The mean compared exactly (close × n against the sum); a close above it is above the
                    // lower band too, so the band is only computed for closes at or below the mean.
                    if i128::from(*close) * period as i128 > m.sum {
                        return Signal::Exit;
                    }
                    let lower = (m.sum as f64 / period as f64 - b.stddev * m.stddev(period)) / scale;
                    if (*close as f64 / scale) < lower {
                        Signal::Enter
                    } else {
                        Signal::Hold
                    }
                })
                .collect()
        }
    }
}

/// What each fill costs beside its price.
#[derive(Debug, Clone, Copy)]
pub enum FillCost<'a> {
    /// A commission of `rate` (a fraction) of the fill's value.
    Commission {
        /// The fraction (`commission_pct / 100`).
        rate: Decimal,
    },
    /// The platform's dated statutory charges for `segment` under `plan`, as paper fills pay.
    Statutory {
        /// The charge table.
        schedule: &'a ChargeSchedule,
        /// The brokerage plan.
        plan: &'a BrokeragePlan,
        /// Whose rates.
        segment: ChargeSegment,
    },
}

impl FillCost<'_> {
    /// The cost of a fill of `quantity` at `price` on `side` at `at` (statutory rates are those of its IST
    /// date).
    ///
    /// # Errors
    /// [`NoRates`] when the charge table has no rates for the date.
    pub fn of(
        &self,
        side: Side,
        quantity: i64,
        price: Decimal,
        at: DateTime<Utc>,
    ) -> Result<Decimal, NoRates> {
        let value = Decimal::from(quantity) * price;
        match self {
            FillCost::Commission { rate } => Ok(*rate * value),
            FillCost::Statutory {
                schedule,
                plan,
                segment,
            } => {
                let rates = schedule.rates_on(*segment, at.with_timezone(&ist()).date_naive())?;
                Ok(fill_charges(rates, side, value, plan.for_order(*segment, value)).total())
            }
        }
    }

    /// The most whole units of `price` that `cash` buys with their cost at `at`.
    ///
    /// # Errors
    /// As [`of`](Self::of).
    fn affordable(&self, cash: Decimal, price: Decimal, at: DateTime<Utc>) -> Result<i64, NoRates> {
        if price <= Decimal::ZERO || cash < price {
            return Ok(0);
        }
        // A float estimate, then exact steps: the answer is decided by exact comparisons only.
        let (cash_f, price_f) = (cash.to_f64().unwrap_or(0.0), price.to_f64().unwrap_or(f64::MAX));
        let guess = match self {
            FillCost::Commission { rate } => cash_f / (price_f * (1.0 + rate.to_f64().unwrap_or(0.0))),
            FillCost::Statutory { .. } => cash_f / price_f,
        };
        let total = |quantity: i64| -> Result<Decimal, NoRates> {
            Ok(Decimal::from(quantity) * price + self.of(Side::Buy, quantity, price, at)?)
        };
        let mut quantity = (guess.floor() as i64).max(0);
        loop {
            if quantity <= 0 {
                break;
            }
            let over = total(quantity)? - cash;
            if over <= Decimal::ZERO {
                break;
            }
            // Over by `over`: drop at least the units that covers.
            quantity -= (over / price).ceil().to_i64().unwrap_or(1).max(1);
        }
        let mut quantity = quantity.max(0);
        while quantity < i64::MAX && total(quantity + 1)? <= cash {
            quantity += 1;
        }
        Ok(quantity)
    }
}

/// How fills are priced and charged.
#[derive(Debug, Clone, Copy)]
pub struct Execution<'a> {
    /// The cost of each fill.
    pub cost: FillCost<'a>,
    /// Slippage against each fill, as a fraction of the price (`slippage_bps / 10,000`).
    pub slippage: Decimal,
}

/// A round trip, or a position still open at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    /// When the entry signal came (its bar's start).
    pub entry_signal_at: DateTime<Utc>,
    /// When the entry filled (the next bar's start).
    pub entry_at: DateTime<Utc>,
    /// The entry's fill price.
    pub entry_price: Decimal,
    /// Units held.
    pub quantity: i64,
    /// The entry's commission or charges.
    pub entry_commission: Decimal,
    /// When the exit signal came; `None` while open.
    pub exit_signal_at: Option<DateTime<Utc>>,
    /// When the exit filled; `None` while open.
    pub exit_at: Option<DateTime<Utc>>,
    /// The exit's fill price; `None` while open.
    pub exit_price: Option<Decimal>,
    /// The exit's commission or charges; `None` while open.
    pub exit_commission: Option<Decimal>,
    /// (exit or mark − entry) × quantity.
    pub gross_pnl: Decimal,
    /// Gross P&L less the commissions paid.
    pub net_pnl: Decimal,
    /// Net P&L as a percentage of the entry's value, to 4 places.
    pub return_pct: Decimal,
    /// Bars from the entry's fill to the exit's fill (or to the last bar, while open).
    pub bars_held: usize,
    /// Closed or still open.
    pub status: TradeStatus,
    /// The last close an open trade is marked at.
    pub mark_price: Option<Decimal>,
}

/// Whether a trade has been exited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TradeStatus {
    /// Exited.
    Closed,
    /// Still held at the end, marked at the last close.
    Open,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Every trade, oldest first.
    pub trades: Vec<Trade>,
    /// Equity at every bar's close.
    pub equity: Vec<Decimal>,
    /// Bars that ended holding a position.
    pub bars_in_market: usize,
    /// Commissions (or charges) paid.
    pub total_commission: Decimal,
}

/// `part` as a percentage of `whole`, to 4 decimal places (half to even), by exact integer division of the
/// mantissas; 0 of nothing. Falls back to `Decimal` division when a mantissa would overflow.
fn percent_of(part: Decimal, whole: Decimal) -> Decimal {
    const PLACES: u32 = 4;
    if whole.is_zero() {
        return Decimal::ZERO;
    }
    let scale = part.scale().max(whole.scale());
    let at_scale = |d: Decimal| d.mantissa().checked_mul(10_i128.checked_pow(scale - d.scale())?);
    let exact = at_scale(part)
        .and_then(|p| p.checked_mul(100 * 10_i128.pow(PLACES)))
        .zip(at_scale(whole))
        .map(|(numerator, denominator)| {
            let (quotient, remainder) = (numerator / denominator, numerator % denominator);
            // Round half to even, on magnitudes.
            let twice = remainder.abs() * 2;
            let away = twice > denominator.abs() || (twice == denominator.abs() && quotient % 2 != 0);
            let sign = if (numerator < 0) != (denominator < 0) {
                -1
            } else {
                1
            };
            quotient + if away { sign } else { 0 }
        })
        .and_then(|m| Decimal::try_from_i128_with_scale(m, PLACES).ok());
    exact
        .unwrap_or_else(|| (part / whole * Decimal::ONE_HUNDRED).round_dp(PLACES))
        .normalize()
}

/// An entry waiting for its exit.
struct Holding {
    signal_at: DateTime<Utc>,
    at: DateTime<Utc>,
    bar: usize,
    price: Decimal,
    quantity: i64,
    commission: Decimal,
}

/// How a holding ends up in the report.
enum End {
    /// Sold at bar `bar`'s open.
    Exited {
        bar: usize,
        signal_at: DateTime<Utc>,
        at: DateTime<Utc>,
        price: Decimal,
        commission: Decimal,
    },
    /// Still held at the last bar, `bar`, marked at its close.
    Marked { bar: usize, price: Decimal },
}

impl Holding {
    /// The trade this holding makes when it ends as `end`.
    fn trade(&self, end: End) -> Trade {
        let (bar, price, commission) = match end {
            End::Exited {
                bar,
                price,
                commission,
                ..
            } => (bar, price, commission),
            End::Marked { bar, price } => (bar, price, Decimal::ZERO),
        };
        let quantity = Decimal::from(self.quantity);
        let gross = (price - self.price) * quantity;
        let net = gross - self.commission - commission;
        let cost = self.price * quantity;
        let return_pct = percent_of(net, cost);
        let opened = Trade {
            entry_signal_at: self.signal_at,
            entry_at: self.at,
            entry_price: self.price,
            quantity: self.quantity,
            entry_commission: self.commission,
            exit_signal_at: None,
            exit_at: None,
            exit_price: None,
            exit_commission: None,
            gross_pnl: gross,
            net_pnl: net,
            return_pct,
            bars_held: bar - self.bar,
            status: TradeStatus::Open,
            mark_price: None,
        };
        match end {
            End::Exited { signal_at, at, .. } => Trade {
                exit_signal_at: Some(signal_at),
                exit_at: Some(at),
                exit_price: Some(price),
                exit_commission: Some(commission),
                status: TradeStatus::Closed,
                ..opened
            },
            End::Marked { .. } => Trade {
                mark_price: Some(price),
                ..opened
            },
        }
    }
}

/// `cash + quantity × close`, exactly as `Decimal` arithmetic gives it (value and scale), in one pass of
/// integer arithmetic on the mantissas: the engine's per-bar hot spot. Falls back to `Decimal` arithmetic
/// when a mantissa would overflow.
fn marked(cash: Decimal, quantity: i64, close: Decimal) -> Decimal {
    const POW10: [i128; 29] = {
        let mut table = [1_i128; 29];
        let mut i = 1;
        while i < 29 {
            table[i] = table[i - 1] * 10;
            i += 1;
        }
        table
    };
    let scale = cash.scale().max(close.scale());
    let up = |d: &Decimal| POW10[(scale - d.scale()) as usize];
    i128::from(quantity)
        .checked_mul(close.mantissa())
        .and_then(|held| held.checked_mul(up(&close)))
        .zip(cash.mantissa().checked_mul(up(&cash)))
        .and_then(|(held, cash)| held.checked_add(cash))
        .and_then(|m| Decimal::try_from_i128_with_scale(m, scale).ok())
        .unwrap_or_else(|| cash + Decimal::from(quantity) * close)
}

/// Runs `strategy` over `series` from `capital`, filling with `execution`.
///
/// # Errors
/// [`NoRates`] when a fill's date has no statutory charge rates.
pub fn run(
    strategy: &Strategy,
    series: &Series,
    capital: Decimal,
    execution: &Execution<'_>,
) -> Result<Outcome, NoRates> {
    let signals = signals(strategy, series);
    let bars = &series.bars;
    let mut cash = capital;
    let mut holding: Option<Holding> = None;
    let mut trades = Vec::new();
    let mut equity = Vec::with_capacity(bars.len());
    let mut bars_in_market = 0;
    let mut total_commission = Decimal::ZERO;
    let (up, down) = (
        Decimal::ONE + execution.slippage,
        Decimal::ONE - execution.slippage,
    );
    let mut pending = Signal::Hold;
    for (t, row) in series.rows.iter().enumerate() {
        match (pending, &holding) {
            (Signal::Enter, None) => {
                let price = row.open * up;
                let quantity = execution.cost.affordable(cash, price, row.start)?;
                if quantity > 0 {
                    let commission = execution.cost.of(Side::Buy, quantity, price, row.start)?;
                    cash -= Decimal::from(quantity) * price + commission;
                    total_commission += commission;
                    holding = Some(Holding {
                        signal_at: series.rows[t - 1].start,
                        at: row.start,
                        bar: t,
                        price,
                        quantity,
                        commission,
                    });
                }
            }
            (Signal::Exit, Some(held)) => {
                let price = row.open * down;
                let commission = execution.cost.of(Side::Sell, held.quantity, price, row.start)?;
                cash += Decimal::from(held.quantity) * price - commission;
                total_commission += commission;
                trades.push(held.trade(End::Exited {
                    bar: t,
                    signal_at: series.rows[t - 1].start,
                    at: row.start,
                    price,
                    commission,
                }));
                holding = None;
            }
            _ => {}
        }
        equity.push(match &holding {
            Some(held) => {
                bars_in_market += 1;
                marked(cash, held.quantity, row.close)
            }
            None => cash,
        });
        pending = signals[t];
    }
    if let (Some(held), Some(last)) = (&holding, bars.last()) {
        trades.push(held.trade(End::Marked {
            bar: bars.len() - 1,
            price: last.close,
        }));
    }
    Ok(Outcome {
        trades,
        equity,
        bars_in_market,
        total_commission,
    })
}

#[cfg(test)]
mod tests;
