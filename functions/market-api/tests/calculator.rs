//! The option calculator through the router and the shared conventions: hand-checked values, implied
//! volatility round trips, and a clear 400 for every bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use std::sync::Arc;

use market_api::{MarketState, router};
use serde_json::{Value, json};
use tower::ServiceExt;
use tradesense_domain::testing::{
    FixedClock, InMemoryDailyHistory, InMemoryInstrumentStore, InMemoryQuoteCache,
};
use tradesense_http::{HttpConfig, with_conventions};

async fn calculate(body: &Value) -> (StatusCode, Value) {
    let clock = Arc::new(FixedClock(chrono::Utc::now()));
    let app = with_conventions(
        router(
            MarketState::simulated(
                7,
                Arc::new(InMemoryDailyHistory::default()),
                Arc::new(InMemoryQuoteCache::default()),
                Arc::new(InMemoryInstrumentStore::default()),
                clock,
            )
            .unwrap(),
        ),
        &HttpConfig::default(),
    );
    let request = Request::post("/v1/market/option-calculator")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

/// S = K = 100, T = 365 days, r = 5%, σ = 20%.
fn textbook(option_type: &str) -> Value {
    json!({
        "model": "black_scholes", "option_type": option_type, "underlying_price": "100", "strike": "100",
        "time_to_expiry_days": 365, "rate_pct": 5, "volatility_pct": 20
    })
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| v.as_str().unwrap().parse().unwrap())
}

#[tokio::test]
async fn prices_the_textbook_call_and_put_to_a_millionth() {
    let (status, call) = calculate(&textbook("CE")).await;
    assert_eq!(status, StatusCode::OK, "{call}");
    assert_eq!(call["price"], "10.450584", "a decimal string, 6 places");
    assert!((num(&call["price"]) - 10.450_583_572).abs() < 1e-6);
    assert!((num(&call["delta"]) - 0.636_830_65).abs() < 1e-6);
    assert!((num(&call["gamma"]) - 0.018_762_02).abs() < 1e-6);
    assert!((num(&call["theta"]) - -0.017_572_68).abs() < 1e-6);
    assert!((num(&call["vega"]) - 0.375_240_35).abs() < 1e-6);
    assert!((num(&call["rho"]) - 0.532_324_82).abs() < 1e-6);
    assert!((num(&call["iv_pct"]) - 20.0).abs() < 1e-9);
    let (_, put) = calculate(&textbook("PE")).await;
    assert!((num(&put["price"]) - 5.573_526_022).abs() < 1e-6);
    // Put-call parity: C − P = S − K·e^(−rT) = 100 − 95.122942… = 4.877058
    assert!((num(&call["price"]) - num(&put["price"]) - 4.877_057_549_928_594).abs() < 2e-6);
}

#[tokio::test]
async fn solves_the_implied_volatility_of_a_price() {
    let mut body = textbook("CE");
    body["volatility_pct"] = Value::Null;
    body.as_object_mut().unwrap().remove("volatility_pct");
    body["option_price"] = json!("10.450583572185565");
    let (status, out) = calculate(&body).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert!((num(&out["iv_pct"]) - 20.0).abs() < 1e-5, "{out}");

    let black76 = json!({
        "model": "black76", "option_type": "PE", "underlying_price": "22000", "strike": "22500",
        "time_to_expiry_days": 7, "rate_pct": 6.5, "option_price": "525.643850"
    });
    let (status, out) = calculate(&black76).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert!((num(&out["iv_pct"]) - 14.0).abs() < 1e-4, "{out}");
}

#[tokio::test]
async fn every_bad_input_is_refused_naming_the_field() {
    // 400: the body does not match the document (types, enums, unknown fields); 422: a value out of range.
    const PARSE: StatusCode = StatusCode::BAD_REQUEST;
    const RULE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;
    let cases: Vec<(&str, Value, StatusCode)> = vec![
        ("underlying_price", json!("0"), RULE),
        ("underlying_price", json!("-5"), RULE),
        ("underlying_price", json!("abc"), PARSE),
        ("strike", json!("1e999"), PARSE),
        ("time_to_expiry_days", json!(0), RULE),
        ("time_to_expiry_days", json!(-1), RULE),
        ("time_to_expiry_days", json!(99999), RULE),
        ("rate_pct", json!(80), RULE),
        ("volatility_pct", json!(0), RULE),
        ("volatility_pct", json!(501), RULE),
        ("model", json!("binomial"), PARSE),
        ("option_type", json!("CALL"), PARSE),
        ("dividend_yield_pct", json!(-1), RULE),
        ("surprise", json!(1), PARSE),
    ];
    for (field, value, expected) in cases {
        let mut body = textbook("CE");
        body[field] = value.clone();
        let (status, out) = calculate(&body).await;
        assert_eq!(status, expected, "{field}={value}: {out}");
        assert_eq!(out["error"]["code"], "VALIDATION_FAILED");
        assert_eq!(
            out["error"]["details"][0]["field"], field,
            "{field}={value}: {out}"
        );
    }
}

#[tokio::test]
async fn volatility_and_price_are_exclusive_and_prices_must_be_arbitrage_free() {
    let mut both = textbook("CE");
    both["option_price"] = json!("10");
    let (status, _) = calculate(&both).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut neither = textbook("CE");
    neither.as_object_mut().unwrap().remove("volatility_pct");
    let (status, _) = calculate(&neither).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A call cannot be worth more than the underlying, nor less than its discounted intrinsic value.
    for price in ["150", "0.5"] {
        let mut body = neither.clone();
        body["strike"] = json!("50");
        body["option_price"] = json!(price);
        let (status, out) = calculate(&body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{price}: {out}");
        assert_eq!(out["error"]["details"][0]["field"], "option_price");
    }
    let mut dividend_on_forward = textbook("CE");
    dividend_on_forward["model"] = json!("black76");
    dividend_on_forward["dividend_yield_pct"] = json!(1);
    let (status, out) = calculate(&dividend_on_forward).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(out["error"]["details"][0]["field"], "dividend_yield_pct");
}

#[tokio::test]
async fn inputs_too_extreme_for_finite_greeks_are_refused_not_answered_with_nulls() {
    // Found by the contract fuzzer: valid ranges, but σ√t underflows and gamma becomes 0/0.
    let body = json!({
        "model": "black76", "option_type": "CE", "underlying_price": "5206099.05", "strike": "7764081.71",
        "time_to_expiry_days": 3.0172124672993774e-153, "rate_pct": 2.1546327590725298e-201,
        "volatility_pct": 2.2250738585e-313
    });
    let (status, out) = calculate(&body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["error"]["code"], "VALIDATION_FAILED", "{out}");
}
