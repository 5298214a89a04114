//! Request and response bodies of the orders API. Prices travel as decimal strings (`"1500.10"`), never as
//! JSON numbers, so no float ever touches money.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tradesense_domain::trading::charges::Charges;
use tradesense_domain::trading::request::{OrderChange, OrderRequest, OrderType, Product, Side, Validity};
use tradesense_domain::trading::status::OrderStatus;
use tradesense_domain::trading::trade::Trade;
use tradesense_http::query::TimeParam;
use utoipa::{IntoParams, ToSchema};

fn day() -> Validity {
    Validity::Day
}

/// `POST /v1/orders`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrderRequest {
    /// Instrument key, e.g. `NSE:INFY`.
    pub instrument: String,
    /// `BUY` or `SELL`.
    #[schema(value_type = String, pattern = "^(BUY|SELL)$", example = "BUY")]
    pub side: Side,
    /// Units (lots × lot size for F&O).
    pub quantity: i64,
    /// `MARKET`, `LIMIT`, `SL` or `SL-M`.
    #[schema(value_type = String, pattern = "^(MARKET|LIMIT|SL|SL-M)$", example = "LIMIT")]
    pub order_type: OrderType,
    /// `INTRADAY` or `DELIVERY`.
    #[schema(value_type = String, pattern = "^(INTRADAY|DELIVERY)$", example = "DELIVERY")]
    pub product: Product,
    /// Limit price (LIMIT, SL), a decimal string.
    #[serde(default)]
    #[schema(value_type = Option<tradesense_http::openapi::DecimalString>, example = "1500.10")]
    pub price: Option<Decimal>,
    /// Trigger price (SL, SL-M), a decimal string.
    #[serde(default)]
    #[schema(value_type = Option<tradesense_http::openapi::DecimalString>)]
    pub trigger_price: Option<Decimal>,
    /// `DAY` (default) or `IOC`.
    #[serde(default = "day")]
    #[schema(value_type = String, pattern = "^(DAY|IOC)$", example = "DAY")]
    pub validity: Validity,
    /// Quantity shown to the market (equities, 10–100%).
    #[serde(default)]
    pub disclosed_quantity: Option<i64>,
    /// Free-form label (≤ 20 characters).
    #[serde(default)]
    pub tag: Option<String>,
    /// The client's own id; a repeat with the same body returns the original order.
    #[serde(default)]
    pub client_order_id: Option<String>,
}

impl PlaceOrderRequest {
    /// The domain's view of the order.
    pub fn to_domain(&self) -> OrderRequest {
        OrderRequest {
            side: self.side,
            quantity: self.quantity,
            order_type: self.order_type,
            product: self.product,
            price: self.price,
            trigger_price: self.trigger_price,
            validity: self.validity,
            disclosed_quantity: self.disclosed_quantity,
            tag: self.tag.clone(),
            client_order_id: self.client_order_id.clone(),
        }
    }
}

pub use tradesense_http::trading::OrderDto;

/// `GET /v1/orders` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// Only this status.
    #[param(value_type = Option<String>, pattern = "^(OPEN|TRIGGER_PENDING|PARTIALLY_FILLED|COMPLETE|CANCELLED|REJECTED)$")]
    pub status: Option<OrderStatus>,
    /// Only this instrument (`EXCHANGE:SYMBOL`).
    #[param(pattern = "^(NSE|NFO|BSE|MCX):[A-Za-z0-9&_-]{1,40}$")]
    pub instrument: Option<String>,
    /// Placed at or after this: an IST day (from its start) or an RFC 3339 instant.
    #[param(inline)]
    pub from: Option<TimeParam>,
    /// Placed before this: an IST day (to its end) or an RFC 3339 instant.
    #[param(inline)]
    pub to: Option<TimeParam>,
    /// At most this many (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u16>,
    /// The previous page's `next_cursor` (opaque; one this list did not issue is a 422).
    pub cursor: Option<String>,
}

/// A page of orders, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrdersResponse {
    /// Orders.
    pub items: Vec<OrderDto>,
    /// The next page's cursor; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// One fill.
#[derive(Debug, Serialize, ToSchema)]
pub struct TradeDto {
    /// Id.
    pub trade_id: String,
    /// Order it filled.
    pub order_id: String,
    /// Instrument key.
    pub instrument: String,
    /// Side.
    #[schema(value_type = String, pattern = "^(BUY|SELL)$")]
    pub side: Side,
    /// Product.
    #[schema(value_type = String, pattern = "^(INTRADAY|DELIVERY)$")]
    pub product: Product,
    /// Units.
    pub quantity: i64,
    /// Price.
    #[schema(value_type = String)]
    pub price: Decimal,
    /// Every charge of the fill, and their total.
    pub charges: ChargesDto,
    /// When.
    pub executed_at: DateTime<Utc>,
}

/// A fill's charges, each to the paisa.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChargesDto {
    /// Brokerage.
    #[schema(value_type = String)]
    pub brokerage: Decimal,
    /// Securities transaction tax.
    #[schema(value_type = String)]
    pub stt: Decimal,
    /// Exchange transaction charge.
    #[schema(value_type = String)]
    pub transaction: Decimal,
    /// Investor-protection-fund charge.
    #[schema(value_type = String)]
    pub ipf: Decimal,
    /// SEBI fee.
    #[schema(value_type = String)]
    pub sebi: Decimal,
    /// Stamp duty.
    #[schema(value_type = String)]
    pub stamp: Decimal,
    /// GST.
    #[schema(value_type = String)]
    pub gst: Decimal,
    /// All of the above.
    #[schema(value_type = String)]
    pub total: Decimal,
}

impl From<&Charges> for ChargesDto {
    fn from(c: &Charges) -> Self {
        Self {
            brokerage: c.brokerage,
            stt: c.stt,
            transaction: c.transaction,
            ipf: c.ipf,
            sebi: c.sebi,
            stamp: c.stamp,
            gst: c.gst,
            total: c.total(),
        }
    }
}

impl From<&Trade> for TradeDto {
    fn from(t: &Trade) -> Self {
        Self {
            trade_id: t.id.to_string(),
            order_id: t.order_id.to_string(),
            instrument: t.instrument.to_string(),
            side: t.side,
            product: t.product,
            quantity: t.quantity,
            price: t.price,
            charges: ChargesDto::from(&t.charges),
            executed_at: t.executed_at,
        }
    }
}

/// `GET /v1/trades`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TradesResponse {
    /// Fills, newest first.
    pub items: Vec<TradeDto>,
    /// The next page's cursor; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `PUT /v1/orders/{id}`: at least one field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModifyOrderRequest {
    /// New quantity.
    #[serde(default)]
    pub quantity: Option<i64>,
    /// New limit price, a decimal string.
    #[serde(default)]
    #[schema(value_type = Option<tradesense_http::openapi::DecimalString>)]
    pub price: Option<Decimal>,
    /// New trigger price, a decimal string.
    #[serde(default)]
    #[schema(value_type = Option<tradesense_http::openapi::DecimalString>)]
    pub trigger_price: Option<Decimal>,
    /// New type.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^(MARKET|LIMIT|SL|SL-M)$")]
    pub order_type: Option<OrderType>,
}

impl ModifyOrderRequest {
    /// The domain's view of the change.
    pub fn to_domain(&self) -> OrderChange {
        OrderChange {
            quantity: self.quantity,
            price: self.price,
            trigger_price: self.trigger_price,
            order_type: self.order_type,
        }
    }
}
