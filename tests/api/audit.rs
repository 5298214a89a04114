//! The admin audit search (`GET /v1/admin/audit`): a trader logs in, an admin changes their roles, and the
//! admin finds both events, by user and by type, each with its actor, target, request id and source IP; a
//! trader cannot search.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tradesense_domain::identity::rbac::Role;

use crate::helpers::{
    PASSWORD, client_at, eventually, get_with_token, loopback_address, register, send, stack, unique_email,
};

/// `GET /v1/admin/audit?query` as `token`: status and body.
async fn search(token: &str, query: &str) -> (StatusCode, Value) {
    let (status, _, body) = send(
        Method::GET,
        &format!("/v1/admin/audit?{query}"),
        token,
        None,
        None,
    )
    .await;
    (status, body)
}

/// The events of `page` of `kind`.
fn of_kind<'a>(page: &'a Value, kind: &str) -> Vec<&'a Value> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == kind)
        .collect()
}

#[tokio::test]
async fn an_admin_finds_a_login_and_a_role_change_with_their_actor_target_request_and_ip() {
    let admin = stack().login_as(Role::Admin).await;
    let me: Value = get_with_token("/v1/auth/me", &admin).await.json().await.unwrap();
    let admin_id = me["id"].as_str().unwrap().to_owned();

    // A trader logs in from one address…
    let email = unique_email();
    let trader_id = register(&email).await["user"]["id"].as_str().unwrap().to_owned();
    let trader_ip = loopback_address();
    let login = client_at(trader_ip)
        .post(stack().url("/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let login_request = login.headers()["x-request-id"].to_str().unwrap().to_owned();

    // …and an admin makes them a viewer from another.
    let admin_ip = loopback_address();
    let change = client_at(admin_ip)
        .patch(stack().url(&format!("/v1/admin/users/{trader_id}")))
        .bearer_auth(&admin)
        .json(&json!({"roles": ["viewer"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(change.status(), StatusCode::OK);
    let change_request = change.headers()["x-request-id"].to_str().unwrap().to_owned();

    // By user: both, newest first, once the audit worker has stored them.
    let by_user = format!("user={trader_id}");
    let page = eventually("the login and the role change in the audit log", || {
        let (admin, query) = (admin.clone(), by_user.clone());
        async move {
            let (status, page) = search(&admin, &query).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            (page["events"].as_array()?.len() == 2).then_some(page)
        }
    })
    .await;
    assert_eq!(page["next_cursor"], Value::Null);
    let (role_change, login) = (&page["events"][0], &page["events"][1]);
    assert_eq!(role_change["type"], "ROLE_CHANGED");
    assert_eq!(role_change["actor"], admin_id.as_str());
    assert_eq!(role_change["target"], trader_id.as_str());
    assert_eq!(role_change["request_id"], change_request.as_str());
    assert_eq!(role_change["source_ip"], admin_ip.to_string());
    assert_eq!(role_change["detail"]["after"]["roles"], json!(["viewer"]));
    assert_eq!(login["type"], "LOGIN_SUCCEEDED");
    assert_eq!(
        login["actor"],
        Value::Null,
        "nobody is authenticated before a login"
    );
    assert_eq!(login["target"], trader_id.as_str());
    assert_eq!(login["request_id"], login_request.as_str());
    assert_eq!(login["source_ip"], trader_ip.to_string());

    // By type, over every user (the daily index): the role change is there, with the same fields.
    let (status, changes) = search(&admin, "type=ROLE_CHANGED&limit=200").await;
    assert_eq!(status, StatusCode::OK, "{changes}");
    assert_eq!(
        of_kind(&changes, "ROLE_CHANGED").len(),
        changes["events"].as_array().unwrap().len()
    );
    let found = of_kind(&changes, "ROLE_CHANGED")
        .into_iter()
        .find(|e| e["target"] == trader_id.as_str())
        .expect("the role change among every user's");
    assert_eq!(found, role_change);

    // A page at a time: the cursor continues this search, and no other.
    let (_, first) = search(&admin, &format!("{by_user}&limit=1")).await;
    assert_eq!(first["events"], json!([role_change]));
    let cursor = first["next_cursor"].as_str().expect("a second page").to_owned();
    let (_, second) = search(&admin, &format!("{by_user}&limit=1&cursor={cursor}")).await;
    assert_eq!(second["events"], json!([login]));
    assert_eq!(second["next_cursor"], Value::Null);
    let (status, other) = search(&admin, &format!("{by_user}&type=LOGIN_FAILED&cursor={cursor}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{other}");
    assert_eq!(other["error"]["details"][0]["field"], "cursor");

    // The searches are audited too: the admin's own, by the admin.
    let query = format!("user={admin_id}&type=AUDIT_SEARCHED");
    let searches = eventually("the admin's searches in the audit log", || {
        let (admin, query) = (admin.clone(), query.clone());
        async move {
            let (_, page) = search(&admin, &query).await;
            (!of_kind(&page, "AUDIT_SEARCHED").is_empty()).then_some(page)
        }
    })
    .await;
    for searched in of_kind(&searches, "AUDIT_SEARCHED") {
        assert_eq!(searched["actor"], admin_id.as_str(), "{searched}");
        assert_eq!(searched["target"], admin_id.as_str(), "{searched}");
    }

    // An unknown user has no events; a malformed one is refused.
    let (status, none) = search(&admin, "user=01JDQ8ZK3M4N5P6Q7R8S9T0XX9").await;
    assert_eq!((status, &none["events"]), (StatusCode::OK, &json!([])));
    let (status, bad) = search(&admin, "user=someone").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["error"]["details"][0]["field"], "user");
}

#[tokio::test]
async fn a_trader_or_a_viewer_cannot_search_the_audit_log() {
    for role in [Role::Trader, Role::Viewer] {
        let token = stack().login_as(role).await;
        let (status, body) = search(&token, "type=LOGIN_SUCCEEDED").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {body}");
        assert_eq!(body["error"]["code"], "FORBIDDEN");
    }
}
