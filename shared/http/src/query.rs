//! Strict query strings: `AppQuery<T>` parses `?a=b&c=d` into `T` and answers a clear
//! `400 VALIDATION_FAILED` naming the problem (missing, unknown or malformed parameters) instead of axum's
//! plain-text rejection.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// The longest query string accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// A query string parsed into `T` (use `#[serde(deny_unknown_fields)]` on `T` to refuse extras).
#[derive(Debug, Clone)]
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if query.len() > MAX_QUERY_BYTES {
            return Err(ApiError::invalid_field("query", "query string too long"));
        }
        serde_urlencoded::from_str(query)
            .map(AppQuery)
            .map_err(|e| ApiError::invalid_field("query", e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Callback {
        code: String,
        state: String,
    }

    async fn parse(uri: &str) -> Result<Callback, ApiError> {
        let (mut parts, ()) = Request::get(uri).body(()).unwrap().into_parts();
        AppQuery::<Callback>::from_request_parts(&mut parts, &())
            .await
            .map(|q| q.0)
    }

    #[tokio::test]
    async fn parses_and_decodes_parameters() {
        let parsed = parse("/cb?code=a%2Bb&state=x.y").await.unwrap();
        assert_eq!(
            parsed,
            Callback {
                code: "a+b".into(),
                state: "x.y".into()
            }
        );
    }

    #[tokio::test]
    async fn names_missing_and_unknown_parameters() {
        let missing = parse("/cb?state=x").await.unwrap_err();
        assert_eq!(missing.status(), 400);
        assert!(missing.details()[0].message.contains("code"));
        let unknown = parse("/cb?code=a&state=b&admin=1").await.unwrap_err();
        assert!(unknown.details()[0].message.contains("admin"));
        let long = parse(&format!("/cb?code={}&state=b", "a".repeat(MAX_QUERY_BYTES)))
            .await
            .unwrap_err();
        assert_eq!(long.status(), 400);
    }
}
