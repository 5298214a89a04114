//! Strategies over HTTP through the local stack: a demo trader picks a template, reads its payoff,
//! breakevens and Greeks, saves it, executes it as a basket on paper (its hedged margin blocked, once per
//! `Idempotency-Key`) and reads its mark to market; a basket one leg beyond the funds places nothing; a
//! single leg's Greeks agree with the option calculator; the NIFTY chain has no strike without Greeks;
//! viewers cannot save or execute and other accounts' strategies are 404. The stack's market clock starts
//! on a Wednesday at 11:00 IST, so the market is open.

use std::str::FromStr;

use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tradesense_domain::identity::rbac::Role;

use crate::helpers::{get_with_token, new_trader, send, stack};

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a decimal string: {v}"))).unwrap()
}

async fn funds(token: &str) -> Value {
    let response = get_with_token("/v1/portfolio/funds", token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn call(
    method: Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
    key: Option<&str>,
) -> (StatusCode, Value) {
    let (status, _, body) = send(method, path, token, body, key).await;
    (status, body)
}

fn condor() -> Value {
    json!({"template": "iron_condor", "params": {"underlying": "NSE:NIFTY", "expiry": "near"}})
}

#[tokio::test]
async fn a_trader_analyses_saves_executes_a_condor_as_one_basket_and_reads_its_mark_to_market() {
    let (_, token) = new_trader().await;
    let (status, analysis) = call(
        Method::POST,
        "/v1/strategies/analyze",
        &token,
        Some(&condor()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{analysis}");
    assert_eq!(analysis["legs"].as_array().unwrap().len(), 4);
    assert_eq!(analysis["net_premium"]["kind"], "credit");
    // A condor's loss is capped: its margin is its maximum loss, far below the naked short legs'.
    let margin = &analysis["margin_estimate"];
    assert!(dec(&margin["total"]) < dec(&margin["naked"]), "{margin}");
    assert_eq!(analysis["breakevens"].as_array().unwrap().len(), 2);
    assert_ne!(analysis["max_loss"], "unlimited");

    let mut save = condor();
    save["name"] = "Wednesday condor".into();
    let (status, saved) = call(Method::POST, "/v1/strategies", &token, Some(&save), None).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let id = saved["id"].as_str().unwrap();
    let before = funds(&token).await;

    let execute = format!("/v1/strategies/{id}/execute");
    let (status, executed) = call(Method::POST, &execute, &token, None, Some("condor-1")).await;
    assert_eq!(status, StatusCode::CREATED, "{executed}");
    assert_eq!(executed["complete"], true);
    let legs = executed["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 4);
    // Buy legs go first.
    assert_eq!(legs[0]["order"]["side"], "BUY");
    assert_eq!(legs[1]["order"]["side"], "BUY");
    assert!(
        legs.iter()
            .all(|l| l["order"]["status"] == "COMPLETE" && l["order"]["tag"] == "strategy")
    );
    let blocked = dec(&executed["margin_blocked"]);
    let after = funds(&token).await;
    let charges: Decimal = {
        let response = get_with_token("/v1/trades", &token).await;
        let trades: Value = response.json().await.unwrap();
        trades["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| dec(&t["charges"]["total"]))
            .sum()
    };
    // Available funds fall by the basket's margin and the fills' charges, and by nothing else.
    assert_eq!(
        dec(&before["margin_available"]) - dec(&after["margin_available"]),
        blocked + charges
    );

    let (status, again) = call(Method::POST, &execute, &token, None, Some("condor-1")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["replayed"], true);
    let ids = |v: &Value| -> Vec<Value> {
        v["legs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["order"]["id"].clone())
            .collect()
    };
    assert_eq!(ids(&again), ids(&executed));
    assert_eq!(funds(&token).await["margin_available"], after["margin_available"]);
    let (status, refused) = call(Method::POST, &execute, &token, None, Some("condor-2")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");

    let (status, read) = call(Method::GET, &format!("/v1/strategies/{id}"), &token, None, None).await;
    assert_eq!(status, StatusCode::OK);
    let execution = &read["execution"];
    let mut total = Decimal::ZERO;
    for leg in execution["legs"].as_array().unwrap() {
        let units = Decimal::from(leg["quantity"].as_i64().unwrap());
        let per_unit = dec(&leg["last_price"]) - dec(&leg["entry_price"]);
        let signed = if leg["side"] == "BUY" { per_unit } else { -per_unit };
        assert_eq!(dec(&leg["pnl"]), signed * units, "{leg}");
        total += dec(&leg["pnl"]);
    }
    assert_eq!(dec(&execution["pnl"]), total);
}

#[tokio::test]
async fn a_basket_one_leg_beyond_the_funds_places_nothing_and_names_the_leg() {
    let (_, token) = new_trader().await;
    let (_, chain) = call(
        Method::GET,
        "/v1/market/option-chain/NSE:NIFTY",
        &token,
        None,
        None,
    )
    .await;
    let row = &chain["items"][50];
    // Three lots of a short straddle: each naked leg blocks about 12% of 195 × 26,000 ≈ ₹6 lakh.
    let legs = json!({"legs": [
        {"instrument": row["call"]["instrument"], "side": "SELL", "quantity": 195},
        {"instrument": row["put"]["instrument"], "side": "SELL", "quantity": 195},
    ]});
    let before = funds(&token).await;
    let (status, error) = call(
        Method::POST,
        "/v1/strategies/execute",
        &token,
        Some(&legs),
        Some("straddle-1"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["code"], "INSUFFICIENT_FUNDS");
    assert_eq!(error["error"]["details"][0]["field"], "legs[1]");
    assert_eq!(funds(&token).await, before);
    let response = get_with_token("/v1/orders", &token).await;
    let orders: Value = response.json().await.unwrap();
    assert_eq!(orders["items"], json!([]));
    let (status, _) = call(Method::POST, "/v1/strategies/execute", &token, Some(&legs), None).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a basket needs an Idempotency-Key"
    );
    let priced = json!({"legs": [{"instrument": row["call"]["instrument"], "side": "BUY", "quantity": 65,
        "price": "100.00"}]});
    let (status, error) = call(
        Method::POST,
        "/v1/strategies/execute",
        &token,
        Some(&priced),
        Some("priced-1"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a basket's legs are market orders: {error}"
    );
}

#[tokio::test]
async fn a_single_legs_greeks_agree_with_the_option_calculator_and_every_strike_has_greeks() {
    let (_, token) = new_trader().await;
    let (_, chain) = call(
        Method::GET,
        "/v1/market/option-chain/NSE:NIFTY",
        &token,
        None,
        None,
    )
    .await;
    for row in chain["items"].as_array().unwrap() {
        for side in [&row["call"], &row["put"]] {
            assert!(side["iv"].as_f64().is_some_and(|iv| iv > 0.0), "{side}");
            assert!(
                side["delta"].is_number() && side["gamma"].is_number() && side["vega"].is_number(),
                "{side}"
            );
        }
    }
    let put = chain["items"][45]["put"]["instrument"].clone();
    let legs = json!({"legs": [{"instrument": put, "side": "BUY", "quantity": 65}]});
    let (status, analysis) = call(Method::POST, "/v1/strategies/analyze", &token, Some(&legs), None).await;
    assert_eq!(status, StatusCode::OK, "{analysis}");
    let leg = &analysis["legs"][0];
    let calculator = json!({
        "model": "black76", "option_type": "PE",
        "underlying_price": format!("{:.4}", leg["forward"].as_f64().unwrap()),
        "strike": leg["strike"], "time_to_expiry_days": leg["days_to_expiry"],
        "rate_pct": 6.5, "volatility_pct": leg["iv"],
    });
    let (status, priced) = call(
        Method::POST,
        "/v1/market/option-calculator",
        &token,
        Some(&calculator),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{priced}");
    for greek in ["delta", "gamma", "theta", "vega"] {
        let (ours, theirs) = (
            leg["greeks"][greek].as_f64().unwrap(),
            priced[greek].as_f64().unwrap(),
        );
        assert!(
            (ours - theirs).abs() <= 1e-5 * theirs.abs().max(1.0),
            "{greek}: {ours} vs {theirs}"
        );
        // The strategy's net Greeks are the leg's × its 65 units.
        let net = analysis["net_greeks"][greek].as_f64().unwrap();
        assert!(
            (net - 65.0 * ours).abs() <= 1e-3 * net.abs().max(1.0),
            "{greek}: {net} vs 65 × {ours}"
        );
    }
}

#[tokio::test]
async fn viewers_cannot_save_or_execute_and_another_accounts_strategy_is_not_found() {
    let viewer = stack().login_as(Role::Viewer).await;
    let (status, _) = call(Method::GET, "/v1/strategies/templates", &viewer, None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        Method::POST,
        "/v1/strategies/analyze",
        &viewer,
        Some(&condor()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut save = condor();
    save["name"] = "not mine to save".into();
    let (status, _) = call(Method::POST, "/v1/strategies", &viewer, Some(&save), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let legs = json!({"legs": [{"instrument": "NFO:NIFTY26D0126000CE", "side": "BUY", "quantity": 65}]});
    let (status, _) = call(
        Method::POST,
        "/v1/strategies/execute",
        &viewer,
        Some(&legs),
        Some("v-1"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, owner) = new_trader().await;
    let (_, other) = new_trader().await;
    let (status, saved) = call(Method::POST, "/v1/strategies", &owner, Some(&save), None).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let path = format!("/v1/strategies/{}", saved["id"].as_str().unwrap());
    for (method, path, key) in [
        (Method::GET, path.clone(), None),
        (Method::DELETE, path.clone(), None),
        (Method::POST, format!("{path}/execute"), Some("x-1")),
    ] {
        let (status, _) = call(method, &path, &other, None, key).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, listed) = call(Method::GET, "/v1/strategies", &other, None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"], json!([]));
    let (status, _) = call(Method::GET, &path, &owner, None, None).await;
    assert_eq!(status, StatusCode::OK);
}
