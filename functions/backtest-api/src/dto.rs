//! The backtest API's JSON: decimals as strings (capital, commission, slippage, prices and money), strategy
//! parameters and ratios as numbers.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use tradesense_domain::backtest::engine::{Trade, TradeStatus};
use tradesense_domain::backtest::metrics::{Metrics, MonthlyReturn};
use tradesense_domain::backtest::request::{
    BacktestRequest, Bollinger, Breakout, ChargeModel, Crossover, RsiReversion, Strategy,
};
use tradesense_domain::backtest::run::{BacktestRun, RunStatus, Timings};
use tradesense_domain::backtest::service::RunView;
use tradesense_domain::kernel::time::TimeBound;
use tradesense_domain::kernel::validation::Violation;
use tradesense_domain::market::candles::Interval;
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::trading::request::Product;

/// A strategy (long only): its `kind` and its `params`. Each reads bar t's close and trades at bar t+1's open.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
// Without `deny_unknown_fields`: a key beside `kind` and `params` is ignored, as the document (which cannot
// say otherwise for a tagged union) allows.
#[serde(tag = "kind", content = "params", rename_all = "snake_case")]
pub enum StrategyDto {
    /// Buys when the `fast` simple moving average of closes crosses above the `slow` one; sells when it
    /// crosses below.
    SmaCrossover(CrossoverParams),
    /// Buys when the `fast` exponential moving average crosses above the `slow` one; sells when it crosses
    /// below.
    EmaCrossover(CrossoverParams),
    /// Buys when Wilder's RSI over `period` closes is below `lower`; sells when it is above `upper`.
    RsiReversion(RsiParams),
    /// Buys when the close rises above the highest high of the `lookback` bars before it (Donchian); sells
    /// when it falls below their lowest low.
    Breakout(BreakoutParams),
    /// Buys when the close is below the lower Bollinger band (`period`-bar mean − `stddev` population
    /// standard deviations); sells when it is back above the mean.
    BollingerReversion(BollingerParams),
}

/// Two moving averages' lengths, in bars: 1 ≤ fast < slow ≤ 500.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrossoverParams {
    /// The fast average's length.
    #[schema(minimum = 1, maximum = 499, example = 10)]
    pub fast: u32,
    /// The slow average's length.
    #[schema(minimum = 2, maximum = 500, example = 30)]
    pub slow: u32,
}

/// RSI's length (2–500) and thresholds (0 < lower < upper < 100).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RsiParams {
    /// Bars in the RSI.
    #[schema(minimum = 2, maximum = 500, example = 14)]
    pub period: u32,
    /// Buy below this.
    #[schema(example = 30)]
    pub lower: f64,
    /// Sell above this.
    #[schema(example = 70)]
    pub upper: f64,
}

/// The channel's length in bars (1–500), the current bar excluded.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakoutParams {
    /// Bars looked back over.
    #[schema(minimum = 1, maximum = 500, example = 20)]
    pub lookback: u32,
}

/// The bands' length in bars (2–500) and width in standard deviations (0 < stddev ≤ 10).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BollingerParams {
    /// Bars in the mean and deviation.
    #[schema(minimum = 2, maximum = 500, example = 20)]
    pub period: u32,
    /// Deviations to the lower band.
    #[schema(example = 2.0)]
    pub stddev: f64,
}

impl From<StrategyDto> for Strategy {
    fn from(s: StrategyDto) -> Self {
        let crossover = |p: CrossoverParams| Crossover {
            fast: p.fast,
            slow: p.slow,
        };
        match s {
            StrategyDto::SmaCrossover(p) => Strategy::SmaCrossover(crossover(p)),
            StrategyDto::EmaCrossover(p) => Strategy::EmaCrossover(crossover(p)),
            StrategyDto::RsiReversion(p) => Strategy::RsiReversion(RsiReversion {
                period: p.period,
                lower: p.lower,
                upper: p.upper,
            }),
            StrategyDto::Breakout(p) => Strategy::Breakout(Breakout { lookback: p.lookback }),
            StrategyDto::BollingerReversion(p) => Strategy::BollingerReversion(Bollinger {
                period: p.period,
                stddev: p.stddev,
            }),
        }
    }
}

impl From<Strategy> for StrategyDto {
    fn from(s: Strategy) -> Self {
        let crossover = |c: Crossover| CrossoverParams {
            fast: c.fast,
            slow: c.slow,
        };
        match s {
            Strategy::SmaCrossover(c) => StrategyDto::SmaCrossover(crossover(c)),
            Strategy::EmaCrossover(c) => StrategyDto::EmaCrossover(crossover(c)),
            Strategy::RsiReversion(r) => StrategyDto::RsiReversion(RsiParams {
                period: r.period,
                lower: r.lower,
                upper: r.upper,
            }),
            Strategy::Breakout(b) => StrategyDto::Breakout(BreakoutParams { lookback: b.lookback }),
            Strategy::BollingerReversion(b) => StrategyDto::BollingerReversion(BollingerParams {
                period: b.period,
                stddev: b.stddev,
            }),
        }
    }
}

/// `POST /v1/backtests`: what to run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBacktestRequest {
    /// The strategy.
    pub strategy: StrategyDto,
    /// An equity or index key, e.g. `NSE:INFY` (futures and options expire: backtest their underlying).
    #[schema(pattern = "^(NSE|NFO|BSE|MCX):[A-Za-z0-9&_-]{1,40}$", example = "NSE:INFY")]
    pub instrument: String,
    /// `1m`, `5m`, `15m`, `30m`, `1h` or `1d`.
    #[schema(value_type = String, pattern = "^(1m|5m|15m|30m|1h|1d)$", example = "1d")]
    pub interval: Interval,
    /// First bar: an IST day (`YYYY-MM-DD`, from its start) or an RFC 3339 instant.
    #[schema(inline, value_type = tradesense_http::query::TimeParam, example = "2024-01-01")]
    pub from: String,
    /// Last bar: an IST day (through its end) or an RFC 3339 instant (exclusive). At most 90 days of `1m`,
    /// 365 of `5m`, 3 years of `15m`, 5 years of `30m`/`1h`, 25 years of `1d`.
    #[schema(inline, value_type = tradesense_http::query::TimeParam, example = "2025-12-31")]
    pub to: String,
    /// Cash at the start, rupees: above 0, at most 1,000 crore, in whole paise.
    #[schema(value_type = tradesense_http::openapi::DecimalString, example = "100000")]
    pub initial_capital: Decimal,
    /// Commission per side, percent of each fill's value (0–5, default 0); not with statutory charges.
    #[serde(default)]
    #[schema(value_type = Option<tradesense_http::openapi::DecimalString>, example = "0.03")]
    pub commission_pct: Option<Decimal>,
    /// Slippage against each fill, basis points of the price (0–500, default 0).
    #[serde(default)]
    #[schema(value_type = Option<tradesense_http::openapi::DecimalString>, example = "5")]
    pub slippage_bps: Option<Decimal>,
    /// `none` (default: only `commission_pct`) or `statutory` (the platform's dated charge table for
    /// `product`, as paper fills pay).
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^(none|statutory)$", example = "none")]
    pub charges: Option<ChargeModel>,
    /// `DELIVERY` (default) or `INTRADAY`: which statutory charges apply.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^(INTRADAY|DELIVERY)$", example = "DELIVERY")]
    pub product: Option<Product>,
}

impl SubmitBacktestRequest {
    /// The domain's view of the request.
    ///
    /// # Errors
    /// A violation for each field that does not parse.
    pub fn to_domain(&self) -> Result<BacktestRequest, Vec<Violation>> {
        let mut v = Vec::new();
        let instrument = InstrumentKey::parse(&self.instrument);
        if instrument.is_none() {
            v.push(Violation::new("instrument", "EXCHANGE:SYMBOL, e.g. NSE:INFY"));
        }
        let bound = |field: &'static str, raw: &str, v: &mut Vec<Violation>| {
            raw.parse::<TimeBound>()
                .map_err(|e| v.push(Violation::new(field, e.to_string())))
                .ok()
        };
        let from = bound("from", &self.from, &mut v);
        let to = bound("to", &self.to, &mut v);
        match (instrument, from, to) {
            (Some(instrument), Some(from), Some(to)) if v.is_empty() => Ok(BacktestRequest {
                strategy: self.strategy.into(),
                instrument,
                interval: self.interval,
                from: from.as_start(),
                to: to.as_end(),
                initial_capital: self.initial_capital,
                commission_pct: self.commission_pct.unwrap_or_default(),
                slippage_bps: self.slippage_bps.unwrap_or_default(),
                charges: self.charges.unwrap_or_default(),
                product: self.product.unwrap_or(Product::Delivery),
            }),
            _ => Err(v),
        }
    }

    /// SHA-256 of the request as sent (field order fixed by this type), to tell a replay from another
    /// request under the same `Idempotency-Key`.
    pub fn canonical_hash(&self) -> String {
        let canonical = serde_json::to_vec(self).unwrap_or_default();
        Sha256::digest(&canonical)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// A run's request, as it will be (or was) run: the range as instants, every default filled in.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestDto {
    /// The strategy.
    pub strategy: StrategyDto,
    /// The instrument.
    pub instrument: String,
    /// The interval.
    #[schema(value_type = String, pattern = "^(1m|5m|15m|30m|1h|1d)$", example = "1d")]
    pub interval: Interval,
    /// The first bar starts at or after this.
    pub from: DateTime<Utc>,
    /// The last bar starts before this.
    pub to: DateTime<Utc>,
    /// Cash at the start.
    #[schema(value_type = String)]
    pub initial_capital: Decimal,
    /// Commission per side, percent.
    #[schema(value_type = String)]
    pub commission_pct: Decimal,
    /// Slippage, basis points.
    #[schema(value_type = String)]
    pub slippage_bps: Decimal,
    /// `none` or `statutory`.
    #[schema(value_type = String, pattern = "^(none|statutory)$")]
    pub charges: ChargeModel,
    /// The product the statutory charges are of.
    #[schema(value_type = String, pattern = "^(INTRADAY|DELIVERY)$")]
    pub product: Product,
}

impl From<&BacktestRequest> for RequestDto {
    fn from(r: &BacktestRequest) -> Self {
        Self {
            strategy: r.strategy.into(),
            instrument: r.instrument.to_string(),
            interval: r.interval,
            from: r.from,
            to: r.to,
            initial_capital: r.initial_capital,
            commission_pct: r.commission_pct,
            slippage_bps: r.slippage_bps,
            charges: r.charges,
            product: r.product,
        }
    }
}

/// A ratio as the API shows it: 6 decimal places, `null` when there was nothing to divide by.
fn ratio(x: Option<f64>) -> Option<f64> {
    x.filter(|x| x.is_finite()).map(|x| (x * 1e6).round() / 1e6)
}

/// The standard metrics (empyrical / QuantStats definitions; ratios as fractions, not percent).
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsDto {
    /// Last equity ÷ initial − 1.
    pub total_return: Option<f64>,
    /// Compound annual growth over bars (252 sessions a year).
    pub cagr: Option<f64>,
    /// Compound annual growth over calendar days.
    pub cagr_calendar: Option<f64>,
    /// Annualised sample standard deviation of the bar returns.
    pub annual_volatility: Option<f64>,
    /// Annualised Sharpe ratio (risk-free rate 0).
    pub sharpe: Option<f64>,
    /// Annualised Sortino ratio.
    pub sortino: Option<f64>,
    /// The deepest fall from a peak, a negative fraction.
    pub max_drawdown: Option<f64>,
    /// CAGR ÷ |max drawdown|.
    pub calmar: Option<f64>,
    /// Winning closed trades ÷ closed trades.
    pub win_rate: Option<f64>,
    /// Σ winners' net P&L ÷ |Σ the others'|.
    pub profit_factor: Option<f64>,
    /// Trades, the open one included.
    pub trades: usize,
    /// Bars ending in the market, percent.
    pub exposure_pct: Option<f64>,
    /// Commissions (or charges) paid.
    #[schema(value_type = String)]
    pub total_commission: Decimal,
    /// The longest run of losing closed trades.
    pub max_consecutive_losses: usize,
    /// Mean net P&L of a closed trade.
    #[schema(value_type = Option<String>)]
    pub expectancy: Option<Decimal>,
}

impl From<&Metrics> for MetricsDto {
    fn from(m: &Metrics) -> Self {
        Self {
            total_return: ratio(Some(m.total_return)),
            cagr: ratio(m.cagr),
            cagr_calendar: ratio(m.cagr_calendar),
            annual_volatility: ratio(m.annual_volatility),
            sharpe: ratio(m.sharpe),
            sortino: ratio(m.sortino),
            max_drawdown: ratio(Some(m.max_drawdown)),
            calmar: ratio(m.calmar),
            win_rate: ratio(m.win_rate),
            profit_factor: ratio(m.profit_factor),
            trades: m.trades,
            exposure_pct: ratio(Some(m.exposure_pct)),
            total_commission: m.total_commission,
            max_consecutive_losses: m.max_consecutive_losses,
            expectancy: m.expectancy.map(|e| e.round_dp(4)),
        }
    }
}

/// One trade, or the position still open at the end (`OPEN`, marked at the last close).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = BacktestTrade)]
pub struct BacktestTradeDto {
    /// The entry signal's bar.
    pub entry_signal_at: DateTime<Utc>,
    /// The entry's fill (the next bar's open).
    pub entry_at: DateTime<Utc>,
    /// The entry's price.
    #[schema(value_type = String)]
    pub entry_price: Decimal,
    /// Units held.
    pub quantity: i64,
    /// The entry's commission or charges.
    #[schema(value_type = String)]
    pub entry_commission: Decimal,
    /// The exit signal's bar; `null` while open.
    pub exit_signal_at: Option<DateTime<Utc>>,
    /// The exit's fill; `null` while open.
    pub exit_at: Option<DateTime<Utc>>,
    /// The exit's price; `null` while open.
    #[schema(value_type = Option<String>)]
    pub exit_price: Option<Decimal>,
    /// The exit's commission or charges; `null` while open.
    #[schema(value_type = Option<String>)]
    pub exit_commission: Option<Decimal>,
    /// (exit or mark − entry) × quantity.
    #[schema(value_type = String)]
    pub gross_pnl: Decimal,
    /// Gross less commissions.
    #[schema(value_type = String)]
    pub net_pnl: Decimal,
    /// Net P&L ÷ the entry's value, percent.
    #[schema(value_type = String)]
    pub return_pct: Decimal,
    /// Bars from entry to exit (or to the last bar).
    pub bars_held: usize,
    /// `CLOSED` or `OPEN`.
    #[schema(value_type = String, example = "CLOSED")]
    pub status: TradeStatus,
    /// The last close an open trade is marked at.
    #[schema(value_type = Option<String>)]
    pub mark_price: Option<Decimal>,
}

impl From<&Trade> for BacktestTradeDto {
    fn from(t: &Trade) -> Self {
        Self {
            entry_signal_at: t.entry_signal_at,
            entry_at: t.entry_at,
            entry_price: t.entry_price,
            quantity: t.quantity,
            entry_commission: t.entry_commission,
            exit_signal_at: t.exit_signal_at,
            exit_at: t.exit_at,
            exit_price: t.exit_price,
            exit_commission: t.exit_commission,
            gross_pnl: t.gross_pnl,
            net_pnl: t.net_pnl,
            return_pct: t.return_pct,
            bars_held: t.bars_held,
            status: t.status,
            mark_price: t.mark_price,
        }
    }
}

/// One calendar month's return (IST).
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthlyReturnDto {
    /// `YYYY-MM`.
    pub month: String,
    /// The month's return, a fraction.
    pub r#return: Option<f64>,
}

impl From<&MonthlyReturn> for MonthlyReturnDto {
    fn from(m: &MonthlyReturn) -> Self {
        Self {
            month: m.month.clone(),
            r#return: ratio(Some(m.r#return)),
        }
    }
}

/// How long the finishing attempt's stages took, milliseconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimingsDto {
    /// Reading the bars.
    pub history_ms: u64,
    /// The engine and the metrics.
    pub compute_ms: u64,
    /// Storing the result.
    pub store_ms: u64,
}

impl From<Timings> for TimingsDto {
    fn from(t: Timings) -> Self {
        Self {
            history_ms: t.history_ms,
            compute_ms: t.compute_ms,
            store_ms: t.store_ms,
        }
    }
}

/// A backtest run; once `DONE`, with its metrics, trades and curves (`null` before, and in lists).
#[derive(Debug, Serialize, ToSchema)]
pub struct RunDto {
    /// Id.
    pub id: String,
    /// `QUEUED`, `RUNNING`, `DONE`, `FAILED` or `CANCELLED`.
    #[schema(value_type = String, example = "DONE")]
    pub status: RunStatus,
    /// What was asked.
    pub request: RequestDto,
    /// How far the worker got, 0–100.
    pub progress_pct: u8,
    /// Submitted at.
    pub created_at: DateTime<Utc>,
    /// When a worker started it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished, failed or was cancelled.
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub error: Option<String>,
    /// How long the run's stages took.
    pub timings: Option<TimingsDto>,
    /// The standard metrics.
    pub metrics: Option<MetricsDto>,
    /// Every trade, oldest first.
    pub trades: Option<Vec<BacktestTradeDto>>,
    /// `[date_or_ts, equity]` at every bar's close: a daily bar's IST date, an intraday bar's start.
    #[schema(value_type = Option<Vec<Vec<String>>>)]
    pub equity_curve: Option<Vec<(String, Decimal)>>,
    /// `[date_or_ts, drawdown]` at every bar's close (a negative fraction, 0 at a peak).
    #[schema(value_type = Option<Vec<Vec<serde_json::Value>>>)]
    pub drawdown_curve: Option<Vec<(String, Option<f64>)>>,
    /// Each calendar month's return.
    pub monthly_returns: Option<Vec<MonthlyReturnDto>>,
}

impl RunDto {
    /// `run` without its result (lists, and runs not done).
    pub fn of(run: &BacktestRun) -> Self {
        Self {
            id: run.id.to_string(),
            status: run.status,
            request: RequestDto::from(&run.request),
            progress_pct: run.progress_pct,
            created_at: run.created_at,
            started_at: run.started_at,
            finished_at: run.finished_at,
            error: run.error.clone(),
            timings: run.timings.map(TimingsDto::from),
            metrics: None,
            trades: None,
            equity_curve: None,
            drawdown_curve: None,
            monthly_returns: None,
        }
    }
}

impl From<&RunView> for RunDto {
    fn from(view: &RunView) -> Self {
        let run = Self::of(&view.run);
        match &view.result {
            None => run,
            Some(result) => Self {
                metrics: Some(MetricsDto::from(&result.metrics)),
                trades: Some(result.trades.iter().map(BacktestTradeDto::from).collect()),
                equity_curve: Some(result.equity_curve.iter().map(|p| (p.0.clone(), p.1)).collect()),
                drawdown_curve: Some(
                    result
                        .drawdown_curve
                        .iter()
                        .map(|p| (p.0.clone(), ratio(Some(p.1))))
                        .collect(),
                ),
                monthly_returns: Some(
                    result
                        .monthly_returns
                        .iter()
                        .map(MonthlyReturnDto::from)
                        .collect(),
                ),
                ..run
            },
        }
    }
}

/// A page of runs, newest first, without their results.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunsResponse {
    /// The runs.
    pub items: Vec<RunDto>,
    /// The next page's cursor; `null` on the last page.
    pub next_cursor: Option<String>,
}
