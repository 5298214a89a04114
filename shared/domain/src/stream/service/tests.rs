//! The push channel's use cases over in-memory fakes: a ticket is accepted once, in time, of a live session;
//! a sixth connection closes the oldest; subscriptions keep their limit and bad messages get an error frame
//! naming the problem; a user's updates reach only their own connections; the tick reads each instrument
//! once, stops at an unsubscribe, splits large batches, tells connections to reconnect once and deletes the
//! gone ones.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use ulid::Ulid;

use super::*;
use crate::identity::mfa::MfaState;
use crate::identity::ports::{SessionRepository as _, UserRepository as _};
use crate::identity::rbac::{Principal, Role};
use crate::identity::session::Session;
use crate::identity::user::{LoginGuard, PasswordHash, User};
use crate::kernel::error::Retryable as _;
use crate::kernel::events::Envelope;
use crate::kernel::ids::{EventId, OrderId, SessionId, UserId};
use crate::market::calendar::MarketCalendar;
use crate::market::instrument::{Exchange, Instrument, InstrumentKey};
use crate::market::master::InstrumentMaster;
use crate::market::ports::MarketDataError;
use crate::market::quote::Quote;
use crate::stream::connection::{Connection, ConnectionId, RECONNECT_AFTER};
use crate::stream::messages::{AccountUpdate, MAX_FRAME_BYTES};
use crate::stream::ports::ConnectionStore as _;
use crate::stream::ticket::TICKET_TTL;
use crate::testing::{
    FixedMarket, InMemoryConnectionStore, InMemoryInstrumentStore, InMemoryLedger, InMemorySessions,
    InMemoryTicketStore, InMemoryUsers, ManualClock, RecordingPusher, SerializedUpdates,
};
use crate::trading::account::PaperAccount;
use crate::trading::order::Order;
use crate::trading::position::PositionRecord;
use crate::trading::request::{OrderRequest, OrderType, Product, Side, Validity};
use crate::trading::status::OrderStatus;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// [`FixedMarket`], counting its quote reads and the instruments each asked for.
#[derive(Default)]
struct CountingMarket {
    inner: FixedMarket,
    reads: AtomicUsize,
    instruments: AtomicUsize,
}

#[async_trait]
impl MarketData for CountingMarket {
    async fn quotes(
        &self,
        master: &InstrumentMaster,
        instruments: &[&Instrument],
        now: DateTime<Utc>,
    ) -> Result<HashMap<InstrumentKey, Quote>, MarketDataError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.instruments.fetch_add(instruments.len(), Ordering::Relaxed);
        self.inner.quotes(master, instruments, now).await
    }

    async fn candles(
        &self,
        master: &InstrumentMaster,
        instrument: &Instrument,
        interval: crate::market::candles::Interval,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::market::candles::Candle>, MarketDataError> {
        self.inner
            .candles(master, instrument, interval, from, to, now)
            .await
    }
}

struct World {
    service: StreamService,
    connections: Arc<InMemoryConnectionStore>,
    pusher: Arc<RecordingPusher>,
    sessions: Arc<InMemorySessions>,
    users: Arc<InMemoryUsers>,
    market: Arc<CountingMarket>,
    ledger: Arc<InMemoryLedger>,
    master: Arc<CurrentMaster>,
    wall: Arc<ManualClock>,
    /// Two signed-in traders.
    alice: Principal,
    bob: Principal,
}

async fn world() -> World {
    let calendar = Arc::new(MarketCalendar::nse().unwrap());
    let master = Arc::new(CurrentMaster::new(
        Arc::new(InMemoryInstrumentStore::default()),
        calendar,
    ));
    let market = Arc::new(CountingMarket::default());
    market
        .inner
        .set("NSE:INFY", dec!(1549.90), dec!(1550.10), Some(100));
    market.inner.set("NSE:TCS", dec!(3999.90), dec!(4000.10), None);
    let wall = Arc::new(ManualClock::at(at("2026-12-04T03:00:00Z")));
    let sessions = Arc::new(InMemorySessions::default());
    let users = Arc::new(InMemoryUsers::default());
    let connections = Arc::new(InMemoryConnectionStore::default());
    let ledger = Arc::new(InMemoryLedger::default());
    let pusher = Arc::new(RecordingPusher::default());
    let service = StreamService::new(StreamContext {
        tickets: Arc::new(InMemoryTicketStore::default()),
        connections: connections.clone(),
        pusher: pusher.clone(),
        sessions: sessions.clone(),
        users: users.clone(),
        ledger: ledger.clone(),
        market: market.clone(),
        master: master.clone(),
        renderer: Arc::new(SerializedUpdates),
        clock: Arc::new(ManualClock::at(at("2026-11-25T11:00:20+05:30"))),
        wall_clock: wall.clone(),
        socket_url: "ws://127.0.0.1:3000/v1/stream".into(),
    });
    let w = World {
        service,
        connections,
        pusher,
        sessions,
        users,
        market,
        ledger,
        master,
        wall,
        alice: principal(1),
        bob: principal(2),
    };
    for p in [&w.alice, &w.bob] {
        w.sign_up(p).await;
    }
    w
}

fn principal(n: u64) -> Principal {
    Principal {
        user_id: UserId::from_ulid(Ulid::from_parts(n, 1)),
        roles: vec![Role::Trader],
        session_id: SessionId::from_ulid(Ulid::from_parts(n, 2)),
    }
}

fn cid(s: &str) -> ConnectionId {
    s.parse().unwrap()
}

fn frames(texts: &[String]) -> Vec<Value> {
    texts.iter().map(|t| serde_json::from_str(t).unwrap()).collect()
}

/// The instruments in the quote frames of `texts`.
fn quoted(texts: &[String]) -> Vec<String> {
    frames(texts)
        .iter()
        .filter(|f| f["type"] == "quote")
        .flat_map(|f| f["quotes"].as_array().unwrap().clone())
        .map(|q| q["instrument"].as_str().unwrap().to_owned())
        .collect()
}

impl World {
    /// A user with a live session.
    async fn sign_up(&self, p: &Principal) {
        let now = self.wall.now();
        let user = User {
            id: p.user_id,
            email: format!("u{}@example.in", p.user_id.to_string().to_lowercase())
                .parse()
                .unwrap(),
            display_name: "x".into(),
            roles: p.roles.clone(),
            password_hash: PasswordHash::decoy(),
            disabled: false,
            login_guard: LoginGuard::default(),
            mfa: MfaState::default(),
            created_at: now,
        };
        self.users
            .create(&user, &PaperAccount::open(p.user_id, now))
            .await
            .unwrap();
        let (session, _) = Session::start(p.session_id, p.user_id, now);
        self.sessions.create(&session).await.unwrap();
    }

    /// `p`'s user signed in a second time: the principal of the new session.
    async fn sign_in_again(&self, p: &Principal) -> Principal {
        let again = Principal {
            session_id: SessionId::from_ulid(Ulid::new()),
            ..p.clone()
        };
        let (session, _) = Session::start(again.session_id, again.user_id, self.wall.now());
        self.sessions.create(&session).await.unwrap();
        again
    }

    async fn ticket(&self, p: &Principal) -> String {
        let issued = self.service.issue_ticket(p).await.unwrap();
        issued.ticket.expose().to_owned()
    }

    async fn connect(&self, p: &Principal, id: &str) -> Connection {
        let ticket = self.ticket(p).await;
        self.service
            .connect(Some(&ticket), cid(id))
            .await
            .unwrap()
            .connection
    }

    async fn send(&self, id: &str, message: Value) -> Vec<Value> {
        self.service
            .receive(&cid(id), &message.to_string())
            .await
            .map(|f| vec![serde_json::from_str(&f.to_text()).unwrap()])
            .unwrap()
    }

    async fn send_text(&self, id: &str, text: &str) -> Vec<Value> {
        self.service
            .receive(&cid(id), text)
            .await
            .map(|f| vec![serde_json::from_str(&f.to_text()).unwrap()])
            .unwrap()
    }

    fn advance(&self, by: Duration) {
        self.wall.set(self.wall.now() + by);
    }

    async fn stored(&self, id: &str) -> Option<Connection> {
        self.connections.get(&cid(id)).await.unwrap()
    }
}

fn order_of(user: UserId) -> Order {
    Order::accepted(
        (user, OrderId::from_ulid(Ulid::from_parts(7, 7))),
        InstrumentKey::new(Exchange::Nse, "INFY"),
        OrderRequest {
            side: Side::Buy,
            quantity: 10,
            order_type: OrderType::Market,
            product: Product::Delivery,
            price: None,
            trigger_price: None,
            validity: Validity::Day,
            disclosed_quantity: None,
            tag: None,
            client_order_id: None,
        },
        false,
        (OrderStatus::Open, None),
        at("2026-11-25T05:30:00Z"),
    )
}

// ---- tickets and connecting ----

#[tokio::test]
async fn a_ticket_is_for_the_socket_url_thirty_seconds_and_its_session() {
    let w = world().await;
    let issued = w.service.issue_ticket(&w.alice).await.unwrap();
    assert_eq!(issued.url, "ws://127.0.0.1:3000/v1/stream");
    assert_eq!(issued.expires_in, 30);
    let accepted = w
        .service
        .connect(Some(issued.ticket.expose()), cid("c1"))
        .await
        .unwrap();
    assert_eq!(accepted.connection.user_id, w.alice.user_id);
    assert_eq!(accepted.connection.session_id, w.alice.session_id);
    assert_eq!(accepted.connection.expires_at, w.wall.now() + Duration::hours(2));
    assert!(accepted.closed.is_empty());
    assert_eq!(w.stored("c1").await, Some(accepted.connection));
}

#[tokio::test]
async fn a_ticket_is_accepted_once() {
    let w = world().await;
    let ticket = w.ticket(&w.alice).await;
    w.service.connect(Some(&ticket), cid("c1")).await.unwrap();
    let reused = w.service.connect(Some(&ticket), cid("c2")).await.unwrap_err();
    assert!(matches!(reused, ConnectError::UnknownTicket), "{reused:?}");
    assert_eq!(w.stored("c2").await, None);
}

#[tokio::test]
async fn an_expired_ticket_is_refused() {
    let w = world().await;
    let ticket = w.ticket(&w.alice).await;
    w.advance(TICKET_TTL);
    let e = w.service.connect(Some(&ticket), cid("c1")).await.unwrap_err();
    assert!(matches!(e, ConnectError::ExpiredTicket), "{e:?}");
    assert_eq!(w.stored("c1").await, None);
}

#[tokio::test]
async fn no_ticket_or_a_made_up_one_is_refused() {
    let w = world().await;
    for ticket in [None, Some("")] {
        let e = w.service.connect(ticket, cid("c1")).await.unwrap_err();
        assert!(matches!(e, ConnectError::NoTicket), "{e:?}");
    }
    for ticket in ["junk", &"A".repeat(43)] {
        let e = w.service.connect(Some(ticket), cid("c1")).await.unwrap_err();
        assert!(matches!(e, ConnectError::UnknownTicket), "{e:?}");
    }
    assert!(w.connections.all().is_empty());
}

#[tokio::test]
async fn a_ticket_of_a_session_revoked_since_is_refused() {
    let w = world().await;
    let ticket = w.ticket(&w.alice).await;
    let mut session = w
        .sessions
        .get(&w.alice.user_id, &w.alice.session_id)
        .await
        .unwrap()
        .unwrap();
    session.revoke(w.wall.now());
    session.version += 1;
    w.sessions.update(&session).await.unwrap();
    let e = w.service.connect(Some(&ticket), cid("c1")).await.unwrap_err();
    assert!(matches!(e, ConnectError::SessionEnded), "{e:?}");
    assert_eq!(w.stored("c1").await, None);
}

#[tokio::test]
async fn a_ticket_of_a_user_disabled_since_is_refused() {
    let w = world().await;
    let ticket = w.ticket(&w.alice).await;
    w.users.modify(&w.alice.user_id, |u| u.disabled = true);
    let e = w.service.connect(Some(&ticket), cid("c1")).await.unwrap_err();
    assert!(matches!(e, ConnectError::SessionEnded), "{e:?}");
}

#[tokio::test]
async fn a_sixth_connection_closes_the_oldest() {
    let w = world().await;
    for i in 1..=5 {
        w.connect(&w.alice, &format!("c{i}")).await;
        w.advance(Duration::seconds(1));
    }
    w.connect(&w.bob, "bob1").await;
    let ticket = w.ticket(&w.alice).await;
    let accepted = w.service.connect(Some(&ticket), cid("c6")).await.unwrap();
    assert_eq!(accepted.closed, vec![cid("c1")]);
    assert_eq!(w.pusher.closed(), vec![cid("c1")]);
    assert_eq!(w.stored("c1").await, None);
    let left: Vec<String> = w
        .connections
        .of_user(&w.alice.user_id)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(left, ["c2", "c3", "c4", "c5", "c6"]);
    assert!(
        w.stored("bob1").await.is_some(),
        "another user's connections do not count"
    );
}

#[tokio::test]
async fn disconnecting_forgets_the_connection_and_ending_a_session_closes_only_its_connections() {
    let w = world().await;
    w.connect(&w.alice, "a1").await;
    w.connect(&w.alice, "a2").await;
    w.connect(&w.bob, "b1").await;
    w.service.disconnect(&cid("a1")).await.unwrap();
    assert_eq!(w.stored("a1").await, None);
    assert_eq!(
        w.service
            .end_session(&w.alice.user_id, &w.alice.session_id)
            .await
            .unwrap(),
        1
    );
    assert_eq!(w.pusher.closed(), vec![cid("a2")]);
    assert_eq!(w.stored("a2").await, None);
    assert!(w.stored("b1").await.is_some());
}

// ---- messages ----

#[tokio::test]
async fn subscribing_is_acknowledged_and_stored() {
    let w = world().await;
    w.connect(&w.alice, "c1").await;
    let ack = w
        .send(
            "c1",
            json!({"action": "subscribe", "channel": "quotes", "instruments": ["NSE:INFY"], "mode": "quote"}),
        )
        .await;
    assert_eq!(
        ack,
        [json!({"type": "subscribed", "channel": "quotes", "instruments": ["NSE:INFY"], "mode": "quote"})]
    );
    let ack = w
        .send("c1", json!({"action": "subscribe", "channel": "orders"}))
        .await;
    assert_eq!(ack, [json!({"type": "subscribed", "channel": "orders"})]);
    let stored = w.stored("c1").await.unwrap();
    assert!(stored.subscriptions.orders);
    assert_eq!(stored.subscriptions.quotes.len(), 1);
    assert_eq!(
        w.send("c1", json!({"action": "ping"})).await,
        [json!({"type": "pong"})]
    );
}

#[tokio::test]
async fn the_two_hundred_and_first_instrument_is_refused_naming_the_limit() {
    let w = world().await;
    w.connect(&w.alice, "c1").await;
    let master = w.master.get(w.wall.now()).await.unwrap();
    let listed: Vec<String> = master.all().iter().take(201).map(|i| i.key.to_string()).collect();
    assert_eq!(listed.len(), 201, "the shipped master lists enough instruments");
    let ack = w
        .send(
            "c1",
            json!({"action": "subscribe", "channel": "quotes", "instruments": listed[..200]}),
        )
        .await;
    assert_eq!(ack[0]["type"], "subscribed");
    let refused = w
        .send(
            "c1",
            json!({"action": "subscribe", "channel": "quotes", "instruments": [listed[200]]}),
        )
        .await;
    assert_eq!(refused[0]["type"], "error");
    assert_eq!(refused[0]["code"], "subscription_limit");
    assert!(
        refused[0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 200 instruments"),
        "{refused:?}"
    );
    assert_eq!(w.stored("c1").await.unwrap().subscriptions.quotes.len(), 200);
}

#[tokio::test]
async fn a_bad_message_gets_an_error_frame_naming_the_problem_and_the_connection_survives() {
    let w = world().await;
    w.connect(&w.alice, "c1").await;
    let before = w.stored("c1").await.unwrap();
    let cases = [
        ("{oops", "not_json", "not JSON"),
        (r#"{"action":"dance"}"#, "unknown_action", "dance"),
        (r#"{"action":"subscribe"}"#, "missing_field", "channel"),
        (
            r#"{"action":"subscribe","channel":"quotes","instruments":["NSE:INFY","nope"]}"#,
            "bad_instrument",
            "nope",
        ),
        (
            r#"{"action":"subscribe","channel":"quotes","instruments":["NSE:NOSUCH"]}"#,
            "unlisted_instrument",
            "NSE:NOSUCH",
        ),
    ];
    for (text, code, names) in cases {
        let answer = w.send_text("c1", text).await;
        assert_eq!(answer.len(), 1);
        assert_eq!(
            (answer[0]["type"].as_str(), answer[0]["code"].as_str()),
            (Some("error"), Some(code))
        );
        assert!(
            answer[0]["message"].as_str().unwrap().contains(names),
            "{answer:?}"
        );
    }
    let oversized = format!(r#"{{"action":"ping","x":"{}"}}"#, "x".repeat(MAX_FRAME_BYTES));
    assert_eq!(
        w.send_text("c1", &oversized).await[0]["code"],
        "message_too_large"
    );
    assert_eq!(w.stored("c1").await, Some(before), "nothing changed");
    assert_eq!(
        w.send_text("c1", r#"{"action":"ping"}"#).await,
        [json!({"type": "pong"})]
    );
}

#[tokio::test]
async fn a_message_on_a_forgotten_connection_is_told_to_reconnect() {
    let w = world().await;
    let answer = w
        .send("gone", json!({"action": "subscribe", "channel": "orders"}))
        .await;
    assert_eq!(answer, [json!({"type": "reconnect"})]);
}

// ---- the user's updates ----

#[tokio::test]
async fn an_order_reaches_only_its_owners_connections_subscribed_to_orders() {
    let w = world().await;
    w.connect(&w.alice, "alice-orders").await;
    w.connect(&w.alice, "alice-quotes").await;
    w.connect(&w.bob, "bob-orders").await;
    for id in ["alice-orders", "bob-orders"] {
        w.send(id, json!({"action": "subscribe", "channel": "orders"}))
            .await;
    }
    let order = order_of(w.alice.user_id);
    let report = w.service.push_order(&order).await.unwrap();
    assert_eq!(
        report,
        PushReport {
            sent: 1,
            gone: 0,
            failed: 0,
            ended: 0
        }
    );
    let delivered = w.pusher.all_frames();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].0, cid("alice-orders"));
    let frame: Value = serde_json::from_str(&delivered[0].1).unwrap();
    assert_eq!(frame["type"], "order");
    assert_eq!(frame["order"], serde_json::to_value(&order).unwrap());
    assert!(
        w.pusher.frames_to(&cid("bob-orders")).is_empty(),
        "never another user's order"
    );
}

#[tokio::test]
async fn a_queued_order_change_is_pushed_and_anything_else_is_refused_for_good() {
    let w = world().await;
    w.connect(&w.alice, "c1").await;
    w.send("c1", json!({"action": "subscribe", "channel": "orders"}))
        .await;
    let order = order_of(w.alice.user_id);
    let changed = crate::trading::events::OrderChanged { order: order.clone() };
    let envelope = Envelope::wrap(EventId::from_ulid(Ulid::new()), order.updated_at, &changed).unwrap();
    let report = w.service.push_message(&envelope).await.unwrap();
    assert_eq!(report.sent, 1);
    let frame: Value = serde_json::from_str(&w.pusher.frames_to(&cid("c1"))[0]).unwrap();
    assert_eq!(frame["order"], serde_json::to_value(&order).unwrap());

    let mut other = envelope.clone();
    other.event_type = "order.updated".into();
    let e = w.service.push_message(&other).await.unwrap_err();
    assert!(matches!(e, PushError::NotPushed(_)) && !e.is_retryable(), "{e:?}");
    let mut garbled = envelope;
    garbled.data = json!({"order": 1});
    let e = w.service.push_message(&garbled).await.unwrap_err();
    assert!(matches!(e, PushError::Malformed(_)) && !e.is_retryable(), "{e:?}");
    assert_eq!(w.pusher.all_frames().len(), 1, "nothing more was pushed");
}

#[tokio::test]
async fn a_socket_whose_session_signed_out_gets_no_more_orders_and_is_closed() {
    let w = world().await;
    // Alice is signed in twice; her first session signs out after both sockets opened.
    let second = w.sign_in_again(&w.alice).await;
    w.connect(&w.alice, "signed-out").await;
    w.connect(&second, "signed-in").await;
    for id in ["signed-out", "signed-in"] {
        w.send(id, json!({"action": "subscribe", "channel": "orders"}))
            .await;
    }
    let mut first = w
        .sessions
        .get(&w.alice.user_id, &w.alice.session_id)
        .await
        .unwrap()
        .unwrap();
    first.revoke(w.wall.now());
    first.version += 1;
    w.sessions.update(&first).await.unwrap();

    let report = w.service.push_order(&order_of(w.alice.user_id)).await.unwrap();
    assert_eq!((report.sent, report.ended), (1, 1));
    assert_eq!(w.pusher.frames_to(&cid("signed-in")).len(), 1);
    assert!(w.pusher.frames_to(&cid("signed-out")).is_empty());
    assert_eq!(w.pusher.closed(), vec![cid("signed-out")]);
    assert_eq!(w.stored("signed-out").await, None, "forgotten");
}

#[tokio::test]
async fn a_filled_orders_change_also_pushes_its_position_valued_at_the_last_price() {
    let w = world().await;
    w.connect(&w.alice, "c1").await;
    w.send("c1", json!({"action": "subscribe", "channel": "orders"}))
        .await;
    // 10 INFY bought at 1,500.00 with 16.62 of charges; INFY's last price is 1,550.00.
    let infy = InstrumentKey::parse("NSE:INFY").unwrap();
    let mut record = PositionRecord::flat(infy, Product::Delivery);
    record.position = record.position.apply(Side::Buy, 10, dec!(1500.00), dec!(16.62));
    record.trading_day = Some("2026-11-25".parse().unwrap());
    w.ledger.hold(w.alice.user_id, record);
    let mut filled = order_of(w.alice.user_id);
    filled.filled_quantity = 10;
    filled.status = OrderStatus::Complete;
    let changed = crate::trading::events::OrderChanged { order: filled };
    let envelope = Envelope::wrap(
        EventId::from_ulid(Ulid::new()),
        at("2026-11-25T05:30:00Z"),
        &changed,
    )
    .unwrap();

    let report = w.service.push_message(&envelope).await.unwrap();
    assert_eq!(report.sent, 2, "the order, then its position");
    let frames = frames(&w.pusher.frames_to(&cid("c1")));
    assert_eq!(frames[0]["type"], "order");
    assert_eq!(frames[1]["type"], "position");
    assert_eq!(
        frames[1]["position"],
        json!({"instrument": "NSE:INFY", "product": "DELIVERY", "quantity": 10, "average_price": "1500.00",
            "last_price": "1550.00", "realized_pnl": "0"})
    );

    // An order that filled nothing (placed, resting) moves no position: one frame.
    w.pusher.clear();
    let resting = crate::trading::events::OrderChanged {
        order: order_of(w.alice.user_id),
    };
    let envelope = Envelope::wrap(
        EventId::from_ulid(Ulid::new()),
        at("2026-11-25T05:30:00Z"),
        &resting,
    )
    .unwrap();
    assert_eq!(w.service.push_message(&envelope).await.unwrap().sent, 1);
}

#[tokio::test]
async fn a_queued_session_end_closes_that_sessions_sockets_only() {
    let w = world().await;
    let second = w.sign_in_again(&w.alice).await;
    w.connect(&w.alice, "ending").await;
    w.connect(&second, "staying").await;
    let ended = crate::identity::session::SessionEnded {
        user_id: w.alice.user_id,
        session_id: w.alice.session_id,
    };
    let envelope = Envelope::wrap(EventId::from_ulid(Ulid::new()), w.wall.now(), &ended).unwrap();
    let report = w.service.push_message(&envelope).await.unwrap();
    assert_eq!(report.ended, 1);
    assert_eq!(w.pusher.closed(), vec![cid("ending")]);
    assert_eq!(w.stored("ending").await, None);
    assert!(w.stored("staying").await.is_some());
}

#[tokio::test]
async fn a_queued_notification_reaches_only_its_owners_order_subscribers() {
    let w = world().await;
    for (p, id) in [(&w.alice, "alice"), (&w.bob, "bob")] {
        w.connect(p, id).await;
        w.send(id, json!({"action": "subscribe", "channel": "orders"}))
            .await;
    }
    let notification = crate::alerts::notification::Notification {
        id: crate::kernel::ids::NotificationId::from_ulid(Ulid::from_parts(8, 8)),
        user_id: w.alice.user_id,
        kind: crate::alerts::notification::NotificationKind::OrderUpdated,
        title: "BUY 10 NSE:INFY filled at 1550.10".into(),
        data: json!({"order_id": "o1"}),
        created_at: at("2026-11-25T05:30:00Z"),
        read_at: None,
    };
    let created = crate::alerts::notification::NotificationCreated {
        notification: notification.clone(),
    };
    let envelope =
        Envelope::wrap(EventId::from_ulid(Ulid::new()), notification.created_at, &created).unwrap();
    let report = w.service.push_message(&envelope).await.unwrap();
    assert_eq!(report.sent, 1);
    let frame: Value = serde_json::from_str(&w.pusher.frames_to(&cid("alice"))[0]).unwrap();
    assert_eq!(frame["type"], "notification");
    assert_eq!(
        frame["notification"],
        serde_json::to_value(&notification).unwrap()
    );
    assert!(w.pusher.frames_to(&cid("bob")).is_empty());
}

#[tokio::test]
async fn an_update_too_large_for_a_frame_is_not_sent() {
    let w = world().await;
    w.connect(&w.alice, "c1").await;
    w.send("c1", json!({"action": "subscribe", "channel": "orders"}))
        .await;
    let huge = AccountUpdate::Notification(json!({"title": "x".repeat(MAX_FRAME_BYTES)}));
    let e = w.service.push_update(&w.alice.user_id, huge).await.unwrap_err();
    assert!(matches!(e, PushError::FrameTooLarge { .. }), "{e:?}");
    assert!(w.pusher.all_frames().is_empty());
}

// ---- the tick ----

#[tokio::test]
async fn a_tick_reads_each_instrument_once_for_all_its_subscribers() {
    let w = world().await;
    for id in ["a", "b", "c"] {
        w.connect(&w.alice, id).await;
        w.send(
            id,
            json!({"action": "subscribe", "channel": "quotes", "instruments": ["NSE:INFY", "NSE:TCS"]}),
        )
        .await;
    }
    let report = w.service.tick().await.unwrap();
    assert_eq!(report.instruments, 2);
    assert_eq!(
        report.push,
        PushReport {
            sent: 3,
            gone: 0,
            failed: 0,
            ended: 0
        }
    );
    assert_eq!(w.market.reads.load(Ordering::Relaxed), 1);
    assert_eq!(w.market.instruments.load(Ordering::Relaxed), 2);
    for id in ["a", "b", "c"] {
        assert_eq!(quoted(&w.pusher.frames_to(&cid(id))), ["NSE:INFY", "NSE:TCS"]);
    }
}

#[tokio::test]
async fn a_tick_with_no_subscriptions_reads_no_quote() {
    let w = world().await;
    w.connect(&w.alice, "a").await;
    assert_eq!(w.service.tick().await.unwrap(), TickReport::default());
    assert_eq!(w.market.reads.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn unsubscribing_stops_the_quotes() {
    let w = world().await;
    w.connect(&w.alice, "a").await;
    w.send(
        "a",
        json!({"action": "subscribe", "channel": "quotes", "instruments": ["NSE:INFY", "NSE:TCS"]}),
    )
    .await;
    w.service.tick().await.unwrap();
    assert_eq!(quoted(&w.pusher.frames_to(&cid("a"))), ["NSE:INFY", "NSE:TCS"]);
    let ack = w
        .send(
            "a",
            json!({"action": "unsubscribe", "channel": "quotes", "instruments": ["NSE:INFY"]}),
        )
        .await;
    assert_eq!(
        ack,
        [json!({"type": "unsubscribed", "channel": "quotes", "instruments": ["NSE:INFY"]})]
    );
    w.pusher.clear();
    w.service.tick().await.unwrap();
    assert_eq!(quoted(&w.pusher.frames_to(&cid("a"))), ["NSE:TCS"]);
    w.send(
        "a",
        json!({"action": "unsubscribe", "channel": "quotes", "instruments": ["NSE:TCS"]}),
    )
    .await;
    w.pusher.clear();
    w.service.tick().await.unwrap();
    assert!(w.pusher.frames_to(&cid("a")).is_empty());
}

#[tokio::test]
async fn a_connection_that_answers_gone_is_deleted_by_the_tick() {
    let w = world().await;
    for id in ["stays", "left"] {
        w.connect(&w.alice, id).await;
        w.send(
            id,
            json!({"action": "subscribe", "channel": "quotes", "instruments": ["NSE:INFY"]}),
        )
        .await;
    }
    w.pusher.set_gone(&cid("left"));
    let report = w.service.tick().await.unwrap();
    assert_eq!(
        report.push,
        PushReport {
            sent: 1,
            gone: 1,
            failed: 0,
            ended: 0
        }
    );
    assert_eq!(w.stored("left").await, None);
    assert!(w.stored("stays").await.is_some());
    let index = w.connections.subscribers().await.unwrap();
    assert_eq!(
        index.values().flatten().count(),
        1,
        "its subscriptions went with it"
    );
}

#[tokio::test]
async fn a_large_batch_arrives_in_several_frames_each_within_32_kib() {
    let w = world().await;
    w.connect(&w.alice, "a").await;
    let master = w.master.get(w.wall.now()).await.unwrap();
    let keys: Vec<String> = master.all().iter().take(200).map(|i| i.key.to_string()).collect();
    for k in &keys {
        w.market.inner.set(k, dec!(100.00), dec!(100.10), Some(1_000));
    }
    w.send(
        "a",
        json!({"action": "subscribe", "channel": "quotes", "instruments": keys, "mode": "quote"}),
    )
    .await;
    w.service.tick().await.unwrap();
    let sent = w.pusher.frames_to(&cid("a"));
    assert!(sent.len() > 1, "{} frames", sent.len());
    assert!(sent.iter().all(|f| f.len() <= MAX_FRAME_BYTES));
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(quoted(&sent), expected, "every instrument once, in order");
}

#[tokio::test]
async fn a_connection_is_told_to_reconnect_once_five_minutes_before_its_end() {
    let w = world().await;
    w.connect(&w.alice, "a").await;
    w.advance(RECONNECT_AFTER - Duration::seconds(1));
    assert_eq!(w.service.tick().await.unwrap().reconnects, 0);
    w.advance(Duration::seconds(1));
    let report = w.service.tick().await.unwrap();
    assert_eq!((report.reconnects, report.push.sent), (1, 1));
    assert_eq!(
        frames(&w.pusher.frames_to(&cid("a"))),
        [json!({"type": "reconnect"})]
    );
    assert_eq!(w.service.tick().await.unwrap().reconnects, 0, "once");
}
