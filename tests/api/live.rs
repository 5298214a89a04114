//! Live mode end to end, against a wiremock Upstox (its documented JSON): switching needs a linked account;
//! a live order goes to Upstox tagged with our order id and takes its status and fills from the order book;
//! a refusal is a rejected order in Upstox's words and an unanswered placement waits unconfirmed; modify
//! and cancel go to Upstox; the portfolio reads come from Upstox; switching back sends orders to paper.

use std::str::FromStr;

use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{
    UPSTOX_FILLED_ID, UPSTOX_REFUSED_QUANTITY, UPSTOX_SILENT_QUANTITY, UPSTOX_WORKING_ID,
    UPSTOX_WORKING_QUANTITY, link_upstox, new_trader, send,
};

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}"))).unwrap()
}

async fn call(method: Method, path: &str, token: &str, body: Option<&Value>) -> (StatusCode, Value) {
    let (status, _, body) = send(method, path, token, body, None).await;
    (status, body)
}

async fn switch(token: &str, mode: &str) -> (StatusCode, Value) {
    call(
        Method::PUT,
        "/v1/portfolio/mode",
        token,
        Some(&json!({ "mode": mode })),
    )
    .await
}

/// A trader with a linked Upstox account, switched to live.
async fn live_trader() -> String {
    let (_, token) = new_trader().await;
    link_upstox(&token).await;
    let (status, body) = switch(&token, "live").await;
    assert_eq!((status, &body), (StatusCode::OK, &json!({"mode": "live"})));
    token
}

fn reliance_limit(quantity: i64) -> Value {
    json!({"instrument": "NSE:RELIANCE", "side": "BUY", "quantity": quantity, "order_type": "LIMIT",
        "product": "DELIVERY", "price": "2440.00"})
}

async fn place(token: &str, body: &Value) -> (StatusCode, Value) {
    call(Method::POST, "/v1/orders", token, Some(body)).await
}

#[tokio::test]
async fn live_mode_needs_a_linked_upstox_account_and_switching_back_trades_paper() {
    let (_, token) = new_trader().await;
    let (status, mode) = call(Method::GET, "/v1/portfolio/mode", &token, None).await;
    assert_eq!((status, mode), (StatusCode::OK, json!({"mode": "paper"})));
    let (status, refused) = switch(&token, "live").await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("link your Upstox account")
    );
    for bad in [
        json!({"mode": "LIVE"}),
        json!({"mode": "real"}),
        json!({}),
        json!({"mode": "live", "x": 1}),
    ] {
        let (status, body) = call(Method::PUT, "/v1/portfolio/mode", &token, Some(&bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad} → {body}");
    }
    let (_, mode) = call(Method::GET, "/v1/portfolio/mode", &token, None).await;
    assert_eq!(mode, json!({"mode": "paper"}), "refusals change nothing");

    link_upstox(&token).await;
    assert_eq!(switch(&token, "live").await.0, StatusCode::OK);
    let (_, live) = place(&token, &reliance_limit(5)).await;
    assert_eq!(live["broker"], "upstox");

    assert_eq!(
        switch(&token, "paper").await,
        (StatusCode::OK, json!({"mode": "paper"}))
    );
    let (status, paper) = place(&token, &reliance_limit(5)).await;
    assert_eq!(status, StatusCode::CREATED, "{paper}");
    assert_eq!(
        (&paper["broker"], &paper["broker_order_id"]),
        (&json!("paper"), &Value::Null)
    );
    // The live order placed before the switch still reads from Upstox.
    let (_, again) = call(
        Method::GET,
        &format!("/v1/orders/{}", live["id"].as_str().unwrap()),
        &token,
        None,
    )
    .await;
    assert_eq!(again["status"], "COMPLETE");
}

#[tokio::test]
async fn a_live_order_goes_to_upstox_and_takes_its_fills_from_the_order_book() {
    let token = live_trader().await;
    let funds_before = call(Method::GET, "/v1/portfolio/funds", &token, None).await.1;

    let (status, order) = place(&token, &reliance_limit(5)).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["broker"], "upstox");
    assert_eq!(order["broker_order_id"], UPSTOX_FILLED_ID);
    assert_eq!(order["status"], "OPEN");
    assert_eq!(
        dec(&order["blocked"]),
        Decimal::ZERO,
        "a live order blocks none of the paper funds"
    );
    let id = order["id"].as_str().unwrap();

    let (status, read) = call(Method::GET, &format!("/v1/orders/{id}"), &token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&read["status"], &read["filled_quantity"]),
        (&json!("COMPLETE"), &json!(5))
    );
    assert_eq!(dec(&read["average_price"]), Decimal::from_str("2449.95").unwrap());
    let history: Vec<&str> = read["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["OPEN", "OPEN", "COMPLETE"], "sent, confirmed, filled");

    let (_, listed) = call(Method::GET, "/v1/orders", &token, None).await;
    assert_eq!(listed["items"][0]["id"], id);
    assert_eq!(listed["items"][0]["status"], "COMPLETE");
    // The filled order can no longer be changed.
    let (status, _) = call(Method::DELETE, &format!("/v1/orders/{id}"), &token, None).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Upstox's funds, not the paper account's: equity 15,507.46 free + 0.80 used.
    assert_eq!(
        dec(&funds_before["margin_available"]),
        Decimal::from_str("15507.46").unwrap()
    );
    assert_eq!(dec(&funds_before["cash"]), Decimal::from_str("15508.26").unwrap());
    assert_eq!(dec(&funds_before["payin"]), Decimal::from_str("200").unwrap());

    // Another account sees none of it.
    let (_, stranger) = new_trader().await;
    let (status, _) = call(Method::GET, &format!("/v1/orders/{id}"), &stranger, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn upstox_refusing_is_a_rejected_order_and_silence_leaves_it_unconfirmed() {
    let token = live_trader().await;
    let (status, refused) = place(&token, &reliance_limit(UPSTOX_REFUSED_QUANTITY)).await;
    assert_eq!(status, StatusCode::CREATED, "{refused}");
    assert_eq!(refused["status"], "REJECTED");
    let message = refused["status_message"].as_str().unwrap();
    assert!(
        message.contains("Insufficient funds to place the order (UDAPI1052)"),
        "{message}"
    );

    let (status, unanswered) = place(&token, &reliance_limit(UPSTOX_SILENT_QUANTITY)).await;
    assert_eq!(status, StatusCode::CREATED, "{unanswered}");
    assert_eq!(
        (&unanswered["status"], &unanswered["broker_order_id"]),
        (&json!("OPEN"), &Value::Null)
    );
    assert!(
        unanswered["status_message"]
            .as_str()
            .unwrap()
            .contains("awaiting its confirmation")
    );
    // Not in the order book yet, and within the grace: a read leaves it waiting, not rejected.
    let path = format!("/v1/orders/{}", unanswered["id"].as_str().unwrap());
    let (_, read) = call(Method::GET, &path, &token, None).await;
    assert_eq!(
        (&read["status"], &read["broker_order_id"]),
        (&json!("OPEN"), &Value::Null)
    );
    let (status, body) = call(Method::DELETE, &path, &token, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

#[tokio::test]
async fn a_working_live_order_is_modified_and_cancelled_at_upstox() {
    let token = live_trader().await;
    let (_, order) = place(&token, &reliance_limit(UPSTOX_WORKING_QUANTITY)).await;
    assert_eq!(order["broker_order_id"], UPSTOX_WORKING_ID);
    let path = format!("/v1/orders/{}", order["id"].as_str().unwrap());

    let (status, bad) = call(Method::PUT, &path, &token, Some(&json!({"price": "2440.03"}))).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "checked against the tick before Upstox: {bad}"
    );
    let (status, modified) = call(Method::PUT, &path, &token, Some(&json!({"price": "2439.50"}))).await;
    assert_eq!(status, StatusCode::OK, "{modified}");
    assert_eq!(dec(&modified["price"]), Decimal::from_str("2439.50").unwrap());

    let (status, cancelled) = call(Method::DELETE, &path, &token, None).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["id"], order["id"]);
}

#[tokio::test]
async fn live_positions_and_holdings_come_from_upstox_under_our_keys() {
    let token = live_trader().await;
    let (status, positions) = call(Method::GET, "/v1/portfolio/positions", &token, None).await;
    assert_eq!(status, StatusCode::OK, "{positions}");
    let reliance = &positions["items"][0];
    assert_eq!(
        reliance["instrument"], "NSE:RELIANCE",
        "Upstox's NSE_EQ|INE002A01018"
    );
    assert_eq!(
        (&reliance["product"], &reliance["quantity"]),
        (&json!("INTRADAY"), &json!(5))
    );
    // 5 × (2,460.00 − 2,449.95) = 50.25, all unrealized.
    assert_eq!(dec(&reliance["mtm"]), Decimal::from_str("50.25").unwrap());

    let (status, holdings) = call(Method::GET, "/v1/portfolio/holdings", &token, None).await;
    assert_eq!(status, StatusCode::OK, "{holdings}");
    let yes = holdings["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["instrument"] == "NSE:YESBANK")
        .unwrap();
    // 36 × 17.05 = 613.80 against a cost of 36 × 18.75 = 675.00: −61.20, −9.07%.
    assert_eq!(dec(&yes["value"]), Decimal::from_str("613.80").unwrap());
    assert_eq!(dec(&yes["pnl"]), Decimal::from_str("-61.20").unwrap());
    assert_eq!(dec(&yes["pnl_pct"]), Decimal::from_str("-9.07").unwrap());

    let (status, summary) = call(Method::GET, "/v1/portfolio", &token, None).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(
        dec(&summary["positions_mtm"]),
        Decimal::from_str("50.25").unwrap()
    );
}

#[tokio::test]
async fn a_repeated_live_order_reaches_upstox_once() {
    let token = live_trader().await;
    let body = reliance_limit(UPSTOX_WORKING_QUANTITY);
    let attempts = (0..20).map(|_| send(Method::POST, "/v1/orders", &token, Some(&body), Some("live-once")));
    let answers = futures::future::join_all(attempts).await;
    let first = &answers[0].2;
    for (status, _, order) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{order}");
        assert_eq!(order["id"], first["id"], "one order for one key");
    }
    let (_, listed) = call(Method::GET, "/v1/orders", &token, None).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["items"][0]["broker_order_id"], UPSTOX_WORKING_ID);

    let different = reliance_limit(UPSTOX_WORKING_QUANTITY + 1);
    let (status, _, body) = send(
        Method::POST,
        "/v1/orders",
        &token,
        Some(&different),
        Some("live-once"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn a_viewer_cannot_switch_to_live() {
    let viewer = crate::helpers::stack()
        .login_as(tradesense_domain::identity::rbac::Role::Viewer)
        .await;
    let (status, body) = switch(&viewer, "live").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}
