//! The working-order and daily-loss limits end to end, in their own local stack (their own test binary) with
//! the deployment's `RiskMaxOpenOrders` and `RiskDailyLossPercent` set low, so a handful of orders reaches
//! them within the 10-a-minute placement limit.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

#[allow(dead_code)] // the shared helpers, of which this binary uses a few
#[path = "api/helpers.rs"]
mod helpers;

use std::str::FromStr as _;

use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use helpers::{Stack, client, get_with_token, new_trader, post_json_with_token, stack_with};

/// Two working orders per account; a day's loss of 0.001% of the funding (₹10.00 on ₹10,00,000) stops new
/// exposure.
const LIMITS: &[(&str, &str)] = &[("RiskMaxOpenOrders", "2"), ("RiskDailyLossPercent", "0.001")];

fn limited_stack() -> &'static Stack {
    stack_with(LIMITS)
}

/// A freshly registered trader's access token (a ₹10,00,000 paper account nobody else touches).
async fn trader() -> String {
    limited_stack();
    new_trader().await.1
}

fn order(side: &str, quantity: i64, order_type: &str, price: Option<&str>) -> Value {
    json!({"instrument": "NSE:INFY", "side": side, "quantity": quantity, "order_type": order_type,
        "product": "INTRADAY", "price": price})
}

async fn orders(token: &str) -> String {
    get_with_token("/v1/orders", token).await.text().await.unwrap()
}

fn assert_refused(status: StatusCode, body: &Value, reason: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "RISK_REJECTED", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(reason), "{message}");
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal: {v}"))).unwrap()
}

#[tokio::test]
async fn a_third_resting_order_is_refused_until_one_of_two_working_orders_is_cancelled() {
    let token = trader().await;
    let resting = order("BUY", 1, "LIMIT", Some("1200.00"));
    let mut working = Vec::new();
    for _ in 0..2 {
        let (status, placed) = post_json_with_token("/v1/orders", &token, &resting).await;
        assert_eq!(status, StatusCode::CREATED, "{placed}");
        assert_eq!(placed["status"], "OPEN");
        working.push(placed["id"].as_str().unwrap().to_owned());
    }
    let before = orders(&token).await;
    let (status, refused) = post_json_with_token("/v1/orders", &token, &resting).await;
    assert_refused(status, &refused, "2 orders are working; at most 2");
    assert_eq!(orders(&token).await, before, "nothing written");

    let cancelled = client()
        .delete(limited_stack().url(&format!("/v1/orders/{}", working[0])))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), StatusCode::OK);
    let (status, placed) = post_json_with_token("/v1/orders", &token, &resting).await;
    assert_eq!(status, StatusCode::CREATED, "a slot freed: {placed}");
}

#[tokio::test]
async fn after_the_days_loss_reaches_the_limit_only_orders_that_reduce_the_position_are_accepted() {
    let token = trader().await;
    // 20 INFY bought intraday: brokerage alone is min(₹20, 0.05% of ~₹30,000) ≈ ₹15, past the ₹10.00 limit.
    let (status, bought) =
        post_json_with_token("/v1/orders", &token, &order("BUY", 20, "MARKET", None)).await;
    assert_eq!(status, StatusCode::CREATED, "no loss yet: {bought}");
    assert_eq!(bought["status"], "COMPLETE");
    let positions: Value = get_with_token("/v1/portfolio/positions", &token)
        .await
        .json()
        .await
        .unwrap();
    let position = &positions["items"][0];
    let day_pnl =
        dec(&position["realized_pnl"]) + dec(&position["unrealized_pnl"]) - dec(&position["charges"]);
    assert!(
        day_pnl <= Decimal::new(-10, 0),
        "the fill's costs put the day at or past the ₹10.00 loss limit: {position}"
    );

    let before = orders(&token).await;
    for adding in [
        order("BUY", 1, "MARKET", None),
        order("BUY", 1, "LIMIT", Some("1200.00")),
        order("SELL", 21, "MARKET", None),
    ] {
        let (status, refused) = post_json_with_token("/v1/orders", &token, &adding).await;
        assert_refused(status, &refused, "daily limit");
        assert!(
            refused["error"]["message"].as_str().unwrap().contains("₹10.00"),
            "{refused}"
        );
    }
    assert_eq!(orders(&token).await, before, "nothing written");

    let (status, closed) =
        post_json_with_token("/v1/orders", &token, &order("SELL", 20, "MARKET", None)).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "getting out is always allowed: {closed}"
    );
    assert_eq!(closed["status"], "COMPLETE");
}
