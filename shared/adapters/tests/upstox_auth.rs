//! The Upstox login client against a wiremock server speaking Upstox's documented JSON.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use tradesense_adapters::upstox::{UpstoxApp, UpstoxAuthClient};
use tradesense_domain::broker::link::BrokerAuthError;
use tradesense_domain::broker::ports::BrokerAuthorization;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn app() -> UpstoxApp {
    UpstoxApp {
        client_id: "615b1297-d443-4b4e-9e6b-c7a2e2f1a9b1".into(),
        client_secret: "s3cr3t".into(),
        redirect_uri: "https://api.tradesense.in/v1/auth/broker/upstox/callback".into(),
    }
}

/// Upstox's documented success body for the token exchange.
fn token_body() -> serde_json::Value {
    json!({
        "email": "asha@example.in",
        "exchanges": ["NSE", "NFO", "BSE", "CDS", "BFO", "BCD"],
        "products": ["D", "CO", "I"],
        "broker": "UPSTOX",
        "user_id": "AB1234",
        "user_name": "Asha",
        "order_types": ["MARKET", "LIMIT", "SL", "SL-M"],
        "user_type": "individual",
        "poa": false,
        "ddpi": false,
        "is_active": true,
        "access_token": "eyJ0eXAiOiJKV1QiLCJrZXlfaWQiOiJza192MS4wIiwiYWxnIjoiSFMyNTYifQ.e30.sig",
        "extended_token": null
    })
}

#[tokio::test]
async fn exchanges_a_code_with_the_documented_form_and_reads_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/login/authorization/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("accept", "application/json"))
        .and(body_string_contains("code=auth-code-1"))
        .and(body_string_contains(
            "client_id=615b1297-d443-4b4e-9e6b-c7a2e2f1a9b1",
        ))
        .and(body_string_contains("client_secret=s3cr3t"))
        .and(body_string_contains(
            "redirect_uri=https%3A%2F%2Fapi.tradesense.in%2Fv1%2Fauth%2Fbroker%2Fupstox%2Fcallback",
        ))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body()))
        .expect(1)
        .mount(&server)
        .await;
    let client = UpstoxAuthClient::new(&server.uri(), app()).unwrap();
    let grant = client.exchange_code("auth-code-1").await.unwrap();
    assert_eq!(grant.broker_user_id, "AB1234");
    assert!(grant.access_token.0.starts_with("eyJ0eXAi"));
    assert!(
        !format!("{grant:?}").contains("eyJ0eXAi"),
        "the token never reaches a log"
    );
}

#[tokio::test]
async fn a_refused_code_is_a_rejection_with_upstoxs_message() {
    let server = MockServer::start().await;
    let error = json!({"status": "error", "errors": [{
        "errorCode": "UDAPI100057", "message": "Invalid Auth code", "propertyPath": null,
        "invalidValue": null, "error_code": "UDAPI100057", "property_path": null, "invalid_value": null
    }]});
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(error))
        .mount(&server)
        .await;
    let client = UpstoxAuthClient::new(&server.uri(), app()).unwrap();
    let refused = client.exchange_code("used-code").await.unwrap_err();
    assert!(matches!(refused, BrokerAuthError::Rejected(m) if m == "Invalid Auth code (UDAPI100057)"));
}

#[tokio::test]
async fn outages_throttling_and_garbage_are_unavailable_and_never_retried() {
    for response in [
        ResponseTemplate::new(500).set_body_string("upstream"),
        ResponseTemplate::new(503),
        ResponseTemplate::new(429).set_body_json(json!({"status": "error", "errors": []})),
        ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
        let client = UpstoxAuthClient::new(&server.uri(), app()).unwrap();
        assert!(matches!(
            client.exchange_code("c").await,
            Err(BrokerAuthError::Unavailable(_))
        ));
    }
}

#[tokio::test]
async fn an_unreachable_upstox_is_unavailable() {
    // A port nothing listens on (bound then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = UpstoxAuthClient::new(&format!("http://127.0.0.1:{port}"), app()).unwrap();
    assert!(matches!(
        client.exchange_code("c").await,
        Err(BrokerAuthError::Unavailable(_))
    ));
}

#[tokio::test]
async fn the_authorize_url_carries_the_app_and_an_encoded_state() {
    let client = UpstoxAuthClient::new("https://api.upstox.com/", app()).unwrap();
    assert_eq!(
        client.authorize_url("a.b+c").await.unwrap(),
        "https://api.upstox.com/v2/login/authorization/dialog?response_type=code\
         &client_id=615b1297-d443-4b4e-9e6b-c7a2e2f1a9b1\
         &redirect_uri=https%3A%2F%2Fapi.tradesense.in%2Fv1%2Fauth%2Fbroker%2Fupstox%2Fcallback&state=a.b%2Bc"
    );
}
