//! Analytics over HTTP through the local stack: a trader's fills of the day show in the tax P&L under the
//! head Indian tax puts them (a MARKET buy and sell of the same equity the same day is speculative; an
//! option bought and sold is F&O, with its turnover), every figure from the fills themselves; another
//! account's fills never show.

use std::str::FromStr;

use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{get_with_token, new_trader, send};

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}"))).unwrap()
}

async fn market(token: &str, instrument: &str, side: &str, quantity: i64, product: &str) -> Value {
    let body = json!({"instrument": instrument, "side": side, "quantity": quantity, "order_type": "MARKET",
        "product": product});
    let (status, _, order) = send(Method::POST, "/v1/orders", token, Some(&body), None).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(order["status"], "COMPLETE", "{order}");
    order
}

async fn tax_pnl(token: &str) -> Value {
    let response = get_with_token("/v1/analytics/tax-pnl", token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn head<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["heads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["head"] == name)
        .unwrap()
}

#[tokio::test]
async fn a_days_round_trips_land_under_their_tax_heads_with_their_own_figures() {
    let (_, token) = new_trader().await;
    let (_, other) = new_trader().await;
    let buy = market(&token, "NSE:INFY", "BUY", 10, "DELIVERY").await;
    let sell = market(&token, "NSE:INFY", "SELL", 10, "DELIVERY").await;
    let (_, chain) = {
        let (status, _, chain) = send(
            Method::GET,
            "/v1/market/option-chain/NSE:NIFTY",
            &token,
            None,
            None,
        )
        .await;
        (status, chain)
    };
    let call = chain["items"][50]["call"]["instrument"]
        .as_str()
        .unwrap()
        .to_owned();
    let long = market(&token, &call, "BUY", 65, "DELIVERY").await;
    let close = market(&token, &call, "SELL", 65, "DELIVERY").await;
    market(&other, "NSE:TCS", "BUY", 1, "INTRADAY").await;
    market(&other, "NSE:TCS", "SELL", 1, "INTRADAY").await;

    let report = tax_pnl(&token).await;
    let price = |order: &Value| dec(&order["average_price"]);
    // Bought and sold the same day: never delivered, so speculative, 10 × (sell − buy).
    let intraday = head(&report, "intraday_equity");
    let equity = Decimal::from(10) * (price(&sell) - price(&buy));
    assert_eq!(intraday["lots"], 1);
    assert_eq!(dec(&intraday["gross_pnl"]), equity);
    assert_eq!(dec(&intraday["turnover"]), equity.abs());
    let fno = head(&report, "futures_and_options");
    let option = Decimal::from(65) * (price(&close) - price(&long));
    assert_eq!((fno["lots"].as_u64(), dec(&fno["gross_pnl"])), (Some(1), option));
    // Every charge of the four fills, as the trades list reports them, is deducted from business income.
    let trades: Value = get_with_token("/v1/trades", &token).await.json().await.unwrap();
    let charges: Decimal = trades["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| dec(&t["charges"]["total"]))
        .sum();
    let deducted = dec(&intraday["deductible_charges"]) + dec(&fno["deductible_charges"]);
    assert!(
        (deducted - charges).abs() <= Decimal::new(2, 2),
        "{deducted} vs {charges}"
    );
    assert_eq!(report["lots"].as_array().unwrap().len(), 2);
    assert!(
        report["lots"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["instrument"] != "NSE:TCS")
    );
    assert_eq!(head(&report, "short_term_capital_gain")["lots"], 0);

    // The same two round trips as trade statistics: by instrument, and the day's calendar cell.
    let response = get_with_token("/v1/analytics/trades?group_by=instrument", &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let stats: Value = response.json().await.unwrap();
    let groups = stats["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{stats}");
    let infy = groups.iter().find(|g| g["key"] == "NSE:INFY").unwrap();
    assert_eq!(
        (infy["trades"].as_u64(), dec(&infy["gross_pnl"])),
        (Some(1), equity)
    );
    let day: Value = get_with_token("/v1/analytics/trades", &token)
        .await
        .json()
        .await
        .unwrap();
    let cells = day["groups"].as_array().unwrap();
    assert_eq!((day["group_by"].as_str(), cells.len()), (Some("day"), 1), "{day}");
    assert_eq!(cells[0]["key"], crate::helpers::simulated_today().to_string());
    assert_eq!(dec(&cells[0]["gross_pnl"]), equity + option);
    assert_eq!(cells[0]["trades"].as_u64().unwrap(), 2);
    let wins = cells[0]["wins"].as_u64().unwrap() + cells[0]["losses"].as_u64().unwrap();
    assert!(wins <= 2);
    let refused = get_with_token("/v1/analytics/trades?group_by=month", &token).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let backwards = get_with_token("/v1/analytics/trades?from=2026-12-01&to=2026-11-01", &token).await;
    assert_eq!(backwards.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
