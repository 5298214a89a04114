//! Contention: 50 MARKET buys on one account at once, each about a tenth of its funds. Every one is answered
//! (no hang, no 5xx): filled, refused for funds, or refused by the account's placement limit, and the funds
//! afterwards are exactly the filled orders' (never below zero).

use std::time::Duration;

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{new_trader, send, stack};

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal string: {v}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn fifty_concurrent_orders_on_one_account_are_all_answered_and_never_overspend() {
    stack();
    let (_, token) = new_trader().await;
    let order = json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 63, "order_type": "MARKET",
        "product": "DELIVERY"});
    let answers = tokio::time::timeout(
        Duration::from_secs(120),
        join_all((0..50).map(|_| send(Method::POST, "/v1/orders", &token, Some(&order), None))),
    )
    .await
    .expect("every order answered");
    let mut filled = Vec::new();
    for (status, headers, body) in &answers {
        match *status {
            StatusCode::CREATED => {
                assert_eq!(body["status"], "COMPLETE", "{body}");
                filled.push(body.clone());
            }
            StatusCode::UNPROCESSABLE_ENTITY => {
                assert_eq!(body["error"]["code"], "INSUFFICIENT_FUNDS", "{body}")
            }
            StatusCode::TOO_MANY_REQUESTS => assert!(headers.contains_key("retry-after"), "{body}"),
            StatusCode::CONFLICT => assert_eq!(body["error"]["code"], "CONFLICT", "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    assert!(!filled.is_empty(), "some orders fill");
    assert!(
        filled.len() <= 10,
        "the placement limit is 10 a minute: {}",
        filled.len()
    );
    let (_, _, funds) = send(Method::GET, "/v1/portfolio/funds", &token, None, None).await;
    let spent: Decimal = filled
        .iter()
        .map(|o| dec(&o["average_price"]) * Decimal::from(63))
        .sum();
    assert_eq!(dec(&funds["margin_used"]), spent, "{funds}");
    assert!(dec(&funds["margin_available"]) >= Decimal::ZERO, "{funds}");
}
