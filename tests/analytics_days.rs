//! Two simulated days of analytics end to end: a trader buys INFY for delivery and makes a TCS round trip
//! through the API on the stack's Wednesday, then the scheduler's `eod-snapshots` job (the Lambda handler,
//! with the checked-in schedule event) runs after Wednesday's close and after Thursday's, and the trader
//! reads the equity curve and performance back. Every figure is checked against the fills the API reported
//! and the simulated market's closing prices. In its own local stack (its own test binary), because the job
//! snapshots every account.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

#[allow(dead_code)] // the shared helpers, of which this binary uses a few
#[path = "api/helpers.rs"]
mod helpers;
#[path = "api/scheduled.rs"]
mod scheduled;

use std::str::FromStr as _;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tradesense_domain::kernel::money::paise;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::master::InstrumentMaster;
use tradesense_domain::market::service::simulated::SimulatedMarket;

use helpers::{get_with_token, new_trader, post_json_with_token};
use scheduled::run_scheduled;

fn ist(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{text}+05:30"))
        .unwrap()
        .with_timezone(&Utc)
}

/// Runs the scheduler's `eod-snapshots` job with its clock at `at` (IST).
async fn snapshots_at(at: &str) {
    run_scheduled(include_str!("../events/scheduler-eod-snapshots.json"), ist(at)).await;
}

/// INFY's closing price on `date` in the simulated market the stack runs (the same seed).
fn infy_close(date: &str) -> Decimal {
    let calendar = MarketCalendar::nse().unwrap();
    let master = InstrumentMaster::shipped(&calendar, "2026-11-25".parse().unwrap()).unwrap();
    let seed = tradesense_adapters::config::market_seed(&|_| None).unwrap();
    SimulatedMarket::new(calendar, seed)
        .quote(
            &master,
            master.get("NSE:INFY").unwrap(),
            ist(&format!("{date}T15:30:00")),
        )
        .unwrap()
        .last_price
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}"))).unwrap()
}

async fn get(path: &str, token: &str) -> Value {
    let response = get_with_token(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

async fn market(token: &str, instrument: &str, side: &str, quantity: i64, product: &str) -> Value {
    let body = json!({"instrument": instrument, "side": side, "quantity": quantity,
        "order_type": "MARKET", "product": product});
    let (status, order) = post_json_with_token("/v1/orders", token, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["status"], "COMPLETE", "{order}");
    order
}

#[tokio::test]
async fn two_days_of_snapshots_give_the_equity_curve_and_performance_of_the_fills() {
    let (_, token) = new_trader().await;
    let infy = market(&token, "NSE:INFY", "BUY", 10, "DELIVERY").await;
    let tcs_buy = market(&token, "NSE:TCS", "BUY", 5, "INTRADAY").await;
    let tcs_sell = market(&token, "NSE:TCS", "SELL", 5, "INTRADAY").await;
    let price = |order: &Value| dec(&order["average_price"]);
    let realized = Decimal::from(5) * (price(&tcs_sell) - price(&tcs_buy));
    let fills = get("/v1/trades", &token).await;
    let charges: Decimal = fills["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| dec(&t["charges"]["total"]))
        .sum();
    let cash = dec(&get("/v1/portfolio/funds", &token).await["cash"]);
    assert_eq!(
        cash,
        Decimal::from(1_000_000) + realized - charges,
        "the book's cash"
    );

    // After Wednesday's close, then Thursday's (and a rerun, which writes nothing).
    snapshots_at("2026-11-25T16:00:00").await;
    snapshots_at("2026-11-26T16:00:00").await;
    snapshots_at("2026-11-26T17:00:00").await;

    let curve = get("/v1/analytics/equity-curve?from=2026-11-25&to=2026-11-26", &token).await;
    let points = curve["points"].as_array().unwrap();
    assert_eq!(points.len(), 2, "{curve}");
    let unrealized = |date: &str| paise(Decimal::from(10) * (infy_close(date) - price(&infy)));
    let (wednesday, thursday) = (cash + unrealized("2026-11-25"), cash + unrealized("2026-11-26"));
    assert_eq!(
        curve["equity"],
        json!([
            ["2026-11-25", wednesday.to_string()],
            ["2026-11-26", thursday.to_string()]
        ])
    );
    assert_eq!(points[0]["daily_return"], 0.0);
    let thursday_return: f64 = (thursday / wednesday - Decimal::ONE).to_string().parse().unwrap();
    assert!(
        (points[1]["daily_return"].as_f64().unwrap() - thursday_return).abs() < 1e-6,
        "{curve}"
    );
    assert_eq!(dec(&points[1]["flow"]), Decimal::ZERO);

    let report = get("/v1/analytics/performance?from=2026-11-25&to=2026-11-26", &token).await;
    assert_eq!(
        (report["first_day"].as_str(), report["last_day"].as_str()),
        (Some("2026-11-25"), Some("2026-11-26"))
    );
    assert_eq!(
        (dec(&report["start_equity"]), dec(&report["end_equity"])),
        (wednesday, thursday)
    );
    assert!(
        (report["total_return"].as_f64().unwrap() - thursday_return).abs() < 1e-6,
        "{report}"
    );
    assert_eq!(dec(&report["realized_pnl"]), realized);
    assert_eq!(dec(&report["unrealized_pnl"]), unrealized("2026-11-26"));
    assert_eq!(dec(&report["charges"]["total"]), charges);
    assert_eq!(report["trades"]["closed"], 1, "the TCS round trip");
    let tcs_charges =
        dec(&fills["items"][0]["charges"]["total"]) + dec(&fills["items"][1]["charges"]["total"]);
    assert_eq!(
        dec(&report["trades"]["expectancy"]),
        paise(realized - tcs_charges),
        "the round trip's P&L net of its two fills' charges: {report} {fills}"
    );

    // Another trader's curve holds their own (flat) book only.
    let (_, other) = new_trader().await;
    let theirs = get("/v1/analytics/equity-curve?from=2026-11-25&to=2026-11-26", &other).await;
    assert_eq!(
        theirs["equity"],
        json!([]),
        "registered after both closes on the stack's clock? {theirs}"
    );
}
