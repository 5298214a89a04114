//! One market clock for the whole stack: market data, orders, portfolio and the scheduler all read "now" from
//! the deployment's market clock, so on a simulated stack the quote a user sees is the price they trade at,
//! whatever the real date.

use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tradesense_domain::identity::rbac::Role;
use tradesense_domain::kernel::time::ist;

use crate::helpers::{SIMULATED_START, get_with_token, new_trader, send, simulated_today, stack};

fn instant(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not an instant: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal: {v}"))
        .parse()
        .unwrap()
}

async fn read(path: &str, token: &str) -> Value {
    let response = get_with_token(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

/// INFY's quote now, as the market API shows it.
async fn infy_quote(token: &str) -> Value {
    read("/v1/market/quotes?instruments=NSE:INFY", token).await["quotes"]["NSE:INFY"].clone()
}

#[tokio::test]
async fn every_market_function_agrees_on_now_and_a_market_buy_fills_at_the_quoted_ask() {
    let (_, token) = new_trader().await;
    let start: DateTime<Utc> = DateTime::parse_from_rfc3339(SIMULATED_START).unwrap().into();

    // The market API's status: the simulated Wednesday's session, not the real date's.
    let status = read("/v1/market/status", &token).await;
    assert_eq!(status["open"], true, "{status}");
    let close = instant(&status["next_close"]).with_timezone(&ist());
    assert_eq!(close.date_naive(), simulated_today(), "{status}");
    assert_eq!(close.format("%H:%M").to_string(), "15:30");

    // A quote read in the same minute as the order it is compared with (a minute boundary may fall between
    // them: then read and trade again).
    let (quote, order) = 'same_minute: {
        for _ in 0..3 {
            let before = infy_quote(&token).await;
            let (placed, _, order) = send(
                Method::POST,
                "/v1/orders",
                &token,
                Some(&json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 1,
                    "order_type": "MARKET", "product": "DELIVERY"})),
                None,
            )
            .await;
            assert_eq!(placed, StatusCode::CREATED, "{order}");
            let after = infy_quote(&token).await;
            if before["timestamp"] == after["timestamp"] {
                break 'same_minute (after, order);
            }
        }
        panic!("three minute boundaries in a row");
    };
    assert_eq!(order["status"], "COMPLETE", "{order}");
    assert_eq!(
        dec(&order["average_price"]),
        dec(&quote["ask"]),
        "the fill is the quoted ask: {quote} {order}"
    );

    // Every function's now: the quote's, the order's, the portfolio's and the scheduler's heartbeat (fired
    // at the stack's start) are on the simulated clock, within the test's running time of its start.
    let portfolio = read("/v1/portfolio", &token).await;
    let admin = stack().login_as(Role::Admin).await;
    let health = read("/v1/admin/health", &admin).await;
    let nows = [
        ("quote", instant(&quote["timestamp"])),
        ("order", instant(&order["placed_at"])),
        ("portfolio", instant(&portfolio["as_of"])),
        ("scheduler", instant(&health["scheduler"]["last_heartbeat_at"])),
    ];
    for (what, now) in nows {
        // The quote is stamped with the start of its minute bar.
        assert!(
            now >= start - Duration::minutes(1) && now < start + Duration::minutes(30),
            "{what}'s now {now} is not the market clock's (it started at {start})"
        );
    }
}
