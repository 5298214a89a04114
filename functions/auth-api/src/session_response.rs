//! How a token pair reaches the client: in the JSON body for API clients, or as `__Host-` cookies plus a
//! CSRF token for the browser frontend (`X-Auth-Mode: cookie` on login; refresh from the cookie).

use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use tradesense_domain::identity::cookies::{
    ACCESS_COOKIE, AUTH_MODE_HEADER, CSRF_COOKIE, CSRF_HEADER, REFRESH_COOKIE, cookie_value, csrf_matches,
    new_csrf_token,
};
use tradesense_domain::identity::service::account::Tokens;
use tradesense_domain::identity::session::SESSION_TTL;
use tradesense_http::{ApiError, AppJson};

use crate::dto::{CookieSessionResponse, TokenResponse, UserDto};

/// Where the client wants its tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// In the JSON body.
    Body,
    /// As cookies.
    Cookies,
}

fn cookies_in(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
}

impl Delivery {
    /// Cookie mode when the login asks for it with `X-Auth-Mode: cookie`.
    pub fn requested(headers: &HeaderMap) -> Self {
        let cookie = headers
            .get(AUTH_MODE_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("cookie"));
        if cookie { Delivery::Cookies } else { Delivery::Body }
    }
}

/// The refresh token a refresh request carries, and how to answer it: the JSON body's token for API clients;
/// else the refresh cookie, which must come with the CSRF echo.
///
/// # Errors
/// 401 when there is no token; 403 when a cookie arrives without the matching `X-CSRF-Token`.
pub fn refresh_token_of(
    headers: &HeaderMap,
    body_token: Option<String>,
) -> Result<(String, Delivery), ApiError> {
    if let Some(token) = body_token {
        return Ok((token, Delivery::Body));
    }
    let token = cookie_value(cookies_in(headers), REFRESH_COOKIE).ok_or_else(ApiError::unauthorized)?;
    let echoed = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if !csrf_matches(echoed, cookie_value(cookies_in(headers), CSRF_COOKIE)) {
        return Err(ApiError::csrf_mismatch());
    }
    Ok((token.to_owned(), Delivery::Cookies))
}

fn cookie(name: &str, value: &str, max_age_secs: i64, http_only: bool) -> Option<HeaderValue> {
    let http_only = if http_only { "; HttpOnly" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Secure{http_only}; SameSite=Strict; Max-Age={max_age_secs}"
    ))
    .ok()
}

/// The response carrying `tokens` the way `delivery` says.
pub fn deliver(tokens: &Tokens, delivery: Delivery) -> Response {
    match delivery {
        Delivery::Body => AppJson(TokenResponse::from(tokens)).into_response(),
        Delivery::Cookies => {
            let csrf = new_csrf_token();
            let session_secs = SESSION_TTL.num_seconds();
            let body = CookieSessionResponse {
                csrf_token: csrf.clone(),
                expires_in: tokens.expires_in,
                user: UserDto::from(&tokens.user),
            };
            let mut response = AppJson(body).into_response();
            let headers = response.headers_mut();
            for value in [
                cookie(ACCESS_COOKIE, &tokens.access_token, tokens.expires_in, true),
                cookie(REFRESH_COOKIE, tokens.refresh_token.expose(), session_secs, true),
                cookie(CSRF_COOKIE, &csrf, session_secs, false),
            ]
            .into_iter()
            .flatten()
            {
                headers.append(SET_COOKIE, value);
            }
            response
        }
    }
}

/// `Set-Cookie` headers that delete every session cookie (on logout; harmless for API clients).
pub fn cleared_cookies() -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, http_only) in [
        (ACCESS_COOKIE, true),
        (REFRESH_COOKIE, true),
        (CSRF_COOKIE, false),
    ] {
        if let Some(v) = cookie(name, "", 0, http_only) {
            headers.append(SET_COOKIE, v);
        }
    }
    headers
}
