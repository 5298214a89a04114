//! Browser (cookie) mode: the cookie names and the CSRF double-submit rule, shared by the auth function that
//! sets the cookies and the authorizer that reads them.
//!
//! All cookies are `__Host-` prefixed (so they are `Secure`, host-only and `Path=/`, and no subdomain can plant
//! them) and `SameSite=Strict`. The access and refresh cookies are `HttpOnly`; the CSRF cookie is readable by
//! the page, which echoes it in `X-CSRF-Token` on every state-changing request.

use crate::kernel::secret::random_secret;

/// The access JWT.
pub const ACCESS_COOKIE: &str = "__Host-ts_access";
/// The refresh token.
pub const REFRESH_COOKIE: &str = "__Host-ts_refresh";
/// The CSRF token (double submit).
pub const CSRF_COOKIE: &str = "__Host-ts_csrf";
/// The header that must echo the CSRF cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The login header that asks for cookie mode, with the value `cookie`.
pub const AUTH_MODE_HEADER: &str = "x-auth-mode";

/// A fresh CSRF token: 256 random bits, base64url.
pub fn new_csrf_token() -> String {
    random_secret()
}

/// The value of cookie `name` in `Cookie` header values (or API Gateway's `cookies` list, one pair each).
pub fn cookie_value<'a>(cookie_headers: impl IntoIterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    cookie_headers
        .into_iter()
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Whether a request's method changes state and so needs the CSRF echo.
pub fn needs_csrf(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// Whether the `X-CSRF-Token` header matches the CSRF cookie, compared in constant time.
pub fn csrf_matches(header: Option<&str>, cookie: Option<&str>) -> bool {
    let (Some(h), Some(c)) = (header, cookie) else {
        return false;
    };
    if h.len() != c.len() || h.is_empty() {
        return false;
    }
    h.bytes().zip(c.bytes()).fold(0_u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cookies_in_headers_and_gateway_lists() {
        let header = format!("theme=dark; {ACCESS_COOKIE}=abc.def; {CSRF_COOKIE}=xyz");
        assert_eq!(cookie_value([header.as_str()], ACCESS_COOKIE), Some("abc.def"));
        let list = ["theme=dark", "__Host-ts_csrf=xyz"];
        assert_eq!(cookie_value(list, CSRF_COOKIE), Some("xyz"));
        assert_eq!(
            cookie_value(["ts_access=planted"], ACCESS_COOKIE),
            None,
            "only the __Host- name counts"
        );
        assert_eq!(
            cookie_value([format!("{ACCESS_COOKIE}=").as_str()], ACCESS_COOKIE),
            None
        );
    }

    #[test]
    fn csrf_must_echo_the_cookie_exactly() {
        let token = new_csrf_token();
        assert_eq!(token.len(), 43);
        assert!(csrf_matches(Some(&token), Some(&token)));
        assert!(!csrf_matches(Some("other"), Some(&token)));
        assert!(!csrf_matches(None, Some(&token)));
        assert!(!csrf_matches(Some(""), Some("")));
        assert!(!csrf_matches(Some(&token), None));
    }

    #[test]
    fn only_state_changing_methods_need_csrf() {
        assert!(!needs_csrf("GET"));
        assert!(needs_csrf("POST") && needs_csrf("DELETE") && needs_csrf("PATCH") && needs_csrf("PUT"));
    }
}
