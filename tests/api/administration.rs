//! Role changes and disabling through `PATCH /v1/admin/users/{id}`: effective on the user's next request,
//! audited, admin-only; and RBAC on the order route (a viewer can never trade).

use aws_sdk_dynamodb::types::AttributeValue;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tradesense_domain::identity::rbac::Role;

use crate::helpers::{
    PASSWORD, client, eventually, get_with_token, post_json, register, send, stack, unique_email,
};

struct Registered {
    id: String,
    email: String,
    access: String,
}

async fn trader() -> Registered {
    let email = unique_email();
    let id = register(&email).await["user"]["id"].as_str().unwrap().to_owned();
    let (status, tokens) = post_json("/v1/auth/login", &json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK);
    Registered {
        id,
        email,
        access: tokens["access_token"].as_str().unwrap().to_owned(),
    }
}

async fn patch_user(token: &str, id: &str, body: &Value) -> (StatusCode, Value) {
    let response = client()
        .patch(stack().url(&format!("/v1/admin/users/{id}")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn place_order(token: &str) -> StatusCode {
    client()
        .post(stack().url("/v1/orders"))
        .bearer_auth(token)
        .json(
            &json!({"instrument": "NSE:INFY", "side": "BUY", "quantity": 1, "order_type": "LIMIT",
            "product": "DELIVERY", "price": "1200.00"}),
        )
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_viewer_can_never_place_an_order() {
    let viewer = stack().login_as(Role::Viewer).await;
    assert_eq!(place_order(&viewer).await, StatusCode::FORBIDDEN);
    let trader = stack().login_as(Role::Trader).await;
    assert_eq!(place_order(&trader).await, StatusCode::CREATED);
}

#[tokio::test]
async fn a_demotion_applies_to_the_users_live_token_at_once_and_is_audited() {
    let admin = stack().login_as(Role::Admin).await;
    let user = trader().await;
    let (status, body) = patch_user(&admin, &user.id, &json!({"roles": ["viewer"]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["roles"], json!(["viewer"]));
    assert_eq!(
        place_order(&user.access).await,
        StatusCode::FORBIDDEN,
        "same token, now a viewer"
    );
    let me: Value = get_with_token("/v1/auth/me", &user.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"], json!(["viewer"]));

    let aws = stack().aws().await;
    let kinds = eventually("the role change in the audit log", || {
        let aws = aws.clone();
        let pk = format!("USER#{}", user.id);
        async move {
            let items = aws
                .dynamodb
                .query()
                .table_name(&stack().table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :audit)")
                .expression_attribute_values(":pk", AttributeValue::S(pk))
                .expression_attribute_values(":audit", AttributeValue::S("AUDIT#".into()))
                .send()
                .await
                .ok()?
                .items?;
            let kinds: Vec<String> = items
                .iter()
                .filter_map(|i| i["kind"].as_s().ok().cloned())
                .collect();
            kinds.contains(&"ROLE_CHANGED".to_owned()).then_some(kinds)
        }
    })
    .await;
    assert!(kinds.contains(&"LOGIN_SUCCEEDED".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn disabling_kills_live_tokens_and_logins_until_re_enabled() {
    let admin = stack().login_as(Role::Admin).await;
    let user = trader().await;
    let (status, _) = patch_user(&admin, &user.id, &json!({"disabled": true})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        get_with_token("/v1/auth/me", &user.access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = post_json(
        "/v1/auth/login",
        &json!({"email": user.email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = patch_user(&admin, &user.id, &json!({"disabled": false})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post_json(
        "/v1/auth/login",
        &json!({"email": user.email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn only_admins_change_access_and_never_their_own_or_into_nonsense() {
    let user = trader().await;
    let other = trader().await;
    for token in [stack().login_as(Role::Viewer).await, user.access.clone()] {
        let (status, _) = patch_user(&token, &other.id, &json!({"roles": ["admin"]})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "role escalation by a non-admin");
    }
    let admin = stack().login_as(Role::Admin).await;
    let admin_id = get_with_token("/v1/auth/me", &admin)
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = patch_user(&admin, &admin_id, &json!({"disabled": true})).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "an admin cannot lock themselves out"
    );
    let unknown = ulid::Ulid::new().to_string();
    for (id, body, expected) in [
        (
            unknown.as_str(),
            json!({"roles": ["viewer"]}),
            StatusCode::NOT_FOUND,
        ),
        (
            "not-a-user-id",
            json!({"roles": ["viewer"]}),
            StatusCode::NOT_FOUND,
        ),
        (
            other.id.as_str(),
            json!({"roles": ["superuser"]}),
            StatusCode::BAD_REQUEST,
        ),
        (
            other.id.as_str(),
            json!({"roles": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (other.id.as_str(), json!({}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            other.id.as_str(),
            json!({"roles": ["viewer"], "is_admin": true}),
            StatusCode::BAD_REQUEST,
        ),
        (
            other.id.as_str(),
            json!({"disabled": "yes"}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, body) = patch_user(&admin, id, &body).await;
        assert_eq!(status, expected, "{id}: {body}");
        assert!(body["error"]["code"].is_string(), "JSON error shape: {body}");
    }
    let me: Value = get_with_token("/v1/auth/me", &other.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"], json!(["trader"]), "refusals changed nothing");
}

#[tokio::test]
async fn an_admin_redrives_each_workers_dead_letter_queue_through_the_gateway() {
    let admin = stack().login_as(Role::Admin).await;
    for queue in ["audit", "backtest", "alert"] {
        let path = format!("/v1/admin/dlq/{queue}/redrive");
        let (status, _, body) = send(reqwest::Method::POST, &path, &admin, None, None).await;
        assert_eq!(status, StatusCode::OK, "{queue}: {body}");
        assert_eq!(body["queue"], queue);
        assert!(body["moved"].is_u64());
    }
    let trader = stack().login_as(Role::Trader).await;
    let (status, _, _) = send(
        reqwest::Method::POST,
        "/v1/admin/dlq/audit/redrive",
        &trader,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_finds_users_by_email_prefix_and_reads_one_account_and_nobody_else_can() {
    let admin = stack().login_as(Role::Admin).await;
    // The demo trader logged in (login_as), so a login is on record once the audit worker stored it.
    let trader = stack().login_as(Role::Trader).await;
    let (status, _, found) = send(
        reqwest::Method::GET,
        "/v1/admin/users?q=TRADER@demo",
        &admin,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{found}");
    assert_eq!(items[0]["email"], "trader@demo.tradesense.in");
    assert!(items[0].get("password_hash").is_none());
    let id = items[0]["id"].as_str().unwrap().to_owned();

    let (status, _, admins) = send(
        reqwest::Method::GET,
        "/v1/admin/users?role=admin&disabled=false",
        &admin,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        admins["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["roles"].as_array().unwrap().contains(&json!("admin")))
    );
    assert!(!admins["items"].as_array().unwrap().is_empty());

    // One user per page: the cursor leads on, in email order.
    let (_, _, first) = send(
        reqwest::Method::GET,
        "/v1/admin/users?q=&limit=1",
        &admin,
        None,
        None,
    )
    .await;
    assert_eq!(
        first["error"]["code"], "VALIDATION_FAILED",
        "an empty prefix is refused: {first}"
    );
    let (_, _, first) = send(
        reqwest::Method::GET,
        "/v1/admin/users?limit=1",
        &admin,
        None,
        None,
    )
    .await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("more than one user")
        .to_owned();
    let (_, _, second) = send(
        reqwest::Method::GET,
        &format!("/v1/admin/users?limit=1&cursor={cursor}"),
        &admin,
        None,
        None,
    )
    .await;
    let email = |page: &Value| page["items"][0]["email"].as_str().unwrap().to_owned();
    assert!(email(&first) < email(&second), "{first} then {second}");

    let account = eventually("the trader's login in the audit log", || {
        let (admin, id) = (admin.clone(), id.clone());
        async move {
            let (status, _, account) = send(
                reqwest::Method::GET,
                &format!("/v1/admin/users/{id}"),
                &admin,
                None,
                None,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{account}");
            account["last_login"].is_string().then_some(account)
        }
    })
    .await;
    assert_eq!(account["email"], "trader@demo.tradesense.in");
    assert_eq!(account["mfa_enabled"], false);
    assert_eq!(account["broker_linked"], false);
    assert!(account["open_orders"].is_u64());

    let (status, _, _) = send(
        reqwest::Method::GET,
        "/v1/admin/users/01JDQ8ZK3M4N5P6Q7R8S9T0XX9",
        &admin,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for path in ["/v1/admin/users".to_owned(), format!("/v1/admin/users/{id}")] {
        let (status, _, _) = send(reqwest::Method::GET, &path, &trader, None, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
}
