//! Upstox linking end to end, against a wiremock Upstox: authorize URL with a signed state, the callback
//! exchanging the code, `me` showing the link, unlink; forged states and refused codes link nothing.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{
    UPSTOX_GOOD_CODE, UPSTOX_USED_CODE, callback, client, get_with_token, new_trader, stack, state_for,
};

async fn trader() -> String {
    new_trader().await.1
}

async fn me(access: &str) -> Value {
    get_with_token("/v1/auth/me", access).await.json().await.unwrap()
}

#[tokio::test]
async fn link_show_and_unlink_upstox() {
    let access = trader().await;
    assert_eq!(me(&access).await["broker"], Value::Null);
    let state = state_for(&access).await;
    let (status, linked) = callback(UPSTOX_GOOD_CODE, &state).await;
    assert_eq!(status, StatusCode::OK, "{linked}");
    assert_eq!(linked["broker"]["name"], "upstox");
    assert_eq!(linked["broker"]["linked"], true);
    let expires =
        chrono::DateTime::parse_from_rfc3339(linked["broker"]["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        expires.with_timezone(&chrono::Utc).format("%H:%M").to_string(),
        "22:00",
        "03:30 IST"
    );
    assert_eq!(me(&access).await["broker"], linked["broker"]);

    let response = client()
        .delete(stack().url("/v1/auth/broker/upstox"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&access).await["broker"], Value::Null);
}

#[tokio::test]
async fn a_state_is_bound_to_its_user_and_cannot_be_forged() {
    let asha = trader().await;
    let state = state_for(&asha).await;
    // Tampering with the signed state (say, to point it at another account) breaks the signature.
    let mut forged = state.clone().into_bytes();
    let i = forged.len() / 2;
    forged[i] = if forged[i] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    for bad_state in [forged.as_str(), "", "x.y.z", &asha] {
        let (status, body) = callback(UPSTOX_GOOD_CODE, bad_state).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["details"][0]["field"], "state");
    }
    assert_eq!(me(&asha).await["broker"], Value::Null, "nothing linked");
}

#[tokio::test]
async fn refused_codes_outages_and_bad_queries_link_nothing_and_never_500() {
    let access = trader().await;
    let state = state_for(&access).await;
    let (status, body) = callback(UPSTOX_USED_CODE, &state).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "code");
    assert!(
        body["error"]["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Invalid Auth code")
    );
    let (status, body) = callback("anything-else", &state).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "UNAVAILABLE");
    for query in ["", "?code=x", "?state=y", "?code=x&state=y&admin=true"] {
        let response = client()
            .get(stack().url(&format!("/v1/auth/broker/upstox/callback{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
    }
    assert_eq!(me(&access).await["broker"], Value::Null);
    let response = client()
        .get(stack().url("/v1/auth/broker/upstox/authorize"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
