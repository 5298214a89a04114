use reqwest::StatusCode;
use tradesense_domain::identity::rbac::Role;

use crate::helpers::{client, get_with_token, stack};

#[tokio::test]
async fn shallow_health_is_public_and_carries_the_security_headers() {
    let response = client().get(stack().url("/v1/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let h = response.headers().clone();
    assert_eq!(
        h["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(
        h["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["x-request-id"].len(), 26);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn deep_health_without_credentials_is_401_in_the_error_shape() {
    let response = client()
        .get(stack().url("/v1/admin/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");
    assert_eq!(body["request_id"], request_id);
}

#[tokio::test]
async fn deep_health_for_an_admin_reports_every_dependency_ok() {
    let token = stack().login_as(Role::Admin).await;
    let response = get_with_token("/v1/admin/health", &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let deps = body["dependencies"].as_array().unwrap();
    assert_eq!(
        deps.iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["dynamodb", "sqs", "secretsmanager"]
    );
    assert!(deps.iter().all(|d| d["status"] == "ok"), "{body}");
}

#[tokio::test]
async fn the_openapi_document_is_public_and_lists_the_routes() {
    let doc: serde_json::Value = client()
        .get(stack().url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/v1/admin/health"]["get"].is_object());
}

#[tokio::test]
async fn a_route_the_template_does_not_declare_is_404_even_with_a_token() {
    let token = stack().login_as(Role::Admin).await;
    let response = client()
        .get(stack().url("/v1/no-such-area"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "NOT_FOUND");
}
