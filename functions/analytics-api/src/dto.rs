//! Request and response bodies of the analytics API. Money travels as decimal strings.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tradesense_domain::analytics::tax::{ClosedLot, HeadSummary, TaxHead, TaxReport};
use tradesense_domain::analytics::trades::TradeGroup;
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
            charges: tradesense_domain::kernel::money::paise(lot.charges.total()),
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
