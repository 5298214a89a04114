//! Demo data for the local stack only: one user per role, all with the same password
//! (`DEMO_PASSWORD`, default [`DEFAULT_DEMO_PASSWORD`]), and for `make run` the demo trader's last two
//! sessions of trading.

use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::paper::paper_trading;
use tradesense_domain::identity::ports::UserRepository;
use tradesense_domain::identity::rbac::Role;
use tradesense_domain::identity::user::{LoginGuard, PasswordHash, User};
use tradesense_domain::kernel::ids::UserId;
use tradesense_domain::kernel::time::{Clock, ist_date, ist_instant};
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::instrument::Exchange;
use tradesense_domain::trading::account::PaperAccount;
use tradesense_domain::trading::request::{OrderRequest, OrderType, Product, Side, Validity};
use tradesense_domain::trading::service::{OrderService, PlaceCommand};

/// The demo users' password unless `DEMO_PASSWORD` overrides it.
pub const DEFAULT_DEMO_PASSWORD: &str = "TradeSense-demo-2026";

/// The demo accounts: email, display name, role.
pub const DEMO_USERS: [(&str, &str, Role); 3] = [
    ("admin@demo.tradesense.in", "Demo Admin", Role::Admin),
    ("trader@demo.tradesense.in", "Demo Trader", Role::Trader),
    ("viewer@demo.tradesense.in", "Demo Viewer", Role::Viewer),
];

/// Creates the demo users with `password`.
///
/// # Errors
/// When a user cannot be hashed or stored.
pub async fn seed_demo_users(
    users: &dyn UserRepository,
    password: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<User>> {
    let mut created = Vec::with_capacity(DEMO_USERS.len());
    for (email, name, role) in DEMO_USERS {
        let user = User {
            id: UserId::from_ulid(ulid::Ulid::new()),
            email: email.parse()?,
            display_name: name.to_owned(),
            roles: vec![role],
            password_hash: PasswordHash::new(password)?,
            disabled: false,
            login_guard: LoginGuard::default(),
            mfa: tradesense_domain::identity::mfa::MfaState::default(),
            created_at: now,
        };
        users.create(&user, &PaperAccount::open(user.id, now)).await?;
        created.push(user);
    }
    Ok(created)
}

/// The clock standing at one instant: the demo history places each order at its own.
struct At(DateTime<Utc>);

impl Clock for At {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// The demo trader's two sessions before the market clock's today, placed through the order use cases at
/// those sessions' times: 20 INFY bought for delivery and a TCS intraday round trip the first day, 10 INFY
/// sold the second. The scheduler's first `eod-snapshots` run snapshots both sessions, so `make run` opens
/// with an equity curve, performance and trade statistics to look at.
///
/// # Errors
/// When the paper book cannot be wired or an order is refused.
pub async fn seed_demo_history(
    table: &Table,
    market_clock: &dyn Clock,
    market_seed: u64,
    trader: UserId,
) -> anyhow::Result<()> {
    let calendar = MarketCalendar::nse()?;
    let today = ist_date(market_clock.now());
    let second = calendar.trading_day_at_or_before(Exchange::Nse, today.pred_opt().context("a date")?);
    let first = calendar.trading_day_at_or_before(Exchange::Nse, second.pred_opt().context("a date")?);
    let at = |day: NaiveDate, time: &str| ist_instant(day, time.parse().unwrap_or_default());
    let orders = [
        (
            at(first, "10:00:00"),
            "NSE:INFY",
            Side::Buy,
            20,
            Product::Delivery,
        ),
        (at(first, "11:00:00"), "NSE:TCS", Side::Buy, 5, Product::Intraday),
        (at(first, "14:00:00"), "NSE:TCS", Side::Sell, 5, Product::Intraday),
        (
            at(second, "13:00:00"),
            "NSE:INFY",
            Side::Sell,
            10,
            Product::Delivery,
        ),
    ];
    for (when, instrument, side, quantity, product) in orders {
        let service = OrderService::new(paper_trading(table, market_seed, Arc::new(At(when)))?);
        let request = OrderRequest {
            side,
            quantity,
            order_type: OrderType::Market,
            product,
            price: None,
            trigger_price: None,
            validity: Validity::Day,
            disclosed_quantity: None,
            tag: Some("demo".into()),
            client_order_id: None,
        };
        let command = PlaceCommand {
            instrument: instrument.into(),
            request,
            idempotency_key: None,
            request_hash: "demo".into(),
        };
        service
            .place(trader, command)
            .await
            .map_err(|e| anyhow::anyhow!("demo order {instrument} at {when}: {e}"))?;
    }
    Ok(())
}
