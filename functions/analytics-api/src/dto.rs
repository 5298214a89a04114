//! Request and response bodies of the analytics API. Money travels as decimal strings.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tradesense_domain::analytics::curve::CurvePoint;
use tradesense_domain::analytics::performance::{DayReturn, Performance};
use tradesense_domain::analytics::tax::{ClosedLot, HeadSummary, TaxHead, TaxReport};
use tradesense_domain::analytics::trades::TradeGroup;
use tradesense_domain::kernel::money::paise;
use tradesense_domain::trading::request::Side;
use utoipa::{IntoParams, ToSchema};

/// `GET /v1/analytics/tax-pnl` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaxQuery {
    /// The financial year, e.g. `2026-27` (1 April 2026 to 31 March 2027); the current one if not given.
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$", example = "2026-27")]
    pub fy: Option<String>,
}

fn head_name(head: TaxHead) -> &'static str {
    match head {
        TaxHead::IntradayEquity => "intraday_equity",
        TaxHead::FuturesAndOptions => "futures_and_options",
        TaxHead::ShortTermCapitalGain => "short_term_capital_gain",
        TaxHead::LongTermCapitalGain => "long_term_capital_gain",
    }
}

/// One tax head's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeadDto {
    /// `intraday_equity` (speculative business income), `futures_and_options` (non-speculative business
    /// income), `short_term_capital_gain` or `long_term_capital_gain` (delivery equity, held ≤ / > 12 months).
    pub head: &'static str,
    /// Lots closed.
    pub lots: usize,
    /// Sale value.
    #[schema(value_type = String)]
    pub sale_value: Decimal,
    /// Cost.
    #[schema(value_type = String)]
    pub cost: Decimal,
    /// Realized P&L before charges.
    #[schema(value_type = String)]
    pub gross_pnl: Decimal,
    /// Deductible charges: all of them for business income, all but STT for a capital gain.
    #[schema(value_type = String)]
    pub deductible_charges: Decimal,
    /// STT paid on these lots.
    #[schema(value_type = String)]
    pub stt: Decimal,
    /// `gross_pnl − deductible_charges`.
    #[schema(value_type = String)]
    pub net_pnl: Decimal,
    /// Turnover of business income (Σ |lot P&L|); `"0"` for capital gains.
    #[schema(value_type = String)]
    pub turnover: Decimal,
}

impl HeadDto {
    fn of(head: TaxHead, s: &HeadSummary) -> Self {
        Self {
            head: head_name(head),
            lots: s.lots,
            sale_value: s.sale_value,
            cost: s.cost,
            gross_pnl: s.gross_pnl,
            deductible_charges: s.deductible_charges,
            stt: s.stt,
            net_pnl: s.net_pnl,
            turnover: s.turnover,
        }
    }
}

/// One matched lot.
#[derive(Debug, Serialize, ToSchema)]
pub struct LotDto {
    /// The instrument.
    pub instrument: String,
    /// Its head.
    pub head: &'static str,
    /// Units.
    pub quantity: i64,
    /// `BUY` for a long lot, `SELL` for a short one (sold first).
    #[schema(value_type = String, pattern = "^(BUY|SELL)$")]
    pub opened_with: Side,
    /// Price bought at.
    #[schema(value_type = String)]
    pub buy_price: Decimal,
    /// Price sold at.
    #[schema(value_type = String)]
    pub sell_price: Decimal,
    /// Opened (IST date).
    pub opened_on: NaiveDate,
    /// Closed (IST date).
    pub closed_on: NaiveDate,
    /// (sell − buy) × units.
    #[schema(value_type = String)]
    pub pnl: Decimal,
    /// Its share of its fills' charges.
    #[schema(value_type = String)]
    pub charges: Decimal,
}

impl From<&ClosedLot> for LotDto {
    fn from(lot: &ClosedLot) -> Self {
        Self {
            instrument: lot.instrument.to_string(),
            head: head_name(lot.head),
            quantity: lot.quantity,
            opened_with: lot.opened_with,
            buy_price: lot.buy_price,
            sell_price: lot.sell_price,
            opened_on: lot.opened_on,
            closed_on: lot.closed_on,
            pnl: lot.pnl,
            charges: paise(lot.charges.total()),
        }
    }
}

/// `GET /v1/analytics/tax-pnl`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaxPnlResponse {
    /// The financial year (`2026-27`).
    pub fy: String,
    /// Its first day.
    pub from: NaiveDate,
    /// Its last day.
    pub to: NaiveDate,
    /// Every head, in this order: intraday equity, F&O, short-term, long-term.
    pub heads: Vec<HeadDto>,
    /// The lots closed in the year, in closing order.
    pub lots: Vec<LotDto>,
}

impl From<&TaxReport> for TaxPnlResponse {
    fn from(report: &TaxReport) -> Self {
        Self {
            fy: report.year.label(),
            from: report.year.first_day(),
            to: report.year.last_day(),
            heads: report.heads.iter().map(|(h, s)| HeadDto::of(*h, s)).collect(),
            lots: report.lots.iter().map(LotDto::from).collect(),
        }
    }
}

/// `GET /v1/analytics/trades` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TradeStatisticsQuery {
    /// The first IST date of trades closed (default: 29 days before `to`).
    pub from: Option<NaiveDate>,
    /// The last IST date (default: today on the market clock). At most 3,660 days after `from`.
    pub to: Option<NaiveDate>,
    /// `instrument`, `day` (default: the P&L calendar), `weekday`, `hour` or `product`.
    #[param(pattern = "^(instrument|day|weekday|hour|product)$")]
    pub group_by: Option<String>,
}

/// One group of trades (round trips: closed FIFO lots).
#[derive(Debug, Serialize, ToSchema)]
pub struct TradeGroupDto {
    /// The group: an instrument key, a date (`2026-11-25`), a weekday (`1 Mon` … `7 Sun`), an IST hour
    /// (`09` … `15`) or a product.
    pub key: String,
    /// Trades closed.
    pub trades: usize,
    /// Trades with a P&L after charges above zero.
    pub wins: usize,
    /// Trades with a P&L after charges below zero.
    pub losses: usize,
    /// Wins over trades, 0 to 1.
    #[schema(value_type = String)]
    pub win_rate: Decimal,
    /// P&L before charges.
    #[schema(value_type = String)]
    pub gross_pnl: Decimal,
    /// Charges.
    #[schema(value_type = String)]
    pub charges: Decimal,
    /// P&L after charges.
    #[schema(value_type = String)]
    pub net_pnl: Decimal,
}

impl From<&TradeGroup> for TradeGroupDto {
    fn from(g: &TradeGroup) -> Self {
        Self {
            key: g.key.clone(),
            trades: g.trades,
            wins: g.wins,
            losses: g.losses,
            win_rate: g.win_rate(),
            gross_pnl: g.gross_pnl,
            charges: g.charges,
            net_pnl: g.net_pnl,
        }
    }
}

/// `GET /v1/analytics/trades`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TradeStatisticsResponse {
    /// The first date.
    pub from: NaiveDate,
    /// The last date.
    pub to: NaiveDate,
    /// The grouping.
    pub group_by: String,
    /// The groups with trades, in key order.
    pub groups: Vec<TradeGroupDto>,
}

/// `GET /v1/analytics/equity-curve` and `GET /v1/analytics/performance` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// The first session (IST date; default: 364 days before `to`).
    pub from: Option<NaiveDate>,
    /// The last session (default: today on the market clock). At most 3,660 days after `from`.
    pub to: Option<NaiveDate>,
}

/// A ratio rounded to 6 places at the boundary (the math runs in floats); `None` when not finite.
fn ratio(x: f64) -> Option<f64> {
    x.is_finite().then(|| (x * 1e6).round() / 1e6)
}

/// One session of the equity curve.
#[derive(Debug, Serialize, ToSchema)]
pub struct CurvePointDto {
    /// The session (IST date).
    pub date: NaiveDate,
    /// The account's value at its close: cash plus unrealized P&L.
    #[schema(value_type = String)]
    pub equity: Decimal,
    /// Money paid in (positive) or out since the previous session (a paper reset).
    #[schema(value_type = String)]
    pub flow: Decimal,
    /// The session's time-weighted return (flows excluded); 0 on the first session, the base.
    pub daily_return: Option<f64>,
    /// Growth of 1 invested at the first session's close.
    pub growth: Option<f64>,
    /// Growth below its running peak (0 at a peak, negative below).
    pub drawdown: Option<f64>,
}

impl From<&CurvePoint> for CurvePointDto {
    fn from(p: &CurvePoint) -> Self {
        Self {
            date: p.day,
            equity: p.equity,
            flow: p.flow,
            daily_return: ratio(p.daily_return),
            growth: ratio(p.growth),
            drawdown: ratio(p.drawdown),
        }
    }
}

/// `GET /v1/analytics/equity-curve`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EquityCurveResponse {
    /// The first session asked for.
    pub from: NaiveDate,
    /// The last session asked for.
    pub to: NaiveDate,
    /// `[[date, equity]]`, one pair per session with a snapshot, oldest first (equity a decimal string).
    #[schema(value_type = Vec<Vec<String>>)]
    pub equity: Vec<[String; 2]>,
    /// `[[date, drawdown]]` of the time-weighted growth (a decimal string, 0 or negative).
    #[schema(value_type = Vec<Vec<String>>)]
    pub drawdown: Vec<[String; 2]>,
    /// The same sessions in full.
    pub points: Vec<CurvePointDto>,
}

impl EquityCurveResponse {
    /// The curve of `points` over `from` to `to`.
    pub fn of(from: NaiveDate, to: NaiveDate, points: &[CurvePoint]) -> Self {
        Self {
            from,
            to,
            equity: points
                .iter()
                .map(|p| [p.day.to_string(), p.equity.to_string()])
                .collect(),
            drawdown: points
                .iter()
                .map(|p| {
                    [
                        p.day.to_string(),
                        format!("{:.6}", ratio(p.drawdown).unwrap_or(0.0)),
                    ]
                })
                .collect(),
            points: points.iter().map(CurvePointDto::from).collect(),
        }
    }
}

/// The deepest drawdown, dated.
#[derive(Debug, Serialize, ToSchema)]
pub struct DrawdownDto {
    /// Trough ÷ peak − 1 of the time-weighted growth (negative).
    pub depth: Option<f64>,
    /// The peak's session.
    pub peak: NaiveDate,
    /// The trough's session.
    pub trough: NaiveDate,
    /// The session the peak was regained; `null` if not yet.
    pub recovered: Option<NaiveDate>,
}

/// One session's return.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayReturnDto {
    /// The session.
    pub date: NaiveDate,
    /// Its time-weighted return.
    pub r#return: Option<f64>,
}

impl From<DayReturn> for DayReturnDto {
    fn from(d: DayReturn) -> Self {
        Self {
            date: d.day,
            r#return: ratio(d.r#return),
        }
    }
}

/// Statistics of the round trips closed in the range, net of their charges.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClosedTradesDto {
    /// Round trips closed.
    pub closed: usize,
    /// Winners ÷ closed; `null` without trades.
    pub win_rate: Option<f64>,
    /// Σ winners ÷ |Σ the others|; `null` without a loser.
    pub profit_factor: Option<f64>,
    /// Mean net P&L of a winner.
    #[schema(value_type = Option<String>)]
    pub average_win: Option<Decimal>,
    /// Mean net P&L of a loser (negative).
    #[schema(value_type = Option<String>)]
    pub average_loss: Option<Decimal>,
    /// Mean net P&L of a trade.
    #[schema(value_type = Option<String>)]
    pub expectancy: Option<Decimal>,
    /// The longest run of winners.
    pub max_consecutive_wins: usize,
    /// The longest run of losers.
    pub max_consecutive_losses: usize,
}

/// Charges paid, by kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChargesByKindDto {
    /// Brokerage.
    #[schema(value_type = String)]
    pub brokerage: Decimal,
    /// Securities transaction tax.
    #[schema(value_type = String)]
    pub stt: Decimal,
    /// Exchange transaction charges (with the investor protection fund's).
    #[schema(value_type = String)]
    pub exchange: Decimal,
    /// SEBI turnover fees.
    #[schema(value_type = String)]
    pub sebi: Decimal,
    /// Stamp duty.
    #[schema(value_type = String)]
    pub stamp: Decimal,
    /// GST.
    #[schema(value_type = String)]
    pub gst: Decimal,
    /// All of them.
    #[schema(value_type = String)]
    pub total: Decimal,
}

/// `GET /v1/analytics/performance`. Returns are time-weighted (a reset is a flow, not a return) and
/// annualised over 252 sessions; ratios are rounded to 6 places and `null` when there is nothing to divide by.
#[derive(Debug, Serialize, ToSchema)]
pub struct PerformanceResponse {
    /// The first session asked for.
    pub from: NaiveDate,
    /// The last session asked for.
    pub to: NaiveDate,
    /// The first session with a snapshot (the base); `null` without one.
    pub first_day: Option<NaiveDate>,
    /// The last session with a snapshot.
    pub last_day: Option<NaiveDate>,
    /// Equity at the base.
    #[schema(value_type = Option<String>)]
    pub start_equity: Option<Decimal>,
    /// Equity at the last snapshot.
    #[schema(value_type = Option<String>)]
    pub end_equity: Option<Decimal>,
    /// Money paid in or out after the base.
    #[schema(value_type = String)]
    pub net_flows: Decimal,
    /// Time-weighted growth − 1.
    pub total_return: Option<f64>,
    /// Total return compounded to a year of 252 sessions.
    pub annualised_return: Option<f64>,
    /// Annualised sample standard deviation of the daily returns.
    pub volatility: Option<f64>,
    /// Annualised mean daily return over its standard deviation (risk-free rate 0).
    pub sharpe: Option<f64>,
    /// Annualised mean daily return over the downside deviation.
    pub sortino: Option<f64>,
    /// Annualised return ÷ |max drawdown|.
    pub calmar: Option<f64>,
    /// The deepest drawdown; `null` without one.
    pub max_drawdown: Option<DrawdownDto>,
    /// The best session.
    pub best_day: Option<DayReturnDto>,
    /// The worst session.
    pub worst_day: Option<DayReturnDto>,
    /// Round trips closed in the range.
    pub trades: ClosedTradesDto,
    /// Charges of the range's fills.
    pub charges: ChargesByKindDto,
    /// P&L realized in the range's sessions.
    #[schema(value_type = String)]
    pub realized_pnl: Decimal,
    /// Unrealized P&L at the last snapshot.
    #[schema(value_type = String)]
    pub unrealized_pnl: Decimal,
}

impl PerformanceResponse {
    /// `p` over `from` to `to`.
    pub fn of(from: NaiveDate, to: NaiveDate, p: &Performance) -> Self {
        let (c, t) = (&p.charges, &p.trades);
        Self {
            from,
            to,
            first_day: p.first_day,
            last_day: p.last_day,
            start_equity: p.start_equity,
            end_equity: p.end_equity,
            net_flows: p.net_flows,
            total_return: ratio(p.curve.total_return),
            annualised_return: p.curve.cagr.and_then(ratio),
            volatility: p.curve.annual_volatility.and_then(ratio),
            sharpe: p.curve.sharpe.and_then(ratio),
            sortino: p.curve.sortino.and_then(ratio),
            calmar: p.curve.calmar.and_then(ratio),
            max_drawdown: p.max_drawdown.map(|d| DrawdownDto {
                depth: ratio(d.depth),
                peak: d.peak,
                trough: d.trough,
                recovered: d.recovered,
            }),
            best_day: p.best_day.map(DayReturnDto::from),
            worst_day: p.worst_day.map(DayReturnDto::from),
            trades: ClosedTradesDto {
                closed: t.closed,
                win_rate: t.win_rate.and_then(ratio),
                profit_factor: t.profit_factor.and_then(ratio),
                average_win: t.average_win.map(paise),
                average_loss: t.average_loss.map(paise),
                expectancy: t.expectancy.map(paise),
                max_consecutive_wins: t.max_consecutive_wins,
                max_consecutive_losses: t.max_consecutive_losses,
            },
            charges: ChargesByKindDto {
                brokerage: c.brokerage,
                stt: c.stt,
                exchange: c.transaction + c.ipf,
                sebi: c.sebi,
                stamp: c.stamp,
                gst: c.gst,
                total: c.total(),
            },
            realized_pnl: p.realized_pnl,
            unrealized_pnl: p.unrealized_pnl,
        }
    }
}
