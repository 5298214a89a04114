//! MFA end to end: enrolment, the login challenge, single-use codes, backup codes, disable, and the
//! per-account limit on code attempts.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use data_encoding::BASE32_NOPAD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tradesense_domain::identity::mfa::{TotpSecret, step_of};

use crate::helpers::{
    PASSWORD, get_with_token, login, post_json, post_json_with_token, register, unique_email,
};

/// A registered user with MFA on.
struct Enrolled {
    email: String,
    access: String,
    secret: TotpSecret,
    backup_codes: Vec<String>,
}

/// The TOTP code for the current step, offset by `steps`.
fn code(secret: &TotpSecret, steps: i64) -> String {
    let step = step_of(chrono::Utc::now()).checked_add_signed(steps).unwrap();
    secret.code_at(step)
}

async fn enrolled() -> Enrolled {
    let email = unique_email();
    register(&email).await;
    let access = login(&email, PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, setup) = post_json_with_token("/v1/auth/mfa/setup", &access, &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    let secret = TotpSecret::from_bytes(
        BASE32_NOPAD
            .decode(setup["secret"].as_str().unwrap().as_bytes())
            .unwrap(),
    );
    assert!(
        setup["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/TradeSense%3Atrader.")
    );
    let png = STANDARD.decode(setup["qr_png_base64"].as_str().unwrap()).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    let (status, wrong) =
        post_json_with_token("/v1/auth/mfa/enable", &access, &json!({"code": "000000"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong}");
    assert_eq!(wrong["error"]["details"][0]["field"], "code");
    // The previous step: still accepted (drift), and leaves the current step for the login that follows.
    let (status, enabled) = post_json_with_token(
        "/v1/auth/mfa/enable",
        &access,
        &json!({"code": code(&secret, -1)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{enabled}");
    let backup_codes: Vec<String> = serde_json::from_value(enabled["backup_codes"].clone()).unwrap();
    assert_eq!(backup_codes.len(), 10);
    Enrolled {
        email,
        access,
        secret,
        backup_codes,
    }
}

async fn challenge_token(email: &str) -> String {
    let body = login(email, PASSWORD).await;
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(
        body.get("access_token").is_none(),
        "no session before the second factor"
    );
    body["mfa_token"].as_str().unwrap().to_owned()
}

async fn answer(mfa_token: &str, code: &str) -> (StatusCode, Value) {
    post_json(
        "/v1/auth/mfa/challenge",
        &json!({"mfa_token": mfa_token, "code": code}),
    )
    .await
}

#[tokio::test]
async fn enrol_then_log_in_with_a_totp_code_that_works_only_once() {
    let user = enrolled().await;
    let me: Value = get_with_token("/v1/auth/me", &user.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["mfa_enabled"], true);

    let token = challenge_token(&user.email).await;
    assert_eq!(
        get_with_token("/v1/auth/me", &token).await.status(),
        StatusCode::UNAUTHORIZED,
        "a challenge token is not an access token"
    );
    let (status, _) = answer(&token, "123456x").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let now_code = code(&user.secret, 0);
    let (status, tokens) = answer(&token, &now_code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        get_with_token("/v1/auth/me", access).await.status(),
        StatusCode::OK
    );

    let (status, replay) = answer(&challenge_token(&user.email).await, &now_code).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "replayed TOTP code: {replay}");
}

#[tokio::test]
async fn a_backup_code_logs_in_once_and_new_codes_kill_the_old_ones() {
    let user = enrolled().await;
    let token = challenge_token(&user.email).await;
    let (status, _) = answer(&token, &user.backup_codes[0]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = answer(&token, &user.backup_codes[0]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "backup code reused");

    let (status, fresh) = post_json_with_token(
        "/v1/auth/mfa/backup-codes",
        &user.access,
        &json!({"code": user.backup_codes[1]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    let (status, _) = answer(&token, &user.backup_codes[2]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "old codes died");
    let (status, _) = answer(&token, fresh["backup_codes"][0].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn disable_needs_the_password_and_a_code() {
    let user = enrolled().await;
    let (status, body) = post_json_with_token(
        "/v1/auth/mfa/disable",
        &user.access,
        &json!({"password": "not-my-password-1", "code": user.backup_codes[0]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["details"][0]["field"], "password");
    let (status, _) = post_json_with_token(
        "/v1/auth/mfa/disable",
        &user.access,
        &json!({"password": PASSWORD, "code": user.backup_codes[0]}),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        login(&user.email, PASSWORD).await["access_token"].is_string(),
        "password alone again"
    );
    let (status, _) = post_json_with_token(
        "/v1/auth/mfa/disable",
        &user.access,
        &json!({"password": PASSWORD, "code": user.backup_codes[1]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "already off");
}

#[tokio::test]
async fn wrong_codes_hit_a_per_account_limit_even_for_the_right_code() {
    let user = enrolled().await;
    let token = challenge_token(&user.email).await;
    // Enrolment spent one wrong attempt (right codes are not counted); four more reach the limit of five. A
    // window boundary mid-test restarts the count, so keep guessing until refused (at most five more).
    let mut wrong = 0;
    while answer(&token, "000000").await.0 == StatusCode::UNAUTHORIZED {
        wrong += 1;
        assert!(wrong <= 9, "never rate limited");
    }
    assert!(wrong >= 4, "refused after {wrong} wrong codes, before the limit");
    let response = crate::helpers::client()
        .post(crate::helpers::stack().url("/v1/auth/mfa/challenge"))
        .json(&json!({"mfa_token": token, "code": code(&user.secret, 0)}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
}

#[tokio::test]
async fn mfa_routes_need_a_session_and_strict_bodies() {
    let (status, _) = post_json("/v1/auth/mfa/setup", &json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let user = enrolled().await;
    let (status, body) =
        post_json_with_token("/v1/auth/mfa/enable", &user.access, &json!({"code": 123456})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = post_json_with_token("/v1/auth/mfa/setup", &user.access, &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "already enabled");
    let (status, body) = post_json(
        "/v1/auth/mfa/challenge",
        &json!({"mfa_token": "x".repeat(5000), "code": "123456", "extra": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "extra");
}
