//! The snapshot job over in-memory fakes, with the orders placed through the order use cases, so each
//! snapshot's cash is checked against the book's own: a daily run, a rerun, missed sessions made good, no
//! snapshot before a close or before a funding, and a reset's flow on its day.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::snapshots::{SnapshotContext, SnapshotService};
use super::*;
use crate::identity::mfa::MfaState;
use crate::identity::ports::UserRepository;
use crate::identity::rbac::Role;
use crate::identity::user::{LoginGuard, PasswordHash, User};
use crate::kernel::ids::UserId;
use crate::kernel::time::Clock as _;
use crate::market::service::current::CurrentMaster;
use crate::testing::{
    FixedMarket, InMemoryInstrumentStore, InMemoryKillSwitch, InMemoryLedger, InMemorySnapshotStore,
    InMemoryUsers, ManualClock, SequentialIds,
};
use crate::trading::account::PaperAccount;
use crate::trading::charges::{BrokeragePlan, ChargeSchedule};
use crate::trading::request::{OrderRequest, OrderType, Product, Side, Validity};
use crate::trading::risk::RiskLimits;
use crate::trading::service::{OrderService, PlaceCommand, TradingContext};

fn ist(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{text}+05:30"))
        .unwrap()
        .with_timezone(&Utc)
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

struct World {
    orders: OrderService,
    job: SnapshotService,
    reports: AnalyticsService,
    ledger: Arc<InMemoryLedger>,
    snapshots: Arc<InMemorySnapshotStore>,
    users: Arc<InMemoryUsers>,
    market: Arc<FixedMarket>,
    clock: Arc<ManualClock>,
}

impl World {
    /// Monday 30 Nov 2026, 09:00 IST; INFY quoted 1,499.90 / 1,500.10.
    fn new() -> Self {
        let calendar = Arc::new(MarketCalendar::nse().unwrap());
        let ledger = Arc::new(InMemoryLedger::default());
        let market = Arc::new(FixedMarket::default());
        market.set("NSE:INFY", dec!(1499.90), dec!(1500.10), None);
        let clock = Arc::new(ManualClock::at(ist("2026-11-30T09:00:00")));
        let master = Arc::new(CurrentMaster::new(
            Arc::new(InMemoryInstrumentStore::default()),
            calendar.clone(),
        ));
        let snapshots = Arc::new(InMemorySnapshotStore::default());
        let users = Arc::new(InMemoryUsers::default());
        let orders = OrderService::new(TradingContext {
            ledger: ledger.clone(),
            market: market.clone(),
            master: master.clone(),
            calendar: calendar.clone(),
            charges: Arc::new(ChargeSchedule::shipped().unwrap()),
            plan: BrokeragePlan::default(),
            limits: RiskLimits::default(),
            kill_switch: Arc::new(InMemoryKillSwitch::default()),
            clock: clock.clone(),
            ids: Arc::new(SequentialIds::default()),
            live: None,
        });
        let job = SnapshotService::new(SnapshotContext {
            ledger: ledger.clone(),
            snapshots: snapshots.clone(),
            directory: users.clone(),
            market: market.clone(),
            master,
            calendar: calendar.clone(),
            clock: clock.clone(),
        });
        let reports = AnalyticsService::new(ledger.clone(), snapshots.clone(), calendar);
        Self {
            orders,
            job,
            reports,
            ledger,
            snapshots,
            users,
            market,
            clock,
        }
    }

    /// A trader registered (and funded with ₹10 lakh) now.
    async fn trader(&self) -> UserId {
        let id = UserId::from_ulid(ulid::Ulid::new());
        let user = User {
            id,
            email: format!("{}@example.in", id.to_string().to_lowercase())
                .parse()
                .unwrap(),
            display_name: "t".into(),
            roles: vec![Role::Trader],
            password_hash: PasswordHash::from_stored("$argon2id$stub".into()),
            disabled: false,
            login_guard: LoginGuard::default(),
            mfa: MfaState::default(),
            created_at: self.clock.now(),
        };
        let account = PaperAccount::open(id, self.clock.now());
        self.users.create(&user, &account).await.unwrap();
        self.ledger.open(account);
        id
    }

    async fn market_order(&self, user: UserId, side: Side, quantity: i64) {
        let request = OrderRequest {
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
        let command = PlaceCommand {
            instrument: "NSE:INFY".into(),
            request,
            idempotency_key: None,
            request_hash: "h".into(),
        };
        self.orders.place(user, command).await.unwrap();
    }

    /// One run of the job at `at` (IST); snapshots written.
    async fn run_at(&self, at: &str) -> usize {
        self.clock.set(ist(at));
        self.job.take().await.unwrap().written
    }

    async fn cash(&self, user: UserId) -> Decimal {
        self.ledger.account(&user).await.unwrap().unwrap().cash
    }

    async fn days(&self, user: UserId) -> Vec<NaiveDate> {
        let all = self
            .snapshots
            .range(&user, day("2026-01-01"), day("2027-01-01"))
            .await
            .unwrap();
        all.iter().map(|s| s.day).collect()
    }
}

#[tokio::test]
async fn daily_runs_reruns_missed_sessions_and_a_reset() {
    let w = World::new();
    let trader = w.trader().await;
    // Funded after Monday's close: Monday is not theirs.
    w.clock.set(ist("2026-11-30T16:30:00"));
    let late = w.trader().await;

    // Monday: 10 INFY bought at the ask, 1,500.10. Nothing before the close.
    w.clock.set(ist("2026-11-30T10:00:00"));
    w.market_order(trader, Side::Buy, 10).await;
    assert_eq!(w.run_at("2026-11-30T15:00:00").await, 0);
    assert_eq!(w.run_at("2026-11-30T16:00:00").await, 1);
    assert_eq!(w.run_at("2026-11-30T17:00:00").await, 0, "a rerun writes nothing");
    let monday = w.snapshots.latest(&trader).await.unwrap().unwrap();
    // The book's cash, and 10 × (1,500.00 − 1,500.10) unrealized at the close (the mid).
    let cash = w.cash(trader).await;
    assert_eq!((monday.day, monday.cash), (day("2026-11-30"), cash));
    assert_eq!(monday.unrealized_pnl, dec!(-1.00));
    assert_eq!(monday.equity, cash - dec!(1.00));
    assert_eq!(monday.holdings_value, dec!(15000.00));
    assert_eq!(
        monday.charges,
        dec!(1000000.00) - cash,
        "only charges moved the cash"
    );
    assert!(w.days(late).await.is_empty());

    // No run Tuesday or Wednesday; Thursday's run makes them good (marked at today's 1,510 here, since the
    // fake market has one price for every instant), for both traders.
    w.market.set("NSE:INFY", dec!(1509.90), dec!(1510.10), None);
    assert_eq!(w.run_at("2026-12-03T16:00:00").await, 6);
    let sessions = [day("2026-12-01"), day("2026-12-02"), day("2026-12-03")];
    assert_eq!(w.days(late).await, sessions);
    let tuesday = w
        .snapshots
        .range(&trader, sessions[0], sessions[0])
        .await
        .unwrap();
    assert_eq!(
        tuesday[0].charges,
        Decimal::ZERO,
        "Monday's charges are Monday's only"
    );
    let thursday = w.snapshots.latest(&trader).await.unwrap().unwrap();
    assert_eq!(
        (thursday.unrealized_pnl, thursday.equity),
        (dec!(99.00), cash + dec!(99.00))
    );
    assert_eq!(
        (thursday.realized_pnl, thursday.charges),
        (Decimal::ZERO, Decimal::ZERO)
    );

    // Friday: sold at the bid, 1,509.90 (+98.00 realized), then the account reset to ₹5 lakh.
    w.clock.set(ist("2026-12-04T12:00:00"));
    w.market_order(trader, Side::Sell, 10).await;
    let before_reset = w.cash(trader).await;
    w.clock.set(ist("2026-12-04T13:00:00"));
    w.orders.reset_paper(trader, dec!(500000.00)).await.unwrap();
    assert_eq!(w.run_at("2026-12-04T16:00:00").await, 2);
    let friday = w.snapshots.latest(&trader).await.unwrap().unwrap();
    assert_eq!((friday.cash, friday.equity), (dec!(500000.00), dec!(500000.00)));
    assert_eq!(friday.realized_pnl, dec!(98.00));
    // The sale's charges: what, besides the 98.00, took the cash from Thursday's to the cash reset from.
    assert_eq!(friday.charges, thursday.cash + dec!(98.00) - before_reset);
    assert!(friday.charges > Decimal::ZERO);
    assert_eq!(friday.fundings.len(), 1);
    assert_eq!(friday.flow(), dec!(500000.00) - before_reset);

    // The curve: Friday's return is the sale's, before the reset; the reset is not a loss.
    let curve = w
        .reports
        .equity_curve(&trader, day("2026-11-30"), day("2026-12-04"))
        .await
        .unwrap();
    assert_eq!(curve.len(), 5);
    let friday_return = (before_reset / thursday.equity)
        .to_string()
        .parse::<f64>()
        .unwrap()
        - 1.0;
    assert!((curve[4].daily_return - friday_return).abs() < 1e-12);
    assert!(curve[4].drawdown > -0.001, "{curve:?}");
}

#[tokio::test]
async fn an_account_opened_on_the_system_clock_after_its_simulated_fills_is_snapshotted_from_its_first_fill()
{
    // On a simulated market clock, registration stamps the real date, which may be after the fills.
    let w = World::new();
    w.clock.set(ist("2026-12-10T09:00:00"));
    let trader = w.trader().await;
    w.clock.set(ist("2026-11-30T10:00:00"));
    w.market_order(trader, Side::Buy, 1).await;
    assert_eq!(w.run_at("2026-11-30T16:00:00").await, 1);
    let monday = w.snapshots.latest(&trader).await.unwrap().unwrap();
    assert_eq!(
        (monday.day, monday.cash),
        (day("2026-11-30"), w.cash(trader).await)
    );
    assert_eq!(monday.holdings_value, dec!(1500.00));
}
