//! The live-broker ports: real orders at the user's broker (Upstox) and the account as the broker reports
//! it (today's order book, positions, holdings, funds); each account's trading mode; users' broker tokens;
//! and the map between our instrument keys and the broker's.
//!
//! Every call carries the user's broker access token, unsealed for that call only
//! ([`crate::broker::link::BrokerAccessToken`] never prints). Prices and money are [`Decimal`]. Each implementation reads its broker's order statuses
//! into our [`OrderStatus`] by one table that cannot fail: a status it does not know leaves the order
//! working, with the broker's word kept in the message.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::market::instrument::InstrumentKey;
use crate::trading::request::{OrderRequest, OrderType, Product, Side, Validity};
use crate::trading::status::OrderStatus;

/// A new order for the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceLiveOrder {
    /// The broker's instrument key (Upstox: `NSE_EQ|INE002A01018`).
    pub instrument_key: String,
    /// Our id for the order, sent as the broker's tag so the order can be found in the order book whatever
    /// happens to the call (Upstox takes at most 40 characters).
    pub client_order_id: String,
    /// What to trade, already checked with [`crate::trading::request::validate`]. Its own `tag` and `client_order_id`
    /// are not sent: the broker has one tag, and it carries `client_order_id` above.
    pub request: OrderRequest,
    /// An after-market order, queued for the next open.
    pub is_amo: bool,
}

/// A change to a working order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifyLiveOrder {
    /// The broker's id of the order.
    pub broker_order_id: String,
    /// The new quantity; `None` keeps the order's.
    pub quantity: Option<i64>,
    /// The order type.
    pub order_type: OrderType,
    /// The limit price (LIMIT, SL); `None` for MARKET and SL-M.
    pub price: Option<Decimal>,
    /// The trigger price (SL, SL-M); `None` otherwise.
    pub trigger_price: Option<Decimal>,
    /// The validity.
    pub validity: Validity,
    /// The quantity shown to the market; `None` keeps the order's.
    pub disclosed_quantity: Option<i64>,
}

/// One of today's orders, as the broker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOrder {
    /// The broker's id of the order.
    pub broker_order_id: String,
    /// The order's tag: our client order id for orders we placed; `None` for orders placed elsewhere.
    pub tag: Option<String>,
    /// The broker's instrument key (Upstox: `NSE_EQ|INE002A01018`).
    pub instrument_key: String,
    /// The exchange's trading symbol (`RELIANCE`, `NIFTY25DEC26000CE`).
    pub trading_symbol: String,
    /// The exchange (`NSE`, `NFO`, `BSE`…).
    pub exchange: String,
    /// Buy or sell.
    pub side: Side,
    /// Units ordered.
    pub quantity: i64,
    /// Units filled so far.
    pub filled_quantity: i64,
    /// Average fill price; `None` until something fills.
    pub average_price: Option<Decimal>,
    /// Limit price; `None` for market orders.
    pub price: Option<Decimal>,
    /// Trigger price; `None` unless a stop order.
    pub trigger_price: Option<Decimal>,
    /// Order type.
    pub order_type: OrderType,
    /// Product.
    pub product: Product,
    /// Validity.
    pub validity: Validity,
    /// An after-market order.
    pub is_amo: bool,
    /// Where the order stands, read from the broker's status by the implementation's status table.
    pub status: OrderStatus,
    /// The broker's own status text (`"trigger pending"`), for display and support.
    pub broker_status: String,
    /// Why the order was rejected, not modified or not cancelled (the broker's words), or the broker's
    /// status when we do not recognise it.
    pub status_message: Option<String>,
    /// When the order was placed; `None` if the broker did not say.
    pub placed_at: Option<DateTime<Utc>>,
}

/// A position held today (intraday, or carried F&O).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivePosition {
    /// The broker's instrument key.
    pub instrument_key: String,
    /// The exchange's trading symbol.
    pub trading_symbol: String,
    /// The exchange.
    pub exchange: String,
    /// Product.
    pub product: Product,
    /// Net units: positive long, negative short, zero once closed today.
    pub quantity: i64,
    /// Units carried in from previous days.
    pub overnight_quantity: i64,
    /// Units bought today.
    pub day_buy_quantity: i64,
    /// Units sold today.
    pub day_sell_quantity: i64,
    /// Average price of the open quantity; `None` when the broker gives none.
    pub average_price: Option<Decimal>,
    /// Last traded price.
    pub last_price: Decimal,
    /// Previous close.
    pub close_price: Decimal,
    /// Profit and loss, realised plus unrealised.
    pub pnl: Decimal,
    /// Realised profit and loss.
    pub realised: Decimal,
    /// Unrealised profit and loss.
    pub unrealised: Decimal,
}

/// Shares held in the demat account (and bought but not yet settled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveHolding {
    /// The security's ISIN.
    pub isin: String,
    /// The broker's instrument key.
    pub instrument_key: String,
    /// The exchange's trading symbol.
    pub trading_symbol: String,
    /// The company.
    pub company_name: String,
    /// The exchange the prices are from.
    pub exchange: String,
    /// Units held.
    pub quantity: i64,
    /// Units bought on the last trading day, not yet settled (T+1).
    pub t1_quantity: i64,
    /// Average buy price.
    pub average_price: Decimal,
    /// Last traded price.
    pub last_price: Decimal,
    /// Previous close.
    pub close_price: Decimal,
    /// Profit and loss against the average price.
    pub pnl: Decimal,
    /// Change in value since the previous close.
    pub day_change: Decimal,
}

/// The equity segment's funds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFunds {
    /// Margin available for new trades.
    pub available_margin: Decimal,
    /// Margin blocked by open orders and positions (negative when margin is being released).
    pub used_margin: Decimal,
    /// Money paid in today.
    pub payin: Decimal,
}

/// Why a live-broker call failed. A broker error is always one of these, never a panic.
#[derive(Debug, thiserror::Error)]
pub enum LiveBrokerError {
    /// The broker refused the request (an order it will not place, modify or cancel, or a query it will not
    /// answer), in its own words (Upstox: its message and `UDAPI…` code).
    #[error("broker rejected the request: {0}")]
    Rejected(String),
    /// The broker refused the access token (expired or revoked): the user must link the account again.
    #[error("broker refused the access token; link the account again")]
    Unauthorized,
    /// The broker could not be reached or did not answer usefully (transport error, timeout, 429, 5xx,
    /// unreadable answer). After `place_order`, the order may or may not exist.
    #[error("broker unavailable: {0}")]
    Unavailable(String),
}

/// Which book an account's new orders go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TradingMode {
    /// The paper broker (the default).
    #[default]
    Paper,
    /// The user's linked broker account: real orders, real money.
    Live,
}

/// Our instrument keys and the broker's, both ways.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrokerKeyMap {
    to_broker: HashMap<InstrumentKey, String>,
    from_broker: HashMap<String, InstrumentKey>,
}

impl BrokerKeyMap {
    /// The map of `to_broker` (our key → the broker's) and its inverse.
    pub fn new(to_broker: HashMap<InstrumentKey, String>) -> Self {
        let from_broker = to_broker
            .iter()
            .map(|(ours, theirs)| (theirs.clone(), ours.clone()))
            .collect();
        Self {
            to_broker,
            from_broker,
        }
    }

    /// The broker's key for our `instrument`.
    pub fn broker_key(&self, instrument: &InstrumentKey) -> Option<&str> {
        self.to_broker.get(instrument).map(String::as_str)
    }

    /// Our key for the broker's `instrument_key`.
    pub fn our_key(&self, broker_key: &str) -> Option<&InstrumentKey> {
        self.from_broker.get(broker_key)
    }

    /// How many instruments are mapped.
    pub fn len(&self) -> usize {
        self.to_broker.len()
    }

    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.to_broker.is_empty()
    }
}
