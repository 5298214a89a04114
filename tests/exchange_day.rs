//! A day of the paper exchange end to end: orders placed through the API at 11:00 IST, then the scheduler's
//! `paper-match` tick (the Lambda handler, with the checked-in schedule event) run at chosen instants of the
//! same day: a stop triggered and a resting limit filled by later price moves, then the intraday square-off at
//! 15:20, DAY-order expiry and the roll-over into holdings at 15:30. In its own local stack (its own test
//! binary), because ticks act on every account and would disturb the order tests running beside them; one
//! test, so the ticks run in the day's order.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

#[allow(dead_code)] // the shared helpers, of which this binary uses a few
#[path = "api/helpers.rs"]
mod helpers;
#[path = "api/scheduled.rs"]
mod scheduled;
#[path = "api/simulated.rs"]
mod simulated;

use std::str::FromStr as _;

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use helpers::{get_with_token, new_trader, post_json_with_token};
use scheduled::run_scheduled;
use simulated::infy_at;

/// `hh:mm:ss` IST on the stack's simulated day (Wednesday 25 November 2026).
fn ist(time: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-11-25T{time}+05:30"))
        .unwrap()
        .with_timezone(&Utc)
}

/// Runs the scheduler's `paper-match` job as EventBridge would invoke it, with the scheduler's clock at
/// `time` (IST on the stack's simulated day).
async fn tick_at(time: &str) {
    tick(ist(time)).await;
}

async fn tick(at: DateTime<Utc>) {
    run_scheduled(include_str!("../events/scheduler-paper-match.json"), at).await;
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}"))).unwrap()
}

async fn get(path: &str, token: &str) -> Value {
    let response = get_with_token(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

async fn place(token: &str, body: Value) -> Value {
    let (status, order) = post_json_with_token("/v1/orders", token, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    order
}

fn find<'a>(items: &'a Value, instrument: &str, product: &str) -> Option<&'a Value> {
    items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["instrument"] == instrument && p["product"] == product)
}

async fn fresh_trader() -> String {
    new_trader().await.1
}

#[tokio::test]
async fn a_trading_day_of_the_paper_exchange() {
    stops_and_limits_fill_when_the_market_moves_to_them().await;
    place_fill_square_off_expire_and_settle_into_holdings().await;
}

async fn stops_and_limits_fill_when_the_market_moves_to_them() {
    let token = fresh_trader().await;
    // The market while the orders are placed (the stack's clock starts at 11:00), and the lowest last price
    // and ask between 11:10 and 14:00, each at its minute.
    let placing: Vec<_> = (0..5)
        .map(|m| infy_at(ist("11:00:00") + Duration::minutes(m)))
        .collect();
    let later: Vec<_> = (10..180)
        .map(|m| ist("11:00:00") + Duration::minutes(m))
        .map(|t| (t, infy_at(t)))
        .collect();
    let (low_at, low) = later.iter().min_by_key(|(_, q)| q.last_price).unwrap().clone();
    let (cheap_at, cheap) = later.iter().min_by_key(|(_, q)| q.ask).unwrap().clone();
    assert!(
        placing
            .iter()
            .all(|q| q.last_price > low.last_price && q.ask > cheap.ask),
        "the simulated day must dip after 11:10 for this test"
    );

    // A stop-loss sell below the market waits for its trigger; a limit buy below the ask rests.
    let stop = place(
        &token,
        json!({"instrument": "NSE:INFY", "side": "SELL", "quantity": 3, "order_type": "SL-M",
            "product": "INTRADAY", "trigger_price": low.last_price.to_string()}),
    )
    .await;
    assert_eq!(stop["status"], "TRIGGER_PENDING", "{stop}");
    let limit = place(
        &token,
        json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 2, "order_type": "LIMIT",
            "product": "INTRADAY", "price": cheap.ask.to_string()}),
    )
    .await;
    assert_eq!(limit["status"], "OPEN", "{limit}");

    // 11:05: the market has not come to either.
    tick_at("11:05:00").await;
    let order = |id: &Value| format!("/v1/orders/{}", id.as_str().unwrap());
    assert_eq!(
        get(&order(&stop["id"]), &token).await["status"],
        "TRIGGER_PENDING"
    );
    assert_eq!(get(&order(&limit["id"]), &token).await["status"], "OPEN");

    // The minute the last price touches the trigger, the stop triggers and sells at the bid.
    tick(low_at).await;
    let stopped = get(&order(&stop["id"]), &token).await;
    assert_eq!(stopped["status"], "COMPLETE", "{stopped}");
    let steps: Vec<_> = stopped["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(steps, ["TRIGGER_PENDING", "OPEN", "COMPLETE"]);
    assert_eq!(dec(&stopped["average_price"]), low.bid);

    // The minute the ask comes down to the limit, it buys there (at the ask, never above the limit).
    tick(cheap_at).await;
    let bought = get(&order(&limit["id"]), &token).await;
    assert_eq!(bought["status"], "COMPLETE", "{bought}");
    assert_eq!(dec(&bought["average_price"]), cheap.ask);

    let positions = get("/v1/portfolio/positions", &token).await;
    let infy = find(&positions, "NSE:INFY", "INTRADAY").unwrap();
    assert_eq!(
        (
            infy["quantity"].as_i64(),
            infy["day_buy_qty"].as_i64(),
            infy["day_sell_qty"].as_i64()
        ),
        (Some(-1), Some(2), Some(3))
    );
}

async fn place_fill_square_off_expire_and_settle_into_holdings() {
    let token = fresh_trader().await;
    let initial = dec(&get("/v1/portfolio/funds", &token).await["cash"]);

    // 11:00 IST: an intraday buy and a delivery buy fill at once; a far limit rests as a DAY order.
    let intraday = place(
        &token,
        json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 10, "order_type": "MARKET",
            "product": "INTRADAY"}),
    )
    .await;
    assert_eq!(intraday["status"], "COMPLETE");
    let delivery = place(
        &token,
        json!({"instrument": "NSE:TCS", "side": "BUY", "quantity": 5, "order_type": "MARKET",
            "product": "DELIVERY"}),
    )
    .await;
    assert_eq!(delivery["status"], "COMPLETE");
    let resting = place(
        &token,
        json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 1, "order_type": "LIMIT",
            "product": "DELIVERY", "price": "1000.00"}),
    )
    .await;
    assert_eq!(resting["status"], "OPEN");
    let positions = get("/v1/portfolio/positions", &token).await;
    assert_eq!(find(&positions, "NSE:INFY", "INTRADAY").unwrap()["quantity"], 10);

    // 15:19: not yet.
    tick_at("15:19:00").await;
    let positions = get("/v1/portfolio/positions", &token).await;
    assert_eq!(find(&positions, "NSE:INFY", "INTRADAY").unwrap()["quantity"], 10);

    // 15:20: the intraday position is squared off by a platform MARKET order at the bid.
    tick_at("15:20:00").await;
    let positions = get("/v1/portfolio/positions", &token).await;
    let infy = find(&positions, "NSE:INFY", "INTRADAY").unwrap();
    assert_eq!(
        (infy["quantity"].as_i64(), infy["day_sell_qty"].as_i64()),
        (Some(0), Some(10))
    );
    let orders = get("/v1/orders", &token).await;
    let square_off = orders["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["tag"] == "square-off")
        .expect("a square-off order");
    assert_eq!(
        (
            &square_off["side"],
            &square_off["quantity"],
            &square_off["status"]
        ),
        (&json!("SELL"), &json!(10), &json!("COMPLETE"))
    );
    let trades = get("/v1/trades", &token).await;
    let closing = trades["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["order_id"] == square_off["id"])
        .expect("the square-off fill");
    let realized = Decimal::from(10) * (dec(&closing["price"]) - dec(&intraday["average_price"]));
    assert_eq!(dec(&infy["realized_pnl"]), realized, "10 × (sell − buy)");
    let resting_now = get(&format!("/v1/orders/{}", resting["id"].as_str().unwrap()), &token).await;
    assert_eq!(resting_now["status"], "OPEN", "a DAY order lives until the close");

    // A second tick at the same minute changes nothing (no second square-off).
    tick_at("15:20:30").await;
    let orders = get("/v1/orders", &token).await;
    let square_offs = orders["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["tag"] == "square-off")
        .count();
    assert_eq!(square_offs, 1);

    // 15:30, the close: the DAY order expires and releases its block; the day rolls over and the delivery
    // buy settles into holdings.
    tick_at("15:30:00").await;
    let expired = get(&format!("/v1/orders/{}", resting["id"].as_str().unwrap()), &token).await;
    assert_eq!(expired["status"], "CANCELLED");
    assert!(
        expired["status_message"].as_str().unwrap().contains("expired"),
        "{expired}"
    );
    let positions = get("/v1/portfolio/positions", &token).await;
    assert_eq!(
        positions["items"].as_array().unwrap().len(),
        0,
        "a new day: nothing traded yet, nothing unsettled: {positions}"
    );
    let holdings = get("/v1/portfolio/holdings", &token).await;
    let tcs = &holdings["items"][0];
    assert_eq!(
        (tcs["instrument"].as_str(), tcs["quantity"].as_i64()),
        (Some("NSE:TCS"), Some(5))
    );
    assert_eq!(dec(&tcs["average_price"]), dec(&delivery["average_price"]));
    assert_eq!(dec(&tcs["value"]), Decimal::from(5) * dec(&tcs["last_price"]));

    // The money: cash moved by the realized P&L less every fill's charges; what stays used is the delivery
    // holding's cost (the expired order's block and the intraday margin came back).
    let charges: Decimal = trades["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| dec(&t["charges"]["total"]))
        .sum();
    let funds = get("/v1/portfolio/funds", &token).await;
    assert_eq!(dec(&funds["cash"]), initial + realized - charges);
    assert_eq!(
        dec(&funds["margin_used"]),
        Decimal::from(5) * dec(&delivery["average_price"])
    );
    let summary = get("/v1/portfolio", &token).await;
    assert_eq!(dec(&summary["holdings_value"]), dec(&tcs["value"]));
}
