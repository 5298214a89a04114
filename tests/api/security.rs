use base64::Engine;
use chrono::Utc;
use reqwest::StatusCode;
use tradesense_domain::identity::rbac::Role;
use tradesense_domain::identity::token::{AccessClaims, SigningKeyMaterial, TokenSigner};

use crate::helpers::{ALLOWED_ORIGIN, client, get_with_token, principal, stack};

async fn deep_health_status(token: &str) -> StatusCode {
    get_with_token("/v1/admin/health", token).await.status()
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[tokio::test]
async fn traders_and_viewers_are_forbidden_from_admin_routes() {
    for role in [Role::Trader, Role::Viewer] {
        assert_eq!(
            deep_health_status(&stack().login_as(role).await).await,
            StatusCode::FORBIDDEN,
            "{role}"
        );
    }
}

#[tokio::test]
async fn forged_expired_and_unsigned_tokens_are_401() {
    let p = principal(&[Role::Admin]);
    let now = Utc::now();
    let forger = SigningKeyMaterial::generate("forger");
    let forged = TokenSigner::new(&forger)
        .unwrap()
        .sign(&AccessClaims::new(p.user_id, p.session_id, p.roles.clone(), now))
        .unwrap();
    let expired = stack().sign(AccessClaims::new(
        p.user_id,
        p.session_id,
        p.roles.clone(),
        now - chrono::Duration::hours(2),
    ));
    let claims =
        serde_json::to_string(&AccessClaims::new(p.user_id, p.session_id, p.roles.clone(), now)).unwrap();
    let alg_none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&claims));
    let mut not_access = AccessClaims::new(p.user_id, p.session_id, p.roles, now);
    not_access.typ = "refresh".into();
    let wrong_type = stack().sign(not_access);
    for token in [forged, expired, alg_none, wrong_type, "garbage".to_owned()] {
        assert_eq!(
            deep_health_status(&token).await,
            StatusCode::UNAUTHORIZED,
            "{token:.30}"
        );
    }
}

#[tokio::test]
async fn cors_allows_only_the_configured_origin() {
    let preflight = |origin: &'static str| {
        client()
            .request(reqwest::Method::OPTIONS, stack().url("/v1/admin/health"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight(ALLOWED_ORIGIN).await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], ALLOWED_ORIGIN);
    assert_eq!(allowed.headers()["access-control-allow-credentials"], "true");
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let response = client()
        .post(stack().url("/v1/health"))
        .header("content-type", "application/json")
        .body(vec![b'a'; 64 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "PAYLOAD_TOO_LARGE");
}
