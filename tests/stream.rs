//! The push channel end to end, as a browser uses it: a ticket over REST, then a real WebSocket client
//! against the local stack's `ws://127.0.0.1:<port>/v1/stream` (the same `stream` function code, the ticker
//! on its schedule, the pusher fed by the stream queue). Refusals before the socket opens, quotes until
//! unsubscribed, error frames that leave the socket up, a trader's own order changes (placement, a fill on a
//! later paper-exchange tick, a cancellation) and no one else's, a fill's position and notification, a socket of a
//! signed-out session closed instead of served, the sixth socket closing the oldest, and a
//! connection whose socket has gone deleted by the next push (the local `@connections` answers it as API
//! Gateway's `410 Gone`). In its own local stack (its own test binary), because it runs the paper exchange's
//! tick at a chosen instant, which acts on every account.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

#[allow(dead_code)] // the shared helpers, of which this binary uses a few
#[path = "api/helpers.rs"]
mod helpers;
#[path = "api/scheduled.rs"]
mod scheduled;
#[path = "api/simulated.rs"]
mod simulated;

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{SinkExt as _, StreamExt as _};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tradesense_adapters::connections::ApiGatewayPusher;
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::stream::DynamoConnectionStore;
use tradesense_domain::identity::rbac::Role;
use tradesense_domain::kernel::ids::{SessionId, UserId};
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::stream::connection::{Connection, ConnectionId, QuoteMode};
use tradesense_domain::stream::ports::{ConnectionPusher as _, ConnectionStore as _, PostOutcome};

use helpers::{
    PASSWORD, client, eventually_within, get_with_token, login, new_trader, post_json_with_token, register,
    send, stack, unique_email,
};

/// How long a frame may take to arrive.
const PATIENCE: Duration = Duration::from_secs(15);

/// `hh:mm:ss` IST on the stack's simulated day (Wednesday 25 November 2026).
fn ist(time: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-11-25T{time}+05:30"))
        .unwrap()
        .with_timezone(&Utc)
}

/// `POST /v1/stream/ticket` as `token`.
async fn ticket(token: &str) -> Value {
    let (status, body) = post_json_with_token("/v1/stream/ticket", token, &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Where a ticket says to connect.
fn url_of(ticket: &Value) -> String {
    format!(
        "{}?ticket={}",
        ticket["url"].as_str().unwrap(),
        ticket["ticket"].as_str().unwrap()
    )
}

/// The socket URL with no ticket.
fn bare_url() -> String {
    format!("{}/v1/stream", stack().base_url.replacen("http://", "ws://", 1))
}

/// The status an upgrade to `url` is refused with; panics if it is accepted.
async fn refused(url: &str) -> StatusCode {
    match tokio_tungstenite::connect_async(url).await {
        Err(tungstenite::Error::Http(response)) => StatusCode::from_u16(response.status().as_u16()).unwrap(),
        Err(e) => panic!("{url}: {e}"),
        Ok(_) => panic!("{url} was accepted"),
    }
}

/// A client's socket.
struct Socket(WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Socket {
    /// Opens the socket a ticket of `token`'s session is for.
    async fn open(token: &str) -> Self {
        Self::at(&url_of(&ticket(token).await)).await
    }

    async fn at(url: &str) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Self(ws)
    }

    async fn send(&mut self, message: Value) {
        self.0.send(Message::text(message.to_string())).await.unwrap();
    }

    async fn send_raw(&mut self, message: Message) {
        self.0.send(message).await.unwrap();
    }

    /// The next frame within `limit`: `Some(Value)` for text, `None` when the socket closed or nothing came.
    async fn next(&mut self, limit: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.0.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => return Some(serde_json::from_str(&text).unwrap()),
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                _ => return None,
            }
        }
    }

    /// The next frame of `kind` within `limit`, skipping others.
    async fn next_of(&mut self, kind: &str, limit: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.next(left).await?;
            if frame["type"] == kind {
                return Some(frame);
            }
        }
    }

    /// The answer to `message` (quotes arriving meanwhile skipped).
    async fn ask(&mut self, message: Value) -> Value {
        self.send(message.clone()).await;
        loop {
            let frame = self
                .next(PATIENCE)
                .await
                .unwrap_or_else(|| panic!("no answer to {message}"));
            if frame["type"] != "quote" {
                return frame;
            }
        }
    }

    /// Every frame that arrives within `window`.
    async fn frames_for(&mut self, window: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + window;
        let mut frames = Vec::new();
        while let Some(frame) = self
            .next(deadline.saturating_duration_since(tokio::time::Instant::now()))
            .await
        {
            frames.push(frame);
        }
        frames
    }

    /// Whether the server closed the socket within `limit`.
    async fn closed_within(&mut self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.0.next()).await {
                Ok(Some(Ok(Message::Close(_))) | None | Some(Err(_))) => return true,
                Ok(Some(Ok(_))) => continue,
                Err(_) => return false,
            }
        }
    }
}

#[tokio::test]
async fn a_ticket_opens_one_socket_and_nothing_else_does() {
    let (_, token) = new_trader().await;
    let anonymous = client()
        .post(stack().url("/v1/stream/ticket"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let issued = ticket(&token).await;
    assert_eq!(issued["expires_in"], 30);
    assert_eq!(issued["url"], bare_url().as_str());
    assert_eq!(issued["ticket"].as_str().unwrap().len(), 43);
    assert_eq!(refused(&bare_url()).await, StatusCode::UNAUTHORIZED, "no ticket");
    assert_eq!(
        refused(&format!("{}?ticket=forged", bare_url())).await,
        StatusCode::UNAUTHORIZED
    );
    let mut socket = Socket::at(&url_of(&issued)).await;
    assert_eq!(
        refused(&url_of(&issued)).await,
        StatusCode::UNAUTHORIZED,
        "reused"
    );
    assert_eq!(
        socket.ask(json!({"action": "ping"})).await,
        json!({"type": "pong"})
    );

    // A ticket whose session signed out before it was used.
    let unused = ticket(&token).await;
    let (status, _, _) = send(reqwest::Method::POST, "/v1/auth/logout", &token, None, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(refused(&url_of(&unused)).await, StatusCode::UNAUTHORIZED);

    // Every role may open the channel.
    let viewer = stack().login_as(Role::Viewer).await;
    let mut watching = Socket::open(&viewer).await;
    assert_eq!(
        watching.ask(json!({"action": "ping"})).await,
        json!({"type": "pong"})
    );
}

#[tokio::test]
async fn quotes_arrive_about_once_a_second_until_unsubscribed() {
    let (_, token) = new_trader().await;
    let mut socket = Socket::open(&token).await;
    let ack = socket
        .ask(json!({"action": "subscribe", "channel": "quotes", "instruments": ["NSE:INFY"]}))
        .await;
    assert_eq!(
        ack,
        json!({"type": "subscribed", "channel": "quotes", "instruments": ["NSE:INFY"], "mode": "ltp"})
    );
    let quote = socket.next_of("quote", PATIENCE).await.expect("a quote");
    let item = &quote["quotes"][0];
    assert_eq!(item["instrument"], "NSE:INFY");
    assert!(item["last_price"].as_str().unwrap().parse::<f64>().unwrap() > 0.0);
    assert!(item.get("bid").is_none(), "ltp mode: {item}");

    socket
        .ask(json!({"action": "subscribe", "channel": "quotes", "instruments": ["NSE:TCS"], "mode": "quote"}))
        .await;
    let both = loop {
        let frame = socket.next_of("quote", PATIENCE).await.expect("a quote");
        if frame["quotes"].as_array().unwrap().len() == 2 {
            break frame;
        }
    };
    let tcs = both["quotes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["instrument"] == "NSE:TCS")
        .unwrap();
    assert!(
        tcs["bid"].is_string() && tcs["ask"].is_string(),
        "quote mode: {tcs}"
    );
    let ticks = socket
        .frames_for(Duration::from_millis(4500))
        .await
        .into_iter()
        .filter(|f| f["type"] == "quote")
        .count();
    assert!((2..=6).contains(&ticks), "{ticks} quote frames in 4.5 s");

    let ack = socket
        .ask(json!({"action": "unsubscribe", "channel": "quotes", "instruments": ["NSE:INFY", "NSE:TCS"]}))
        .await;
    assert_eq!(ack["type"], "unsubscribed");
    socket.frames_for(Duration::from_millis(1500)).await; // a tick already under way
    let after = socket.frames_for(Duration::from_secs(3)).await;
    assert!(after.is_empty(), "nothing after unsubscribing: {after:?}");
}

#[tokio::test]
async fn a_bad_message_gets_an_error_frame_naming_it_and_the_socket_stays_up() {
    let (_, token) = new_trader().await;
    let mut socket = Socket::open(&token).await;
    socket.send_raw(Message::text("subscribe me")).await;
    assert_eq!(socket.next(PATIENCE).await.unwrap()["code"], "not_json");
    let dance = socket.ask(json!({"action": "dance"})).await;
    assert_eq!(
        (&dance["type"], &dance["code"]),
        (&json!("error"), &json!("unknown_action"))
    );
    let unlisted = socket
        .ask(json!({"action": "subscribe", "channel": "quotes", "instruments": ["NSE:NOSUCHCO"]}))
        .await;
    assert_eq!(unlisted["code"], "unlisted_instrument", "{unlisted}");
    let too_many: Vec<String> = (0..201).map(|i| format!("NSE:CO{i}")).collect();
    let limit = socket
        .ask(json!({"action": "subscribe", "channel": "quotes", "instruments": too_many}))
        .await;
    assert_eq!(limit["code"], "too_many_instruments", "{limit}");
    socket.send_raw(Message::binary(vec![1_u8, 2, 3])).await;
    assert_eq!(socket.next(PATIENCE).await.unwrap()["code"], "not_json");
    assert_eq!(
        socket.ask(json!({"action": "ping"})).await,
        json!({"type": "pong"})
    );
}

#[tokio::test]
async fn a_traders_order_changes_reach_their_own_sockets_and_no_one_elses() {
    let (_, alice) = new_trader().await;
    let (_, bob) = new_trader().await;
    let mut orders = Socket::open(&alice).await;
    let mut quotes_only = Socket::open(&alice).await;
    let mut snooping = Socket::open(&bob).await;
    for socket in [&mut orders, &mut snooping] {
        let ack = socket
            .ask(json!({"action": "subscribe", "channel": "orders"}))
            .await;
        assert_eq!(ack, json!({"type": "subscribed", "channel": "orders"}));
    }
    let place = |body: Value| {
        let alice = alice.clone();
        async move {
            let (status, order) = post_json_with_token("/v1/orders", &alice, &body).await;
            assert_eq!(status, StatusCode::CREATED, "{order}");
            order
        }
    };
    let next_order = async |socket: &mut Socket| {
        socket.next_of("order", PATIENCE).await.expect("an order frame")["order"].clone()
    };
    let rest = async |id: &Value| -> Value {
        let response = get_with_token(&format!("/v1/orders/{}", id.as_str().unwrap()), &alice).await;
        response.json().await.unwrap()
    };

    // A market order fills as it is placed: one frame, the order exactly as GET /v1/orders/{id} shows it.
    let bought = place(json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 1,
        "order_type": "MARKET", "product": "DELIVERY"}))
    .await;
    let frame = next_order(&mut orders).await;
    assert_eq!(frame["status"], "COMPLETE");
    assert_eq!(frame, rest(&bought["id"]).await);

    // A limit below the market rests; the paper exchange's tick at the minute the ask comes down fills it.
    let (cheap_at, cheap) = (10..180)
        .map(|m| ist("11:00:00") + chrono::Duration::minutes(m))
        .map(|t| (t, simulated::infy_at(t)))
        .min_by_key(|(_, q)| q.ask)
        .unwrap();
    let resting = place(json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 2,
        "order_type": "LIMIT", "product": "DELIVERY", "price": cheap.ask.to_string()}))
    .await;
    assert_eq!(resting["status"], "OPEN", "{resting}");
    let frame = next_order(&mut orders).await;
    assert_eq!((&frame["id"], &frame["status"]), (&resting["id"], &json!("OPEN")));
    scheduled::run_scheduled(include_str!("../events/scheduler-paper-match.json"), cheap_at).await;
    let frame = next_order(&mut orders).await;
    assert_eq!(
        (&frame["id"], &frame["status"]),
        (&resting["id"], &json!("COMPLETE"))
    );
    assert_eq!(frame, rest(&resting["id"]).await);

    // A cancellation.
    let far = place(json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 1,
        "order_type": "LIMIT", "product": "DELIVERY", "price": "1000.00"}))
    .await;
    assert_eq!(next_order(&mut orders).await["status"], "OPEN");
    let (status, _, _) = send(
        reqwest::Method::DELETE,
        &format!("/v1/orders/{}", far["id"].as_str().unwrap()),
        &alice,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let frame = next_order(&mut orders).await;
    assert_eq!(
        (&frame["id"], &frame["status"]),
        (&far["id"], &json!("CANCELLED"))
    );

    // Bob's socket and Alice's socket that did not subscribe to orders got none of it.
    for socket in [&mut snooping, &mut quotes_only] {
        let frames = socket.frames_for(Duration::from_secs(1)).await;
        assert!(frames.iter().all(|f| f["type"] != "order"), "{frames:?}");
    }
}

#[tokio::test]
async fn signing_out_closes_that_sessions_socket_and_no_other() {
    let email = unique_email();
    register(&email).await;
    let access = |body: Value| body["access_token"].as_str().unwrap().to_owned();
    let leaving = access(login(&email, PASSWORD).await);
    let staying = access(login(&email, PASSWORD).await);
    let mut left_open = Socket::open(&leaving).await;
    let mut current = Socket::open(&staying).await;
    for socket in [&mut left_open, &mut current] {
        socket
            .ask(json!({"action": "subscribe", "channel": "orders"}))
            .await;
    }
    let (status, _, _) = send(reqwest::Method::POST, "/v1/auth/logout", &leaving, None, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // The logout's session end reaches the pusher, which closes that session's socket, and only that one.
    assert!(left_open.closed_within(PATIENCE).await, "closed at logout");

    let (status, order) = post_json_with_token(
        "/v1/orders",
        &staying,
        &json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 1, "order_type": "MARKET",
            "product": "DELIVERY"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    let frame = current
        .next_of("order", PATIENCE)
        .await
        .expect("the signed-in socket's frame");
    assert_eq!(frame["order"]["id"], order["id"]);
}

#[tokio::test]
async fn a_fill_brings_its_position_and_its_notification_as_the_rest_api_shows_them() {
    let (_, token) = new_trader().await;
    let mut socket = Socket::open(&token).await;
    socket
        .ask(json!({"action": "subscribe", "channel": "orders"}))
        .await;
    let (status, order) = post_json_with_token(
        "/v1/orders",
        &token,
        &json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 3, "order_type": "MARKET",
            "product": "DELIVERY"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    // The position, from the pusher right after the order's frame; the notification, from the orders function →
    // alert queue → alert worker (the inbox) → stream queue → pusher. Either may come first.
    let (mut position, mut notification) = (None, None);
    while position.is_none() || notification.is_none() {
        let frame = socket
            .next(PATIENCE)
            .await
            .expect("a position and a notification frame");
        match frame["type"].as_str() {
            Some("position") => position = Some(frame["position"].clone()),
            Some("notification") => notification = Some(frame["notification"].clone()),
            _ => {}
        }
    }
    let (position, notification) = (position.unwrap(), notification.unwrap());

    // As the portfolio lists it (its marks move with the market, so they are not compared).
    let positions: Value = get_with_token("/v1/portfolio/positions", &token)
        .await
        .json()
        .await
        .unwrap();
    let listed = &positions["items"][0];
    for field in [
        "instrument",
        "product",
        "quantity",
        "average_price",
        "realized_pnl",
        "day_buy_qty",
        "charges",
    ] {
        assert_eq!(position[field], listed[field], "{field}");
    }
    assert_eq!(position["quantity"], 3);
    // As the inbox lists it.
    let inbox: Value = get_with_token("/v1/notifications", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(notification, inbox["items"][0]);
    assert_eq!(notification["kind"], "order_updated");
    assert_eq!(notification["data"]["order_id"], order["id"]);
}

#[tokio::test]
async fn a_sixth_socket_closes_the_oldest() {
    let (_, token) = new_trader().await;
    let mut oldest = Socket::open(&token).await;
    let mut others = Vec::new();
    for _ in 0..5 {
        others.push(Socket::open(&token).await);
    }
    assert!(oldest.closed_within(PATIENCE).await, "the oldest is closed");
    for socket in &mut others {
        assert_eq!(
            socket.ask(json!({"action": "ping"})).await,
            json!({"type": "pong"})
        );
    }
}

#[tokio::test]
async fn a_connection_whose_socket_has_gone_is_deleted_by_the_next_push() {
    let aws = stack().aws().await;
    let store = DynamoConnectionStore::new(Table::new(aws.dynamodb, &stack().table));
    let (user, _) = new_trader().await;
    let user: UserId = user.parse().unwrap();
    let id: ConnectionId = format!("gone{}", ulid::Ulid::new()).parse().unwrap();
    let opened = Connection::open(
        id.clone(),
        user,
        SessionId::from_ulid(ulid::Ulid::new()),
        Utc::now(),
    );
    store.put(&opened).await.unwrap();
    let subscribed = opened
        .subscribe_quotes(&[InstrumentKey::parse("NSE:INFY").unwrap()], QuoteMode::Ltp)
        .unwrap();
    store.update(&opened, &subscribed).await.unwrap();
    // No socket holds it: the ticker's next post finds it gone, as API Gateway answers 410, and deletes it.
    eventually_within("the gone connection deleted", PATIENCE, || async {
        store.get(&id).await.unwrap().is_none().then_some(())
    })
    .await;
    let index = store.subscribers().await.unwrap();
    assert!(
        index.values().flatten().all(|s| s.connection != id),
        "its subscriber entry went with it"
    );
}

#[tokio::test]
async fn the_deployed_connections_adapter_pushes_to_and_closes_a_local_socket() {
    let aws = stack().aws().await;
    let store = DynamoConnectionStore::new(Table::new(aws.dynamodb.clone(), &stack().table));
    let (user, token) = new_trader().await;
    let mut socket = Socket::open(&token).await;
    let mine = store.of_user(&user.parse().unwrap()).await.unwrap();
    let id = &mine.first().expect("the socket's connection").id;
    // The local stack answers API Gateway's management API on the socket's path.
    let pusher = ApiGatewayPusher::new(&aws, &format!("{}/v1/stream", stack().base_url));
    assert_eq!(
        pusher.post(id, r#"{"type":"hello"}"#).await.unwrap(),
        PostOutcome::Sent
    );
    assert_eq!(socket.next(PATIENCE).await, Some(json!({"type": "hello"})));
    pusher.close(id).await.unwrap();
    assert!(socket.closed_within(PATIENCE).await);
    assert_eq!(
        pusher.post(id, "{}").await.unwrap(),
        PostOutcome::Gone,
        "410 once it has gone"
    );
    pusher.close(id).await.unwrap();
}

/// The delay from an order's fill to its frame on the owner's socket, through the local stack (orders
/// function → stream queue → pusher → socket), over 200 MARKET orders (20 traders, 10 each: the placement
/// limit is 10 a minute). A MARKET order fills inside its `POST /v1/orders`, so the delay is measured from
/// the response (and, as an upper bound, from the request). `make bench-stream` runs it.
#[tokio::test]
#[ignore = "a benchmark: make bench-stream"]
async fn bench_fill_to_frame() {
    const TRADERS: usize = 20;
    const ORDERS_EACH: usize = 10;
    let mut from_response = Vec::new();
    let mut from_request = Vec::new();
    for _ in 0..TRADERS {
        let (_, token) = new_trader().await;
        let mut socket = Socket::open(&token).await;
        socket
            .ask(json!({"action": "subscribe", "channel": "orders"}))
            .await;
        for _ in 0..ORDERS_EACH {
            let sent = std::time::Instant::now();
            let (status, order) = post_json_with_token(
                "/v1/orders",
                &token,
                &json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 1, "order_type": "MARKET",
                    "product": "DELIVERY"}),
            )
            .await;
            let answered = std::time::Instant::now();
            assert_eq!(status, StatusCode::CREATED, "{order}");
            loop {
                let frame = socket.next_of("order", PATIENCE).await.expect("an order frame");
                if frame["order"]["id"] == order["id"] && frame["order"]["status"] == "COMPLETE" {
                    break;
                }
            }
            let framed = std::time::Instant::now();
            // Signed: a frame can beat the response to the client.
            let ms = |a: std::time::Instant, b: std::time::Instant| {
                if b >= a {
                    (b - a).as_secs_f64() * 1000.0
                } else {
                    -((a - b).as_secs_f64() * 1000.0)
                }
            };
            from_response.push(ms(answered, framed));
            from_request.push(ms(sent, framed));
        }
    }
    let report = |name: &str, mut ms: Vec<f64>| {
        ms.sort_by(f64::total_cmp);
        let at = |p: f64| ms[((p / 100.0) * (ms.len() - 1) as f64).round() as usize];
        println!(
            "{name}: n={} p50={:.1} ms p95={:.1} ms max={:.1} ms",
            ms.len(),
            at(50.0),
            at(95.0),
            ms[ms.len() - 1]
        );
    };
    report("fill (response) to frame", from_response);
    report("request to frame", from_request);
}
