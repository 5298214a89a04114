//! What an order asks for: the request a client sends (side, quantity, type, product, prices, validity) and
//! its rules, checked all at once, each violation naming its field; and what a modification may change.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::kernel::validation::Violation;
use crate::market::instrument::{Instrument, Segment, is_tick_multiple};

/// Largest quantity of one order, in units.
pub const MAX_QUANTITY: i64 = 100_000;
/// Longest `tag`.
pub const MAX_TAG_LEN: usize = 20;
/// Longest `client_order_id`.
pub const MAX_CLIENT_ORDER_ID_LEN: usize = 36;

/// A buy or a sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

/// How the order is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderType {
    /// At the market; no price.
    #[serde(rename = "MARKET")]
    Market,
    /// At `price` or better.
    #[serde(rename = "LIMIT")]
    Limit,
    /// Stop-loss limit: at `trigger_price` becomes a limit order at `price`.
    #[serde(rename = "SL")]
    StopLoss,
    /// Stop-loss market: at `trigger_price` becomes a market order.
    #[serde(rename = "SL-M")]
    StopLossMarket,
}

/// Intraday (squared off the same day) or delivery / carry-forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Product {
    /// Squared off at 15:20 IST.
    Intraday,
    /// Delivery (equity) or carried forward (F&O).
    Delivery,
}

/// How long the order lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Validity {
    /// Until the close.
    Day,
    /// Immediate or cancel: what does not fill at once is cancelled.
    Ioc,
}

/// What a client asks for (`POST /v1/orders`), and what an order asks for while it works (an [`Order`]
/// embeds it; a modification changes it).
///
/// [`Order`]: crate::trading::order::Order
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// Side.
    pub side: Side,
    /// Units.
    pub quantity: i64,
    /// Type.
    pub order_type: OrderType,
    /// Product.
    pub product: Product,
    /// Limit price (LIMIT, SL).
    pub price: Option<Decimal>,
    /// Trigger price (SL, SL-M).
    pub trigger_price: Option<Decimal>,
    /// Validity.
    pub validity: Validity,
    /// Quantity shown to the market.
    pub disclosed_quantity: Option<i64>,
    /// Free-form label.
    pub tag: Option<String>,
    /// The client's idempotency id.
    pub client_order_id: Option<String>,
}

/// Whether the order goes to the market now or waits for the open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// After-market order: placed outside market hours, sent at the next open.
    pub is_amo: bool,
}

/// Checks `request` against `instrument` at `last_price` with the market `open` or not; every violation is
/// reported, each naming its field.
///
/// # Errors
/// The violations, in field order.
pub fn validate(
    request: &OrderRequest,
    instrument: &Instrument,
    last_price: Decimal,
    market_open: bool,
) -> Result<Accepted, Vec<Violation>> {
    let mut v = Vec::new();
    let derivative = matches!(instrument.segment, Segment::Future | Segment::Option);
    if instrument.segment == Segment::Index {
        v.push(Violation::new(
            "instrument",
            "an index cannot be traded; trade its futures or options",
        ));
    }
    let q = request.quantity;
    if !(1..=MAX_QUANTITY).contains(&q) {
        v.push(Violation::new("quantity", format!("must be 1 to {MAX_QUANTITY}")));
    } else {
        if derivative && q % i64::from(instrument.lot_size) != 0 {
            v.push(Violation::new(
                "quantity",
                format!("must be a multiple of the lot size {}", instrument.lot_size),
            ));
        }
        if let Some(freeze) = instrument.freeze_quantity
            && q > i64::from(freeze)
        {
            v.push(Violation::new(
                "quantity",
                format!("above the freeze quantity {freeze}"),
            ));
        }
    }
    let (needs_price, needs_trigger) = match request.order_type {
        OrderType::Market => (false, false),
        OrderType::Limit => (true, false),
        OrderType::StopLoss => (true, true),
        OrderType::StopLossMarket => (false, true),
    };
    let tick = instrument.tick_size;
    let mut check_price = |field: &'static str, value: Option<Decimal>, needed: bool| match (value, needed) {
        (None, true) => v.push(Violation::new(
            field,
            format!("required for {:?} orders", request.order_type),
        )),
        (Some(_), false) => v.push(Violation::new(
            field,
            format!("not allowed for {:?} orders", request.order_type),
        )),
        (Some(p), true) if p <= Decimal::ZERO => v.push(Violation::new(field, "must be positive")),
        (Some(p), true) if !is_tick_multiple(p, tick) => {
            v.push(Violation::new(
                field,
                format!("must be a multiple of the tick size {tick}"),
            ));
        }
        _ => {}
    };
    check_price("price", request.price, needs_price);
    check_price("trigger_price", request.trigger_price, needs_trigger);
    if let Some(trigger) = request.trigger_price.filter(|_| needs_trigger) {
        match request.side {
            Side::Buy if trigger < last_price => {
                v.push(Violation::new(
                    "trigger_price",
                    format!("a buy stop triggers at or above the last price {last_price}"),
                ));
            }
            Side::Sell if trigger > last_price => {
                v.push(Violation::new(
                    "trigger_price",
                    format!("a sell stop triggers at or below the last price {last_price}"),
                ));
            }
            _ => {}
        }
        if let Some(price) = request.price.filter(|_| needs_price) {
            let ok = match request.side {
                Side::Buy => price >= trigger,
                Side::Sell => price <= trigger,
            };
            if !ok {
                v.push(Violation::new(
                    "price",
                    "a stop-loss buy's limit is at or above its trigger; a sell's at or below",
                ));
            }
        }
    }
    if let Some(disclosed) = request.disclosed_quantity {
        if derivative {
            v.push(Violation::new(
                "disclosed_quantity",
                "not allowed for futures and options",
            ));
        } else if q >= 1 && (disclosed * 10 < q || disclosed > q) {
            v.push(Violation::new(
                "disclosed_quantity",
                "must be at least 10% of the quantity and at most all of it",
            ));
        }
        if request.validity == Validity::Ioc {
            v.push(Violation::new("disclosed_quantity", "not allowed with IOC"));
        }
    }
    let is_amo = !market_open;
    if is_amo {
        if matches!(
            request.order_type,
            OrderType::StopLoss | OrderType::StopLossMarket
        ) {
            v.push(Violation::new(
                "order_type",
                "stop-loss orders cannot be placed after market hours",
            ));
        }
        if request.disclosed_quantity.is_some() {
            v.push(Violation::new(
                "disclosed_quantity",
                "not allowed after market hours",
            ));
        }
        if request.validity == Validity::Ioc {
            v.push(Violation::new(
                "validity",
                "IOC orders cannot be placed after market hours",
            ));
        }
    }
    if let Some(tag) = &request.tag
        && (tag.is_empty()
            || tag.len() > MAX_TAG_LEN
            || !tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    {
        v.push(Violation::new(
            "tag",
            format!("1 to {MAX_TAG_LEN} letters, digits, '_' or '-'"),
        ));
    }
    if let Some(id) = &request.client_order_id
        && (id.is_empty()
            || id.len() > MAX_CLIENT_ORDER_ID_LEN
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    {
        v.push(Violation::new(
            "client_order_id",
            format!("1 to {MAX_CLIENT_ORDER_ID_LEN} letters, digits, '_' or '-'"),
        ));
    }
    if v.is_empty() {
        Ok(Accepted { is_amo })
    } else {
        Err(v)
    }
}

/// `PUT /v1/orders/{id}`: what to change (at least one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderChange {
    /// New quantity.
    pub quantity: Option<i64>,
    /// New limit price.
    pub price: Option<Decimal>,
    /// New trigger price.
    pub trigger_price: Option<Decimal>,
    /// New type.
    pub order_type: Option<OrderType>,
}

impl OrderRequest {
    /// Whether the order waits for a trigger (SL, SL-M).
    pub fn is_stop(&self) -> bool {
        matches!(self.order_type, OrderType::StopLoss | OrderType::StopLossMarket)
    }

    /// The request this becomes with `change`: what the change leaves out is kept, and a price or trigger the
    /// new type does not use is dropped.
    pub fn modified(&self, change: &OrderChange) -> OrderRequest {
        let order_type = change.order_type.unwrap_or(self.order_type);
        let keeps = |field: Option<Decimal>, used: bool| if used { field } else { None };
        OrderRequest {
            quantity: change.quantity.unwrap_or(self.quantity),
            order_type,
            price: keeps(
                change.price.or(self.price),
                matches!(order_type, OrderType::Limit | OrderType::StopLoss),
            ),
            trigger_price: keeps(
                change.trigger_price.or(self.trigger_price),
                matches!(order_type, OrderType::StopLoss | OrderType::StopLossMarket),
            ),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::calendar::MarketCalendar;
    use crate::market::master::InstrumentMaster;
    use rust_decimal_macros::dec;

    fn master() -> InstrumentMaster {
        InstrumentMaster::shipped(&MarketCalendar::default(), "2026-11-23".parse().unwrap()).unwrap()
    }

    fn limit_buy(quantity: i64, price: Decimal) -> OrderRequest {
        OrderRequest {
            side: Side::Buy,
            quantity,
            order_type: OrderType::Limit,
            product: Product::Delivery,
            price: Some(price),
            trigger_price: None,
            validity: Validity::Day,
            disclosed_quantity: None,
            tag: None,
            client_order_id: None,
        }
    }

    fn fields(result: Result<Accepted, Vec<Violation>>) -> Vec<&'static str> {
        result.err().unwrap_or_default().iter().map(|v| v.field).collect()
    }

    #[test]
    fn a_good_limit_order_is_accepted_and_amo_outside_hours() {
        let m = master();
        let reliance = m.get("NSE:RELIANCE").unwrap();
        let order = limit_buy(10, dec!(1550.10));
        assert_eq!(
            validate(&order, reliance, dec!(1550), true),
            Ok(Accepted { is_amo: false })
        );
        assert_eq!(
            validate(&order, reliance, dec!(1550), false),
            Ok(Accepted { is_amo: true })
        );
    }

    #[test]
    fn order_types_need_exactly_their_prices() {
        let m = master();
        let infy = m.get("NSE:INFY").unwrap();
        let with = |order_type, price, trigger_price| OrderRequest {
            order_type,
            price,
            trigger_price,
            ..limit_buy(1, dec!(1))
        };
        let p = Some(dec!(1560));
        let t = Some(dec!(1555));
        assert_eq!(
            fields(validate(
                &with(OrderType::Limit, None, None),
                infy,
                dec!(1550),
                true
            )),
            ["price"]
        );
        assert_eq!(
            fields(validate(&with(OrderType::Limit, p, t), infy, dec!(1550), true)),
            ["trigger_price"]
        );
        assert_eq!(
            fields(validate(
                &with(OrderType::Market, p, None),
                infy,
                dec!(1550),
                true
            )),
            ["price"]
        );
        assert_eq!(
            fields(validate(
                &with(OrderType::StopLoss, p, None),
                infy,
                dec!(1550),
                true
            )),
            ["trigger_price"]
        );
        assert_eq!(
            fields(validate(
                &with(OrderType::StopLossMarket, p, t),
                infy,
                dec!(1550),
                true
            )),
            ["price"]
        );
        assert!(validate(&with(OrderType::StopLoss, p, t), infy, dec!(1550), true).is_ok());
        assert!(validate(&with(OrderType::StopLossMarket, None, t), infy, dec!(1550), true).is_ok());
    }

    #[test]
    fn stop_triggers_sit_on_the_right_side_of_the_market() {
        let m = master();
        let infy = m.get("NSE:INFY").unwrap();
        let stop = |side, trigger| OrderRequest {
            side,
            order_type: OrderType::StopLossMarket,
            price: None,
            trigger_price: Some(trigger),
            ..limit_buy(1, dec!(1))
        };
        assert_eq!(
            fields(validate(&stop(Side::Buy, dec!(1549.90)), infy, dec!(1550), true)),
            ["trigger_price"]
        );
        assert!(validate(&stop(Side::Buy, dec!(1550)), infy, dec!(1550), true).is_ok());
        assert_eq!(
            fields(validate(&stop(Side::Sell, dec!(1550.10)), infy, dec!(1550), true)),
            ["trigger_price"]
        );
        assert!(validate(&stop(Side::Sell, dec!(1540)), infy, dec!(1550), true).is_ok());
    }

    #[test]
    fn prices_on_ticks_lots_freeze_and_quantity_bounds() {
        let m = master();
        let infy = m.get("NSE:INFY").unwrap(); // tick 0.10
        assert_eq!(
            fields(validate(&limit_buy(1, dec!(1550.05)), infy, dec!(1550), true)),
            ["price"]
        );
        assert_eq!(
            fields(validate(&limit_buy(0, dec!(1550)), infy, dec!(1550), true)),
            ["quantity"]
        );
        assert_eq!(
            fields(validate(&limit_buy(100_001, dec!(1550)), infy, dec!(1550), true)),
            ["quantity"]
        );
        let option = m.get("NFO:NIFTY26D0126000CE").unwrap(); // lot 65, freeze 1800, tick 0.05
        let o = |q| OrderRequest {
            product: Product::Intraday,
            ..limit_buy(q, dec!(120.05))
        };
        assert!(validate(&o(130), option, dec!(120), true).is_ok());
        assert_eq!(
            fields(validate(&o(100), option, dec!(120), true)),
            ["quantity"],
            "not a lot multiple"
        );
        assert_eq!(
            fields(validate(&o(65 * 28), option, dec!(120), true)),
            ["quantity"],
            "1,820 > freeze 1,800"
        );
        let index = m.get("NSE:NIFTY").unwrap();
        assert_eq!(
            fields(validate(&limit_buy(1, dec!(26000)), index, dec!(26000), true)),
            ["instrument"]
        );
    }

    #[test]
    fn disclosed_quantity_and_after_market_rules() {
        let m = master();
        let infy = m.get("NSE:INFY").unwrap();
        let disclosed = |d| OrderRequest {
            disclosed_quantity: Some(d),
            ..limit_buy(100, dec!(1550))
        };
        assert!(validate(&disclosed(10), infy, dec!(1550), true).is_ok());
        assert_eq!(
            fields(validate(&disclosed(9), infy, dec!(1550), true)),
            ["disclosed_quantity"]
        );
        assert_eq!(
            fields(validate(&disclosed(101), infy, dec!(1550), true)),
            ["disclosed_quantity"]
        );
        assert_eq!(
            fields(validate(&disclosed(10), infy, dec!(1550), false)),
            ["disclosed_quantity"],
            "AMO"
        );
        let sl_amo = OrderRequest {
            order_type: OrderType::StopLoss,
            trigger_price: Some(dec!(1549)),
            ..limit_buy(1, dec!(1550))
        };
        assert_eq!(fields(validate(&sl_amo, infy, dec!(1500), false)), ["order_type"]);
        let ioc_amo = OrderRequest {
            validity: Validity::Ioc,
            ..limit_buy(1, dec!(1550))
        };
        assert_eq!(fields(validate(&ioc_amo, infy, dec!(1550), false)), ["validity"]);
    }

    #[test]
    fn every_violation_is_reported_at_once() {
        let m = master();
        let infy = m.get("NSE:INFY").unwrap();
        let bad = OrderRequest {
            quantity: 0,
            price: Some(dec!(-1)),
            tag: Some("no spaces please".into()),
            client_order_id: Some("x".repeat(37)),
            ..limit_buy(1, dec!(1))
        };
        assert_eq!(
            fields(validate(&bad, infy, dec!(1550), true)),
            ["quantity", "price", "tag", "client_order_id"]
        );
    }
}
