//! Orders over HTTP through the local stack: placement filled at the touch with charges, resting limits
//! and cancellation, field-level validation that writes nothing, idempotency (including a race), the
//! overspend race, the per-account rate limit, the position limit, and isolation between accounts. The stack's
//! market clock starts on a Wednesday at 11:00 IST ([`crate::helpers::SIMULATED_START`]), so the market is open
//! whatever the real time.

use std::str::FromStr;

use futures::future::join_all;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tradesense_adapters::dynamo::Table;
use tradesense_adapters::dynamo::trading::DynamoTradingLedger;
use tradesense_domain::kernel::ids::UserId;
use tradesense_domain::trading::account::PaperAccount;
use tradesense_domain::trading::ports::TradingLedger;

use crate::helpers::{client, get_with_token, new_trader, send, stack};

/// A freshly registered trader: a ₹10,00,000 paper account nobody else touches.
struct Trader {
    id: UserId,
    token: String,
}

async fn trader() -> Trader {
    let (id, token) = new_trader().await;
    Trader {
        id: id.parse().unwrap(),
        token,
    }
}

async fn account(user: &UserId) -> PaperAccount {
    let aws = stack().aws().await;
    DynamoTradingLedger::new(Table::new(aws.dynamodb, &stack().table))
        .account(user)
        .await
        .unwrap()
        .unwrap()
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}"))).unwrap()
}

async fn place(token: &str, body: &Value) -> (StatusCode, Value) {
    let (status, _, body) = send(reqwest::Method::POST, "/v1/orders", token, Some(body), None).await;
    (status, body)
}

fn market_buy(quantity: i64) -> Value {
    json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": quantity, "order_type": "MARKET",
        "product": "DELIVERY"})
}

fn resting_limit() -> Value {
    json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 2, "order_type": "LIMIT",
        "product": "DELIVERY", "price": "1200.00"})
}

#[tokio::test]
async fn a_market_buy_fills_at_the_touch_and_moves_funds_by_value_plus_charges() {
    let t = trader().await;
    let (status, order) = place(&t.token, &market_buy(10)).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["status"], "COMPLETE");
    assert_eq!(order["filled_quantity"], 10);
    let price = dec(&order["average_price"]);
    assert_eq!(price % Decimal::new(10, 2), Decimal::ZERO, "INFY trades on 0.10");

    let (_, _, trades) = send(reqwest::Method::GET, "/v1/trades", &t.token, None, None).await;
    let trade = &trades["items"][0];
    assert_eq!(trade["order_id"], order["id"]);
    assert_eq!(
        (trade["quantity"].as_i64(), dec(&trade["price"])),
        (Some(10), price)
    );
    let charges = &trade["charges"];
    assert_eq!(
        dec(&charges["brokerage"]),
        Decimal::ZERO,
        "no brokerage on delivery"
    );
    let parts: Decimal = ["stt", "transaction", "ipf", "sebi", "stamp", "gst"]
        .iter()
        .map(|k| dec(&charges[*k]))
        .sum();
    assert_eq!(dec(&charges["total"]), parts);
    // STT on delivery is 0.1% of the value, to the paisa (half away from zero, as contract notes round).
    assert_eq!(
        dec(&charges["stt"]),
        (Decimal::from(10) * price * Decimal::new(1, 3))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    );

    let funds = account(&t.id).await;
    assert_eq!(
        funds.available,
        Decimal::new(100_000_000, 2) - Decimal::from(10) * price - dec(&charges["total"]),
        "the cost is held as delivery margin, the charges are paid"
    );
    assert_eq!(funds.cash, Decimal::new(100_000_000, 2) - dec(&charges["total"]));

    let (status, _, detail) = send(
        reqwest::Method::GET,
        &format!("/v1/orders/{}", order["id"].as_str().unwrap()),
        &t.token,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let history: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["OPEN", "COMPLETE"]);
}

#[tokio::test]
async fn a_resting_limit_blocks_funds_until_cancelled_and_a_closed_order_cannot_be_cancelled() {
    let t = trader().await;
    let (status, order) = place(&t.token, &resting_limit()).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["status"], "OPEN");
    let blocked = dec(&order["blocked"]);
    assert!(blocked > Decimal::from(2400), "2 × 1,200 plus charges: {blocked}");
    assert_eq!(
        account(&t.id).await.available,
        Decimal::new(100_000_000, 2) - blocked
    );

    let path = format!("/v1/orders/{}", order["id"].as_str().unwrap());
    let (status, _, cancelled) = send(reqwest::Method::DELETE, &path, &t.token, None, None).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "CANCELLED");
    let funds = account(&t.id).await;
    assert_eq!(
        funds.available,
        Decimal::new(100_000_000, 2),
        "everything released"
    );
    assert_eq!(funds.cash, funds.available);

    let (status, _, again) = send(reqwest::Method::DELETE, &path, &t.token, None, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (_, filled) = place(&t.token, &market_buy(1)).await;
    let path = format!("/v1/orders/{}", filled["id"].as_str().unwrap());
    let (status, _, _) = send(reqwest::Method::DELETE, &path, &t.token, None, None).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a complete order cannot be cancelled"
    );

    let (_, _, open) = send(
        reqwest::Method::GET,
        "/v1/orders?status=OPEN",
        &t.token,
        None,
        None,
    )
    .await;
    assert_eq!(open["items"].as_array().unwrap().len(), 0);
    let (_, _, all) = send(reqwest::Method::GET, "/v1/orders", &t.token, None, None).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert_eq!(all["items"][0]["id"], filled["id"], "newest first");
}

#[tokio::test]
async fn modifying_a_resting_order_reblocks_funds_and_crossing_the_market_fills_it() {
    let t = trader().await;
    let (_, order) = place(&t.token, &resting_limit()).await;
    let path = format!("/v1/orders/{}", order["id"].as_str().unwrap());
    let put = |body: Value| {
        let (token, path) = (t.token.clone(), path.clone());
        async move { send(reqwest::Method::PUT, &path, &token, Some(&body), None).await }
    };

    let (status, _, modified) = put(json!({"quantity": 4, "price": "1250.00"})).await;
    assert_eq!(status, StatusCode::OK, "{modified}");
    assert_eq!(
        (modified["status"].as_str(), modified["quantity"].as_i64()),
        (Some("OPEN"), Some(4))
    );
    assert_eq!(modified["id"], order["id"]);
    let blocked = dec(&modified["blocked"]);
    assert!(blocked > Decimal::from(5000), "4 × 1,250 plus charges: {blocked}");
    assert_eq!(
        account(&t.id).await.available,
        Decimal::new(100_000_000, 2) - blocked,
        "old block released"
    );

    for (bad, status) in [
        (json!({"price": "1250.05"}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"price": 1250}), StatusCode::BAD_REQUEST),
        (json!({"side": "SELL"}), StatusCode::BAD_REQUEST),
    ] {
        let (got, _, body) = put(bad.clone()).await;
        assert_eq!(got, status, "{bad}: {body}");
    }
    let (_, _, unchanged) = send(reqwest::Method::GET, &path, &t.token, None, None).await;
    assert_eq!(
        unchanged["price"], "1250.00",
        "refused modifications changed nothing"
    );

    // Far above the market: fills at the touch.
    let (status, _, filled) = put(json!({"price": "9000.00"})).await;
    assert_eq!(status, StatusCode::OK, "{filled}");
    assert_eq!(filled["status"], "COMPLETE");
    assert!(dec(&filled["average_price"]) < Decimal::from(9000));
    let (status, _, closed) = put(json!({"price": "1300.00"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{closed}");
}

#[tokio::test]
async fn bad_orders_get_field_level_errors_and_change_nothing() {
    let t = trader().await;
    let with = |patch: Value| {
        let mut body = resting_limit();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (with(json!({"price": null})), "price"),
        (with(json!({"price": "1200.05"})), "price"),
        (with(json!({"quantity": 0})), "quantity"),
        (with(json!({"quantity": 100_001})), "quantity"),
        (with(json!({"order_type": "SL"})), "trigger_price"),
        (with(json!({"instrument": "NSE:NOPE"})), "instrument"),
        (with(json!({"instrument": "NSE:NIFTY"})), "instrument"),
        (with(json!({"tag": "x".repeat(21)})), "tag"),
    ];
    // Each matches the document but breaks an order rule it states in words: 422.
    for (body, field) in &cases {
        let (status, error) = place(&t.token, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        let fields: Vec<&str> = error["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(field), "{body}: {error}");
    }
    for body in [
        with(json!({"price": 1200.0})),
        with(json!({"surprise": true})),
        with(json!({"side": "HOLD"})),
        json!([1, 2, 3]),
        json!({"instrument": "NSE:INFY"}),
    ] {
        let (status, error) = place(&t.token, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {error}");
    }
    let (status, _, _) = send(
        reqwest::Method::POST,
        "/v1/orders",
        &t.token,
        // Just over the 64 KiB limit: refused before it is read, and small enough to be sent whole.
        Some(&with(json!({"tag": "y".repeat(70_000)}))),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _, _) = send(
        reqwest::Method::POST,
        "/v1/orders",
        &t.token,
        Some(&resting_limit()),
        Some(&"k".repeat(65)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (_, _, orders) = send(reqwest::Method::GET, "/v1/orders", &t.token, None, None).await;
    assert_eq!(orders["items"], json!([]), "nothing written");
    assert_eq!(account(&t.id).await.available, Decimal::new(100_000_000, 2));
    let (status, _, _) = send(
        reqwest::Method::GET,
        "/v1/orders?status=SOMETIMES",
        &t.token,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_repeated_key_returns_the_original_order_and_a_different_body_is_a_conflict() {
    let t = trader().await;
    let post = |body: Value, key: &'static str| {
        let token = t.token.clone();
        async move {
            send(
                reqwest::Method::POST,
                "/v1/orders",
                &token,
                Some(&body),
                Some(key),
            )
            .await
        }
    };
    let (first, _, original) = post(resting_limit(), "key-1").await;
    let (again, _, repeat) = post(resting_limit(), "key-1").await;
    assert_eq!((first, again), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(repeat["id"], original["id"]);
    let (status, _, conflict) = post(market_buy(1), "key-1").await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");

    let with_client_id = |quantity: i64| {
        let mut body = resting_limit();
        body["client_order_id"] = json!("my-order-7");
        body["quantity"] = json!(quantity);
        body
    };
    let (_, first) = place(&t.token, &with_client_id(2)).await;
    let (_, second) = place(&t.token, &with_client_id(2)).await;
    assert_eq!(first["id"], second["id"]);
    assert_eq!(first["client_order_id"], "my-order-7");
    let (status, _) = place(&t.token, &with_client_id(3)).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Twenty identical requests at once: one order, every answer naming it.
    let racers = (0..20).map(|_| post(market_buy(1), "race-key"));
    let answers = join_all(racers).await;
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|(status, _, body)| {
            assert_eq!(*status, StatusCode::CREATED, "{body}");
            body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    let (_, _, trades) = send(reqwest::Method::GET, "/v1/trades", &t.token, None, None).await;
    assert_eq!(trades["items"].as_array().unwrap().len(), 1, "filled once");
}

#[tokio::test]
async fn fifty_concurrent_orders_beyond_the_balance_never_overdraw_it() {
    let t = trader().await;
    // 100 INFY ≈ ₹1.55 lakh each: the ₹10 lakh account covers at most six.
    let racers = (0..50).map(|_| {
        let token = t.token.clone();
        async move { place(&token, &market_buy(100)).await }
    });
    let answers = join_all(racers).await;
    let filled: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .map(|(_, body)| body)
        .collect();
    for (status, body) in &answers {
        assert!(
            [
                StatusCode::CREATED,
                StatusCode::UNPROCESSABLE_ENTITY,
                StatusCode::CONFLICT
            ]
            .contains(status),
            "{status}: {body}"
        );
    }
    assert!((1..=6).contains(&filled.len()), "{} filled", filled.len());
    let (_, _, trades) = send(reqwest::Method::GET, "/v1/trades", &t.token, None, None).await;
    let trades = trades["items"].as_array().unwrap();
    assert_eq!(trades.len(), filled.len());
    let spent: Decimal = trades
        .iter()
        .map(|t| {
            Decimal::from(t["quantity"].as_i64().unwrap()) * dec(&t["price"]) + dec(&t["charges"]["total"])
        })
        .sum();
    let funds = account(&t.id).await;
    assert!(funds.available >= Decimal::ZERO);
    assert_eq!(funds.available, Decimal::new(100_000_000, 2) - spent);
}

#[tokio::test]
async fn the_eleventh_placement_in_a_minute_is_refused_with_retry_after() {
    let t = trader().await;
    let mut remaining = Vec::new();
    // Ten fit in a minute's window; a window boundary mid-test can allow ten more, never more.
    for _ in 0..21 {
        let (status, headers, body) = send(
            reqwest::Method::POST,
            "/v1/orders",
            &t.token,
            Some(&resting_limit()),
            None,
        )
        .await;
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(body["error"]["code"], "RATE_LIMITED");
            let retry: u64 = header("retry-after").unwrap().parse().unwrap();
            assert!((1..=60).contains(&retry));
            assert_eq!(header("x-ratelimit-limit").as_deref(), Some("10"));
            assert_eq!(header("x-ratelimit-remaining").as_deref(), Some("0"));
            assert!(
                remaining.contains(&0),
                "the refusal follows the tenth: {remaining:?}"
            );
            let (_, _, orders) = send(reqwest::Method::GET, "/v1/orders", &t.token, None, None).await;
            assert_eq!(
                orders["items"].as_array().unwrap().len(),
                remaining.len(),
                "the refused placement wrote nothing"
            );
            return;
        }
        assert_eq!(status, StatusCode::CREATED, "{body}");
        remaining.push(header("x-ratelimit-remaining").unwrap().parse::<u32>().unwrap());
    }
    panic!("never rate limited: {remaining:?}");
}

#[tokio::test]
async fn another_accounts_orders_and_trades_are_invisible() {
    let (owner, other) = (trader().await, trader().await);
    let (_, order) = place(&owner.token, &market_buy(1)).await;
    let (_, resting) = place(&owner.token, &resting_limit()).await;
    for id in [&order["id"], &resting["id"]] {
        let path = format!("/v1/orders/{}", id.as_str().unwrap());
        let response = get_with_token(&path, &other.token).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let (status, _, _) = send(reqwest::Method::DELETE, &path, &other.token, None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = send(
            reqwest::Method::PUT,
            &path,
            &other.token,
            Some(&json!({"price": "1210.00"})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _, _) = send(
        reqwest::Method::GET,
        "/v1/orders/not-an-id",
        &other.token,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, orders) = send(reqwest::Method::GET, "/v1/orders", &other.token, None, None).await;
    assert_eq!(orders["items"], json!([]));
    let (_, _, trades) = send(reqwest::Method::GET, "/v1/trades", &other.token, None, None).await;
    assert_eq!(trades["items"], json!([]));
    let (_, _, still_open) = send(
        reqwest::Method::GET,
        &format!("/v1/orders/{}", resting["id"].as_str().unwrap()),
        &owner.token,
        None,
        None,
    )
    .await;
    assert_eq!(
        still_open["status"], "OPEN",
        "the other account's cancel changed nothing"
    );
}

/// The simulated INFY touch: the ask and the units offered at it.
async fn infy_offer(token: &str) -> (Decimal, i64) {
    let quotes: Value = get_with_token("/v1/market/quotes?instruments=NSE:INFY", token)
        .await
        .json()
        .await
        .unwrap();
    let quote = &quotes["quotes"]["NSE:INFY"];
    (dec(&quote["ask"]), quote["ask_quantity"].as_i64().unwrap())
}

#[tokio::test]
async fn a_limit_larger_than_the_offer_fills_in_part_and_ioc_cancels_the_rest() {
    let t = trader().await;
    let (status, _, body) = send(
        reqwest::Method::POST,
        "/v1/portfolio/paper/reset",
        &t.token,
        Some(&json!({"initial_cash": "10000000.00"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (ask, offered) = infy_offer(&t.token).await;
    // 2% above the ask, on INFY's ₹0.05 tick: it crosses whatever the next minute's price does.
    let limit = (ask * Decimal::new(102, 2) * Decimal::from(20)).floor() / Decimal::from(20);
    let order = |validity: &str| {
        json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": offered + 5, "order_type": "LIMIT",
            "product": "DELIVERY", "price": limit.to_string(), "validity": validity})
    };

    let (status, day) = place(&t.token, &order("DAY")).await;
    assert_eq!(status, StatusCode::CREATED, "{day}");
    assert_eq!(day["status"], "PARTIALLY_FILLED", "{day}");
    assert_eq!(day["filled_quantity"].as_i64(), Some(offered));
    assert!(
        dec(&day["blocked"]) > Decimal::ZERO,
        "the 5 left hold funds: {day}"
    );
    let path = format!("/v1/orders/{}", day["id"].as_str().unwrap());
    let (status, _, refused) = send(
        reqwest::Method::PUT,
        &path,
        &t.token,
        Some(&json!({"price": ask.to_string()})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("have filled"),
        "{refused}"
    );
    let (status, _, cancelled) = send(reqwest::Method::DELETE, &path, &t.token, None, None).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["filled_quantity"].as_i64(), Some(offered), "fills stay");
    let detail: Value = get_with_token(&path, &t.token).await.json().await.unwrap();
    let steps: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["OPEN", "PARTIALLY_FILLED", "CANCELLED"]);

    let (status, ioc) = place(&t.token, &order("IOC")).await;
    assert_eq!(status, StatusCode::CREATED, "{ioc}");
    assert_eq!(ioc["status"], "CANCELLED", "{ioc}");
    assert_eq!(ioc["filled_quantity"].as_i64(), Some(offered));
    assert!(
        ioc["status_message"]
            .as_str()
            .unwrap()
            .contains("IOC: 5 unfilled")
    );

    let (_, _, trades) = send(reqwest::Method::GET, "/v1/trades", &t.token, None, None).await;
    let filled: Vec<i64> = trades["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["quantity"].as_i64().unwrap())
        .collect();
    assert_eq!(filled, [offered, offered], "one fill of the offered size each");
    let funds = account(&t.id).await;
    let spent: Decimal = trades["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            Decimal::from(t["quantity"].as_i64().unwrap()) * dec(&t["price"]) + dec(&t["charges"]["total"])
        })
        .sum();
    assert_eq!(
        funds.available,
        Decimal::new(1_000_000_000, 2) - spent,
        "nothing left blocked once the rests are cancelled"
    );
}

#[tokio::test]
async fn the_position_limit_refuses_growth_past_two_crore_but_lets_the_position_shrink() {
    let t = trader().await;
    let token = t.token;
    let (status, _, body) = send(
        reqwest::Method::POST,
        "/v1/portfolio/paper/reset",
        &token,
        Some(&json!({"initial_cash": "10000000.00"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let buy = |side: &str, quantity: i64| {
        json!({"instrument": "NSE:INFY", "side": side, "quantity": quantity, "order_type": "MARKET",
            "product": "INTRADAY"})
    };
    // 6,000 INFY is under ₹1 crore an order; two of them are under ₹2 crore; a third would pass it.
    for _ in 0..2 {
        let (status, order) = place(&token, &buy("BUY", 6000)).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
    }
    let orders_before = get_with_token("/v1/orders", &token).await.text().await.unwrap();
    let (status, refused) = place(&token, &buy("BUY", 6000)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "RISK_REJECTED");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limit per instrument"),
        "{refused}"
    );
    let orders_after = get_with_token("/v1/orders", &token).await.text().await.unwrap();
    assert_eq!(orders_after, orders_before, "nothing written");
    // Modifying a small resting order up to the same size is refused the same way, and leaves it as it was.
    let (status, resting) = place(
        &token,
        &json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 1, "order_type": "LIMIT",
            "product": "INTRADAY", "price": "1200.00"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{resting}");
    let path = format!("/v1/orders/{}", resting["id"].as_str().unwrap());
    let (status, _, refused) = send(
        reqwest::Method::PUT,
        &path,
        &token,
        Some(&json!({"quantity": 6000})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "RISK_REJECTED");
    let unchanged = get_with_token(&path, &token).await.json::<Value>().await.unwrap();
    assert_eq!(
        (unchanged["quantity"].as_i64(), unchanged["status"].as_str()),
        (Some(1), Some("OPEN"))
    );
    let (status, closed) = place(&token, &buy("SELL", 6000)).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "reducing is always allowed: {closed}"
    );
}

#[tokio::test]
async fn the_order_list_pages_with_signed_cursors_and_filters() {
    let t = trader().await;
    let mut placed = Vec::new();
    for quantity in 1..=5 {
        let (status, order) = place(
            &t.token,
            &json!({"instrument": "NSE:INFY", "side": "BUY",
            "quantity": quantity, "order_type": "LIMIT", "product": "DELIVERY", "price": "1200.00"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        placed.push(order["id"].as_str().unwrap().to_owned());
    }
    let (status, filled) = place(&t.token, &market_buy(1)).await;
    assert_eq!(status, StatusCode::CREATED, "{filled}");
    let list = |query: String| {
        let token = t.token.clone();
        async move {
            let response = get_with_token(&format!("/v1/orders{query}"), &token).await;
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };

    // Two at a time, newest first, until a page without a cursor.
    let (mut seen, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let query = match &cursor {
            Some(c) => format!("?status=OPEN&limit=2&cursor={c}"),
            None => "?status=OPEN&limit=2".to_owned(),
        };
        let (status, page) = list(query).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 10, "the cursor must lead to the end");
    }
    placed.reverse();
    assert_eq!(seen, placed, "every open order once, newest first");

    let (_, complete) = list("?status=COMPLETE".into()).await;
    assert_eq!(complete["items"].as_array().unwrap().len(), 1);
    assert_eq!(complete["items"][0]["id"], filled["id"]);
    let (_, elsewhere) = list("?instrument=NSE:TCS".into()).await;
    assert_eq!(elsewhere["items"].as_array().unwrap().len(), 0);

    // A cursor is tamper-evident and bound to its account and list.
    let (_, first) = list("?limit=1".into()).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let mut forged = cursor.clone();
    forged.replace_range(..1, if cursor.starts_with('A') { "B" } else { "A" });
    // A cursor this list did not issue matches the document (a string): 422. The rest break it: 400.
    for (bad, expected) in [
        (format!("?cursor={forged}"), StatusCode::UNPROCESSABLE_ENTITY),
        ("?cursor=garbage".into(), StatusCode::UNPROCESSABLE_ENTITY),
        ("?limit=0".into(), StatusCode::BAD_REQUEST),
        ("?limit=201".into(), StatusCode::BAD_REQUEST),
        ("?instrument=INFY".into(), StatusCode::BAD_REQUEST),
        ("?status=DONE".into(), StatusCode::BAD_REQUEST),
        ("?page=2".into(), StatusCode::BAD_REQUEST),
        ("?from=yesterday".into(), StatusCode::BAD_REQUEST),
    ] {
        let (status, body) = list(bad.clone()).await;
        assert_eq!(status, expected, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
    }
    // A date filter is a whole IST day: all six orders were placed on the filled one's day, none before it.
    let placed_at = chrono::DateTime::parse_from_rfc3339(filled["placed_at"].as_str().unwrap()).unwrap();
    let ist = chrono::FixedOffset::east_opt(19_800).unwrap();
    let day = placed_at.with_timezone(&ist).date_naive();
    let (status, that_day) = list(format!("?from={day}&to={day}")).await;
    assert_eq!(status, StatusCode::OK, "{that_day}");
    assert_eq!(that_day["items"].as_array().unwrap().len(), 6, "{that_day}");
    let (_, before) = list(format!("?to={}", day.pred_opt().unwrap())).await;
    assert_eq!(before["items"].as_array().unwrap().len(), 0, "{before}");
    let other = trader().await;
    let response = get_with_token(&format!("/v1/orders?cursor={cursor}"), &other.token).await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "another account's cursor"
    );
    let response = get_with_token(&format!("/v1/trades?cursor={cursor}"), &t.token).await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "an order cursor on the trades list"
    );

    let trades = get_with_token("/v1/trades?limit=1", &t.token)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(trades["items"].as_array().unwrap().len(), 1);
    assert!(trades["next_cursor"].is_null(), "one fill, one page");
}

/// The checked-in API Gateway events for the orders and portfolio routes (what `sam local invoke -e` and
/// `cargo lambda invoke --data-file` take), replayed through the local gateway as the caller they name would
/// send them: each must become a request our API accepts.
#[tokio::test]
async fn the_checked_in_order_events_are_requests_the_api_accepts() {
    let t = trader().await;
    for (file, expected) in [
        (
            include_str!("../../events/orders-place.json"),
            StatusCode::CREATED,
        ),
        (include_str!("../../events/orders-list.json"), StatusCode::OK),
        (
            include_str!("../../events/portfolio-holdings.json"),
            StatusCode::OK,
        ),
        (include_str!("../../events/portfolio-mode.json"), StatusCode::OK),
    ] {
        let event = lambda_http::request::from_str(file).expect("a valid API Gateway event");
        let context: Value = serde_json::from_str(file).unwrap();
        assert_eq!(
            context["requestContext"]["authorizer"]["lambda"]["roles"], "trader",
            "the events carry a trader's authorizer context"
        );
        let path_and_query = event.uri().path_and_query().unwrap().as_str().to_owned();
        let mut request = client()
            .request(event.method().clone(), stack().url(&path_and_query))
            .bearer_auth(&t.token);
        for (name, value) in event.headers() {
            if name != "host" {
                request = request.header(name, value);
            }
        }
        let response = request.body(event.body().to_vec()).send().await.unwrap();
        assert_eq!(
            response.status(),
            expected,
            "{path_and_query}: {}",
            response.text().await.unwrap()
        );
    }
}
