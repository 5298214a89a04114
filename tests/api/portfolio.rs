//! The portfolio area over HTTP through the local stack: funds and positions follow the fills exactly, the
//! summary adds them up, and the paper reset refuses while anything is held.

use std::str::FromStr;

use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tradesense_domain::identity::rbac::Role;

use crate::helpers::{get_with_token, new_trader, post_json_with_token, stack};

async fn trader() -> String {
    new_trader().await.1
}

async fn get(path: &str, token: &str) -> Value {
    let response = get_with_token(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}"))).unwrap()
}

fn order(side: &str) -> Value {
    json!({"instrument": "NSE:INFY", "side": side, "quantity": 10, "order_type": "MARKET", "product": "DELIVERY"})
}

#[tokio::test]
async fn funds_and_positions_follow_the_fills_and_reset_waits_until_nothing_is_held() {
    let token = trader().await;
    let funds = get("/v1/portfolio/funds", &token).await;
    assert_eq!(
        funds,
        json!({"cash": "1000000.00", "margin_used": "0.00", "margin_available": "1000000.00",
            "payin": "1000000.00", "payout": "0"})
    );

    let (status, bought) = post_json_with_token("/v1/orders", &token, &order("BUY")).await;
    assert_eq!(status, StatusCode::CREATED, "{bought}");
    let price = dec(&bought["average_price"]);
    let positions = get("/v1/portfolio/positions", &token).await;
    let p = &positions["items"][0];
    assert_eq!(
        (p["instrument"].as_str(), p["quantity"].as_i64()),
        (Some("NSE:INFY"), Some(10))
    );
    assert_eq!(dec(&p["average_price"]), price);
    assert_eq!(
        dec(&p["mtm"]),
        dec(&p["realized_pnl"]) + dec(&p["unrealized_pnl"])
    );
    assert_eq!(
        dec(&p["unrealized_pnl"]),
        Decimal::from(10) * (dec(&p["last_price"]) - price)
    );
    let funds = get("/v1/portfolio/funds", &token).await;
    assert_eq!(
        dec(&funds["margin_used"]),
        Decimal::from(10) * price,
        "delivery holds the full cost"
    );

    let summary = get("/v1/portfolio", &token).await;
    assert_eq!(dec(&summary["positions_mtm"]), dec(&p["mtm"]));
    assert_eq!(
        dec(&summary["day_pnl"]),
        dec(&p["realized_pnl"]) + dec(&p["unrealized_pnl"]) - dec(&p["charges"])
    );

    let (status, refused) = post_json_with_token(
        "/v1/portfolio/paper/reset",
        &token,
        &json!({"initial_cash": "500000.00"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");

    let (status, sold) = post_json_with_token("/v1/orders", &token, &order("SELL")).await;
    assert_eq!(status, StatusCode::CREATED, "{sold}");
    let funds = get("/v1/portfolio/funds", &token).await;
    assert_eq!(dec(&funds["margin_used"]), Decimal::ZERO, "flat: nothing held");

    // Out of the allowed range or finer than a paisa: 422; not the document's shape: 400.
    for (bad, expected) in [
        (json!({"initial_cash": "5000"}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"initial_cash": "500000.001"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"initial_cash": 500000}), StatusCode::BAD_REQUEST),
        (json!({}), StatusCode::BAD_REQUEST),
    ] {
        let (status, body) = post_json_with_token("/v1/portfolio/paper/reset", &token, &bad).await;
        assert_eq!(status, expected, "{bad}: {body}");
    }
    let (status, reset) = post_json_with_token(
        "/v1/portfolio/paper/reset",
        &token,
        &json!({"initial_cash": "500000.00"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reset}");
    assert_eq!(
        get("/v1/portfolio/funds", &token).await,
        json!({"cash": "500000.00", "margin_used": "0.00", "margin_available": "500000.00",
            "payin": "500000.00", "payout": "0"})
    );
    assert_eq!(get("/v1/portfolio/positions", &token).await["items"], json!([]));
}

#[tokio::test]
async fn a_viewer_reads_the_portfolio_but_cannot_reset_it() {
    let viewer = stack().login_as(Role::Viewer).await;
    get("/v1/portfolio/funds", &viewer).await;
    let (status, _) = post_json_with_token(
        "/v1/portfolio/paper/reset",
        &viewer,
        &json!({"initial_cash": "500000.00"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let response = crate::helpers::client()
        .get(stack().url("/v1/portfolio"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
