//! `GET /v1/admin/metrics` on the local stack: requests the functions answer (some refused with a 4xx) show in
//! the admin's metrics under the right function once the stack's metric sink has put them into the emulator's
//! CloudWatch (read back with the same code as in AWS); the worker queues are listed with their depths and
//! the kill switch with its state; admins only. Other tests call the same functions at the same time, so the
//! counts are checked as at least what this test added.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tradesense_domain::identity::rbac::Role;

use crate::helpers::{client, eventually_within, get_with_token, stack};

/// The admin's metrics over `window`.
async fn metrics(token: &str, window: &str) -> (StatusCode, Value) {
    let response = get_with_token(&format!("/v1/admin/metrics?window={window}"), token).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `function`'s entry in a report.
fn function<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["function"] == name)
        .unwrap_or_else(|| panic!("{name} is not in {report}"))
}

fn count(report: &Value, name: &str, field: &str) -> u64 {
    function(report, name)[field].as_u64().unwrap()
}

#[tokio::test]
async fn an_admin_sees_the_requests_each_function_answered_the_queues_and_the_kill_switch() {
    let admin = stack().login_as(Role::Admin).await;
    let trader = stack().login_as(Role::Trader).await;
    let (status, before) = metrics(&admin, "1h").await;
    assert_eq!(status, StatusCode::OK, "{before}");

    // market-api: 3 answered, 2 of them refused (an unknown query parameter); orders-api: 1 malformed body.
    for path in [
        "/v1/market/status",
        "/v1/market/status?bogus=1",
        "/v1/market/status?bogus=2",
    ] {
        get_with_token(path, &trader).await;
    }
    let malformed = client()
        .post(stack().url("/v1/orders"))
        .bearer_auth(&trader)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);

    // The sink puts what arrived every second; reading back waits for it, boundedly.
    let after = eventually_within(
        "the requests in the admin's metrics",
        Duration::from_secs(60),
        || {
            let (admin, before) = (admin.clone(), before.clone());
            async move {
                let (status, after) = metrics(&admin, "1h").await;
                assert_eq!(status, StatusCode::OK, "{after}");
                let grew = |name: &str, field: &str, by: u64| {
                    count(&after, name, field) >= count(&before, name, field) + by
                };
                (grew("market-api", "requests", 3)
                    && grew("market-api", "errors_4xx", 2)
                    && grew("orders-api", "requests", 1)
                    && grew("orders-api", "errors_4xx", 1))
                .then_some(after)
            }
        },
    )
    .await;
    assert_eq!(after["window"], "1h");
    let names: Vec<&str> = after["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["function"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "auth-api",
            "orders-api",
            "portfolio-api",
            "market-api",
            "strategies-api",
            "backtest-api",
            "analytics-api",
            "alerts-api",
            "admin-api",
            "stream-api"
        ]
    );
    let market = function(&after, "market-api");
    let (p50, p95) = (
        market["p50_ms"].as_f64().unwrap(),
        market["p95_ms"].as_f64().unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p95, "{market}");
    assert!(
        count(&after, "admin-api", "requests") >= 1,
        "the first read counted itself"
    );
    assert!(count(&after, "auth-api", "requests") >= 2, "the two logins");

    let queues: Vec<&str> = after["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["queue"].as_str().unwrap())
        .collect();
    assert_eq!(queues, ["audit", "backtest", "alert"]);
    for queue in after["queues"].as_array().unwrap() {
        for field in ["depth", "in_flight", "dlq_depth"] {
            assert!(queue[field].is_u64(), "{queue}");
        }
        assert!(
            queue["oldest_age_seconds"].is_null(),
            "moto publishes no AWS/SQS metrics: {queue}"
        );
    }
    assert_eq!(
        after["kill_switch"]["enabled"], false,
        "only the kill_switch binary flips it"
    );

    let (status, body) = metrics(&admin, "2h").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "window");
    let (status, _) = metrics(&trader, "1h").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
