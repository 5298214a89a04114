use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, client, get_with_token, login, post_json, register, stack, unique_email};

async fn me_status(token: &str) -> StatusCode {
    get_with_token("/v1/auth/me", token).await.status()
}

fn field_of(body: &Value) -> &str {
    body["error"]["details"][0]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn register_login_me_refresh_round_trip() {
    let email = unique_email();
    let registered = register(&email).await;
    assert_eq!(registered["user"]["email"], email.to_lowercase());
    assert_eq!(registered["user"]["roles"], json!(["trader"]));
    assert!(registered["user"].get("password_hash").is_none());

    let tokens = login(&email.to_uppercase(), PASSWORD).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let access = tokens["access_token"].as_str().unwrap();
    let me: Value = get_with_token("/v1/auth/me", access).await.json().await.unwrap();
    assert_eq!(me["id"], registered["user"]["id"]);
    assert_eq!(me["mfa_enabled"], false);

    let (status, refreshed) = post_json(
        "/v1/auth/refresh",
        &json!({"refresh_token": tokens["refresh_token"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(refreshed["refresh_token"], tokens["refresh_token"]);
    assert_eq!(
        me_status(refreshed["access_token"].as_str().unwrap()).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_revokes_the_whole_family() {
    let email = unique_email();
    register(&email).await;
    let first = login(&email, PASSWORD).await;
    let (_, second) = post_json(
        "/v1/auth/refresh",
        &json!({"refresh_token": first["refresh_token"]}),
    )
    .await;
    let (status, _) = post_json(
        "/v1/auth/refresh",
        &json!({"refresh_token": first["refresh_token"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "spent token");
    let (status, _) = post_json(
        "/v1/auth/refresh",
        &json!({"refresh_token": second["refresh_token"]}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the newest token of the family is dead too"
    );
    assert_eq!(
        me_status(second["access_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logout_kills_the_access_token_on_the_very_next_request() {
    let email = unique_email();
    register(&email).await;
    let tokens = login(&email, PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(me_status(access).await, StatusCode::OK);
    let logout = client()
        .post(stack().url("/v1/auth/logout"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(me_status(access).await, StatusCode::UNAUTHORIZED);
    let (status, _) = post_json(
        "/v1/auth/refresh",
        &json!({"refresh_token": tokens["refresh_token"]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_look_the_same() {
    let email = unique_email();
    register(&email).await;
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("request_id");
        v
    };
    let (s1, unknown) = post_json(
        "/v1/auth/login",
        &json!({"email": unique_email(), "password": PASSWORD}),
    )
    .await;
    let (s2, wrong) = post_json(
        "/v1/auth/login",
        &json!({"email": email, "password": "not-the-password-1"}),
    )
    .await;
    assert_eq!((s1, s2), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(strip(unknown), strip(wrong));
}

#[tokio::test]
async fn the_sixth_attempt_after_five_wrong_passwords_is_locked_out_even_with_the_right_one() {
    let email = unique_email();
    register(&email).await;
    for _ in 0..5 {
        let (status, _) = post_json(
            "/v1/auth/login",
            &json!({"email": email, "password": "wrong-password-42"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = post_json("/v1/auth/login", &json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn registration_refuses_bad_input_with_the_field_named_and_writes_nothing() {
    let email = unique_email();
    // 400 where the body breaks the document (length, types, fields); 422 for rules it states in words.
    const PARSE: StatusCode = StatusCode::BAD_REQUEST;
    const RULE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;
    let cases = [
        (json!({"email": email, "password": "short"}), "password", PARSE),
        (
            json!({"email": email, "password": "password1234"}),
            "password",
            RULE,
        ),
        (
            json!({"email": email, "password": format!("x{}", email.to_lowercase())}),
            "password",
            RULE,
        ),
        (
            json!({"email": "not-an-email", "password": PASSWORD}),
            "email",
            RULE,
        ),
        (
            json!({"email": email, "password": PASSWORD, "role": "admin"}),
            "role",
            PARSE,
        ),
        (
            json!({"email": email, "password": 123_456_789_012_u64}),
            "password",
            PARSE,
        ),
        (json!({"email": email}), "$", PARSE),
        (
            json!({"email": email, "password": PASSWORD, "display_name": "x".repeat(81)}),
            "display_name",
            RULE,
        ),
    ];
    for (body, field, expected) in cases {
        let (status, error) = post_json("/v1/auth/register", &body).await;
        assert_eq!(status, expected, "{body}: {error}");
        assert_eq!(error["error"]["code"], "VALIDATION_FAILED");
        let named = field_of(&error);
        assert!(
            named == field || error["error"]["message"].as_str().unwrap().contains(field),
            "{body}: {error}"
        );
    }
    let (status, _) = post_json("/v1/auth/login", &json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "no account was created by a refused request"
    );
}

#[tokio::test]
async fn malformed_oversized_and_non_json_bodies_are_refused_cleanly() {
    let send = |body: Vec<u8>, content_type: &'static str| {
        client()
            .post(stack().url("/v1/auth/login"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let malformed = send(b"{\"email\": ".to_vec(), "application/json").await.unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(field_of(&body), "$");
    let form = send(
        b"email=a&password=b".to_vec(),
        "application/x-www-form-urlencoded",
    )
    .await
    .unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = send(vec![b' '; 70_000], "application/json").await.unwrap();
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    for hostile in [
        json!({"email": "a@b.in\u{0}", "password": "x"}),
        json!({"email": "' OR 1=1 --", "password": "x"}),
    ] {
        let (status, _) = post_json("/v1/auth/login", &hostile).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{hostile}");
    }
    for garbage in ["", "x.y.z", &"a".repeat(5_000)] {
        let (status, _) = post_json("/v1/auth/refresh", &json!({"refresh_token": garbage})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_taken_email_is_409_in_any_case() {
    let email = unique_email();
    register(&email).await;
    let (status, body) = post_json(
        "/v1/auth/register",
        &json!({"email": email.to_uppercase(), "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "CONFLICT");
}

#[tokio::test]
async fn a_new_trader_cannot_reach_admin_routes() {
    let email = unique_email();
    register(&email).await;
    let token = login(&email, PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        get_with_token("/v1/admin/health", &token).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn logins_are_limited_per_source_address_with_rate_limit_headers() {
    let one_address = client();
    let attempt = json!({"email": unique_email(), "password": PASSWORD});
    let mut remaining = Vec::new();
    // Twenty fit in a minute's window; a window boundary mid-test can allow twenty more, never more.
    for _ in 0..41 {
        let response = one_address
            .post(stack().url("/v1/auth/login"))
            .json(&attempt)
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry_after: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&retry_after));
            assert_eq!(response.headers()["x-ratelimit-remaining"], "0");
            assert!(
                remaining.contains(&0),
                "the refusal follows the twentieth: {remaining:?}"
            );
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "RATE_LIMITED");
            let (status, _) = post_json("/v1/auth/login", &attempt).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "another address is not limited");
            return;
        }
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()["x-ratelimit-limit"], "20");
        remaining.push(
            response.headers()["x-ratelimit-remaining"]
                .to_str()
                .unwrap()
                .parse::<u32>()
                .unwrap(),
        );
    }
    panic!("never rate limited: {remaining:?}");
}

#[tokio::test]
async fn a_login_lands_in_the_audit_log_through_the_queue_and_worker() {
    let email = unique_email();
    let user_id = register(&email).await["user"]["id"].as_str().unwrap().to_owned();
    login(&email, PASSWORD).await;
    let aws = stack().aws().await;
    let kinds = crate::helpers::eventually("the login audit event", || {
        let aws = aws.clone();
        let pk = format!("USER#{user_id}");
        async move {
            let out = aws
                .dynamodb
                .query()
                .table_name(&stack().table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :audit)")
                .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(pk))
                .expression_attribute_values(
                    ":audit",
                    aws_sdk_dynamodb::types::AttributeValue::S("AUDIT#".into()),
                )
                .send()
                .await
                .ok()?;
            let kinds: Vec<String> = out
                .items?
                .iter()
                .filter_map(|i| i.get("kind")?.as_s().ok().cloned())
                .collect();
            (!kinds.is_empty()).then_some(kinds)
        }
    })
    .await;
    assert_eq!(kinds, ["LOGIN_SUCCEEDED"]);
}
