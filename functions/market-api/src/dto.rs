//! Query strings and bodies of the market routes. Prices are decimal strings; Greeks and IV are numbers.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tradesense_domain::market::calendar::{MarketStatus, Session};
use tradesense_domain::market::candles::Interval;
use tradesense_domain::market::instrument::{Exchange, Instrument, Segment};
use tradesense_domain::market::options::OptionType;
use tradesense_domain::market::quote::Quote;
use tradesense_http::query::TimeParam;
use utoipa::{IntoParams, ToSchema};

/// `GET /v1/market/instruments` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InstrumentSearch {
    /// Prefix of a symbol or a word of the name: 1 to 40 characters, not only spaces.
    #[param(min_length = 1, max_length = 40, pattern = r"\S")]
    pub q: String,
    /// Only this exchange.
    #[param(value_type = Option<String>, pattern = "^(NSE|NFO|BSE|MCX)$")]
    pub exchange: Option<Exchange>,
    /// Only this segment.
    #[param(value_type = Option<String>, pattern = "^(EQ|INDEX|FUT|OPT)$")]
    pub segment: Option<Segment>,
    /// At most this many (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u16>,
}

/// An instrument as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentDto {
    /// `EXCHANGE:SYMBOL`.
    pub instrument: String,
    /// Name.
    pub name: String,
    /// Exchange.
    #[schema(value_type = String)]
    pub exchange: Exchange,
    /// Segment.
    #[schema(value_type = String)]
    pub segment: Segment,
    /// Lot size.
    pub lot_size: u32,
    /// Tick size.
    #[schema(value_type = String)]
    pub tick_size: Decimal,
    /// Freeze quantity (F&O).
    pub freeze_quantity: Option<u32>,
    /// Expiry (derivatives).
    pub expiry: Option<NaiveDate>,
    /// Strike (options).
    #[schema(value_type = Option<String>)]
    pub strike: Option<Decimal>,
    /// CE or PE (options).
    #[schema(value_type = Option<String>)]
    pub option_type: Option<OptionType>,
}

impl From<&Instrument> for InstrumentDto {
    fn from(i: &Instrument) -> Self {
        Self {
            instrument: i.key.to_string(),
            name: i.name.clone(),
            exchange: i.exchange,
            segment: i.segment,
            lot_size: i.lot_size,
            tick_size: i.tick_size,
            freeze_quantity: i.freeze_quantity,
            expiry: i.expiry,
            strike: i.strike,
            option_type: i.option_type,
        }
    }
}

/// `GET /v1/market/instruments` → 200.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstrumentList {
    /// Matches, symbol prefixes first.
    pub items: Vec<InstrumentDto>,
}

/// `GET /v1/market/quotes` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuotesQuery {
    /// 1 to 500 listed instrument keys, comma-separated (`NSE:RELIANCE,NSE:TCS`); an unlisted one is a 422.
    #[param(value_type = Vec<String>, style = Form, explode = false, min_items = 1, max_items = 500)]
    pub instruments: String,
}

/// One quote.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteDto {
    /// Last traded price.
    #[schema(value_type = String)]
    pub last_price: Decimal,
    /// Best bid.
    #[schema(value_type = String)]
    pub bid: Decimal,
    /// Best ask.
    #[schema(value_type = String)]
    pub ask: Decimal,
    /// Units offered at the best bid; `null` where the source gives no depth.
    pub bid_quantity: Option<u64>,
    /// Units offered at the best ask; `null` where the source gives no depth. A paper limit order larger than
    /// this fills in parts.
    pub ask_quantity: Option<u64>,
    /// Session open.
    #[schema(value_type = String)]
    pub open: Decimal,
    /// Session high.
    #[schema(value_type = String)]
    pub high: Decimal,
    /// Session low.
    #[schema(value_type = String)]
    pub low: Decimal,
    /// Previous session's close.
    #[schema(value_type = String)]
    pub close: Decimal,
    /// `last_price − close`.
    #[schema(value_type = String)]
    pub change: Decimal,
    /// Change in percent of `close`, 2 places.
    #[schema(value_type = String)]
    pub change_pct: Decimal,
    /// Session volume.
    pub volume: u64,
    /// When the price was struck.
    pub timestamp: DateTime<Utc>,
}

impl From<&Quote> for QuoteDto {
    fn from(q: &Quote) -> Self {
        let change = q.last_price - q.previous_close;
        let change_pct = if q.previous_close.is_zero() {
            Decimal::ZERO
        } else {
            (change / q.previous_close * Decimal::ONE_HUNDRED).round_dp(2)
        };
        Self {
            last_price: q.last_price,
            bid: q.bid,
            ask: q.ask,
            bid_quantity: q.bid_quantity,
            ask_quantity: q.ask_quantity,
            open: q.day.open,
            high: q.day.high,
            low: q.day.low,
            close: q.previous_close,
            change,
            change_pct,
            volume: q.day.volume,
            timestamp: q.timestamp,
        }
    }
}

/// `GET /v1/market/quotes` → 200.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuotesResponse {
    /// By instrument key.
    pub quotes: BTreeMap<String, QuoteDto>,
}

/// `GET /v1/market/candles/{instrument}` query. `to` must be after `from`, and the range at most 30 days at
/// 1m, 120 at 5m and 15m, 365 at 30m and 1h, 3,650 at 1d (else 422).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CandlesQuery {
    /// `1m`, `5m`, `15m`, `30m`, `1h` or `1d`.
    #[param(value_type = String, pattern = "^(1m|5m|15m|30m|1h|1d)$")]
    pub interval: Interval,
    /// Start: an IST day (from its start) or an RFC 3339 instant.
    #[param(inline)]
    pub from: TimeParam,
    /// End, exclusive: an IST day (to its end) or an RFC 3339 instant (default: now).
    #[param(inline)]
    pub to: Option<TimeParam>,
}

/// `GET /v1/market/candles/{instrument}` → 200: `[ts, open, high, low, close, volume]` rows.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandlesResponse {
    /// Candles, oldest first.
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub candles: Vec<(DateTime<Utc>, Decimal, Decimal, Decimal, Decimal, u64)>,
}

/// `GET /v1/market/option-chain/{underlying}` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChainQuery {
    /// A listed expiry (default: the nearest); one not listed is a 422 naming the listed ones.
    pub expiry: Option<NaiveDate>,
}

/// One side of a strike.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainSideDto {
    /// Contract key.
    pub instrument: String,
    /// Last price.
    #[schema(value_type = String)]
    pub last_price: Decimal,
    /// Implied volatility, percent (null only when neither this option's price nor the out-of-the-money
    /// option's at the strike fits a volatility).
    pub iv: Option<f64>,
    /// Whose price `iv` was solved from: `self`, or `otm` (the out-of-the-money option at the same strike,
    /// for an option whose own price sits at its no-arbitrage bound); null with `iv`.
    #[schema(value_type = Option<String>, pattern = "^(self|otm)$", example = "self")]
    pub iv_source: Option<&'static str>,
    /// Delta.
    pub delta: Option<f64>,
    /// Gamma.
    pub gamma: Option<f64>,
    /// Theta per calendar day.
    pub theta: Option<f64>,
    /// Vega per volatility point.
    pub vega: Option<f64>,
    /// Open interest (units); null where the source reports none.
    pub oi: Option<u64>,
}

/// One strike.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainRowDto {
    /// Strike.
    #[schema(value_type = String)]
    pub strike: Decimal,
    /// Call.
    pub call: ChainSideDto,
    /// Put.
    pub put: ChainSideDto,
}

/// `GET /v1/market/option-chain/{underlying}` → 200.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainResponse {
    /// Underlying's last price.
    #[schema(value_type = String)]
    pub underlying_price: Decimal,
    /// The expiry's synthetic future (put-call parity at the money).
    #[schema(value_type = String)]
    pub forward: Decimal,
    /// Expiry.
    pub expiry: NaiveDate,
    /// Every listed expiry of the underlying.
    pub expiries: Vec<NaiveDate>,
    /// Strikes, ascending.
    pub items: Vec<ChainRowDto>,
}

/// `GET /v1/market/status` query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// The exchange (default `NSE`).
    #[param(value_type = Option<String>, pattern = "^(NSE|NFO|BSE|MCX)$")]
    pub exchange: Option<Exchange>,
}

/// `GET /v1/market/status` → 200.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusResponse {
    /// Exchange.
    #[schema(value_type = String)]
    pub exchange: Exchange,
    /// Whether the normal market is open.
    pub open: bool,
    /// `pre_open`, `normal`, `closing`, `closed`.
    #[schema(value_type = String)]
    pub session: Session,
    /// Next normal-market open.
    pub next_open: DateTime<Utc>,
    /// Next normal-market close.
    pub next_close: DateTime<Utc>,
}

impl From<MarketStatus> for StatusResponse {
    fn from(s: MarketStatus) -> Self {
        Self {
            exchange: s.exchange,
            open: s.open,
            session: s.session,
            next_open: s.next_open,
            next_close: s.next_close,
        }
    }
}
