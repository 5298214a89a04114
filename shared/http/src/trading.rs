//! What every function that trades answers with: the order as the API shows it ([`OrderDto`], the orders
//! API's shape wherever an order appears), a position valued at the last price ([`PositionDto`], the
//! portfolio's), both also in the push channel's frames, and the status and code of each placement refusal.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use tradesense_domain::kernel::validation::Violation;
use tradesense_domain::market::ports::MarketDataError;
use tradesense_domain::trading::errors::PlaceError;
use tradesense_domain::trading::order::{Order, StatusChange};
use tradesense_domain::trading::portfolio::PositionValue;
use tradesense_domain::trading::request::{OrderType, Product, Side, Validity};
use tradesense_domain::trading::risk::RiskRejection;
use tradesense_domain::trading::status::OrderStatus;
use utoipa::ToSchema;

use crate::{ApiError, ErrorCode};

/// One step of an order's life.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChangeDto {
    /// Status entered.
    #[schema(value_type = String)]
    pub status: OrderStatus,
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub message: Option<String>,
}

/// An order.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDto {
    /// Id.
    pub id: String,
    /// The client's id.
    pub client_order_id: Option<String>,
    /// Instrument key.
    pub instrument: String,
    /// Side.
    #[schema(value_type = String, pattern = "^(BUY|SELL)$")]
    pub side: Side,
    /// Units ordered.
    pub quantity: i64,
    /// Units filled.
    pub filled_quantity: i64,
    /// Average fill price.
    #[schema(value_type = Option<String>)]
    pub average_price: Option<Decimal>,
    /// Type.
    #[schema(value_type = String, pattern = "^(MARKET|LIMIT|SL|SL-M)$")]
    pub order_type: OrderType,
    /// Product.
    #[schema(value_type = String, pattern = "^(INTRADAY|DELIVERY)$")]
    pub product: Product,
    /// Limit price.
    #[schema(value_type = Option<String>)]
    pub price: Option<Decimal>,
    /// Trigger price.
    #[schema(value_type = Option<String>)]
    pub trigger_price: Option<Decimal>,
    /// Validity.
    #[schema(value_type = String, pattern = "^(DAY|IOC)$")]
    pub validity: Validity,
    /// Disclosed quantity.
    pub disclosed_quantity: Option<i64>,
    /// Status.
    #[schema(value_type = String)]
    pub status: OrderStatus,
    /// Why it stands where it does.
    pub status_message: Option<String>,
    /// Label.
    pub tag: Option<String>,
    /// After-market order.
    pub is_amo: bool,
    /// Funds blocked while it works.
    #[schema(value_type = String)]
    pub blocked: Decimal,
    /// Placed at.
    pub placed_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Where the order went: `paper`, or the live broker (`upstox`).
    pub broker: String,
    /// The live broker's id of the order, once it confirmed it; `null` for paper orders.
    pub broker_order_id: Option<String>,
    /// Status history, oldest first (`GET /v1/orders/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<StatusChangeDto>>,
}

/// One position valued at the last price.
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionDto {
    /// Instrument key.
    pub instrument: String,
    /// `INTRADAY` or `DELIVERY`.
    #[schema(value_type = String, pattern = "^(INTRADAY|DELIVERY)$")]
    pub product: Product,
    /// Open quantity (negative: short).
    pub quantity: i64,
    /// Average price of the open quantity.
    #[schema(value_type = String)]
    pub average_price: Decimal,
    /// The mark.
    #[schema(value_type = String)]
    pub last_price: Decimal,
    /// Mark-to-market.
    #[schema(value_type = String)]
    pub mtm: Decimal,
    /// Realized P&L.
    #[schema(value_type = String)]
    pub realized_pnl: Decimal,
    /// Unrealized P&L.
    #[schema(value_type = String)]
    pub unrealized_pnl: Decimal,
    /// Units bought today.
    pub day_buy_qty: i64,
    /// Units sold today.
    pub day_sell_qty: i64,
    /// Charges paid on the fills.
    #[schema(value_type = String)]
    pub charges: Decimal,
}

impl From<&PositionValue> for PositionDto {
    fn from(p: &PositionValue) -> Self {
        Self {
            instrument: p.instrument.to_string(),
            product: p.product,
            quantity: p.quantity,
            average_price: p.average_price,
            last_price: p.last_price,
            mtm: p.mtm,
            realized_pnl: p.realized_pnl,
            unrealized_pnl: p.unrealized_pnl,
            day_buy_qty: p.buy_quantity,
            day_sell_qty: p.sell_quantity,
            charges: p.charges,
        }
    }
}

impl OrderDto {
    /// The order, with its history when `with_history`.
    pub fn from_order(order: &Order, with_history: bool) -> Self {
        let change = |c: &StatusChange| StatusChangeDto {
            status: c.status,
            at: c.at,
            message: c.message.clone(),
        };
        Self {
            id: order.id.to_string(),
            client_order_id: order.request.client_order_id.clone(),
            instrument: order.instrument.to_string(),
            side: order.request.side,
            quantity: order.request.quantity,
            filled_quantity: order.filled_quantity,
            average_price: order.average_price,
            order_type: order.request.order_type,
            product: order.request.product,
            price: order.request.price,
            trigger_price: order.request.trigger_price,
            validity: order.request.validity,
            disclosed_quantity: order.request.disclosed_quantity,
            status: order.status,
            status_message: order.status_message.clone(),
            tag: order.request.tag.clone(),
            is_amo: order.is_amo,
            blocked: order.blocked,
            placed_at: order.placed_at,
            updated_at: order.updated_at,
            broker: order
                .live
                .as_ref()
                .map_or("paper", |live| live.broker.as_str())
                .to_owned(),
            broker_order_id: order.live.as_ref().and_then(|live| live.broker_order_id.clone()),
            history: with_history.then(|| order.history.iter().map(change).collect()),
        }
    }
}

/// `409 CONFLICT` saying `message`.
pub fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
}

/// `422` for a risk rule: `INSUFFICIENT_FUNDS` for funds, `RISK_REJECTED` for the rest.
pub fn risk(risk: RiskRejection) -> ApiError {
    let code = match risk {
        RiskRejection::InsufficientFunds { .. } => ErrorCode::InsufficientFunds,
        _ => ErrorCode::RiskRejected,
    };
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, risk.to_string())
}

/// `422 VALIDATION_FAILED` for an order breaking order rules, one detail per violation.
pub fn invalid(violations: Vec<Violation>) -> ApiError {
    ApiError::violations("the order breaks order rules", violations)
}

impl From<PlaceError> for ApiError {
    fn from(e: PlaceError) -> Self {
        match e {
            PlaceError::UnknownInstrument => {
                ApiError::unprocessable_field("instrument", "unknown instrument")
            }
            PlaceError::Invalid(violations) => invalid(violations),
            PlaceError::Risk(rejection) => risk(rejection),
            PlaceError::KeyReused(field) => {
                conflict(format!("{field} was already used for a different order"))
            }
            PlaceError::RateLimited(decision) => {
                ApiError::rate_limited(decision.retry_after_secs).with_rate_limit(decision)
            }
            PlaceError::KillSwitch(reason) => ApiError::new(
                StatusCode::LOCKED,
                ErrorCode::KillSwitchActive,
                format!("trading is halted: {reason}"),
            ),
            busy @ PlaceError::Busy => conflict(busy.to_string()),
            PlaceError::MarketData(MarketDataError::Unsupported(message)) => {
                ApiError::unprocessable_field("instrument", message)
            }
            PlaceError::MarketData(MarketDataError::Unavailable(e)) => {
                tracing::warn!(error = ?e, "no price to trade at");
                ApiError::unavailable("market data is unavailable; try again shortly")
            }
            PlaceError::Broker(e) => e.into(),
            PlaceError::Unexpected(e) => ApiError::internal(e),
        }
    }
}
