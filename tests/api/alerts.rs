//! Alerts end to end on the local stack: a trader registers a webhook (a receiver on 127.0.0.1, allowed
//! only because the local stack says so) and sets an alert the market already meets; the scheduler's
//! minute scan queues it, the alert worker records it once, writes the notification and POSTs a message the
//! receiver verifies with the secret it was given. A market order's fill arrives in the inbox too. Other
//! accounts' ids answer 404, viewers cannot create, and private or metadata URLs are refused.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::Sha256;
use tradesense_domain::identity::rbac::Role;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{eventually_within, get_with_token, new_trader, send, stack};

/// The scan runs once a minute; the first one after the alert is created can be a minute away.
const SCAN_WAIT: Duration = Duration::from_secs(150);

async fn get(path: &str, token: &str) -> (StatusCode, Value) {
    let response = get_with_token(path, token).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn infy_last(token: &str) -> Decimal {
    let (_, body) = get("/v1/market/quotes?instruments=NSE:INFY", token).await;
    body["quotes"]["NSE:INFY"]["last_price"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Verifies a Standard Webhooks signature independently of the platform's code.
fn verify(secret: &str, id: &str, timestamp: &str, body: &[u8], signatures: &str) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    signatures.split(' ').any(|s| s == expected)
}

#[tokio::test]
async fn an_alert_triggers_on_the_scan_notifies_once_and_posts_a_signed_webhook() {
    stack();
    let (_, token) = new_trader().await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let (status, _, hook) = send(
        Method::POST,
        "/v1/webhooks",
        &token,
        Some(&json!({"url": format!("{}/hook", receiver.uri()), "description": "desk"})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let (_, listed) = get("/v1/webhooks", &token).await;
    assert!(
        listed["items"][0].get("secret").is_none(),
        "the secret is shown once"
    );

    // Already above a target well under the price: the next scan triggers it.
    let target = (infy_last(&token).await - Decimal::from(100)).round_dp(0);
    let (status, _, alert) = send(
        Method::POST,
        "/v1/alerts",
        &token,
        Some(
            &json!({"instrument": "NSE:INFY", "condition": "ABOVE", "target": target.to_string(),
            "channels": ["in_app", "webhook"], "webhook_id": hook["id"], "trigger_mode": "once",
            "note": "e2e"}),
        ),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{alert}");
    assert_eq!(alert["status"], "ACTIVE");
    let id = alert["id"].as_str().unwrap().to_owned();

    let inbox = eventually_within("the alert's notification", SCAN_WAIT, || async {
        let (_, body) = get("/v1/notifications?unread=true", &token).await;
        body["items"].as_array().and_then(|items| {
            items
                .iter()
                .find(|n| n["data"]["alert_id"] == id.as_str())
                .cloned()
        })
    })
    .await;
    assert_eq!(inbox["kind"], "alert_triggered");
    assert_eq!(inbox["data"]["instrument"], "NSE:INFY");
    assert_eq!(inbox["data"]["condition"], "ABOVE");
    let price: Decimal = inbox["data"]["price"].as_str().unwrap().parse().unwrap();
    assert!(price >= target, "{price} triggered ABOVE {target}");

    let request = eventually_within("the signed webhook", Duration::from_secs(30), || async {
        receiver
            .received_requests()
            .await
            .and_then(|r| r.into_iter().next())
    })
    .await;
    let header = |name: &str| request.headers.get(name).unwrap().to_str().unwrap().to_owned();
    assert!(verify(
        &secret,
        &header("webhook-id"),
        &header("webhook-timestamp"),
        &request.body,
        &header("webhook-signature"),
    ));
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["type"], "alert.triggered");
    assert_eq!(body["data"]["alert_id"], id.as_str());
    assert_eq!(body["data"]["price"], inbox["data"]["price"]);

    let (_, view) = eventually_within("both deliveries logged", Duration::from_secs(30), || async {
        let (status, view) = get(&format!("/v1/alerts/{id}"), &token).await;
        let done = view["triggers"][0]["deliveries"]
            .as_array()
            .is_some_and(|d| d.len() == 2 && d.iter().all(|d| d["status"] == "DELIVERED"));
        done.then_some((status, view))
    })
    .await;
    assert_eq!(view["status"], "TRIGGERED");
    assert_eq!(view["trigger_count"], 1);
    assert_eq!(view["triggers"].as_array().unwrap().len(), 1, "once: one trigger");

    // Read it; the unread list is then empty of it.
    let note_id = inbox["id"].as_str().unwrap();
    let (status, _, _) = send(
        Method::POST,
        &format!("/v1/notifications/{note_id}/read"),
        &token,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, unread) = get("/v1/notifications?unread=true", &token).await;
    assert!(
        !unread["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == note_id)
    );

    // Another account sees none of it.
    let (_, other) = new_trader().await;
    for (m, p) in [
        (Method::GET, format!("/v1/alerts/{id}")),
        (Method::PATCH, format!("/v1/alerts/{id}")),
        (Method::DELETE, format!("/v1/alerts/{id}")),
        (
            Method::DELETE,
            format!("/v1/webhooks/{}", hook["id"].as_str().unwrap()),
        ),
        (
            Method::POST,
            format!("/v1/webhooks/{}/rotate", hook["id"].as_str().unwrap()),
        ),
        (Method::POST, format!("/v1/notifications/{note_id}/read")),
    ] {
        let body = (m == Method::PATCH).then(|| json!({"status": "PAUSED"}));
        let (status, _, _) = send(m.clone(), &p, &other, body.as_ref(), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{m} {p}");
    }
}

#[tokio::test]
async fn a_fill_lands_in_the_inbox_through_the_queue() {
    stack();
    let (_, token) = new_trader().await;
    let order = json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 2, "order_type": "MARKET",
        "product": "DELIVERY"});
    let (status, _, placed) = send(Method::POST, "/v1/orders", &token, Some(&order), None).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let id = placed["id"].as_str().unwrap().to_owned();
    let note = eventually_within("the fill's notification", Duration::from_secs(30), || async {
        let (_, body) = get("/v1/notifications", &token).await;
        body["items"].as_array().and_then(|items| {
            items
                .iter()
                .find(|n| n["data"]["order_id"] == id.as_str())
                .cloned()
        })
    })
    .await;
    assert_eq!(note["kind"], "order_updated");
    assert_eq!(note["data"]["change"], "filled");
    assert!(
        note["title"]
            .as_str()
            .unwrap()
            .starts_with("BUY 2 NSE:INFY filled at "),
        "{note}"
    );
}

#[tokio::test]
async fn viewers_cannot_create_and_private_or_metadata_urls_are_refused() {
    let viewer = stack().login_as(Role::Viewer).await;
    let alert = json!({"instrument": "NSE:INFY", "condition": "ABOVE", "target": "1600",
        "channels": ["in_app"], "trigger_mode": "once"});
    let (status, _, _) = send(Method::POST, "/v1/alerts", &viewer, Some(&alert), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get("/v1/alerts", &viewer).await;
    assert_eq!(status, StatusCode::OK, "viewers read their alerts");

    let (_, token) = new_trader().await;
    for url in [
        "http://10.0.0.5/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost/hook",
        "http://hooks.example.com/hook",
        "https://[::1]/hook",
    ] {
        let (status, _, body) = send(
            Method::POST,
            "/v1/webhooks",
            &token,
            Some(&json!({"url": url})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert_eq!(body["error"]["details"][0]["field"], "url", "{body}");
    }
    // A tick-misaligned target and an unknown webhook are named, and nothing is stored.
    let bad = json!({"instrument": "NSE:INFY", "condition": "ABOVE", "target": "1600.03",
        "channels": ["webhook"], "webhook_id": "01JDQ8ZK3M4N5P6Q7R8S9T0V1W", "trigger_mode": "once"});
    let (status, _, body) = send(Method::POST, "/v1/alerts", &token, Some(&bad), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["target", "webhook_id"]);
    let (_, list) = get("/v1/alerts", &token).await;
    assert!(list["items"].as_array().unwrap().is_empty());
}
