//! The webhook transport against real HTTP on 127.0.0.1: a message arrives with the Standard Webhooks
//! headers; a 500 is a retryable failure; redirects are not followed; and, under the deployments' policy,
//! private, loopback and metadata targets are refused before anything is sent, including a public-looking
//! name that resolves to 127.0.0.1 at send time (DNS rebinding).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use tradesense_adapters::webhooks::{HttpWebhookTransport, Resolver};
use tradesense_domain::alerts::ports::WebhookTransport;
use tradesense_domain::alerts::webhook::{SendOutcome, SignedMessage, UrlPolicy};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A resolver answering from a fixed table, as an attacker's DNS might.
struct FixedDns(HashMap<&'static str, Vec<SocketAddr>>);

#[async_trait]
impl Resolver for FixedDns {
    async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        Ok(self
            .0
            .get(host)
            .map(|a| a.iter().map(|s| SocketAddr::new(s.ip(), port)).collect())
            .unwrap_or_default())
    }
}

fn message() -> SignedMessage {
    SignedMessage {
        id: "msg_01J".into(),
        timestamp: 1_700_000_000,
        signature: "v1,abc=".into(),
        body: r#"{"type":"alert.triggered","data":{}}"#.into(),
    }
}

#[tokio::test]
async fn delivers_with_the_standard_webhooks_headers_and_reports_failures_as_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/ok"))
        .and(header("webhook-id", "msg_01J"))
        .and(header("webhook-timestamp", "1700000000"))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/fail"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    Mock::given(path("/moved"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "http://169.254.169.254/"))
        .mount(&server)
        .await;
    let transport = HttpWebhookTransport::new(UrlPolicy::AlsoLoopbackHttp);
    let send = |p: &str| {
        let url = format!("{}{p}", server.uri());
        let transport = transport.clone();
        async move { transport.send(&url, &message()).await }
    };
    assert_eq!(send("/ok").await, SendOutcome::Delivered { status: 204 });
    let sent = &server.received_requests().await.unwrap()[0];
    // Read whole: the signature holds a comma, which a header matcher would split on.
    assert_eq!(sent.headers.get("webhook-signature").unwrap(), "v1,abc=");
    assert_eq!(sent.body, message().body.as_bytes());
    assert_eq!(
        send("/fail").await,
        SendOutcome::Failed {
            error: "HTTP 500".into(),
            retryable: true
        }
    );
    let moved = send("/moved").await;
    assert!(
        matches!(&moved, SendOutcome::Failed { error, .. } if error.contains("302")),
        "{moved:?}"
    );
}

#[tokio::test]
async fn refuses_private_loopback_and_metadata_targets_even_behind_a_public_looking_name() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let port = server.address().port();
    let dns = FixedDns(HashMap::from([
        (
            "hooks.example.com",
            vec![SocketAddr::from(([127, 0, 0, 1], port))],
        ),
        (
            "mixed.example.com",
            vec![
                SocketAddr::from(([93, 184, 216, 34], port)),
                SocketAddr::from(([10, 1, 2, 3], port)),
            ],
        ),
    ]));
    let production = HttpWebhookTransport::with_resolver(UrlPolicy::PublicHttps, Arc::new(dns));
    for url in [
        format!("https://hooks.example.com:{port}/hook"),
        "https://mixed.example.com/hook".to_owned(),
        "https://10.0.0.5/hook".to_owned(),
        "https://169.254.169.254/latest/meta-data/".to_owned(),
        format!("http://127.0.0.1:{port}/hook"),
        "https://localhost/hook".to_owned(),
    ] {
        match production.send(&url, &message()).await {
            SendOutcome::Failed { error, retryable } => {
                assert!(!retryable, "{url}: a refusal is final");
                assert!(error.starts_with("refused"), "{url}: {error}");
            }
            other => panic!("{url} was not refused: {other:?}"),
        }
    }
    // The local setting allows exactly http://127.0.0.1, and still not a name resolving there.
    let local = HttpWebhookTransport::with_resolver(
        UrlPolicy::AlsoLoopbackHttp,
        Arc::new(FixedDns(HashMap::from([(
            "hooks.example.com",
            vec![SocketAddr::from(([127, 0, 0, 1], port))],
        )]))),
    );
    let refused = local
        .send(&format!("https://hooks.example.com:{port}/hook"), &message())
        .await;
    assert!(
        matches!(refused, SendOutcome::Failed { retryable: false, .. }),
        "{refused:?}"
    );
}
