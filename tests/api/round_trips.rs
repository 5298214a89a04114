//! Round trips per route: how many AWS calls (DynamoDB, SQS, CloudWatch) each route waits for one after
//! another, after the authorizer. The local gateway reports them on every answer (`x-local-round-trips`, and
//! the calls in `x-local-round-trip-calls`); this test holds each route to the figure in docs/round-trips.md,
//! so a change that adds a sequential round trip fails here. Figures are steady state: a read is measured three times
//! and its lowest count kept, since a warm function re-checks the instrument master once a minute.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{new_trader, send, stack};

/// One answer's status and round trips.
struct Trips {
    status: StatusCode,
    sequential: usize,
    calls: String,
    body: Value,
}

async fn trips(method: Method, path: &str, token: &str, body: Option<&Value>) -> Trips {
    let key = ulid::Ulid::new().to_string();
    let idempotency = (method == Method::POST).then_some(key.as_str());
    let (status, headers, body) = send(method, path, token, body, idempotency).await;
    let header = |name: &str| {
        headers
            .get(name)
            .unwrap_or_else(|| panic!("{path}: the gateway reports {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    Trips {
        status,
        sequential: header("x-local-round-trips").parse().unwrap(),
        calls: header("x-local-round-trip-calls"),
        body,
    }
}

/// The lowest round trips of `times` calls (the `i`th made by `call(i)`), each answered `status`.
async fn lowest<F, Fut>(times: usize, status: StatusCode, mut call: F) -> Trips
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Trips>,
{
    let mut best: Option<Trips> = None;
    for i in 0..times {
        let t = call(i).await;
        assert_eq!(t.status, status, "{}", t.body);
        if best.as_ref().is_none_or(|b| t.sequential < b.sequential) {
            best = Some(t);
        }
    }
    best.unwrap()
}

/// A read's steady-state round trips: the lowest of three.
async fn steady(path: &str, token: &str) -> Trips {
    lowest(3, StatusCode::OK, |_| trips(Method::GET, path, token, None)).await
}

fn expect(route: &str, trips: &Trips, sequential: usize) {
    assert_eq!(
        trips.sequential, sequential,
        "{route}: {} sequential round trips, docs/round-trips.md says {sequential} (calls: {})",
        trips.sequential, trips.calls
    );
}

#[tokio::test]
async fn every_route_makes_the_round_trips_the_table_says() {
    let stack = stack();
    let (trader, token) = new_trader().await;
    let admin = stack
        .login_as(tradesense_domain::identity::rbac::Role::Admin)
        .await;

    // Writes first, so the reads below see a position, working orders and an alert. Each write is made
    // twice (a function's first call may load the instrument master) and its lower count kept.
    let fill = json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 2, "order_type": "MARKET",
        "product": "DELIVERY"});
    let placed = lowest(2, StatusCode::CREATED, |_| {
        trips(Method::POST, "/v1/orders", &token, Some(&fill))
    })
    .await;
    assert_eq!(placed.body["status"], "COMPLETE", "{}", placed.body);
    // Reads at once (claim, kill switch, price, mode, window, paper book), the transaction, the fill's two
    // events at once (the notification's and the push channel's).
    expect("POST /v1/orders (fills)", &placed, 3);
    assert!(
        placed
            .calls
            .ends_with("DynamoDB.TransactWriteItems SQS.SendMessage SQS.SendMessage"),
        "{}",
        placed.calls
    );

    let rest = json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 1, "order_type": "LIMIT",
        "price": "100", "product": "DELIVERY"});
    let mut orders = Vec::new();
    let resting = lowest(2, StatusCode::CREATED, |_| {
        trips(Method::POST, "/v1/orders", &token, Some(&rest))
    })
    .await;
    assert_eq!(resting.body["status"], "OPEN", "{}", resting.body);
    // The same reads, the transaction, the push channel's event.
    expect("POST /v1/orders (rests)", &resting, 3);
    let (_, _, open) = send(Method::GET, "/v1/orders?status=OPEN", &token, None, None).await;
    for o in open["items"].as_array().unwrap() {
        orders.push(o["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(orders.len(), 2, "{open}");

    let modified = lowest(2, StatusCode::OK, |i| {
        let (path, change, token) = (
            format!("/v1/orders/{}", orders[i]),
            json!({"price": "101"}),
            &token,
        );
        async move { trips(Method::PUT, &path, token, Some(&change)).await }
    })
    .await;
    expect("PUT /v1/orders/{id}", &modified, 4);

    let alert = json!({"instrument": "NSE:INFY", "condition": "ABOVE", "target": "99999",
        "channels": ["in_app"], "trigger_mode": "once"});
    let created = lowest(2, StatusCode::CREATED, |_| {
        trips(Method::POST, "/v1/alerts", &token, Some(&alert))
    })
    .await;
    expect("POST /v1/alerts", &created, 1);
    let alert = created.body["id"].as_str().unwrap().to_owned();
    let order = orders[0].clone();

    // The audit search reads GSI1 a UTC day at a time: from today's start, that is one day.
    let today = chrono::Utc::now().format("%Y-%m-%dT00:00:00Z");
    let reads: [(&str, String, &str, usize); 26] = [
        ("GET /v1/auth/me", "/v1/auth/me".into(), &token, 1),
        ("GET /v1/portfolio", "/v1/portfolio".into(), &token, 1),
        ("GET /v1/portfolio/funds", "/v1/portfolio/funds".into(), &token, 1),
        (
            "GET /v1/portfolio/positions",
            "/v1/portfolio/positions".into(),
            &token,
            1,
        ),
        (
            "GET /v1/portfolio/holdings",
            "/v1/portfolio/holdings".into(),
            &token,
            1,
        ),
        ("GET /v1/portfolio/mode", "/v1/portfolio/mode".into(), &token, 1),
        ("GET /v1/orders", "/v1/orders?limit=20".into(), &token, 1),
        ("GET /v1/orders/{id}", format!("/v1/orders/{order}"), &token, 1),
        ("GET /v1/trades", "/v1/trades".into(), &token, 1),
        (
            "GET /v1/market/quotes",
            "/v1/market/quotes?instruments=NSE:INFY,NSE:TCS".into(),
            &token,
            0,
        ),
        ("GET /v1/market/status", "/v1/market/status".into(), &token, 0),
        (
            "GET /v1/market/instruments",
            "/v1/market/instruments?q=INF".into(),
            &token,
            0,
        ),
        (
            "GET /v1/market/option-chain/{underlying}",
            "/v1/market/option-chain/NSE:NIFTY".into(),
            &token,
            0,
        ),
        (
            "GET /v1/market/candles/{instrument}",
            "/v1/market/candles/NSE:INFY?interval=1d&from=2026-11-02&to=2026-11-20".into(),
            &token,
            1,
        ),
        ("GET /v1/alerts", "/v1/alerts".into(), &token, 1),
        ("GET /v1/alerts/{id}", format!("/v1/alerts/{alert}"), &token, 1),
        ("GET /v1/notifications", "/v1/notifications".into(), &token, 1),
        ("GET /v1/webhooks", "/v1/webhooks".into(), &token, 1),
        ("GET /v1/backtests", "/v1/backtests".into(), &token, 1),
        ("GET /v1/admin/health", "/v1/admin/health".into(), &admin, 2),
        (
            "GET /v1/analytics/equity-curve",
            "/v1/analytics/equity-curve".into(),
            &token,
            1,
        ),
        (
            "GET /v1/analytics/performance",
            "/v1/analytics/performance".into(),
            &token,
            1,
        ),
        (
            "GET /v1/analytics/tax-pnl",
            "/v1/analytics/tax-pnl".into(),
            &token,
            1,
        ),
        (
            "GET /v1/analytics/trades",
            "/v1/analytics/trades".into(),
            &token,
            1,
        ),
        // One query of the user's events → the search's own audit event sent.
        (
            "GET /v1/admin/audit?user=",
            format!("/v1/admin/audit?user={trader}"),
            &admin,
            2,
        ),
        // One query of the day's partition → the audit event sent.
        (
            "GET /v1/admin/audit, one day",
            format!("/v1/admin/audit?from={today}"),
            &admin,
            2,
        ),
    ];
    for (route, path, caller, sequential) in &reads {
        expect(route, &steady(path, caller).await, *sequential);
    }
    let metrics = steady("/v1/admin/metrics?window=5m", &admin).await;
    // CloudWatch (every function and queue in one call), each queue and dead-letter queue, and the kill switch,
    // all at once; then the read's audit event.
    expect("GET /v1/admin/metrics", &metrics, 2);
    assert_eq!(
        metrics.calls.matches("CloudWatch.GetMetricData").count(),
        1,
        "{}",
        metrics.calls
    );
    let unread = steady("/v1/notifications?unread=true", &token).await;
    // The read-all watermark filters the unread query, so it is read first.
    expect("GET /v1/notifications?unread=true", &unread, 2);

    let cancelled = lowest(2, StatusCode::OK, |i| {
        let (path, token) = (format!("/v1/orders/{}", orders[i]), &token);
        async move { trips(Method::DELETE, &path, token, None).await }
    })
    .await;
    expect("DELETE /v1/orders/{id}", &cancelled, 3);

    let ticket = trips(Method::POST, "/v1/stream/ticket", &token, None).await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{}", ticket.body);
    // The ticket's hash, written once.
    expect("POST /v1/stream/ticket", &ticket, 1);
}

#[tokio::test]
async fn every_strategies_route_makes_the_round_trips_the_table_says() {
    let (_, token) = new_trader().await;
    let condor = json!({"template": "iron_condor", "params": {"underlying": "NSE:NIFTY"}});
    let analyzed = lowest(2, StatusCode::OK, |_| {
        trips(Method::POST, "/v1/strategies/analyze", &token, Some(&condor))
    })
    .await;
    // Chains, prices and the analysis are computed in process.
    expect("POST /v1/strategies/analyze", &analyzed, 0);

    let mut save = condor.clone();
    save["name"] = "round trips".into();
    let saved = lowest(2, StatusCode::CREATED, |_| {
        trips(Method::POST, "/v1/strategies", &token, Some(&save))
    })
    .await;
    // The strategy and its owner's count in one transaction (the analysis is in process).
    expect("POST /v1/strategies", &saved, 1);
    let id = saved.body["id"].as_str().unwrap().to_owned();

    let executed = trips(
        Method::POST,
        &format!("/v1/strategies/{id}/execute"),
        &token,
        None,
    )
    .await;
    assert_eq!(executed.status, StatusCode::CREATED, "{}", executed.body);
    // The strategy → reads at once (claim, kill switch, mode, window, account, positions, working orders)
    // → `TransactWriteItems` → the legs' events at once → the execution recorded.
    expect("POST /v1/strategies/{id}/execute", &executed, 5);

    let legs = json!({"legs": [{"instrument": executed.body["legs"][0]["order"]["instrument"],
        "side": "BUY", "quantity": 65}]});
    let basket = trips(Method::POST, "/v1/strategies/execute", &token, Some(&legs)).await;
    assert_eq!(basket.status, StatusCode::CREATED, "{}", basket.body);
    expect("POST /v1/strategies/execute", &basket, 3);

    for (route, path, sequential) in [
        (
            "GET /v1/strategies/templates",
            "/v1/strategies/templates".to_owned(),
            0,
        ),
        ("GET /v1/strategies", "/v1/strategies".to_owned(), 1),
        ("GET /v1/strategies/{id}", format!("/v1/strategies/{id}"), 1),
    ] {
        expect(route, &steady(&path, &token).await, sequential);
    }
    let deleted = trips(Method::DELETE, &format!("/v1/strategies/{id}"), &token, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    expect("DELETE /v1/strategies/{id}", &deleted, 1);
}
