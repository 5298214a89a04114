//! The `@connections` pusher against a stand-in for API Gateway's management API (wiremock on 127.0.0.1,
//! answering as the API documents: 200 for a delivered post, 204 for a delete, `410 GoneException` for a
//! connection that has closed, which the emulator never answers), and once against the moto emulator.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use tradesense_adapters::AwsClients;
use tradesense_adapters::config::AwsSettings;
use tradesense_adapters::connections::ApiGatewayPusher;
use tradesense_domain::stream::connection::ConnectionId;
use tradesense_domain::stream::ports::{ConnectionPusher as _, PostOutcome};
use wiremock::matchers::{body_string, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn pusher(server: &MockServer) -> ApiGatewayPusher {
    let aws = AwsClients::load(&AwsSettings {
        endpoint_url: Some(server.uri()),
        warm_up_table: None,
    })
    .await;
    ApiGatewayPusher::new(&aws, &format!("{}/v1", server.uri()))
}

fn id(s: &str) -> ConnectionId {
    s.parse().unwrap()
}

fn gone() -> ResponseTemplate {
    ResponseTemplate::new(410)
        .insert_header("x-amzn-errortype", "GoneException")
        .set_body_json(serde_json::json!({"message": null}))
}

#[tokio::test]
async fn a_frame_is_posted_to_the_stage_and_a_closed_connection_reports_gone() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/@connections/open1"))
        .and(body_string(r#"{"type":"pong"}"#))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/@connections/closed1"))
        .respond_with(gone())
        .mount(&server)
        .await;
    let pusher = pusher(&server).await;
    assert_eq!(
        pusher.post(&id("open1"), r#"{"type":"pong"}"#).await.unwrap(),
        PostOutcome::Sent
    );
    assert_eq!(
        pusher.post(&id("closed1"), "{}").await.unwrap(),
        PostOutcome::Gone
    );
}

#[tokio::test]
async fn a_refused_post_is_an_error_naming_the_connection() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).insert_header("x-amzn-errortype", "ForbiddenException"))
        .mount(&server)
        .await;
    let e = pusher(&server).await.post(&id("open1"), "{}").await.unwrap_err();
    assert!(format!("{e:#}").contains("open1"), "{e:#}");
}

#[tokio::test]
async fn a_throttled_post_is_retried_then_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/@connections/open1"))
        .respond_with(ResponseTemplate::new(429).insert_header("x-amzn-errortype", "LimitExceededException"))
        .expect(3)
        .mount(&server)
        .await;
    let e = pusher(&server).await.post(&id("open1"), "{}").await.unwrap_err();
    assert!(format!("{e:#}").contains("open1"), "{e:#}");
}

#[tokio::test]
async fn a_failing_service_is_retried_then_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/@connections/open1"))
        .respond_with(ResponseTemplate::new(500))
        .expect(3)
        .mount(&server)
        .await;
    let e = pusher(&server).await.post(&id("open1"), "{}").await.unwrap_err();
    assert!(format!("{e:#}").contains("open1"), "{e:#}");
}

#[tokio::test]
async fn closing_succeeds_whether_the_connection_was_open_or_already_gone() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/@connections/open1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/@connections/closed1"))
        .respond_with(gone())
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/@connections/forbidden1"))
        .respond_with(ResponseTemplate::new(403).insert_header("x-amzn-errortype", "ForbiddenException"))
        .mount(&server)
        .await;
    let pusher = pusher(&server).await;
    pusher.close(&id("open1")).await.unwrap();
    pusher.close(&id("closed1")).await.unwrap();
    assert!(pusher.close(&id("forbidden1")).await.is_err());
}

/// moto serves `@connections` at its root (no stage path): it takes any connection id.
#[tokio::test]
async fn the_emulator_takes_a_post_and_a_close() {
    let endpoint = tradesense_local::testing::emulator_endpoint();
    let aws = AwsClients::load(&AwsSettings {
        endpoint_url: Some(endpoint.clone()),
        warm_up_table: None,
    })
    .await;
    let pusher = ApiGatewayPusher::new(&aws, &endpoint);
    assert_eq!(
        pusher.post(&id("conn1"), r#"{"type":"pong"}"#).await.unwrap(),
        PostOutcome::Sent
    );
    pusher.close(&id("conn1")).await.unwrap();
}
