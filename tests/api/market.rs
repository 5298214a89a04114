//! Market data over HTTP through the local stack.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{get_with_token, post_json, stack};

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

use chrono::{Days, TimeZone};
use rust_decimal::Decimal;
use serde_json::Value;
use tradesense_domain::identity::rbac::Role;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::instrument::Exchange;

async fn get(path: &str) -> (StatusCode, Value) {
    let token = stack().login_as(Role::Viewer).await;
    let response = get_with_token(path, &token).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn market_routes_need_a_session() {
    for path in [
        "/v1/market/instruments?q=REL",
        "/v1/market/quotes?instruments=NSE:INFY",
        "/v1/market/status",
    ] {
        let response = crate::helpers::client()
            .get(stack().url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn instrument_search_finds_by_prefix_and_filters() {
    let (status, body) = get("/v1/market/instruments?q=reli").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = &body["items"][0];
    assert_eq!(first["instrument"], "NSE:RELIANCE");
    assert_eq!(
        (first["segment"].as_str(), first["lot_size"].as_u64()),
        (Some("EQ"), Some(1))
    );
    assert_eq!(first["tick_size"], "0.10");
    let (_, futures) = get("/v1/market/instruments?q=BANKNIFTY&exchange=NFO&segment=FUT").await;
    let items = futures["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|i| i["lot_size"] == 30));
    for bad in ["", "?q=", "?q=x&limit=0", "?q=x&segment=SWAP", "?q=x&surprise=1"] {
        let (status, _) = get(&format!("/v1/market/instruments{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn quotes_are_on_tick_with_a_spread_and_unknown_keys_are_named() {
    let (_, chain) = get("/v1/market/option-chain/NSE:NIFTY").await;
    let option = chain["items"][50]["call"]["instrument"]
        .as_str()
        .unwrap()
        .to_owned();
    let keys = format!("NSE:RELIANCE,NSE:NIFTY,{option}");
    let (status, body) = get(&format!("/v1/market/quotes?instruments={keys}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let reliance = &body["quotes"]["NSE:RELIANCE"];
    assert!(dec(&reliance["bid"]) < dec(&reliance["ask"]));
    assert_eq!(dec(&reliance["last_price"]) % Decimal::new(10, 2), Decimal::ZERO);
    assert_eq!(
        dec(&reliance["change"]),
        dec(&reliance["last_price"]) - dec(&reliance["close"])
    );
    assert_eq!(
        dec(&body["quotes"][&option]["last_price"]) % Decimal::new(5, 2),
        Decimal::ZERO
    );
    let (status, body) = get("/v1/market/quotes?instruments=NSE:RELIANCE,NSE:NOPE").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("NSE:NOPE")
    );
    let many: Vec<String> = (0..501).map(|i| format!("NSE:X{i}")).collect();
    let (status, _) = get(&format!("/v1/market/quotes?instruments={}", many.join(","))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn candles_follow_the_ist_session() {
    let calendar = MarketCalendar::nse().unwrap();
    let today = crate::helpers::simulated_today();
    let day = calendar.trading_day_at_or_before(Exchange::Nse, today.checked_sub_days(Days::new(1)).unwrap());
    let ist = tradesense_domain::kernel::time::ist();
    let from = ist
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
        .unwrap()
        .to_rfc3339();
    let to = ist
        .from_local_datetime(&day.and_hms_opt(23, 59, 0).unwrap())
        .unwrap()
        .to_rfc3339();
    let query = |interval: &str| {
        format!(
            "/v1/market/candles/NSE:INFY?interval={interval}&from={}&to={}",
            urlencode(&from),
            urlencode(&to)
        )
    };
    let (status, five) = get(&query("5m")).await;
    assert_eq!(status, StatusCode::OK, "{five}");
    let five = five["candles"].as_array().unwrap();
    assert_eq!(five.len(), 75, "09:15–15:30 in 5-minute candles");
    assert!(
        five[0][0].as_str().unwrap().ends_with("03:45:00Z"),
        "09:15 IST: {}",
        five[0][0]
    );
    let (_, hourly) = get(&query("1h")).await;
    assert_eq!(hourly["candles"].as_array().unwrap().len(), 7);
    let (_, daily) = get(&query("1d")).await;
    let daily = daily["candles"].as_array().unwrap();
    assert_eq!(daily.len(), 1);
    assert_eq!(
        daily[0][4],
        five.last().unwrap()[4],
        "the day closes where its last 5m candle closes"
    );
    let (status, _) = get(&format!(
        "/v1/market/candles/NSE:INFY?interval=2m&from={0}&to={0}",
        urlencode(&from)
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get(&query("5m").replace("NSE:INFY", "NSE:NOPE")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Dates are whole IST days: the same session by its date, and `to` defaults to now.
    let (status, by_date) = get(&format!(
        "/v1/market/candles/NSE:INFY?interval=5m&from={day}&to={day}"
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{by_date}");
    assert_eq!(by_date["candles"].as_array().unwrap(), five);
    let (status, up_to_now) = get(&format!("/v1/market/candles/NSE:INFY?interval=1d&from={day}")).await;
    assert_eq!(status, StatusCode::OK, "{up_to_now}");
    assert_eq!(up_to_now["candles"][0], daily[0], "from the day's start to now");
    // Query errors name their parameter in words.
    for (query, field, message) in [
        (
            "interval=1d&from=2026-01-01&to=31-03-2026",
            "to",
            "is neither a date",
        ),
        ("interval=1d&to=2026-03-31", "from", "is required"),
        ("interval=1w&from=2026-01-01", "interval", "is not one of"),
    ] {
        let (status, body) = get(&format!("/v1/market/candles/NSE:INFY?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"]["details"][0]["field"], field, "{query}: {body}");
        let said = body["error"]["details"][0]["message"].as_str().unwrap();
        assert!(said.contains(message), "{query}: {said}");
    }
    let (status, body) = get(&format!(
        "/v1/market/candles/NSE:INFY?interval=1m&from={day}&to=2026-01-01"
    ))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "to");

    // A future's candles come from its underlying's session, on its own tick.
    let (_, futures) = get("/v1/market/instruments?q=NIFTY&exchange=NFO&segment=FUT").await;
    let future = futures["items"][0]["instrument"].as_str().unwrap().to_owned();
    let tick = dec(&futures["items"][0]["tick_size"]);
    let (status, body) = get(&query("15m").replace("NSE:INFY", &future)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let candles = body["candles"].as_array().unwrap();
    assert_eq!(candles.len(), 25, "{future}: 09:15–15:30 in 15-minute candles");
    for c in candles {
        let (low, high) = (dec(&c[3]), dec(&c[2]));
        assert!(low <= dec(&c[1]) && dec(&c[1]) <= high && low <= dec(&c[4]) && dec(&c[4]) <= high);
        assert_eq!(dec(&c[4]) % tick, Decimal::ZERO, "{future} on {tick}");
    }
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn the_option_chain_is_arbitrage_consistent_and_every_strike_has_an_iv_and_greeks() {
    let (status, body) = get("/v1/market/option-chain/NSE:NIFTY").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 101);
    let forward = dec(&body["forward"]);
    // Strikes ascend; calls get cheaper and puts dearer with the strike.
    for pair in items.windows(2) {
        assert!(dec(&pair[0]["strike"]) < dec(&pair[1]["strike"]));
        assert!(dec(&pair[0]["call"]["last_price"]) >= dec(&pair[1]["call"]["last_price"]));
        assert!(dec(&pair[0]["put"]["last_price"]) <= dec(&pair[1]["put"]["last_price"]));
    }
    // Every strike carries an IV and Greeks, and says whose price the IV came from.
    for row in items {
        for side in ["call", "put"] {
            let s = &row[side];
            assert!(s["iv"].as_f64().is_some_and(|iv| iv > 0.0), "{s}");
            for greek in ["delta", "gamma", "theta", "vega"] {
                assert!(s[greek].is_number(), "{greek}: {s}");
            }
            assert!(s["iv_source"] == "self" || s["iv_source"] == "otm", "{s}");
        }
    }
    let atm = items
        .iter()
        .min_by_key(|r| (dec(&r["strike"]) - forward).abs())
        .unwrap();
    let iv = atm["call"]["iv"].as_f64().unwrap();
    assert!((5.0..40.0).contains(&iv), "ATM IV {iv}%");
    assert!(atm["call"]["delta"].as_f64().unwrap() > 0.0 && atm["put"]["delta"].as_f64().unwrap() < 0.0);
    let (status, _) = get("/v1/market/option-chain/NSE:NIFTY?expiry=2020-01-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = get("/v1/market/option-chain/NSE:RELIANCE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn market_status_names_the_session_and_the_next_open_and_close() {
    let (status, body) = get("/v1/market/status").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["exchange"], "NSE");
    let next_open = chrono::DateTime::parse_from_rfc3339(body["next_open"].as_str().unwrap()).unwrap();
    let next_close = chrono::DateTime::parse_from_rfc3339(body["next_close"].as_str().unwrap()).unwrap();
    assert!(next_close > next_open || body["open"] == true);
    assert_eq!(
        next_open
            .with_timezone(&tradesense_domain::kernel::time::ist())
            .format("%H:%M")
            .to_string(),
        "09:15"
    );
    let (_, mcx) = get("/v1/market/status?exchange=MCX").await;
    assert_eq!(mcx["exchange"], "MCX");
    let (status, _) = get("/v1/market/status?exchange=NYSE").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
