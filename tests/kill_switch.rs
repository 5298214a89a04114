//! The platform kill switch end to end, in its own local stack (its own test binary), because while it is on
//! it halts order entry for every account and would disturb the order tests running beside it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

#[allow(dead_code)] // the shared helpers, of which this binary uses a few
#[path = "api/helpers.rs"]
mod helpers;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tradesense_domain::identity::rbac::Role;

use helpers::{post_json_with_token, stack};

fn order() -> Value {
    json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 1, "order_type": "LIMIT",
        "product": "DELIVERY", "price": "1200.00"})
}

#[tokio::test]
async fn only_an_admin_halts_order_entry_and_resuming_lets_orders_in_again() {
    let admin = stack().login_as(Role::Admin).await;
    let trader = stack().login_as(Role::Trader).await;
    let flip = |token: String, body: Value| async move {
        post_json_with_token("/v1/admin/kill-switch", &token, &body).await
    };

    for token in [&trader, &stack().login_as(Role::Viewer).await] {
        let (status, _) = flip(token.clone(), json!({"enabled": true, "reason": "drill"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    for (bad, expected) in [
        (json!({"enabled": true}), StatusCode::BAD_REQUEST),
        (
            json!({"enabled": true, "reason": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"enabled": "yes", "reason": "x"}), StatusCode::BAD_REQUEST),
    ] {
        let (status, body) = flip(admin.clone(), bad.clone()).await;
        assert_eq!(status, expected, "{bad}: {body}");
    }
    let (status, _) = post_json_with_token("/v1/orders", &trader, &order()).await;
    assert_eq!(status, StatusCode::CREATED, "refused flips changed nothing");

    let (status, body) = flip(
        admin.clone(),
        json!({"enabled": true, "reason": "exchange outage"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["enabled"], true);
    let (status, refused) = post_json_with_token("/v1/orders", &trader, &order()).await;
    assert_eq!(status, StatusCode::LOCKED, "{refused}");
    assert_eq!(refused["error"]["code"], "KILL_SWITCH_ACTIVE");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("exchange outage")
    );
    let metrics: Value = helpers::get_with_token("/v1/admin/metrics", &admin)
        .await
        .json()
        .await
        .unwrap();
    let switch = &metrics["kill_switch"];
    assert_eq!(
        (switch["enabled"].as_bool(), switch["reason"].as_str()),
        (Some(true), Some("exchange outage"))
    );
    assert!(
        switch["changed_by"].is_string() && switch["changed_at"].is_string(),
        "{switch}"
    );

    let (status, body) = flip(
        admin.clone(),
        json!({"enabled": false, "reason": "exchange back"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = post_json_with_token("/v1/orders", &trader, &order()).await;
    assert_eq!(status, StatusCode::CREATED);
}
