//! The paper broker's rules over hand-checked fills, charges and funds: placement, modification, the
//! tick, cancellation.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use ulid::Ulid;

use super::*;
use crate::kernel::ids::{OrderId, TradeId, UserId};
use crate::market::calendar::MarketCalendar;
use crate::market::instrument::InstrumentKey;
use crate::market::master::InstrumentMaster;
use crate::market::quote::Bar;
use crate::trading::charges::ChargeSchedule;
use crate::trading::position::Position;
use crate::trading::request::{OrderChange, OrderRequest, OrderType, Product, Side, Validity};
use crate::trading::risk::RiskRejection;
use crate::trading::status::OrderStatus;

struct World {
    master: InstrumentMaster,
    schedule: ChargeSchedule,
    plan: BrokeragePlan,
    user: UserId,
}

fn world() -> World {
    let calendar = MarketCalendar::default();
    World {
        master: InstrumentMaster::shipped(&calendar, "2026-11-23".parse().unwrap()).unwrap(),
        schedule: ChargeSchedule::shipped().unwrap(),
        plan: BrokeragePlan::default(),
        user: UserId::from_ulid(Ulid::new()),
    }
}

fn quote(bid: Decimal, ask: Decimal) -> Quote {
    let last = (bid + ask) / dec!(2);
    Quote {
        last_price: last,
        bid,
        ask,
        day: Bar {
            open: last,
            high: last,
            low: last,
            close: last,
            volume: 1,
        },
        previous_close: last,
        timestamp: now(),
        open_interest: None,
        bid_quantity: None,
        ask_quantity: None,
    }
}

fn now() -> DateTime<Utc> {
    "2026-11-25T06:00:00Z".parse().unwrap()
}

fn ids() -> (OrderId, TradeId) {
    (OrderId::from_ulid(Ulid::new()), TradeId::from_ulid(Ulid::new()))
}

fn request(side: Side, quantity: i64, order_type: OrderType, product: Product) -> OrderRequest {
    OrderRequest {
        side,
        quantity,
        order_type,
        product,
        price: None,
        trigger_price: None,
        validity: Validity::Day,
        disclosed_quantity: None,
        tag: None,
        client_order_id: None,
    }
}

impl World {
    /// The market for `key` traded with `product` at `quote`, on the shipped rates of 25 Nov 2026.
    fn market<'a>(&'a self, key: &str, product: Product, quote: &'a Quote, open: bool) -> Market<'a> {
        let instrument = self.master.get(key).unwrap();
        Market {
            instrument,
            quote,
            underlying_price: quote.last_price,
            open,
            rates: self
                .schedule
                .rates_on(charge_segment(instrument, product), "2026-11-25".parse().unwrap())
                .unwrap(),
            plan: &self.plan,
        }
    }

    fn place(
        &self,
        key: &str,
        request: &OrderRequest,
        quote: &Quote,
        open: bool,
        position: &PositionRecord,
        available: Decimal,
    ) -> Result<Placement, PlaceRefusal> {
        let market = self.market(key, request.product, quote, open);
        place(self.user, ids(), request, &market, position, available, now())
    }
}

fn flat(key: &str, product: Product) -> PositionRecord {
    let symbol = key.strip_prefix("NSE:").unwrap();
    PositionRecord::flat(
        InstrumentKey::new(crate::market::instrument::Exchange::Nse, symbol),
        product,
    )
}

#[test]
fn a_delivery_round_trip_moves_cash_by_the_hand_checked_pnl_and_charges() {
    let w = world();
    let buy = request(Side::Buy, 10, OrderType::Market, Product::Delivery);
    let placed = w
        .place(
            "NSE:INFY",
            &buy,
            &quote(dec!(1499.90), dec!(1500.10)),
            true,
            &flat("NSE:INFY", Product::Delivery),
            dec!(1000000),
        )
        .unwrap();
    // 10 × 1,500.10 = 15,001.00. STT 0.1% = 15.00; NSE 0.00297% = 0.45; IPF ₹10/cr = 0.02 (0.015001);
    // SEBI ₹10/cr = 0.02; stamp 0.015% = 2.25; brokerage 0 (delivery); GST 18% of 0.49 = 0.09. Total 17.83.
    let trade = placed.trade.clone().unwrap();
    assert_eq!((trade.quantity, trade.price), (10, dec!(1500.10)));
    assert_eq!(trade.charges.total(), dec!(17.83));
    assert_eq!(placed.order.status, OrderStatus::Complete);
    assert_eq!(placed.order.average_price, Some(dec!(1500.10)));
    assert_eq!(
        placed.available_change,
        dec!(-15018.83),
        "the cost is held, the charges paid"
    );
    assert_eq!(placed.cash_change, dec!(-17.83));
    let held = placed.position.unwrap();
    assert_eq!((held.position.quantity, held.margin), (10, dec!(15001.00)));

    let sell = request(Side::Sell, 10, OrderType::Market, Product::Delivery);
    let closed = w
        .place(
            "NSE:INFY",
            &sell,
            &quote(dec!(1510.00), dec!(1510.20)),
            true,
            &held,
            dec!(1000000) - dec!(15018.83),
        )
        .unwrap();
    // Sold at the bid: 15,100.00, realized 99.00. STT 15.10; NSE 0.45 (0.44847); IPF 0.02; SEBI 0.02;
    // no stamp on a sell; GST 18% of 0.49 = 0.09. Total 15.68.
    assert_eq!(closed.trade.unwrap().charges.total(), dec!(15.68));
    assert_eq!(
        closed.available_change,
        dec!(15084.32),
        "15,001 released + 99 − 15.68"
    );
    assert_eq!(closed.cash_change, dec!(83.32));
    let flat_again = closed.position.unwrap();
    assert_eq!(
        (flat_again.position.quantity, flat_again.margin),
        (0, Decimal::ZERO)
    );
    assert_eq!(flat_again.position.realized_pnl, dec!(99.00));
    assert_eq!(
        dec!(-17.83) + dec!(83.32),
        dec!(99.00) - dec!(17.83) - dec!(15.68),
        "cash moved by realized P&L minus both contract notes"
    );
}

#[test]
fn an_intraday_flip_releases_the_long_margin_and_holds_the_shorts() {
    let w = world();
    let long = PositionRecord {
        position: Position::default().apply(Side::Buy, 100, dec!(100), Decimal::ZERO),
        margin: dec!(2000.00),
        version: 3,
        ..flat("NSE:ITC", Product::Intraday)
    };
    let sell = request(Side::Sell, 150, OrderType::Market, Product::Intraday);
    let placed = w
        .place(
            "NSE:ITC",
            &sell,
            &quote(dec!(100), dec!(100.05)),
            true,
            &long,
            dec!(5000),
        )
        .unwrap();
    let after = placed.position.unwrap();
    assert_eq!(after.position.quantity, -50);
    assert_eq!(after.margin, dec!(1000.00), "20% of 50 × 100");
    assert_eq!(after.version, 4);
    let charges = placed.trade.unwrap().charges.total();
    assert_eq!(
        placed.available_change,
        dec!(1000.00) - charges,
        "2,000 released, 1,000 held"
    );
}

#[test]
fn a_limit_away_from_the_market_rests_and_blocks_its_margin_and_charges() {
    let w = world();
    let mut buy = request(Side::Buy, 10, OrderType::Limit, Product::Delivery);
    buy.price = Some(dec!(1400.00));
    let placed = w
        .place(
            "NSE:INFY",
            &buy,
            &quote(dec!(1499.90), dec!(1500.10)),
            true,
            &flat("NSE:INFY", Product::Delivery),
            dec!(20000),
        )
        .unwrap();
    assert_eq!(placed.order.status, OrderStatus::Open);
    assert!(placed.trade.is_none() && placed.position.is_none());
    // 14,000 + charges on 14,000: STT 14.00, NSE 0.42 (0.4158), IPF 0.01 (0.014), SEBI 0.01, stamp 2.10,
    // GST 18% of 0.44 = 0.08. Total 16.62.
    assert_eq!(placed.order.blocked, dec!(14016.62));
    assert_eq!(placed.available_change, dec!(-14016.62));

    let (cancelled, released) = cancel(&placed.order, now()).unwrap();
    assert_eq!(released, dec!(14016.62));
    assert_eq!(
        (cancelled.status, cancelled.blocked),
        (OrderStatus::Cancelled, Decimal::ZERO)
    );
    assert_eq!(cancelled.history.len(), 2);
    assert_eq!(
        cancel(&cancelled, now()),
        Err(NotCancellable(OrderStatus::Cancelled))
    );
}

#[test]
fn a_crossing_limit_fills_at_the_touch_not_the_limit() {
    let w = world();
    let mut buy = request(Side::Buy, 5, OrderType::Limit, Product::Intraday);
    buy.price = Some(dec!(1600.00));
    let placed = w
        .place(
            "NSE:INFY",
            &buy,
            &quote(dec!(1499.90), dec!(1500.10)),
            true,
            &flat("NSE:INFY", Product::Intraday),
            dec!(100000),
        )
        .unwrap();
    assert_eq!(placed.order.average_price, Some(dec!(1500.10)));
    assert_eq!(placed.position.unwrap().margin, dec!(1500.10), "20% of 7,500.50");
}

#[test]
fn an_ioc_that_cannot_match_is_cancelled_and_blocks_nothing() {
    let w = world();
    let mut buy = request(Side::Buy, 5, OrderType::Limit, Product::Intraday);
    buy.price = Some(dec!(1400.00));
    buy.validity = Validity::Ioc;
    let placed = w
        .place(
            "NSE:INFY",
            &buy,
            &quote(dec!(1499.90), dec!(1500.10)),
            true,
            &flat("NSE:INFY", Product::Intraday),
            dec!(100000),
        )
        .unwrap();
    assert_eq!(placed.order.status, OrderStatus::Cancelled);
    assert_eq!(placed.available_change, Decimal::ZERO);
}

#[test]
fn stops_wait_for_their_trigger_and_after_hours_orders_wait_for_the_open() {
    let w = world();
    let mut stop = request(Side::Sell, 5, OrderType::StopLossMarket, Product::Intraday);
    stop.trigger_price = Some(dec!(1450.00));
    let q = quote(dec!(1499.90), dec!(1500.10));
    let placed = w
        .place(
            "NSE:INFY",
            &stop,
            &q,
            true,
            &flat("NSE:INFY", Product::Intraday),
            dec!(100000),
        )
        .unwrap();
    assert_eq!(placed.order.status, OrderStatus::TriggerPending);
    assert!(placed.order.blocked > Decimal::ZERO);

    let market = request(Side::Buy, 5, OrderType::Market, Product::Delivery);
    let amo = w
        .place(
            "NSE:INFY",
            &market,
            &q,
            false,
            &flat("NSE:INFY", Product::Delivery),
            dec!(100000),
        )
        .unwrap();
    assert!(amo.order.is_amo);
    assert_eq!(amo.order.status, OrderStatus::Open);
    assert!(amo.trade.is_none(), "nothing fills while the market is shut");
}

#[test]
fn modifying_a_resting_limit_reblocks_and_crossing_the_market_fills_it() {
    let w = world();
    let mut buy = request(Side::Buy, 10, OrderType::Limit, Product::Delivery);
    buy.price = Some(dec!(1400.00));
    let q = quote(dec!(1499.90), dec!(1500.10));
    let position = flat("NSE:INFY", Product::Delivery);
    let resting = w
        .place("NSE:INFY", &buy, &q, true, &position, dec!(100000))
        .unwrap()
        .order;
    assert_eq!(resting.blocked, dec!(14016.62));
    let market = w.market("NSE:INFY", Product::Delivery, &q, true);
    let available = dec!(100000) - resting.blocked;
    let tid = TradeId::from_ulid(Ulid::new());

    // 5 at 1,450.00: 7,250 + STT 7.25, NSE 0.22 (0.215325), IPF 0.01, SEBI 0.01, stamp 1.09 (1.0875),
    // GST 0.04 (0.0432) = 7,258.62 blocked; 14,016.62 − 7,258.62 = 6,758.00 comes back.
    let smaller = OrderChange {
        quantity: Some(5),
        price: Some(dec!(1450.00)),
        ..OrderChange::default()
    };
    let modified = modify(&resting, &smaller, &market, &position, available, tid, now()).unwrap();
    assert_eq!(modified.order.status, OrderStatus::Open);
    assert_eq!((modified.order.id, modified.order.version), (resting.id, 2));
    assert_eq!(modified.order.blocked, dec!(7258.62));
    assert_eq!(modified.available_change, dec!(6758.00));
    assert!(modified.trade.is_none());

    let crossing = OrderChange {
        price: Some(dec!(1510.00)),
        ..OrderChange::default()
    };
    let filled = modify(&resting, &crossing, &market, &position, available, tid, now()).unwrap();
    assert_eq!(filled.order.status, OrderStatus::Complete);
    assert_eq!(filled.order.average_price, Some(dec!(1500.10)), "at the touch");
    let statuses: Vec<OrderStatus> = filled.order.history.iter().map(|h| h.status).collect();
    assert_eq!(
        statuses,
        [OrderStatus::Open, OrderStatus::Open, OrderStatus::Complete]
    );
    assert_eq!(
        filled.available_change,
        dec!(14016.62) - dec!(15018.83),
        "block released, cost held"
    );

    let off_tick = OrderChange {
        price: Some(dec!(1450.05)),
        ..OrderChange::default()
    };
    assert!(matches!(
        modify(&resting, &off_tick, &market, &position, available, tid, now()),
        Err(ModifyRefusal::Invalid(_))
    ));
    assert_eq!(
        modify(
            &resting,
            &OrderChange::default(),
            &market,
            &position,
            available,
            tid,
            now()
        ),
        Err(ModifyRefusal::Empty)
    );
    assert_eq!(
        modify(&filled.order, &smaller, &market, &position, available, tid, now()),
        Err(ModifyRefusal::Closed(OrderStatus::Complete))
    );
}

#[test]
fn a_resting_limit_fills_when_the_market_comes_to_it_and_a_stop_triggers_then_fills() {
    let w = world();
    let at = |q, open| w.market("NSE:INFY", Product::Intraday, q, open);
    let position = flat("NSE:INFY", Product::Intraday);
    let mut buy = request(Side::Buy, 10, OrderType::Limit, Product::Intraday);
    buy.price = Some(dec!(1490.00));
    let placed_at = quote(dec!(1499.90), dec!(1500.10));
    let resting = w
        .place("NSE:INFY", &buy, &placed_at, true, &position, dec!(100000))
        .unwrap()
        .order;
    let blocked = resting.blocked;
    let tid = TradeId::from_ulid(Ulid::new());

    let above = quote(dec!(1495.00), dec!(1495.20));
    assert_eq!(
        on_tick(&resting, &at(&above, true), &position, dec!(90000), tid, now()),
        None
    );
    let below = quote(dec!(1487.90), dec!(1488.10));
    assert_eq!(
        on_tick(&resting, &at(&below, false), &position, dec!(90000), tid, now()),
        None,
        "nothing trades while the exchange is shut"
    );
    let filled = on_tick(&resting, &at(&below, true), &position, dec!(90000), tid, now()).unwrap();
    assert_eq!(filled.order.status, OrderStatus::Complete);
    assert_eq!(
        filled.order.average_price,
        Some(dec!(1488.10)),
        "at the ask, below the limit"
    );
    assert_eq!((filled.order.blocked, filled.order.version), (Decimal::ZERO, 2));
    let trade = filled.trade.unwrap();
    // Intraday: 20% of 14,881.00 = 2,976.20 held; the block comes back.
    assert_eq!(filled.position.unwrap().margin, dec!(2976.20));
    assert_eq!(
        filled.available_change,
        blocked - dec!(2976.20) - trade.charges.total()
    );

    let mut stop = request(Side::Sell, 10, OrderType::StopLoss, Product::Intraday);
    stop.trigger_price = Some(dec!(1480.00));
    stop.price = Some(dec!(1479.00));
    let pending = w
        .place("NSE:INFY", &stop, &placed_at, true, &position, dec!(100000))
        .unwrap()
        .order;
    assert_eq!(pending.status, OrderStatus::TriggerPending);
    assert_eq!(
        on_tick(&pending, &at(&below, true), &position, dec!(90000), tid, now()),
        None
    );
    let through = quote(dec!(1479.50), dec!(1479.70));
    let triggered = on_tick(&pending, &at(&through, true), &position, dec!(90000), tid, now()).unwrap();
    let statuses: Vec<OrderStatus> = triggered.order.history.iter().map(|h| h.status).collect();
    assert_eq!(
        statuses,
        [
            OrderStatus::TriggerPending,
            OrderStatus::Open,
            OrderStatus::Complete
        ]
    );
    assert_eq!(
        triggered.order.average_price,
        Some(dec!(1479.50)),
        "sold at the bid"
    );

    let gapped = quote(dec!(1478.00), dec!(1478.20));
    let waiting = {
        let mut q = gapped.clone();
        q.last_price = dec!(1478.10);
        q
    };
    let limit_not_reached =
        on_tick(&pending, &at(&waiting, true), &position, dec!(90000), tid, now()).unwrap();
    assert_eq!(
        limit_not_reached.order.status,
        OrderStatus::Open,
        "triggered, the limit 1,479 not reachable"
    );
    assert!(limit_not_reached.trade.is_none());
    assert_eq!(limit_not_reached.available_change, Decimal::ZERO);
}

#[test]
fn risk_checks_refuse_with_their_reason() {
    let w = world();
    let q = quote(dec!(1499.90), dec!(1500.10));
    let buy = request(Side::Buy, 10, OrderType::Market, Product::Delivery);
    let refused = w.place(
        "NSE:INFY",
        &buy,
        &q,
        true,
        &flat("NSE:INFY", Product::Delivery),
        dec!(15000),
    );
    assert_eq!(
        refused,
        Err(PlaceRefusal::Risk(RiskRejection::InsufficientFunds {
            required: dec!(15018.83),
            available: dec!(15000),
        }))
    );
    let huge = request(Side::Buy, 7_000, OrderType::Market, Product::Intraday);
    assert!(matches!(
        w.place(
            "NSE:INFY",
            &huge,
            &q,
            true,
            &flat("NSE:INFY", Product::Intraday),
            dec!(1e9)
        ),
        Err(PlaceRefusal::Risk(RiskRejection::OrderValueTooLarge { .. }))
    ));
    let short = request(Side::Sell, 10, OrderType::Market, Product::Delivery);
    assert_eq!(
        w.place(
            "NSE:INFY",
            &short,
            &q,
            true,
            &flat("NSE:INFY", Product::Delivery),
            dec!(1e6)
        ),
        Err(PlaceRefusal::Risk(RiskRejection::ShortDelivery {
            wanted: 10,
            held: 0
        }))
    );
    let mut invalid = request(Side::Buy, 10, OrderType::Limit, Product::Delivery);
    invalid.price = None;
    assert!(matches!(
        w.place("NSE:INFY", &invalid, &q, true, &flat("NSE:INFY", Product::Delivery), dec!(1e6)),
        Err(PlaceRefusal::Invalid(v)) if v.iter().any(|v| v.field == "price")
    ));
}

/// A quote offering `size` units at each side of the touch.
fn deep_quote(bid: Decimal, ask: Decimal, size: u64) -> Quote {
    Quote {
        bid_quantity: Some(size),
        ask_quantity: Some(size),
        ..quote(bid, ask)
    }
}

fn limit_buy(quantity: i64, price: Decimal, validity: Validity) -> OrderRequest {
    OrderRequest {
        price: Some(price),
        validity,
        ..request(Side::Buy, quantity, OrderType::Limit, Product::Delivery)
    }
}

#[test]
fn a_limit_larger_than_the_offer_fills_what_is_offered_and_blocks_for_the_rest_until_a_tick_fills_it() {
    let w = world();
    let position = flat("NSE:INFY", Product::Delivery);
    let offered = deep_quote(dec!(1499.90), dec!(1500.10), 10);
    let placed = w
        .place(
            "NSE:INFY",
            &limit_buy(15, dec!(1500.10), Validity::Day),
            &offered,
            true,
            &position,
            dec!(1000000),
        )
        .unwrap();
    // 10 fill at the ask: 15,001.00 + charges 17.83 (as the delivery round trip above) = 15,018.83 out.
    // The 5 left block 5 × 1,500.10 = 7,500.50 + their charges: STT 7.50 (7.5005); NSE 0.22 (0.222765);
    // IPF 0.01 (0.0075005); SEBI 0.01; stamp 1.13 (1.125075); GST 18% of 0.24 = 0.04. 8.91 → 7,509.41.
    let trade = placed.trade.clone().unwrap();
    assert_eq!((trade.quantity, trade.price), (10, dec!(1500.10)));
    assert_eq!(trade.charges.total(), dec!(17.83));
    let order = &placed.order;
    assert_eq!(order.status, OrderStatus::PartiallyFilled);
    assert_eq!(
        (order.filled_quantity, order.average_price, order.blocked),
        (10, Some(dec!(1500.10)), dec!(7509.41))
    );
    assert_eq!(
        order.history.iter().map(|h| h.status).collect::<Vec<_>>(),
        [OrderStatus::Open, OrderStatus::PartiallyFilled]
    );
    assert_eq!(placed.available_change, dec!(-22528.24), "15,018.83 + 7,509.41");
    let held = placed.position.unwrap();
    assert_eq!(held.position.quantity, 10);

    // The rest fills at a lower ask: 5 × 1,499.80 = 7,499.00; charges STT 7.50 (7.499); NSE 0.22; IPF 0.01;
    // SEBI 0.01; stamp 1.12 (1.12485); GST 0.04 → 8.90. The block of 7,509.41 comes back: +1.51 net.
    let lower = deep_quote(dec!(1499.60), dec!(1499.80), 10);
    let market = w.market("NSE:INFY", Product::Delivery, &lower, true);
    let tid = TradeId::from_ulid(Ulid::new());
    let rest = on_tick(order, &market, &held, dec!(977471.76), tid, now()).unwrap();
    assert_eq!(rest.trade.as_ref().unwrap().quantity, 5);
    assert_eq!(rest.trade.as_ref().unwrap().charges.total(), dec!(8.90));
    assert_eq!(rest.order.status, OrderStatus::Complete);
    assert_eq!(
        (rest.order.filled_quantity, rest.order.blocked),
        (15, Decimal::ZERO)
    );
    assert_eq!(
        rest.order.average_price,
        Some(dec!(1500.00)),
        "(15,001.00 + 7,499.00) / 15"
    );
    assert_eq!(rest.available_change, dec!(1.51));
    assert_eq!(rest.position.unwrap().position.quantity, 15);
}

#[test]
fn a_resting_limit_fills_in_part_on_a_tick_and_keeps_a_block_for_the_rest() {
    let w = world();
    let position = flat("NSE:INFY", Product::Delivery);
    let away = deep_quote(dec!(1500.80), dec!(1501.00), 10);
    let resting = w
        .place(
            "NSE:INFY",
            &limit_buy(15, dec!(1500.10), Validity::Day),
            &away,
            true,
            &position,
            dec!(1000000),
        )
        .unwrap();
    // 15 × 1,500.10 = 22,501.50 + charges: STT 22.50; NSE 0.67 (0.668295); IPF 0.02; SEBI 0.02; stamp 3.38
    // (3.375225); GST 18% of 0.71 = 0.13 → 26.72.
    assert_eq!(resting.order.blocked, dec!(22528.22));
    let come = deep_quote(dec!(1499.80), dec!(1500.00), 10);
    let market = w.market("NSE:INFY", Product::Delivery, &come, true);
    let tid = TradeId::from_ulid(Ulid::new());
    let part = on_tick(&resting.order, &market, &position, dec!(977471.78), tid, now()).unwrap();
    // 10 at 1,500.00 = 15,000.00 + 17.83 charges; the rest blocks 7,509.41 as at placement above.
    assert_eq!(part.trade.as_ref().unwrap().quantity, 10);
    assert_eq!(part.trade.as_ref().unwrap().charges.total(), dec!(17.83));
    assert_eq!(part.order.status, OrderStatus::PartiallyFilled);
    assert_eq!(
        (
            part.order.filled_quantity,
            part.order.average_price,
            part.order.blocked
        ),
        (10, Some(dec!(1500.00)), dec!(7509.41))
    );
    assert_eq!(
        part.available_change,
        dec!(0.98),
        "22,528.22 released − 15,017.83 − 7,509.41"
    );
}

#[test]
fn an_ioc_limit_cancels_what_the_offer_could_not_fill() {
    let w = world();
    let placed = w
        .place(
            "NSE:INFY",
            &limit_buy(15, dec!(1500.10), Validity::Ioc),
            &deep_quote(dec!(1499.90), dec!(1500.10), 10),
            true,
            &flat("NSE:INFY", Product::Delivery),
            dec!(1000000),
        )
        .unwrap();
    let order = &placed.order;
    assert_eq!(order.status, OrderStatus::Cancelled);
    assert_eq!(
        order.status_message.as_deref(),
        Some("IOC: 5 unfilled at placement cancelled")
    );
    assert_eq!((order.filled_quantity, order.blocked), (10, Decimal::ZERO));
    assert_eq!(
        order.history.iter().map(|h| h.status).collect::<Vec<_>>(),
        [
            OrderStatus::Open,
            OrderStatus::PartiallyFilled,
            OrderStatus::Cancelled
        ]
    );
    assert_eq!(placed.trade.unwrap().quantity, 10);
    assert_eq!(placed.available_change, dec!(-15018.83), "only the fill");
}

#[test]
fn a_market_order_sweeps_past_the_offer_and_fills_whole() {
    let w = world();
    let placed = w
        .place(
            "NSE:INFY",
            &request(Side::Buy, 15, OrderType::Market, Product::Delivery),
            &deep_quote(dec!(1499.90), dec!(1500.10), 10),
            true,
            &flat("NSE:INFY", Product::Delivery),
            dec!(1000000),
        )
        .unwrap();
    assert_eq!(placed.order.status, OrderStatus::Complete);
    assert_eq!(placed.trade.unwrap().quantity, 15);
}

#[test]
fn a_partly_filled_order_is_not_modified_and_cancelling_it_keeps_the_fills_and_returns_the_block() {
    let w = world();
    let placed = w
        .place(
            "NSE:INFY",
            &limit_buy(15, dec!(1500.10), Validity::Day),
            &deep_quote(dec!(1499.90), dec!(1500.10), 10),
            true,
            &flat("NSE:INFY", Product::Delivery),
            dec!(1000000),
        )
        .unwrap();
    let quote = deep_quote(dec!(1499.90), dec!(1500.10), 10);
    let market = w.market("NSE:INFY", Product::Delivery, &quote, true);
    let held = placed.position.clone().unwrap();
    let change = OrderChange {
        price: Some(dec!(1499.00)),
        ..OrderChange::default()
    };
    let tid = TradeId::from_ulid(Ulid::new());
    assert_eq!(
        modify(
            &placed.order,
            &change,
            &market,
            &held,
            dec!(977471.76),
            tid,
            now()
        ),
        Err(ModifyRefusal::PartlyFilled {
            filled: 10,
            quantity: 15
        })
    );
    let (cancelled, released) = cancel(&placed.order, now()).unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(
        (cancelled.filled_quantity, cancelled.blocked),
        (10, Decimal::ZERO)
    );
    assert_eq!(released, dec!(7509.41));
}
