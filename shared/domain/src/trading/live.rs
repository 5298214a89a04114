//! The live-broker port: real orders at the user's broker (Upstox), and the account as the broker reports
//! it (today's order book, positions, holdings, funds).
//!
//! Every call carries the user's broker access token, unsealed for that call only ([`BrokerAccessToken`]
//! never prints). Prices and money are [`Decimal`]. The broker's order statuses are read into our
//! [`OrderStatus`] by one table, [`read_upstox_status`], which cannot fail: a status it does not know leaves
//! the order working, with the broker's word kept in the message.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::charges::Side;
use super::order::{OrderRequest, OrderStatus, OrderType, Product, Validity};
use crate::broker_link::BrokerAccessToken;

/// A new order for the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceLiveOrder {
    /// The broker's instrument key (Upstox: `NSE_EQ|INE002A01018`).
    pub instrument_key: String,
    /// Our id for the order, sent as the broker's tag so the order can be found in the order book whatever
    /// happens to the call (Upstox takes at most 40 characters).
    pub client_order_id: String,
    /// What to trade, already checked with [`super::order::validate`]. Its own `tag` and `client_order_id`
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
    /// Where the order stands, read by [`read_upstox_status`].
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

/// A user's account at a broker. One implementation serves every user: each call carries the user's token.
///
/// Implementations MUST:
/// - bound every call in time;
/// - never retry `place_order`, `modify_order` or `cancel_order` (a repeated request could trade twice);
///   the reads may be retried;
/// - send [`PlaceLiveOrder::client_order_id`] as the order's tag;
/// - answer a refusal with the broker's message as [`LiveBrokerError::Rejected`], a refused token (HTTP
///   401/403) as [`LiveBrokerError::Unauthorized`], and anything else that goes wrong as
///   [`LiveBrokerError::Unavailable`]; never panic on what the broker sends;
/// - read order statuses with [`read_upstox_status`] (or the equivalent table for another broker);
/// - never log the token.
///
/// After [`LiveBrokerError::Unavailable`] from `place_order`, callers look for the order's tag in
/// `order_book` before placing it again.
#[async_trait]
pub trait LiveBroker: Send + Sync {
    /// Places `order`; returns the broker's order id.
    async fn place_order(
        &self,
        token: &BrokerAccessToken,
        order: &PlaceLiveOrder,
    ) -> Result<String, LiveBrokerError>;

    /// Changes a working order.
    async fn modify_order(
        &self,
        token: &BrokerAccessToken,
        change: &ModifyLiveOrder,
    ) -> Result<(), LiveBrokerError>;

    /// Cancels a working order.
    async fn cancel_order(
        &self,
        token: &BrokerAccessToken,
        broker_order_id: &str,
    ) -> Result<(), LiveBrokerError>;

    /// All of today's orders, whoever placed them.
    async fn order_book(&self, token: &BrokerAccessToken) -> Result<Vec<LiveOrder>, LiveBrokerError>;

    /// Today's positions.
    async fn positions(&self, token: &BrokerAccessToken) -> Result<Vec<LivePosition>, LiveBrokerError>;

    /// Long-term holdings.
    async fn holdings(&self, token: &BrokerAccessToken) -> Result<Vec<LiveHolding>, LiveBrokerError>;

    /// The equity segment's funds and margin.
    async fn funds(&self, token: &BrokerAccessToken) -> Result<LiveFunds, LiveBrokerError>;
}

/// An Upstox order status read into ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveStatus {
    /// Our status.
    pub status: OrderStatus,
    /// The message to show: Upstox's own (blank is none), or for a status we do not recognise, that status
    /// followed by Upstox's message.
    pub message: Option<String>,
}

/// Reads Upstox's order `status` (its appendix of order statuses, compared trimmed and ignoring case) for an
/// order of `quantity` units with `filled_quantity` filled, with Upstox's `status_message`.
///
/// | Upstox status | ours |
/// |---|---|
/// | `complete` | `Complete` |
/// | `rejected` | `Rejected` |
/// | `cancelled`, `cancelled after market order` | `Cancelled` |
/// | `trigger pending` | `TriggerPending` |
/// | `open`, `put order req received`, `validation pending`, `open pending`, `modify pending`, `modify validation pending`, `modified`, `not modified`, `cancel pending`, `not cancelled`, `after market order req received`, `modify after market order req received` | working |
/// | anything else | working, with the status in the message |
///
/// Working is `PartiallyFilled` when `0 < filled_quantity < quantity`, else `Open`. A status we do not know
/// never reads as final (complete, cancelled, rejected): the order stays watched, and the raw status is kept
/// in the message. The in-flight request statuses (`modify pending`, `cancel pending`, …) do not say whether
/// a stop order has triggered; they read as working.
pub fn read_upstox_status(
    status: &str,
    quantity: i64,
    filled_quantity: i64,
    status_message: Option<&str>,
) -> LiveStatus {
    let working = if 0 < filled_quantity && filled_quantity < quantity {
        OrderStatus::PartiallyFilled
    } else {
        OrderStatus::Open
    };
    let broker_message = status_message
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned);
    let known = match status.trim().to_ascii_lowercase().as_str() {
        "complete" => Some(OrderStatus::Complete),
        "rejected" => Some(OrderStatus::Rejected),
        "cancelled" | "cancelled after market order" => Some(OrderStatus::Cancelled),
        "trigger pending" => Some(OrderStatus::TriggerPending),
        "open"
        | "put order req received"
        | "validation pending"
        | "open pending"
        | "modify pending"
        | "modify validation pending"
        | "modified"
        | "not modified"
        | "cancel pending"
        | "not cancelled"
        | "after market order req received"
        | "modify after market order req received" => Some(working),
        _ => None,
    };
    match known {
        Some(status) => LiveStatus {
            status,
            message: broker_message,
        },
        None => LiveStatus {
            status: working,
            message: Some(match broker_message {
                Some(m) => format!("unrecognised Upstox status \"{status}\": {m}"),
                None => format!("unrecognised Upstox status \"{status}\""),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    use OrderStatus as S;

    #[rstest]
    #[case::complete("complete", S::Complete)]
    #[case::rejected("rejected", S::Rejected)]
    #[case::cancelled("cancelled", S::Cancelled)]
    #[case::cancelled_amo("cancelled after market order", S::Cancelled)]
    #[case::trigger_pending("trigger pending", S::TriggerPending)]
    #[case::open("open", S::Open)]
    #[case::put_order_req_received("put order req received", S::Open)]
    #[case::validation_pending("validation pending", S::Open)]
    #[case::open_pending("open pending", S::Open)]
    #[case::modify_pending("modify pending", S::Open)]
    #[case::modify_validation_pending("modify validation pending", S::Open)]
    #[case::modified("modified", S::Open)]
    #[case::not_modified("not modified", S::Open)]
    #[case::cancel_pending("cancel pending", S::Open)]
    #[case::not_cancelled("not cancelled", S::Open)]
    #[case::amo_received("after market order req received", S::Open)]
    #[case::modify_amo_received("modify after market order req received", S::Open)]
    fn every_documented_upstox_status_has_its_meaning(#[case] upstox: &str, #[case] ours: OrderStatus) {
        let read = read_upstox_status(upstox, 10, 0, None);
        assert_eq!(
            read,
            LiveStatus {
                status: ours,
                message: None
            },
            "{upstox}"
        );
        let shouting = format!("  {}  ", upstox.to_uppercase());
        assert_eq!(
            read_upstox_status(&shouting, 10, 0, None).status,
            ours,
            "{shouting}"
        );
    }

    #[rstest]
    #[case::open("open")]
    #[case::modified("modified")]
    #[case::not_modified("not modified")]
    #[case::cancel_pending("cancel pending")]
    #[case::not_cancelled("not cancelled")]
    #[case::modify_pending("modify pending")]
    fn a_working_order_with_some_filled_is_partially_filled(#[case] upstox: &str) {
        assert_eq!(read_upstox_status(upstox, 10, 4, None).status, S::PartiallyFilled);
        assert_eq!(read_upstox_status(upstox, 10, 0, None).status, S::Open);
        assert_eq!(
            read_upstox_status(upstox, 10, 10, None).status,
            S::Open,
            "all filled but not yet complete: still working"
        );
    }

    #[test]
    fn final_statuses_stay_final_whatever_filled() {
        assert_eq!(read_upstox_status("cancelled", 10, 4, None).status, S::Cancelled);
        assert_eq!(read_upstox_status("complete", 10, 10, None).status, S::Complete);
        assert_eq!(read_upstox_status("rejected", 10, 0, None).status, S::Rejected);
        assert_eq!(
            read_upstox_status("trigger pending", 10, 0, None).status,
            S::TriggerPending
        );
    }

    #[test]
    fn upstox_messages_are_kept_and_blank_ones_dropped() {
        let margin = "You need to add Rs. 138385.27 in your account to place this trade.";
        assert_eq!(
            read_upstox_status("rejected", 1500, 0, Some(margin)),
            LiveStatus {
                status: S::Rejected,
                message: Some(margin.to_owned())
            }
        );
        assert_eq!(read_upstox_status("open", 1, 0, Some("  ")).message, None);
    }

    #[test]
    fn an_unknown_status_is_working_with_the_status_in_the_message() {
        assert_eq!(
            read_upstox_status("odd new state", 10, 0, None),
            LiveStatus {
                status: S::Open,
                message: Some("unrecognised Upstox status \"odd new state\"".into())
            }
        );
        assert_eq!(
            read_upstox_status("odd new state", 10, 3, Some("RMS: held")),
            LiveStatus {
                status: S::PartiallyFilled,
                message: Some("unrecognised Upstox status \"odd new state\": RMS: held".into())
            }
        );
        assert_eq!(read_upstox_status("", 0, 0, None).status, S::Open);
    }

    proptest! {
        /// Whatever Upstox sends, the read never panics, and only the documented final statuses read as final.
        #[test]
        fn no_status_text_panics_or_invents_a_final_state(
            status in ".{0,40}",
            quantity in any::<i64>(),
            filled in any::<i64>(),
            message in proptest::option::of(".{0,40}"),
        ) {
            let read = read_upstox_status(&status, quantity, filled, message.as_deref());
            let documented_final = matches!(
                status.trim().to_ascii_lowercase().as_str(),
                "complete" | "rejected" | "cancelled" | "cancelled after market order"
            );
            prop_assert_eq!(read.status.is_final(), documented_final);
        }
    }
}
