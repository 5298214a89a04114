//! Upstox orders and account (<https://upstox.com/developer/api-documentation>) behind the domain's
//! [`LiveBroker`] port. One client serves every user: each call carries the user's access token, sent as a
//! bearer token and never logged.
//!
//! - Orders, on the order host ([`DEFAULT_ORDER_BASE_URL`]), v3: `POST /v3/order/place` (answer
//!   `data.order_ids`; sent with `slice: false`, so one order and one id), `PUT /v3/order/modify`,
//!   `DELETE /v3/order/cancel?order_id=…`. Each is sent once and never retried: a repeated request could trade
//!   twice. Our client order id goes out as the order's `tag`, so after a failed call the order can be found
//!   in the order book.
//! - The account, on the API host ([`super::DEFAULT_BASE_URL`]), v2: `GET /v2/order/retrieve-all`,
//!   `GET /v2/portfolio/short-term-positions`, `GET /v2/portfolio/long-term-holdings`,
//!   `GET /v2/user/get-funds-and-margin` (its `equity` segment). These are retried with jittered backoff on
//!   429, 5xx and transport errors, as market data is.
//!
//! Prices go out as JSON numbers written from the decimal's own digits (the request bodies are written by
//! hand: serde_json would go through `f64`), and come back read from the JSON number's text, never through
//! `f64` arithmetic. Every call is bounded by [`UpstoxOrderSettings::timeout`].
//!
//! Error mapping: 401 and 403 are [`LiveBrokerError::Unauthorized`]; any other 4xx is
//! [`LiveBrokerError::Rejected`] with Upstox's `errors[0]` message and code; transport errors, timeouts, 429,
//! 5xx and answers not in Upstox's documented shape are [`LiveBrokerError::Unavailable`].

use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::header::CONTENT_TYPE;
use reqwest::{RequestBuilder, StatusCode};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;
use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::{Number, Value};
use tradesense_domain::broker::link::BrokerAccessToken;
use tradesense_domain::broker::live::{
    LiveBrokerError, LiveFunds, LiveHolding, LiveOrder, LivePosition, ModifyLiveOrder, PlaceLiveOrder,
};
use tradesense_domain::broker::ports::LiveBroker;
use tradesense_domain::kernel::time::ist;
use tradesense_domain::trading::request::{OrderType, Product, Side, Validity};

use super::market::{RetryPolicy, json_decimal};
use super::status::read_upstox_status;
use super::{Answer, Envelope, Jitter, error_message, send};

/// Upstox's order host (place, modify, cancel).
pub const DEFAULT_ORDER_BASE_URL: &str = "https://api-hft.upstox.com";

/// Timeouts and retries of [`UpstoxOrderClient`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstoxOrderSettings {
    /// The longest one HTTP call may take, body included.
    pub timeout: Duration,
    /// Retries of the reads (order book, positions, holdings, funds); orders are never retried.
    pub retry: RetryPolicy,
}

impl Default for UpstoxOrderSettings {
    /// 5 s per call, [`RetryPolicy::default`].
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
        }
    }
}

/// [`LiveBroker`] over Upstox's REST API.
#[derive(Debug)]
pub struct UpstoxOrderClient {
    http: reqwest::Client,
    order_base_url: String,
    api_base_url: String,
    retry: RetryPolicy,
    jitter: Jitter,
}

impl UpstoxOrderClient {
    /// A client sending orders to `order_base_url` (normally [`DEFAULT_ORDER_BASE_URL`]) and reading the
    /// account from `api_base_url` (normally [`super::DEFAULT_BASE_URL`]), with default settings.
    ///
    /// # Errors
    /// If the HTTP client cannot be built.
    pub fn new(order_base_url: &str, api_base_url: &str) -> anyhow::Result<Self> {
        Self::with_settings(order_base_url, api_base_url, UpstoxOrderSettings::default())
    }

    /// Like [`new`](Self::new), with explicit timeout and retries.
    ///
    /// # Errors
    /// If the HTTP client cannot be built.
    pub fn with_settings(
        order_base_url: &str,
        api_base_url: &str,
        settings: UpstoxOrderSettings,
    ) -> anyhow::Result<Self> {
        let http = super::http_client(settings.timeout)?;
        Ok(Self {
            http,
            order_base_url: order_base_url.trim_end_matches('/').to_owned(),
            api_base_url: api_base_url.trim_end_matches('/').to_owned(),
            retry: settings.retry,
            jitter: Jitter::default(),
        })
    }

    /// One order request (place, modify, cancel): sent once, whatever happens.
    async fn order_call(
        &self,
        request: RequestBuilder,
        token: &BrokerAccessToken,
        what: &'static str,
    ) -> Result<Vec<u8>, LiveBrokerError> {
        attempt(request, token, what).await.map_err(Failure::into_error)
    }

    /// One read of the account at `path`: attempts with backoff on transient failures.
    async fn read(
        &self,
        token: &BrokerAccessToken,
        path: &str,
        what: &'static str,
    ) -> Result<Vec<u8>, LiveBrokerError> {
        let url = format!("{}{path}", self.api_base_url);
        let max_attempts = self.retry.max_attempts.max(1);
        let mut attempt_number = 1;
        loop {
            match attempt(self.http.get(&url), token, what).await {
                Ok(body) => return Ok(body),
                Err(Failure::Transient { message, retry_after }) if attempt_number < max_attempts => {
                    let delay = self.retry.delay(attempt_number, self.jitter.next(), retry_after);
                    tracing::warn!(what, attempt = attempt_number, delay_ms = delay.as_millis() as u64, error = %message, "Upstox call failed; retrying");
                    tokio::time::sleep(delay).await;
                    attempt_number += 1;
                }
                Err(failure) => return Err(failure.into_error()),
            }
        }
    }
}

/// How one HTTP attempt failed.
enum Failure {
    /// Worth another try (for a read): transport error, timeout, 429, 5xx.
    Transient {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Trying again will not help.
    Final(LiveBrokerError),
}

impl Failure {
    fn into_error(self) -> LiveBrokerError {
        match self {
            Failure::Transient { message, .. } => LiveBrokerError::Unavailable(message),
            Failure::Final(error) => error,
        }
    }
}

/// Sends `request` with the token and reads the answer: a 2xx body, or how it failed.
async fn attempt(
    request: RequestBuilder,
    token: &BrokerAccessToken,
    what: &'static str,
) -> Result<Vec<u8>, Failure> {
    let transient = |e: reqwest::Error| Failure::Transient {
        message: format!("{what}: {:#}", anyhow::Error::new(e)),
        retry_after: None,
    };
    let Answer {
        status,
        retry_after,
        body,
    } = send(request, &token.0).await.map_err(transient)?;
    if status.is_success() {
        return Ok(body);
    }
    let message = error_message(&body).unwrap_or_else(|| format!("HTTP {status}"));
    if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        tracing::warn!(what, status = status.as_u16(), upstox = %message, "Upstox refused the access token");
        return Err(Failure::Final(LiveBrokerError::Unauthorized));
    }
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        return Err(Failure::Transient {
            message: format!("{what}: Upstox answered HTTP {status}: {message}"),
            retry_after,
        });
    }
    Err(Failure::Final(LiveBrokerError::Rejected(message)))
}

/// The `data` of a 2xx answer; one carrying Upstox's error body instead is a refusal.
fn data<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, LiveBrokerError> {
    let envelope: Envelope<T> = serde_json::from_slice(body)
        .map_err(|e| LiveBrokerError::Unavailable(format!("{what}: answer not understood: {e}")))?;
    envelope.success().ok_or_else(|| match error_message(body) {
        Some(message) => LiveBrokerError::Rejected(message),
        None => LiveBrokerError::Unavailable(format!("{what}: answer without status success and data")),
    })
}

/// A flat JSON object written by hand, so decimals go out as JSON numbers with exactly their digits.
struct JsonObject(String);

impl JsonObject {
    fn new() -> Self {
        Self(String::from("{"))
    }

    fn raw(mut self, key: &str, value: &str) -> Self {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&Value::from(key).to_string());
        self.0.push(':');
        self.0.push_str(value);
        self
    }

    fn string(self, key: &str, value: &str) -> Self {
        let quoted = Value::from(value).to_string();
        self.raw(key, &quoted)
    }

    fn int(self, key: &str, value: i64) -> Self {
        self.raw(key, &value.to_string())
    }

    /// A decimal's `Display` is a valid JSON number: digits, at most one point, never an exponent.
    fn decimal(self, key: &str, value: Decimal) -> Self {
        self.raw(key, &value.to_string())
    }

    fn bool(self, key: &str, value: bool) -> Self {
        self.raw(key, if value { "true" } else { "false" })
    }

    fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// The place-order body, fields in the order Upstox documents them. Prices not used by the order type go
/// out as 0, as Upstox's examples send them.
fn place_body(order: &PlaceLiveOrder) -> String {
    let r = &order.request;
    JsonObject::new()
        .int("quantity", r.quantity)
        .string("product", product_code(r.product))
        .string("validity", validity_code(r.validity))
        .decimal("price", r.price.unwrap_or_default())
        .string("tag", &order.client_order_id)
        .string("instrument_token", &order.instrument_key)
        .string("order_type", order_type_code(r.order_type))
        .string("transaction_type", side_code(r.side))
        .int("disclosed_quantity", r.disclosed_quantity.unwrap_or(0))
        .decimal("trigger_price", r.trigger_price.unwrap_or_default())
        .bool("is_amo", order.is_amo)
        .bool("slice", false)
        .finish()
}

/// The modify-order body. `quantity` and `disclosed_quantity` are optional at Upstox (left out, the order
/// keeps its own); price and trigger are required, 0 when the order type has none.
fn modify_body(change: &ModifyLiveOrder) -> String {
    let mut body = JsonObject::new();
    if let Some(quantity) = change.quantity {
        body = body.int("quantity", quantity);
    }
    body = body
        .string("validity", validity_code(change.validity))
        .decimal("price", change.price.unwrap_or_default())
        .string("order_id", &change.broker_order_id)
        .string("order_type", order_type_code(change.order_type));
    if let Some(disclosed) = change.disclosed_quantity {
        body = body.int("disclosed_quantity", disclosed);
    }
    body.decimal("trigger_price", change.trigger_price.unwrap_or_default())
        .finish()
}

fn product_code(product: Product) -> &'static str {
    match product {
        Product::Delivery => "D",
        Product::Intraday => "I",
    }
}

fn validity_code(validity: Validity) -> &'static str {
    match validity {
        Validity::Day => "DAY",
        Validity::Ioc => "IOC",
    }
}

fn order_type_code(order_type: OrderType) -> &'static str {
    match order_type {
        OrderType::Market => "MARKET",
        OrderType::Limit => "LIMIT",
        OrderType::StopLoss => "SL",
        OrderType::StopLossMarket => "SL-M",
    }
}

fn side_code(side: Side) -> &'static str {
    match side {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

/// Upstox's products: `I` intraday; `CO` (cover) and `OCO` (bracket) are intraday too; `D` delivery or
/// carry-forward, and `MTF` (margin-funded delivery).
fn product_from(code: &str) -> anyhow::Result<Product> {
    match code {
        "I" | "CO" | "OCO" => Ok(Product::Intraday),
        "D" | "MTF" => Ok(Product::Delivery),
        other => anyhow::bail!("product {other:?}"),
    }
}

/// `DAY`, `IOC`, and BSE's `EOS` (end of session), which lives the day.
fn validity_from(code: &str) -> anyhow::Result<Validity> {
    match code {
        "DAY" | "EOS" => Ok(Validity::Day),
        "IOC" => Ok(Validity::Ioc),
        other => anyhow::bail!("validity {other:?}"),
    }
}

fn order_type_from(code: &str) -> anyhow::Result<OrderType> {
    match code {
        "MARKET" => Ok(OrderType::Market),
        "LIMIT" => Ok(OrderType::Limit),
        "SL" => Ok(OrderType::StopLoss),
        "SL-M" => Ok(OrderType::StopLossMarket),
        other => anyhow::bail!("order_type {other:?}"),
    }
}

fn side_from(code: &str) -> anyhow::Result<Side> {
    match code {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        other => anyhow::bail!("transaction_type {other:?}"),
    }
}

fn money(n: &Number, field: &str) -> anyhow::Result<Decimal> {
    json_decimal(n).with_context(|| format!("{field} {n} is not a decimal"))
}

/// A price Upstox sends as 0 (or null) when there is none.
fn optional_price(n: Option<&Number>, field: &str) -> anyhow::Result<Option<Decimal>> {
    Ok(n.map(|n| money(n, field)).transpose()?.filter(|p| !p.is_zero()))
}

fn units(n: &Number, field: &str) -> anyhow::Result<i64> {
    n.as_i64()
        .or_else(|| {
            json_decimal(n)
                .filter(|d| d.fract().is_zero())
                .and_then(|d| d.to_i64())
        })
        .with_context(|| format!("{field} {n} is not a whole number"))
}

fn optional_units(n: Option<&Number>, field: &str) -> anyhow::Result<i64> {
    n.map_or(Ok(0), |n| units(n, field))
}

/// `2023-10-19 09:23:23`, India time.
fn placed_at(text: Option<&str>) -> anyhow::Result<Option<DateTime<Utc>>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .with_context(|| format!("order_timestamp {text:?}"))?;
    Ok(local
        .and_local_timezone(ist())
        .single()
        .map(|t| t.with_timezone(&Utc)))
}

/// `{"order_ids":["1644490272000"]}`.
#[derive(Deserialize)]
struct Placed {
    order_ids: Vec<String>,
}

/// One order of the order book (fields we use; Upstox sends more).
#[derive(Deserialize)]
struct OrderRow {
    order_id: String,
    #[serde(default)]
    tag: Option<String>,
    instrument_token: String,
    trading_symbol: String,
    exchange: String,
    transaction_type: String,
    quantity: Number,
    #[serde(default)]
    filled_quantity: Option<Number>,
    #[serde(default)]
    average_price: Option<Number>,
    #[serde(default)]
    price: Option<Number>,
    #[serde(default)]
    trigger_price: Option<Number>,
    order_type: String,
    product: String,
    validity: String,
    #[serde(default)]
    is_amo: Option<bool>,
    status: String,
    #[serde(default)]
    status_message: Option<String>,
    #[serde(default)]
    order_timestamp: Option<String>,
}

impl OrderRow {
    fn into_live(self) -> anyhow::Result<LiveOrder> {
        let quantity = units(&self.quantity, "quantity")?;
        let filled_quantity = optional_units(self.filled_quantity.as_ref(), "filled_quantity")?;
        let read = read_upstox_status(
            &self.status,
            quantity,
            filled_quantity,
            self.status_message.as_deref(),
        );
        let average_price =
            optional_price(self.average_price.as_ref(), "average_price")?.filter(|_| filled_quantity > 0);
        Ok(LiveOrder {
            side: side_from(&self.transaction_type)?,
            quantity,
            filled_quantity,
            average_price,
            price: optional_price(self.price.as_ref(), "price")?,
            trigger_price: optional_price(self.trigger_price.as_ref(), "trigger_price")?,
            order_type: order_type_from(&self.order_type)?,
            product: product_from(&self.product)?,
            validity: validity_from(&self.validity)?,
            is_amo: self.is_amo.unwrap_or(false),
            status: read.status,
            status_message: read.message,
            placed_at: placed_at(self.order_timestamp.as_deref())?,
            broker_order_id: self.order_id,
            tag: self.tag.filter(|t| !t.is_empty()),
            instrument_key: self.instrument_token,
            trading_symbol: self.trading_symbol,
            exchange: self.exchange,
            broker_status: self.status,
        })
    }
}

/// One short-term position (fields we use).
#[derive(Deserialize)]
struct PositionRow {
    instrument_token: String,
    trading_symbol: String,
    exchange: String,
    product: String,
    quantity: Number,
    #[serde(default)]
    overnight_quantity: Option<Number>,
    #[serde(default)]
    day_buy_quantity: Option<Number>,
    #[serde(default)]
    day_sell_quantity: Option<Number>,
    #[serde(default)]
    average_price: Option<Number>,
    last_price: Number,
    close_price: Number,
    pnl: Number,
    realised: Number,
    unrealised: Number,
}

impl PositionRow {
    fn into_live(self) -> anyhow::Result<LivePosition> {
        Ok(LivePosition {
            product: product_from(&self.product)?,
            quantity: units(&self.quantity, "quantity")?,
            overnight_quantity: optional_units(self.overnight_quantity.as_ref(), "overnight_quantity")?,
            day_buy_quantity: optional_units(self.day_buy_quantity.as_ref(), "day_buy_quantity")?,
            day_sell_quantity: optional_units(self.day_sell_quantity.as_ref(), "day_sell_quantity")?,
            average_price: self
                .average_price
                .as_ref()
                .map(|n| money(n, "average_price"))
                .transpose()?,
            last_price: money(&self.last_price, "last_price")?,
            close_price: money(&self.close_price, "close_price")?,
            pnl: money(&self.pnl, "pnl")?,
            realised: money(&self.realised, "realised")?,
            unrealised: money(&self.unrealised, "unrealised")?,
            instrument_key: self.instrument_token,
            trading_symbol: self.trading_symbol,
            exchange: self.exchange,
        })
    }
}

/// One long-term holding (fields we use).
#[derive(Deserialize)]
struct HoldingRow {
    isin: String,
    instrument_token: String,
    trading_symbol: String,
    #[serde(default)]
    company_name: Option<String>,
    exchange: String,
    quantity: Number,
    #[serde(default)]
    t1_quantity: Option<Number>,
    average_price: Number,
    last_price: Number,
    close_price: Number,
    pnl: Number,
    day_change: Number,
}

impl HoldingRow {
    fn into_live(self) -> anyhow::Result<LiveHolding> {
        Ok(LiveHolding {
            quantity: units(&self.quantity, "quantity")?,
            t1_quantity: optional_units(self.t1_quantity.as_ref(), "t1_quantity")?,
            average_price: money(&self.average_price, "average_price")?,
            last_price: money(&self.last_price, "last_price")?,
            close_price: money(&self.close_price, "close_price")?,
            pnl: money(&self.pnl, "pnl")?,
            day_change: money(&self.day_change, "day_change")?,
            isin: self.isin,
            instrument_key: self.instrument_token,
            trading_symbol: self.trading_symbol,
            company_name: self.company_name.unwrap_or_default(),
            exchange: self.exchange,
        })
    }
}

/// `{"equity":{…},"commodity":{…}}`.
#[derive(Deserialize)]
struct FundsData {
    equity: SegmentFunds,
}

#[derive(Deserialize)]
struct SegmentFunds {
    available_margin: Number,
    used_margin: Number,
    payin_amount: Number,
}

/// Rows read one by one; the first that is not in Upstox's documented shape fails the whole answer.
fn rows<R, T>(rows: Vec<R>, what: &str, read: fn(R) -> anyhow::Result<T>) -> Result<Vec<T>, LiveBrokerError> {
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            read(row).map_err(|e| LiveBrokerError::Unavailable(format!("{what}: row {i}: {e:#}")))
        })
        .collect()
}

#[async_trait]
impl LiveBroker for UpstoxOrderClient {
    async fn place_order(
        &self,
        token: &BrokerAccessToken,
        order: &PlaceLiveOrder,
    ) -> Result<String, LiveBrokerError> {
        const WHAT: &str = "Upstox place order";
        let request = self
            .http
            .post(format!("{}/v3/order/place", self.order_base_url))
            .header(CONTENT_TYPE, "application/json")
            .body(place_body(order));
        let body = self.order_call(request, token, WHAT).await?;
        let placed: Placed = data(&body, WHAT)?;
        let order_id = placed.order_ids.into_iter().next().ok_or_else(|| {
            LiveBrokerError::Unavailable(format!(
                "{WHAT}: Upstox accepted the order but returned no order id; look for tag {} in the order book",
                order.client_order_id
            ))
        })?;
        tracing::info!(order_id = %order_id, tag = %order.client_order_id, "Upstox order placed");
        Ok(order_id)
    }

    async fn modify_order(
        &self,
        token: &BrokerAccessToken,
        change: &ModifyLiveOrder,
    ) -> Result<(), LiveBrokerError> {
        const WHAT: &str = "Upstox modify order";
        let request = self
            .http
            .put(format!("{}/v3/order/modify", self.order_base_url))
            .header(CONTENT_TYPE, "application/json")
            .body(modify_body(change));
        let body = self.order_call(request, token, WHAT).await?;
        data::<IgnoredAny>(&body, WHAT)?;
        tracing::info!(order_id = %change.broker_order_id, "Upstox order modified");
        Ok(())
    }

    async fn cancel_order(
        &self,
        token: &BrokerAccessToken,
        broker_order_id: &str,
    ) -> Result<(), LiveBrokerError> {
        const WHAT: &str = "Upstox cancel order";
        let request = self
            .http
            .delete(format!("{}/v3/order/cancel", self.order_base_url))
            .query(&[("order_id", broker_order_id)]);
        let body = self.order_call(request, token, WHAT).await?;
        data::<IgnoredAny>(&body, WHAT)?;
        tracing::info!(order_id = broker_order_id, "Upstox order cancelled");
        Ok(())
    }

    /// Upstox's page shows the answer as a bare array while its OpenAPI schema wraps it in
    /// `{status, data}`; both are read.
    async fn order_book(&self, token: &BrokerAccessToken) -> Result<Vec<LiveOrder>, LiveBrokerError> {
        const WHAT: &str = "Upstox order book";
        let body = self.read(token, "/v2/order/retrieve-all", WHAT).await?;
        let bare = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        let orders: Vec<OrderRow> = if bare {
            serde_json::from_slice(&body)
                .map_err(|e| LiveBrokerError::Unavailable(format!("{WHAT}: answer not understood: {e}")))?
        } else {
            data(&body, WHAT)?
        };
        rows(orders, WHAT, OrderRow::into_live)
    }

    async fn positions(&self, token: &BrokerAccessToken) -> Result<Vec<LivePosition>, LiveBrokerError> {
        const WHAT: &str = "Upstox positions";
        let body = self
            .read(token, "/v2/portfolio/short-term-positions", WHAT)
            .await?;
        rows(data(&body, WHAT)?, WHAT, PositionRow::into_live)
    }

    async fn holdings(&self, token: &BrokerAccessToken) -> Result<Vec<LiveHolding>, LiveBrokerError> {
        const WHAT: &str = "Upstox holdings";
        let body = self.read(token, "/v2/portfolio/long-term-holdings", WHAT).await?;
        rows(data(&body, WHAT)?, WHAT, HoldingRow::into_live)
    }

    async fn funds(&self, token: &BrokerAccessToken) -> Result<LiveFunds, LiveBrokerError> {
        const WHAT: &str = "Upstox funds";
        let body = self.read(token, "/v2/user/get-funds-and-margin", WHAT).await?;
        let funds: FundsData = data(&body, WHAT)?;
        let read = || -> anyhow::Result<LiveFunds> {
            Ok(LiveFunds {
                available_margin: money(&funds.equity.available_margin, "available_margin")?,
                used_margin: money(&funds.equity.used_margin, "used_margin")?,
                payin: money(&funds.equity.payin_amount, "payin_amount")?,
            })
        };
        read().map_err(|e| LiveBrokerError::Unavailable(format!("{WHAT}: {e:#}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradesense_domain::trading::request::OrderRequest;

    #[test]
    fn bodies_are_json_with_the_decimals_own_digits() {
        let order = PlaceLiveOrder {
            instrument_key: "NSE_EQ|INE002A01018".into(),
            client_order_id: "a\"b".into(),
            request: OrderRequest {
                side: Side::Buy,
                quantity: 3,
                order_type: OrderType::Limit,
                product: Product::Delivery,
                price: Some(Decimal::new(155010, 2)),
                trigger_price: None,
                validity: Validity::Day,
                disclosed_quantity: None,
                tag: None,
                client_order_id: None,
            },
            is_amo: false,
        };
        let body = place_body(&order);
        assert!(body.contains(r#""price":1550.10,"#), "{body}");
        assert!(body.contains(r#""tag":"a\"b","#), "{body}");
        let parsed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["trigger_price"], 0);
        assert_eq!(parsed["slice"], false);
    }

    #[test]
    fn india_time_stamps_become_utc() {
        assert_eq!(
            placed_at(Some("2023-10-19 09:23:23")).unwrap(),
            Some("2023-10-19T03:53:23Z".parse().unwrap())
        );
        assert_eq!(placed_at(None).unwrap(), None);
        assert!(placed_at(Some("19-Oct-2023")).is_err());
    }
}
