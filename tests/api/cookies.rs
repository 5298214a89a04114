use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{DEMO_PASSWORD, client, stack};

/// Set-Cookie headers by cookie name: (value, the whole header).
fn set_cookies(response: &reqwest::Response) -> HashMap<String, (String, String)> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|h| {
            let (pair, _) = h.split_once(';').unwrap_or((h, ""));
            let (name, value) = pair.split_once('=')?;
            Some((name.to_owned(), (value.to_owned(), h.to_owned())))
        })
        .collect()
}

struct Browser {
    client: reqwest::Client,
    cookies: HashMap<String, String>,
    csrf: String,
}

impl Browser {
    async fn log_in(email: &str) -> (Self, reqwest::Response) {
        let client = client();
        let response = client
            .post(stack().url("/v1/auth/login"))
            .header("x-auth-mode", "cookie")
            .json(&json!({"email": email, "password": DEMO_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let cookies = set_cookies(&response)
            .into_iter()
            .map(|(k, (v, _))| (k, v))
            .collect();
        (
            Self {
                client,
                cookies,
                csrf: String::new(),
            },
            response,
        )
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&self, method: reqwest::Method, path: &str, csrf: Option<&str>) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, stack().url(path))
            .header("cookie", self.cookie_header());
        if let Some(token) = csrf {
            request = request.header("x-csrf-token", token);
        }
        request.send().await.unwrap()
    }
}

#[tokio::test]
async fn cookie_login_sets_host_only_http_only_strict_cookies_and_keeps_tokens_out_of_the_body() {
    let (_, response) = Browser::log_in("trader@demo.tradesense.in").await;
    let cookies = set_cookies(&response);
    for (name, http_only) in [
        ("__Host-ts_access", true),
        ("__Host-ts_refresh", true),
        ("__Host-ts_csrf", false),
    ] {
        let (value, header) = cookies.get(name).unwrap_or_else(|| panic!("{name} not set"));
        assert!(!value.is_empty());
        for attribute in ["Path=/", "Secure", "SameSite=Strict"] {
            assert!(header.contains(attribute), "{name}: {header}");
        }
        assert_eq!(header.contains("HttpOnly"), http_only, "{name}: {header}");
        assert!(
            !header.contains("Domain="),
            "__Host- cookies are host-only: {header}"
        );
    }
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["csrf_token"], cookies["__Host-ts_csrf"].0);
    assert!(
        body.get("access_token").is_none() && body.get("refresh_token").is_none(),
        "{body}"
    );
}

#[tokio::test]
async fn reads_work_from_the_cookie_and_state_changes_need_the_csrf_echo() {
    let (mut browser, response) = Browser::log_in("viewer@demo.tradesense.in").await;
    browser.csrf = response.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        browser
            .send(reqwest::Method::GET, "/v1/auth/me", None)
            .await
            .status(),
        StatusCode::OK
    );

    let missing = browser.send(reqwest::Method::POST, "/v1/auth/logout", None).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "FORBIDDEN");
    let wrong = browser
        .send(reqwest::Method::POST, "/v1/auth/logout", Some("forged-token"))
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        browser
            .send(reqwest::Method::GET, "/v1/auth/me", None)
            .await
            .status(),
        StatusCode::OK,
        "still in"
    );

    let out = browser
        .send(reqwest::Method::POST, "/v1/auth/logout", Some(&browser.csrf))
        .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let cleared = set_cookies(&out);
    assert!(
        cleared
            .values()
            .all(|(v, h)| v.is_empty() && h.contains("Max-Age=0")),
        "{cleared:?}"
    );
    assert_eq!(
        browser
            .send(reqwest::Method::GET, "/v1/auth/me", None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn refresh_from_the_cookie_needs_the_csrf_echo_and_rotates_the_cookies() {
    let (mut browser, response) = Browser::log_in("trader@demo.tradesense.in").await;
    browser.csrf = response.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_refresh = browser.cookies["__Host-ts_refresh"].clone();

    let without = browser
        .send(reqwest::Method::POST, "/v1/auth/refresh", None)
        .await;
    assert_eq!(without.status(), StatusCode::FORBIDDEN);

    let refreshed = browser
        .send(reqwest::Method::POST, "/v1/auth/refresh", Some(&browser.csrf))
        .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let rotated = set_cookies(&refreshed);
    assert_ne!(rotated["__Host-ts_refresh"].0, old_refresh);
    let body: Value = refreshed.json().await.unwrap();
    assert_eq!(body["csrf_token"], rotated["__Host-ts_csrf"].0);

    browser.cookies = rotated.into_iter().map(|(k, (v, _))| (k, v)).collect();
    assert_eq!(
        browser
            .send(reqwest::Method::GET, "/v1/auth/me", None)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_planted_non_host_cookie_is_ignored() {
    let response = client()
        .get(stack().url("/v1/auth/me"))
        .header("cookie", "ts_access=anything; __Host-ts_access=")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
