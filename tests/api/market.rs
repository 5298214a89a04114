//! Market data over HTTP through the local stack.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::post_json;

#[tokio::test]
async fn the_option_calculator_is_public_and_hand_checked() {
    let (status, body) = post_json(
        "/v1/market/option-calculator",
        &json!({
            "model": "black_scholes", "option_type": "PE", "underlying_price": "100", "strike": "100",
            "time_to_expiry_days": 365, "rate_pct": 5, "volatility_pct": 20
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["price"], "5.573526");
    let (status, body) = post_json("/v1/market/option-calculator", &json!({"model": "black76"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
