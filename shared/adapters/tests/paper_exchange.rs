//! The paper exchange's tick against the emulator: the order use cases over the DynamoDB ledger and the
//! simulated market, with the clock set by the test. A limit placed below the market rests, is left alone
//! while the market stays above it, and fills when the simulated price comes down to it; a market order
//! placed after the close is held to the position limit at the last price.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::trading::DynamoTradingLedger;
use tradesense_adapters::dynamo::users::DynamoUserRepository;
use tradesense_adapters::paper::paper_trading;
use tradesense_domain::identity::mfa::MfaState;
use tradesense_domain::identity::ports::UserRepository;
use tradesense_domain::identity::rbac::Role;
use tradesense_domain::identity::user::{LoginGuard, PasswordHash, User};
use tradesense_domain::kernel::ids::UserId;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::master::InstrumentMaster;
use tradesense_domain::market::service::simulated::SimulatedMarket;
use tradesense_domain::testing::FixedClock;
use tradesense_domain::trading::account::PaperAccount;
use tradesense_domain::trading::ports::TradingLedger;
use tradesense_domain::trading::request::{OrderRequest, OrderType, Product, Side, Validity};
use tradesense_domain::trading::risk::{RiskLimits, RiskRejection};
use tradesense_domain::trading::service::{
    OrderService, PlaceCommand, PlaceError, PlaceOutcome, TradingContext,
};
use tradesense_domain::trading::status::OrderStatus;
use tradesense_local::testing::TestStack;
use ulid::Ulid;

const SEED: u64 = 7;

fn ist(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+05:30"))
        .unwrap()
        .with_timezone(&Utc)
}

fn context(table: &Table, at: DateTime<Utc>) -> TradingContext {
    paper_trading(table, SEED, Arc::new(FixedClock(at))).unwrap()
}

fn service(table: &Table, at: DateTime<Utc>) -> OrderService {
    OrderService::new(context(table, at))
}

async fn funded_trader(table: &Table) -> UserId {
    let id = UserId::from_ulid(Ulid::new());
    let user = User {
        id,
        email: format!("{}@example.in", Ulid::new().to_string().to_lowercase())
            .parse()
            .unwrap(),
        display_name: "tick".into(),
        roles: vec![Role::Trader],
        password_hash: PasswordHash::from_stored("$argon2id$stub".into()),
        disabled: false,
        login_guard: LoginGuard::default(),
        mfa: MfaState::default(),
        created_at: Utc::now(),
    };
    DynamoUserRepository::new(table.clone())
        .create(&user, &PaperAccount::open(id, Utc::now()))
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn a_resting_limit_fills_on_the_tick_when_the_simulated_price_comes_down_to_it() {
    let stack = TestStack::provision().await;
    let table = stack.table();
    let calendar = Arc::new(MarketCalendar::nse().unwrap());
    let user = funded_trader(&table).await;

    // Find, in the deterministic market, a later minute whose ask is below the ask at placement.
    let master = InstrumentMaster::shipped(&calendar, "2026-11-25".parse().unwrap()).unwrap();
    let market = SimulatedMarket::new((*calendar).clone(), SEED);
    let infy = master.get("NSE:INFY").unwrap();
    let placed_at = ist("2026-11-25T10:00:00");
    let first_ask = market.quote(&master, infy, placed_at).unwrap().ask;
    let (dip_at, dip_ask) = (1..330)
        .map(|m| placed_at + Duration::minutes(m))
        .map(|t| (t, market.quote(&master, infy, t).unwrap().ask))
        .find(|(_, ask)| *ask < first_ask)
        .expect("the price dips below the placement ask within the session");

    let request = OrderRequest {
        side: Side::Buy,
        quantity: 10,
        order_type: OrderType::Limit,
        product: Product::Delivery,
        price: Some(dip_ask),
        trigger_price: None,
        validity: Validity::Day,
        disclosed_quantity: None,
        tag: None,
        client_order_id: None,
    };
    let command = PlaceCommand {
        instrument: "NSE:INFY".into(),
        request,
        idempotency_key: None,
        request_hash: "h".into(),
    };
    let PlaceOutcome::Created(order, _) = service(&table, placed_at).place(user, command).await.unwrap()
    else {
        panic!("a new order");
    };
    assert_eq!(
        order.status,
        OrderStatus::Open,
        "{dip_ask} is below the ask {first_ask}"
    );

    let ledger = DynamoTradingLedger::new(table.clone());
    assert_eq!(ledger.open_order_count(&user).await.unwrap(), 1);
    assert_eq!(
        ledger
            .open_order_count(&UserId::from_ulid(Ulid::new()))
            .await
            .unwrap(),
        0,
        "counted per owner"
    );

    let quiet = service(&table, placed_at).match_working().await.unwrap();
    assert_eq!(
        (quiet.checked, quiet.filled),
        (1, 0),
        "the market has not come down yet"
    );

    let tick = service(&table, dip_at).match_working().await.unwrap();
    assert_eq!((tick.checked, tick.filled), (1, 1));
    assert_eq!(ledger.open_order_count(&user).await.unwrap(), 0);
    let filled = ledger.order(&user, &order.id).await.unwrap().unwrap();
    assert_eq!(filled.status, OrderStatus::Complete);
    assert_eq!(filled.average_price, Some(dip_ask));
    assert_eq!(filled.blocked, Decimal::ZERO);
    let trades = ledger.trades_page(&user, 200, None).await.unwrap().items;
    assert_eq!(trades.len(), 1);
    let account = ledger.account(&user).await.unwrap().unwrap();
    assert_eq!(
        account.available,
        Decimal::new(100_000_000, 2) - Decimal::from(10) * dip_ask - trades[0].charges.total(),
        "the block came back; the cost is held and the charges paid"
    );
    assert!(
        ledger.working_orders().await.unwrap().is_empty(),
        "a filled order leaves the worklist"
    );
    let after = service(&table, dip_at).match_working().await.unwrap();
    assert_eq!(after.checked, 0);
}

#[tokio::test]
async fn a_market_order_waiting_for_the_open_is_held_to_the_position_limit_at_the_last_price() {
    let stack = TestStack::provision().await;
    let table = stack.table();
    let user = funded_trader(&table).await;
    // 18:00 IST: the market is shut, so a MARKET order is an after-market order with no fill and no price.
    let evening = ist("2026-11-25T18:00:00");
    let limits = RiskLimits {
        max_position_value: Decimal::new(10_000, 0),
        ..RiskLimits::default()
    };
    let broker = OrderService::new(TradingContext {
        limits,
        ..context(&table, evening)
    });
    let command = |quantity: i64| PlaceCommand {
        instrument: "NSE:INFY".into(),
        request: OrderRequest {
            side: Side::Buy,
            quantity,
            order_type: OrderType::Market,
            product: Product::Delivery,
            price: None,
            trigger_price: None,
            validity: Validity::Day,
            disclosed_quantity: None,
            tag: None,
            client_order_id: None,
        },
        idempotency_key: None,
        request_hash: format!("h{quantity}"),
    };
    // INFY trades near ₹1,500: 10 shares (~₹15,000) pass a ₹10,000 position limit only if valued at zero.
    let refused = broker.place(user, command(10)).await;
    assert!(
        matches!(
            refused,
            Err(PlaceError::Risk(RiskRejection::PositionLimit { value, .. })) if value > Decimal::new(10_000, 0)
        ),
        "{refused:?}"
    );
    let PlaceOutcome::Created(amo, _) = broker.place(user, command(1)).await.unwrap() else {
        panic!("a new order");
    };
    assert!(amo.is_amo, "one share is within the limit and waits for the open");
}

/// A trader funded with ₹10 lakh at `at`.
async fn trader_funded_at(table: &Table, at: DateTime<Utc>) -> UserId {
    let id = funded_trader(table).await;
    // Registration funded them now; the book is re-funded at the test's instant (a reset of an empty book).
    let ledger = DynamoTradingLedger::new(table.clone());
    ledger.reset(&id, dec("1000000.00"), at).await.unwrap();
    id
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

#[tokio::test]
async fn end_of_day_snapshots_replay_the_book_and_a_reset_is_recorded_with_its_cash() {
    use tradesense_adapters::analytics::snapshot_job;
    use tradesense_adapters::dynamo::snapshots::DynamoSnapshotStore;
    use tradesense_domain::analytics::ports::SnapshotStore;
    use tradesense_domain::market::instrument::Exchange;

    let stack = TestStack::provision().await;
    let table = stack.table();
    let trader = trader_funded_at(&table, ist("2026-11-30T09:00:00")).await;
    let ledger = DynamoTradingLedger::new(table.clone());
    let market = |side, quantity| OrderRequest {
        side,
        quantity,
        order_type: OrderType::Market,
        product: Product::Delivery,
        price: None,
        trigger_price: None,
        validity: Validity::Day,
        disclosed_quantity: None,
        tag: None,
        client_order_id: None,
    };
    let place = |at: &str, side, quantity| {
        let service = service(&table, ist(at));
        let command = PlaceCommand {
            instrument: "NSE:INFY".into(),
            request: market(side, quantity),
            idempotency_key: None,
            request_hash: "h".into(),
        };
        async move { service.place(trader, command).await.unwrap() }
    };
    place("2026-11-30T10:00:00", Side::Buy, 5).await;
    place("2026-12-01T11:00:00", Side::Sell, 2).await;

    // Tuesday after the close: Monday and Tuesday written; a rerun writes nothing.
    let tuesday = ist("2026-12-01T16:00:00");
    let ctx = context(&table, tuesday);
    let job = snapshot_job(&table, &ctx);
    let through = tuesday
        .with_timezone(&tradesense_domain::kernel::time::ist())
        .date_naive();
    assert_eq!(job.take_for(&trader, through).await.unwrap(), 2);
    assert_eq!(job.take_for(&trader, through).await.unwrap(), 0);
    let store = DynamoSnapshotStore::new(table.clone());
    let monday = through.pred_opt().unwrap();
    let days = store.range(&trader, monday, through).await.unwrap();
    assert_eq!(
        days.iter().map(|s| s.day).collect::<Vec<_>>(),
        vec![monday, through]
    );
    // Tuesday's cash is the book's; its equity marks the 3 left at Tuesday's close.
    let account = ledger.account(&trader).await.unwrap().unwrap();
    let (_, position) = ledger
        .positions(&trader)
        .await
        .unwrap()
        .into_iter()
        .map(|p| ((), p))
        .next()
        .unwrap();
    let master = ctx.master.get(tuesday).await.unwrap();
    let infy = master.get("NSE:INFY").unwrap();
    let close_at = ctx.calendar.close_on(Exchange::Nse, through);
    let close = ctx.market.last_prices(&master, &[infy], close_at).await.unwrap()[&infy.key];
    let tuesday_snapshot = &days[1];
    assert_eq!(tuesday_snapshot.cash, account.cash);
    assert_eq!(tuesday_snapshot.holdings_value, Decimal::from(3) * close);
    assert_eq!(
        tuesday_snapshot.equity,
        account.cash + (Decimal::from(3) * close - position.position.open_cost).round_dp(2)
    );

    // Wednesday: the rest sold, the account reset to ₹5 lakh; the funding holds the cash it replaced.
    place("2026-12-02T09:30:00", Side::Sell, 3).await;
    let sold = ledger.account(&trader).await.unwrap().unwrap().cash;
    ledger
        .reset(&trader, dec("500000.00"), ist("2026-12-02T10:00:00"))
        .await
        .unwrap();
    let fundings = ledger
        .fundings(&trader, ist("2026-12-01T00:00:00"))
        .await
        .unwrap();
    assert_eq!(fundings.len(), 1);
    assert_eq!(
        (fundings[0].cash_before, fundings[0].cash_after),
        (sold, dec("500000.00"))
    );
    let wednesday = ist("2026-12-02T16:00:00");
    let job = snapshot_job(&table, &context(&table, wednesday));
    assert_eq!(
        job.take_for(&trader, through.succ_opt().unwrap()).await.unwrap(),
        1
    );
    let latest = store.latest(&trader).await.unwrap().unwrap();
    assert_eq!(
        (latest.equity, latest.flow()),
        (dec("500000.00"), dec("500000.00") - sold)
    );
}
