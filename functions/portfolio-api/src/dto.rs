//! Response and request bodies of the portfolio API; money as decimal strings.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tradesense_domain::broker::live::TradingMode;
use tradesense_domain::trading::account::PaperAccount;
use tradesense_domain::trading::portfolio::{Funds, HoldingValue, Summary};
use utoipa::ToSchema;

pub use tradesense_http::trading::PositionDto;

/// `GET /v1/portfolio/funds`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundsDto {
    /// The cash ledger: funding + realized P&L − charges.
    #[schema(value_type = String)]
    pub cash: Decimal,
    /// Held by positions and blocked by working orders.
    #[schema(value_type = String)]
    pub margin_used: Decimal,
    /// Free to trade with.
    #[schema(value_type = String)]
    pub margin_available: Decimal,
    /// Paid in.
    #[schema(value_type = String)]
    pub payin: Decimal,
    /// Paid out.
    #[schema(value_type = String)]
    pub payout: Decimal,
}

impl From<Funds> for FundsDto {
    fn from(f: Funds) -> Self {
        Self {
            cash: f.cash,
            margin_used: f.margin_used,
            margin_available: f.margin_available,
            payin: f.payin,
            payout: f.payout,
        }
    }
}

/// `GET /v1/portfolio/positions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionsResponse {
    /// Positions.
    pub items: Vec<PositionDto>,
}

/// One holding valued at the last price.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldingDto {
    /// Instrument key.
    pub instrument: String,
    /// Units held.
    pub quantity: i64,
    /// Average cost per unit.
    #[schema(value_type = String)]
    pub average_price: Decimal,
    /// The mark.
    #[schema(value_type = String)]
    pub last_price: Decimal,
    /// Units × mark.
    #[schema(value_type = String)]
    pub value: Decimal,
    /// Value − cost.
    #[schema(value_type = String)]
    pub pnl: Decimal,
    /// P&L as a percentage of cost.
    #[schema(value_type = String)]
    pub pnl_pct: Decimal,
}

impl From<&HoldingValue> for HoldingDto {
    fn from(h: &HoldingValue) -> Self {
        Self {
            instrument: h.instrument.to_string(),
            quantity: h.quantity,
            average_price: h.average_price,
            last_price: h.last_price,
            value: h.value,
            pnl: h.pnl,
            pnl_pct: h.pnl_pct,
        }
    }
}

/// `GET /v1/portfolio/holdings`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldingsResponse {
    /// Holdings.
    pub items: Vec<HoldingDto>,
}

/// `GET /v1/portfolio`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryDto {
    /// Cash ledger.
    #[schema(value_type = String)]
    pub cash: Decimal,
    /// Margin used.
    #[schema(value_type = String)]
    pub margin_used: Decimal,
    /// Margin available.
    #[schema(value_type = String)]
    pub margin_available: Decimal,
    /// Value of the holdings (delivery buys settle into holdings at the end of their day, T+1).
    #[schema(value_type = String)]
    pub holdings_value: Decimal,
    /// Σ positions' mark-to-market.
    #[schema(value_type = String)]
    pub positions_mtm: Decimal,
    /// Realized + unrealized − charges.
    #[schema(value_type = String)]
    pub day_pnl: Decimal,
    /// Σ realized P&L.
    #[schema(value_type = String)]
    pub realized_pnl: Decimal,
    /// Σ unrealized P&L.
    #[schema(value_type = String)]
    pub unrealized_pnl: Decimal,
    /// When valued.
    pub as_of: DateTime<Utc>,
}

impl From<&Summary> for SummaryDto {
    fn from(summary: &Summary) -> Self {
        Self {
            cash: summary.funds.cash,
            margin_used: summary.funds.margin_used,
            margin_available: summary.funds.margin_available,
            holdings_value: summary.holdings_value,
            positions_mtm: summary.positions_mtm,
            day_pnl: summary.day_pnl,
            realized_pnl: summary.realized_pnl,
            unrealized_pnl: summary.unrealized_pnl,
            as_of: summary.as_of,
        }
    }
}

/// `GET`/`PUT /v1/portfolio/mode`: where the account's new orders go.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModeDto {
    /// `paper` (the default) or `live` (the linked Upstox account).
    #[schema(value_type = String, pattern = "^(paper|live)$", example = "live")]
    pub mode: TradingMode,
}

/// `POST /v1/portfolio/paper/reset`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// New funding, ₹10,000.00 to ₹1,00,00,000.00, a decimal string.
    #[schema(value_type = tradesense_http::openapi::DecimalString, example = "1000000.00")]
    pub initial_cash: Decimal,
}

/// The account after a reset.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetResponse {
    /// Cash.
    #[schema(value_type = String)]
    pub cash: Decimal,
    /// When funded.
    pub funded_at: DateTime<Utc>,
}

impl From<&PaperAccount> for ResetResponse {
    fn from(a: &PaperAccount) -> Self {
        Self {
            cash: a.cash,
            funded_at: a.funded_at,
        }
    }
}
