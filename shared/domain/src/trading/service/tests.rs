//! The order use cases over in-memory fakes of every port (no emulator, no network): placement, replay,
//! the kill switch and the rate limit, modify, cancel, the paper exchange's tick and end of day, the reads,
//! and live mode through a fake broker. Hand-checked figures are the paper broker's (INFY on the shipped
//! rates of 25 Nov 2026); the same flows run end to end against the emulator in `tests/`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use ulid::Ulid;

use super::*;
use crate::broker::live::{BrokerKeyMap, LiveBrokerError, LiveFunds, LiveOrder, TradingMode};
use crate::kernel::events::Envelope;
use crate::kernel::ids::{OrderId, TradeId};
use crate::market::calendar::MarketCalendar;
use crate::market::instrument::InstrumentKey;
use crate::ops::kill_switch::KillSwitch;
use crate::ops::ports::KillSwitchStore;
use crate::testing::{
    FakeLiveBroker, FixedInstrumentKeys, FixedMarket, FixedTokens, InMemoryInstrumentStore,
    InMemoryKillSwitch, InMemoryLedger, InMemoryTradingModes, ManualClock, RecordingPublisher, SequentialIds,
};
use crate::trading::account::PaperAccount;
use crate::trading::basket::{BasketCommand, BasketLegCommand, BasketOutcome, LegResult};
use crate::trading::events::{OrderChanged, OrderUpdated};
use crate::trading::ports::{OrderListQuery, TradingLedger};
use crate::trading::request::{OrderChange, OrderRequest, OrderType, Product, Side, Validity};
use crate::trading::risk::RiskRejection;
use crate::trading::status::OrderStatus;

const TEN_LAKH: Decimal = dec!(1000000.00);

/// An instant of 25 Nov 2026 (a Wednesday), IST.
fn ist(time: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-11-25T{time}+05:30"))
        .unwrap()
        .with_timezone(&Utc)
}

struct World {
    service: OrderService,
    ledger: Arc<InMemoryLedger>,
    quotes: Arc<FixedMarket>,
    clock: Arc<ManualClock>,
    kill_switch: Arc<InMemoryKillSwitch>,
    broker: Arc<FakeLiveBroker>,
    tokens: Arc<FixedTokens>,
    user: UserId,
}

/// A funded trader at 11:00 IST, INFY quoted 1,499.90 / 1,500.10, with a live broker wired (paper mode).
fn world() -> World {
    world_with(RiskLimits::default())
}

fn world_with(limits: RiskLimits) -> World {
    world_over(limits, |ledger| ledger)
}

/// A [`world_with`] whose order service commits through `wrap`(the in-memory ledger).
fn world_over(
    limits: RiskLimits,
    wrap: impl FnOnce(Arc<dyn TradingLedger>) -> Arc<dyn TradingLedger>,
) -> World {
    let calendar = Arc::new(MarketCalendar::nse().unwrap());
    let ledger = Arc::new(InMemoryLedger::default());
    let quotes = Arc::new(FixedMarket::default());
    quotes.set("NSE:INFY", dec!(1499.90), dec!(1500.10), None);
    let clock = Arc::new(ManualClock::at(ist("11:00:00")));
    let kill_switch = Arc::new(InMemoryKillSwitch::default());
    let broker = Arc::new(FakeLiveBroker::default());
    let tokens = Arc::new(FixedTokens::default());
    let infy = InstrumentKey::parse("NSE:INFY").unwrap();
    let keys = BrokerKeyMap::new([(infy, "NSE_EQ|INE009A01021".to_owned())].into());
    let desk = LiveDesk {
        broker: broker.clone(),
        instruments: Arc::new(FixedInstrumentKeys(Arc::new(keys))),
        tokens: tokens.clone(),
        modes: Arc::new(InMemoryTradingModes::default()),
        clock: clock.clone(),
    };
    let service = OrderService::new(TradingContext {
        ledger: wrap(ledger.clone()),
        market: quotes.clone(),
        master: Arc::new(CurrentMaster::new(
            Arc::new(InMemoryInstrumentStore::default()),
            calendar.clone(),
        )),
        calendar,
        charges: Arc::new(ChargeSchedule::shipped().unwrap()),
        plan: BrokeragePlan::default(),
        limits,
        kill_switch: kill_switch.clone(),
        clock: clock.clone(),
        ids: Arc::new(SequentialIds::default()),
        live: Some(Arc::new(desk)),
    });
    let user = UserId::from_ulid(Ulid::from_parts(9_000, 9));
    ledger.open(PaperAccount::open(user, ist("09:00:00")));
    World {
        service,
        ledger,
        quotes,
        clock,
        kill_switch,
        broker,
        tokens,
        user,
    }
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

fn limit(side: Side, quantity: i64, price: Decimal, product: Product) -> OrderRequest {
    OrderRequest {
        price: Some(price),
        ..request(side, quantity, OrderType::Limit, product)
    }
}

fn command(request: OrderRequest) -> PlaceCommand {
    PlaceCommand {
        instrument: "NSE:INFY".into(),
        request,
        idempotency_key: None,
        request_hash: "h".into(),
    }
}

impl World {
    async fn place(&self, request: OrderRequest) -> Result<PlaceOutcome, PlaceError> {
        self.service.place(self.user, command(request)).await
    }

    async fn placed(&self, request: OrderRequest) -> Order {
        match self.place(request).await.unwrap() {
            PlaceOutcome::Created(order, _) => order,
            PlaceOutcome::Replayed(order) => panic!("replayed {order:?}"),
        }
    }

    async fn account(&self) -> PaperAccount {
        self.ledger.account(&self.user).await.unwrap().unwrap()
    }

    async fn stored(&self, id: &OrderId) -> Order {
        self.ledger.order(&self.user, id).await.unwrap().unwrap()
    }

    async fn go_live(&self) {
        self.tokens.link(self.user, ist("23:59:00"));
        let mode = self
            .service
            .switch_mode(&self.user, TradingMode::Live)
            .await
            .unwrap();
        assert_eq!(mode, TradingMode::Live);
    }
}

#[tokio::test]
async fn a_market_buy_fills_at_the_ask_and_moves_funds_by_the_hand_checked_cost_and_charges() {
    let w = world();
    let outcome = w
        .place(request(Side::Buy, 10, OrderType::Market, Product::Delivery))
        .await
        .unwrap();
    let PlaceOutcome::Created(order, decision) = outcome else {
        panic!("not created");
    };
    // Ids come from the IdGen port: the first order and fill of a run are always the same.
    assert_eq!(order.id, OrderId::from_ulid(Ulid::from_parts(1, 1)));
    assert_eq!(
        (order.status, order.average_price),
        (OrderStatus::Complete, Some(dec!(1500.10)))
    );
    assert_eq!((decision.allowed, decision.remaining), (true, 9));
    // 10 × 1,500.10 = 15,001.00 held for delivery; charges 17.83 (the paper broker's round-trip test).
    let account = w.account().await;
    assert_eq!(account.available, TEN_LAKH - dec!(15018.83));
    assert_eq!(account.cash, TEN_LAKH - dec!(17.83));
    let trades = w.service.trades(&w.user, 10, None).await.unwrap().items;
    assert_eq!(trades.len(), 1);
    assert_eq!(trades[0].id, TradeId::from_ulid(Ulid::from_parts(2, 2)));
    assert_eq!(trades[0].charges.total(), dec!(17.83));
    let positions = w.service.positions(w.user).await.unwrap();
    assert_eq!(
        (positions[0].quantity, positions[0].last_price),
        (10, dec!(1500.00))
    );
}

#[tokio::test]
async fn a_repeated_request_replays_the_original_and_a_different_one_under_the_same_key_is_refused() {
    let w = world();
    let keyed = |hash: &str| PlaceCommand {
        idempotency_key: Some("k-1".into()),
        request_hash: hash.into(),
        ..command(request(Side::Buy, 10, OrderType::Market, Product::Delivery))
    };
    let PlaceOutcome::Created(first, _) = w.service.place(w.user, keyed("h1")).await.unwrap() else {
        panic!("not created");
    };
    let PlaceOutcome::Replayed(again) = w.service.place(w.user, keyed("h1")).await.unwrap() else {
        panic!("not replayed");
    };
    assert_eq!(again, first);
    assert!(matches!(
        w.service.place(w.user, keyed("h2")).await,
        Err(PlaceError::KeyReused("Idempotency-Key"))
    ));
    assert_eq!(
        w.account().await.available,
        TEN_LAKH - dec!(15018.83),
        "funds moved once"
    );
}

#[tokio::test]
async fn the_kill_switch_stops_placements_and_modifications_but_not_cancellations() {
    let w = world();
    let resting = w
        .placed(limit(Side::Buy, 10, dec!(1400.00), Product::Delivery))
        .await;
    w.kill_switch
        .set(&KillSwitch {
            enabled: true,
            reason: "exchange outage".into(),
            changed_by: w.user,
            changed_at: ist("11:01:00"),
        })
        .await
        .unwrap();
    assert!(matches!(
        w.place(request(Side::Buy, 1, OrderType::Market, Product::Delivery)).await,
        Err(PlaceError::KillSwitch(reason)) if reason == "exchange outage"
    ));
    let change = OrderChange {
        quantity: Some(5),
        ..OrderChange::default()
    };
    assert!(matches!(
        w.service.modify(w.user, resting.id, change).await,
        Err(ModifyError::Place(PlaceError::KillSwitch(_)))
    ));
    let cancelled = w.service.cancel(w.user, resting.id).await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(w.account().await.available, TEN_LAKH);
}

#[tokio::test]
async fn the_eleventh_placement_in_a_minute_is_refused_until_the_window_ends() {
    let w = world();
    w.clock.set(ist("11:00:45"));
    for _ in 0..10 {
        w.placed(limit(Side::Buy, 1, dec!(1400.00), Product::Delivery))
            .await;
    }
    let Err(PlaceError::RateLimited(decision)) = w
        .place(limit(Side::Buy, 1, dec!(1400.00), Product::Delivery))
        .await
    else {
        panic!("not rate limited");
    };
    assert_eq!((decision.allowed, decision.retry_after_secs), (false, 15));
    w.clock.set(ist("11:01:00"));
    w.placed(limit(Side::Buy, 1, dec!(1400.00), Product::Delivery))
        .await;
}

#[tokio::test]
async fn a_resting_limit_blocks_its_funds_a_modification_reblocks_and_a_cancellation_releases_them() {
    let w = world();
    let resting = w
        .placed(limit(Side::Buy, 10, dec!(1400.00), Product::Delivery))
        .await;
    // 14,000 + its charges 16.62 (the paper broker's resting-limit test).
    assert_eq!(
        (resting.status, resting.blocked),
        (OrderStatus::Open, dec!(14016.62))
    );
    assert_eq!(w.account().await.available, TEN_LAKH - dec!(14016.62));

    let smaller = OrderChange {
        quantity: Some(5),
        price: Some(dec!(1450.00)),
        ..OrderChange::default()
    };
    let modified = w.service.modify(w.user, resting.id, smaller).await.unwrap();
    // 5 at 1,450.00 block 7,258.62; 14,016.62 − 7,258.62 = 6,758.00 comes back.
    assert_eq!((modified.blocked, modified.version), (dec!(7258.62), 2));
    assert_eq!(w.account().await.available, TEN_LAKH - dec!(7258.62));
    assert_eq!(w.stored(&resting.id).await, modified);

    let cancelled = w.service.cancel(w.user, resting.id).await.unwrap();
    assert_eq!(
        (cancelled.status, cancelled.blocked),
        (OrderStatus::Cancelled, Decimal::ZERO)
    );
    assert_eq!(w.account().await.available, TEN_LAKH);
    assert!(matches!(
        w.service.cancel(w.user, resting.id).await,
        Err(CancelError::Closed(_))
    ));
}

#[tokio::test]
async fn a_limit_turned_into_a_stop_waits_for_its_trigger_and_its_history_says_so() {
    let w = world();
    let resting = w
        .placed(limit(Side::Sell, 10, dec!(1600.00), Product::Intraday))
        .await;
    let to_stop = OrderChange {
        order_type: Some(OrderType::StopLoss),
        price: Some(dec!(1479.00)),
        trigger_price: Some(dec!(1480.00)),
        ..OrderChange::default()
    };
    let stop = w.service.modify(w.user, resting.id, to_stop).await.unwrap();
    let statuses: Vec<_> = stop.history.iter().map(|h| h.status).collect();
    assert_eq!(
        statuses,
        [OrderStatus::Open, OrderStatus::Open, OrderStatus::TriggerPending]
    );
    assert_eq!(stop.status, OrderStatus::TriggerPending);
}

#[tokio::test]
async fn every_order_change_is_published_for_the_push_channel_and_only_fills_and_refusals_are_notified() {
    let notifications = Arc::new(RecordingPublisher::default());
    let changes = Arc::new(RecordingPublisher::default());
    let (n, c) = (notifications.clone(), changes.clone());
    let w = world_over(RiskLimits::default(), move |ledger| {
        Arc::new(
            NotifyingLedger::new(ledger, Arc::new(SequentialIds::default()))
                .with_notifications(n)
                .with_changes(c),
        )
    });
    let resting = w
        .placed(limit(Side::Buy, 10, dec!(1400.00), Product::Delivery))
        .await;
    let smaller = OrderChange {
        quantity: Some(5),
        ..OrderChange::default()
    };
    let modified = w.service.modify(w.user, resting.id, smaller).await.unwrap();
    let cancelled = w.service.cancel(w.user, resting.id).await.unwrap();
    let filled = w
        .placed(request(Side::Buy, 2, OrderType::Market, Product::Delivery))
        .await;

    let orders = |published: Vec<Envelope>| -> Vec<Order> {
        published
            .iter()
            .map(|e| e.open::<OrderChanged>().unwrap().order)
            .collect()
    };
    // Placed, modified, cancelled (by the user: no notification) and filled: four frames, each the order as
    // committed.
    assert_eq!(
        orders(changes.published()),
        vec![resting, modified, cancelled, filled.clone()]
    );
    let notified: Vec<OrderUpdated> = notifications
        .published()
        .iter()
        .map(|e| e.open().unwrap())
        .collect();
    assert_eq!(notified, vec![OrderUpdated::of(&filled).unwrap()]);
}

#[tokio::test]
async fn an_order_event_that_cannot_be_published_never_fails_the_commit() {
    let w = world_over(RiskLimits::default(), |ledger| {
        Arc::new(
            NotifyingLedger::new(ledger, Arc::new(SequentialIds::default()))
                .with_changes(Arc::new(RecordingPublisher::failing())),
        )
    });
    let filled = w
        .placed(request(Side::Buy, 2, OrderType::Market, Product::Delivery))
        .await;
    assert_eq!(w.stored(&filled.id).await, filled);
}

#[tokio::test]
async fn someone_elses_order_is_not_found() {
    let w = world();
    let mine = w
        .placed(limit(Side::Buy, 10, dec!(1400.00), Product::Delivery))
        .await;
    let stranger = UserId::from_ulid(Ulid::from_parts(8_000, 8));
    assert_eq!(w.service.order(&stranger, &mine.id).await.unwrap(), None);
    assert!(matches!(
        w.service.cancel(stranger, mine.id).await,
        Err(CancelError::NotFound)
    ));
    assert!(matches!(
        w.service
            .modify(
                stranger,
                mine.id,
                OrderChange {
                    quantity: Some(1),
                    ..OrderChange::default()
                }
            )
            .await,
        Err(ModifyError::NotFound)
    ));
    assert_eq!(w.stored(&mine.id).await, mine);
}

#[tokio::test]
async fn a_tick_fills_a_resting_limit_when_the_market_comes_down_to_it() {
    let w = world();
    let resting = w
        .placed(limit(Side::Buy, 10, dec!(1490.00), Product::Intraday))
        .await;
    let quiet = w.service.match_working().await.unwrap();
    assert_eq!((quiet.checked, quiet.filled), (1, 0));

    w.clock.set(ist("11:05:00"));
    w.quotes.set("NSE:INFY", dec!(1487.90), dec!(1488.10), None);
    let tick = w.service.match_working().await.unwrap();
    assert_eq!((tick.checked, tick.filled), (1, 1));
    let filled = w.stored(&resting.id).await;
    assert_eq!(
        (filled.status, filled.average_price),
        (OrderStatus::Complete, Some(dec!(1488.10)))
    );
    // Intraday: 20% of 14,881.00 = 2,976.20 held; the block came back and the charges were paid.
    let position = w
        .ledger
        .position(&w.user, &filled.instrument, Product::Intraday)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(position.margin, dec!(2976.20));
    let charges = w.service.trades(&w.user, 10, None).await.unwrap().items[0]
        .charges
        .total();
    assert_eq!(w.account().await.available, TEN_LAKH - dec!(2976.20) - charges);
}

#[tokio::test]
async fn end_of_day_squares_intraday_off_expires_day_orders_and_settles_delivery_into_holdings() {
    let w = world();
    w.placed(request(Side::Buy, 10, OrderType::Market, Product::Intraday))
        .await;
    w.placed(request(Side::Buy, 10, OrderType::Market, Product::Delivery))
        .await;
    let resting = w
        .placed(limit(Side::Buy, 1, dec!(1400.00), Product::Delivery))
        .await;
    assert_eq!(
        w.service.end_of_day().await.unwrap(),
        EndOfDayReport::default(),
        "11:00: nothing due"
    );

    // 15:20: the intraday long is sold at the bid, 10 × (1,510.00 − 1,500.10) = 99.00 realized.
    w.clock.set(ist("15:20:00"));
    w.quotes.set("NSE:INFY", dec!(1510.00), dec!(1510.20), None);
    let square_off = w.service.end_of_day().await.unwrap();
    assert_eq!((square_off.checked, square_off.squared_off), (2, 1));
    let intraday = w
        .ledger
        .position(&w.user, &resting.instrument, Product::Intraday)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (intraday.position.quantity, intraday.position.realized_pnl),
        (0, dec!(99.00))
    );
    let orders = w
        .service
        .orders(
            &w.user,
            &OrderListQuery {
                status: None,
                instrument: None,
                from: None,
                to: None,
                limit: 10,
                after: None,
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(
        orders[0].request.tag.as_deref(),
        Some("square-off"),
        "newest first"
    );

    // 15:30: the DAY order expires, its block comes back; both positions roll over, delivery into holdings.
    w.clock.set(ist("15:30:00"));
    let tick = w.service.match_working().await.unwrap();
    assert_eq!(tick.expired, 1);
    assert_eq!(w.stored(&resting.id).await.status, OrderStatus::Cancelled);
    let closed = w.service.end_of_day().await.unwrap();
    assert_eq!(closed.rolled, 2);
    let holdings = w.service.holdings(w.user).await.unwrap();
    assert_eq!((holdings.len(), holdings[0].quantity), (1, 10));
    let charges: Decimal = w
        .service
        .trades(&w.user, 10, None)
        .await
        .unwrap()
        .items
        .iter()
        .map(|t| t.charges.total())
        .sum();
    let account = w.account().await;
    assert_eq!(
        account.cash,
        TEN_LAKH + dec!(99.00) - charges,
        "cash moved by P&L and charges only"
    );
    assert_eq!(
        account.available,
        account.cash - dec!(15001.00),
        "the holding's cost stays held"
    );
}

#[tokio::test]
async fn the_working_order_limit_refuses_one_more_resting_order_and_writes_nothing() {
    let w = world_with(RiskLimits {
        max_open_orders: 2,
        ..RiskLimits::default()
    });
    for _ in 0..2 {
        w.placed(limit(Side::Buy, 1, dec!(1400.00), Product::Delivery))
            .await;
    }
    let before = w.account().await;
    assert!(matches!(
        w.place(limit(Side::Buy, 1, dec!(1400.00), Product::Delivery))
            .await,
        Err(PlaceError::Risk(RiskRejection::TooManyOpenOrders {
            open: 2,
            limit: 2
        }))
    ));
    assert_eq!(w.account().await, before);
}

#[tokio::test]
async fn a_reset_refunds_only_an_account_that_holds_nothing() {
    let w = world();
    let resting = w
        .placed(limit(Side::Buy, 10, dec!(1400.00), Product::Delivery))
        .await;
    assert!(matches!(
        w.service.reset_paper(w.user, dec!(500000.00)).await,
        Err(ResetError::Holding)
    ));
    w.service.cancel(w.user, resting.id).await.unwrap();
    assert!(matches!(
        w.service.reset_paper(w.user, dec!(500000.005)).await,
        Err(ResetError::InvalidCash)
    ));
    let reset = w.service.reset_paper(w.user, dec!(500000.00)).await.unwrap();
    assert_eq!((reset.cash, reset.available), (dec!(500000.00), dec!(500000.00)));
}

#[tokio::test]
async fn switching_to_live_needs_a_linked_broker_and_going_back_to_paper_does_not() {
    let w = world();
    assert!(matches!(
        w.service.switch_mode(&w.user, TradingMode::Live).await,
        Err(SwitchError::NotLinked)
    ));
    w.go_live().await;
    assert_eq!(w.service.mode(&w.user).await.unwrap(), TradingMode::Live);
    w.service.switch_mode(&w.user, TradingMode::Paper).await.unwrap();
    assert_eq!(w.service.mode(&w.user).await.unwrap(), TradingMode::Paper);
}

#[tokio::test]
async fn in_live_mode_an_order_goes_to_the_broker_tagged_with_our_id_and_moves_no_paper_funds() {
    let w = world();
    w.go_live().await;
    let order = w
        .placed(limit(Side::Buy, 10, dec!(1400.00), Product::Delivery))
        .await;
    let sent = w.broker.placed();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].client_order_id, order.id.to_string());
    assert_eq!(sent[0].instrument_key, "NSE_EQ|INE009A01021");
    let live = order.live.as_ref().unwrap();
    assert_eq!(live.broker_order_id.as_deref(), Some("B1"));
    assert_eq!((order.status, order.blocked), (OrderStatus::Open, Decimal::ZERO));
    assert_eq!(w.stored(&order.id).await, order);
    assert_eq!(w.account().await.available, TEN_LAKH);
    assert_eq!(
        w.service.match_working().await.unwrap().checked,
        0,
        "the paper exchange never sees it"
    );
}

#[tokio::test]
async fn a_broker_refusal_rejects_the_live_order_in_the_brokers_words() {
    let w = world();
    w.go_live().await;
    w.broker.fail_next(LiveBrokerError::Rejected(
        "Insufficient funds (UDAPI100013)".into(),
    ));
    let order = w
        .placed(limit(Side::Buy, 10, dec!(1400.00), Product::Delivery))
        .await;
    assert_eq!(order.status, OrderStatus::Rejected);
    assert_eq!(
        order.status_message.as_deref(),
        Some("broker rejected the request: Insufficient funds (UDAPI100013)")
    );
    assert_eq!(w.stored(&order.id).await.status, OrderStatus::Rejected);
}

#[tokio::test]
async fn an_unanswered_live_placement_is_confirmed_by_a_later_read_from_the_order_book() {
    let w = world();
    w.go_live().await;
    w.broker
        .fail_next(LiveBrokerError::Unavailable("timed out".into()));
    let order = w
        .placed(limit(Side::Buy, 10, dec!(1400.00), Product::Delivery))
        .await;
    assert_eq!(order.live.as_ref().unwrap().broker_order_id, None, "unconfirmed");

    w.broker.set_book(vec![LiveOrder {
        broker_order_id: "250101000000007".into(),
        tag: Some(order.id.to_string()),
        instrument_key: "NSE_EQ|INE009A01021".into(),
        trading_symbol: "INFY".into(),
        exchange: "NSE".into(),
        side: Side::Buy,
        quantity: 10,
        filled_quantity: 4,
        average_price: Some(dec!(1399.90)),
        price: Some(dec!(1400.00)),
        trigger_price: None,
        order_type: OrderType::Limit,
        product: Product::Delivery,
        validity: Validity::Day,
        is_amo: false,
        status: OrderStatus::PartiallyFilled,
        broker_status: "open".into(),
        status_message: None,
        placed_at: None,
    }]);
    w.clock.set(ist("11:00:30"));
    let read = w.service.order(&w.user, &order.id).await.unwrap().unwrap();
    assert_eq!(
        read.live.as_ref().unwrap().broker_order_id.as_deref(),
        Some("250101000000007")
    );
    assert_eq!(
        (read.status, read.filled_quantity),
        (OrderStatus::PartiallyFilled, 4)
    );
    assert_eq!(w.stored(&order.id).await, read, "the read stored what it learned");
}

#[tokio::test]
async fn a_live_order_is_modified_and_cancelled_at_its_broker_even_after_the_account_went_back_to_paper() {
    let w = world();
    w.go_live().await;
    let order = w
        .placed(limit(Side::Buy, 10, dec!(1400.00), Product::Delivery))
        .await;
    w.service.switch_mode(&w.user, TradingMode::Paper).await.unwrap();

    let change = OrderChange {
        price: Some(dec!(1410.00)),
        ..OrderChange::default()
    };
    let modified = w.service.modify(w.user, order.id, change).await.unwrap();
    assert_eq!(modified.request.price, Some(dec!(1410.00)));
    assert_eq!(w.broker.modified()[0].broker_order_id, "B1");

    w.service.cancel(w.user, order.id).await.unwrap();
    assert_eq!(w.broker.cancelled(), ["B1"]);
    assert_eq!(w.account().await.available, TEN_LAKH, "paper funds never moved");
}

#[tokio::test]
async fn the_portfolio_is_read_from_the_venue_the_account_trades_at() {
    let w = world();
    w.placed(request(Side::Buy, 10, OrderType::Market, Product::Delivery))
        .await;
    let paper = w.service.summary(w.user).await.unwrap();
    assert_eq!(paper.funds.margin_used, dec!(15001.00));
    assert_eq!(paper.as_of, ist("11:00:00"));

    w.go_live().await;
    w.broker.set_account(
        Vec::new(),
        Vec::new(),
        LiveFunds {
            available_margin: dec!(15507.46),
            used_margin: dec!(0.80),
            payin: dec!(200.00),
        },
    );
    let live = w.service.summary(w.user).await.unwrap();
    // The broker's funds: cash = available + used (the live-valuation test's figures).
    assert_eq!(
        (live.funds.cash, live.funds.margin_available),
        (dec!(15508.26), dec!(15507.46))
    );
    assert!(w.service.positions(w.user).await.unwrap().is_empty());

    w.tokens.link(w.user, ist("10:00:00"));
    assert!(matches!(
        w.service.funds(w.user).await,
        Err(PlaceError::Broker(LiveBrokerError::Unauthorized))
    ));
}

/// NIFTY at 26,000.00 with two puts quoted around it, on the shipped master (expiry 1 Dec 2026).
fn with_nifty_puts(w: &World) {
    w.quotes.set("NSE:NIFTY", dec!(25999.95), dec!(26000.05), None);
    w.quotes
        .set("NFO:NIFTY26D0125800PE", dec!(79.95), dec!(80.05), None);
    w.quotes
        .set("NFO:NIFTY26D0126000PE", dec!(150.00), dec!(150.10), None);
    w.quotes
        .set("NFO:NIFTY26D0126000CE", dec!(150.00), dec!(150.10), None);
}

fn basket(legs: &[(&str, Side, i64)], key: &str) -> BasketCommand {
    BasketCommand {
        legs: legs
            .iter()
            .map(|(instrument, side, quantity)| BasketLegCommand {
                instrument: (*instrument).to_owned(),
                request: request(*side, *quantity, OrderType::Market, Product::Delivery),
            })
            .collect(),
        idempotency_key: key.to_owned(),
        request_hash: format!("hash-of-{legs:?}"),
    }
}

/// A bull put spread, sell leg first as a caller might send it.
fn bull_put_spread(key: &str) -> BasketCommand {
    basket(
        &[
            ("NFO:NIFTY26D0126000PE", Side::Sell, 65),
            ("NFO:NIFTY26D0125800PE", Side::Buy, 65),
        ],
        key,
    )
}

fn placed_orders(outcome: &BasketOutcome) -> Vec<(usize, Order)> {
    outcome
        .legs
        .iter()
        .map(|(i, r)| match r {
            LegResult::Placed(order) => (*i, (**order).clone()),
            other => panic!("leg {i}: {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn a_credit_spread_basket_fills_buy_leg_first_and_blocks_its_maximum_loss_not_the_naked_short() {
    let w = world();
    with_nifty_puts(&w);
    let outcome = w
        .service
        .place_basket(w.user, bull_put_spread("k1"))
        .await
        .unwrap();
    let orders = placed_orders(&outcome);
    // The buy leg (index 1 in the command) goes first.
    assert_eq!(orders.iter().map(|(i, _)| *i).collect::<Vec<_>>(), vec![1, 0]);
    assert!(orders.iter().all(|(_, o)| o.status == OrderStatus::Complete));
    assert_eq!(orders[0].1.average_price, Some(dec!(80.05)));
    assert_eq!(orders[1].1.average_price, Some(dec!(150.00)));
    // Long 25,800 put at 80.05, short 26,000 put at 150.00, 65 each. At expiry below 25,800 the loss is
    // 65 × (200 − (150.00 − 80.05)) = 65 × 130.05 = 8,453.25: blocked instead of the short put's 2,02,800
    // (12% of 65 × 26,000) plus the long's 5,203.25 premium (naked 2,08,003.25).
    let margin = outcome.margin.unwrap();
    assert_eq!((margin.naked, margin.total), (dec!(208003.25), dec!(8453.25)));
    let charges: Decimal = w
        .service
        .trades(&w.user, 10, None)
        .await
        .unwrap()
        .items
        .iter()
        .map(|t| t.charges.total())
        .sum();
    assert!(charges > Decimal::ZERO);
    let account = w.account().await;
    assert_eq!(account.available, TEN_LAKH - dec!(8453.25) - charges);
    assert_eq!(account.cash, TEN_LAKH - charges);
    // The positions hold it: the long its premium, the short the rest.
    let held: Decimal = w
        .ledger
        .positions(&w.user)
        .await
        .unwrap()
        .iter()
        .map(|p| p.margin)
        .sum();
    assert_eq!(held, dec!(8453.25));
}

#[tokio::test]
async fn a_basket_one_leg_beyond_the_funds_places_nothing_and_names_that_leg() {
    let w = world();
    with_nifty_puts(&w);
    // A short straddle of 3 lots: each short leg blocks 12% × 195 × 26,000 = 6,08,400 with no hedge;
    // the first fits in 10,00,000, the second does not.
    let straddle = basket(
        &[
            ("NFO:NIFTY26D0126000CE", Side::Sell, 195),
            ("NFO:NIFTY26D0126000PE", Side::Sell, 195),
        ],
        "k2",
    );
    let error = w.service.place_basket(w.user, straddle).await.unwrap_err();
    assert_eq!(error.leg, Some(1));
    assert!(matches!(
        error.error,
        PlaceError::Risk(RiskRejection::InsufficientFunds { .. })
    ));
    assert_eq!(w.account().await.available, TEN_LAKH);
    assert!(w.ledger.positions(&w.user).await.unwrap().is_empty());
    let orders = w
        .service
        .orders(
            &w.user,
            &OrderListQuery {
                status: None,
                instrument: None,
                from: None,
                to: None,
                limit: 10,
                after: None,
            },
        )
        .await
        .unwrap();
    assert!(orders.items.is_empty());
}

#[tokio::test]
async fn a_basket_is_placed_once_per_key_and_a_different_basket_under_it_is_refused() {
    let w = world();
    with_nifty_puts(&w);
    let first = placed_orders(
        &w.service
            .place_basket(w.user, bull_put_spread("k3"))
            .await
            .unwrap(),
    );
    let available = w.account().await.available;
    let again = w
        .service
        .place_basket(w.user, bull_put_spread("k3"))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(placed_orders(&again), first);
    assert_eq!(w.account().await.available, available);
    let other = basket(&[("NFO:NIFTY26D0125800PE", Side::Buy, 65)], "k3");
    let error = w.service.place_basket(w.user, other).await.unwrap_err();
    assert!(matches!(error.error, PlaceError::KeyReused("Idempotency-Key")));
}

#[tokio::test]
async fn a_basket_counts_each_leg_against_the_placement_limit_and_the_kill_switch_stops_it() {
    let w = world();
    with_nifty_puts(&w);
    for _ in 0..9 {
        w.placed(limit(Side::Buy, 1, dec!(1400.00), Product::Delivery))
            .await;
    }
    let error = w
        .service
        .place_basket(w.user, bull_put_spread("k4"))
        .await
        .unwrap_err();
    // One placement left this minute: the second leg placed (the sell, index 0) is the one over.
    assert_eq!(error.leg, Some(0));
    assert!(matches!(error.error, PlaceError::RateLimited(_)));
    assert!(w.ledger.positions(&w.user).await.unwrap().is_empty());

    w.clock.set(ist("11:05:00"));
    w.kill_switch
        .set(&KillSwitch {
            enabled: true,
            reason: "drill".into(),
            changed_by: w.user,
            changed_at: ist("11:05:00"),
        })
        .await
        .unwrap();
    let error = w
        .service
        .place_basket(w.user, bull_put_spread("k5"))
        .await
        .unwrap_err();
    assert!(matches!(error.error, PlaceError::KillSwitch(_)));
}

#[tokio::test]
async fn a_basket_with_a_limit_leg_or_an_instrument_twice_is_refused_before_anything_is_read() {
    let w = world();
    let mut twice = bull_put_spread("k6");
    twice.legs[1].instrument = twice.legs[0].instrument.clone();
    let error = w.service.place_basket(w.user, twice).await.unwrap_err();
    assert!(matches!(&error.error, PlaceError::Invalid(v) if v[0].message.contains("already")));
    let mut priced = bull_put_spread("k7");
    priced.legs[0].request = limit(Side::Sell, 65, dec!(150), Product::Delivery);
    let error = w.service.place_basket(w.user, priced).await.unwrap_err();
    assert!(matches!(&error.error, PlaceError::Invalid(v) if v[0].message.contains("MARKET")));
}

#[tokio::test]
async fn live_a_basket_goes_to_the_broker_leg_by_leg_and_stops_at_the_first_refusal() {
    let w = world();
    with_nifty_puts(&w);
    w.go_live().await;
    // INFY is in the broker's instrument map; the NIFTY options are not, so the second leg is refused.
    let command = basket(
        &[
            ("NSE:INFY", Side::Buy, 1),
            ("NFO:NIFTY26D0125800PE", Side::Buy, 65),
            ("NFO:NIFTY26D0126000PE", Side::Sell, 65),
        ],
        "live-1",
    );
    let outcome = w.service.place_basket(w.user, command.clone()).await.unwrap();
    assert!(!outcome.complete());
    assert_eq!(outcome.margin, None);
    let shape: Vec<(usize, &str)> = outcome
        .legs
        .iter()
        .map(|(i, r)| {
            let what = match r {
                LegResult::Placed(_) => "placed",
                LegResult::Failed(_) => "failed",
                LegResult::Skipped => "skipped",
            };
            (*i, what)
        })
        .collect();
    assert_eq!(shape, vec![(0, "placed"), (1, "failed"), (2, "skipped")]);
    assert_eq!(w.broker.placed().len(), 1);
    assert_eq!(w.account().await.available, TEN_LAKH);

    // The same basket again: the placed leg answers with its order (not sent twice), the refused one is tried
    // again, and nothing after it is sent.
    let again = w.service.place_basket(w.user, command).await.unwrap();
    let LegResult::Placed(first) = &again.legs[0].1 else {
        panic!("{:?}", again.legs[0]);
    };
    let LegResult::Placed(original) = &outcome.legs[0].1 else {
        unreachable!()
    };
    assert_eq!(first.id, original.id);
    assert!(matches!(again.legs[1].1, LegResult::Failed(_)));
    assert_eq!(w.broker.placed().len(), 1);
}
