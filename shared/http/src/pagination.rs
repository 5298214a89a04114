//! What every paged list and every idempotent `POST` reads from the request: the page size (`?limit=`, 1–200,
//! default 50), the list's cursor (one this list did not issue is a `422` on `cursor`; an unreadable signing
//! key a `503`), the `Idempotency-Key` header (1–64 visible ASCII characters) and the canonical hash that
//! tells a replay under it from a different request.

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use tradesense_adapters::dynamo::cursor::CursorError;
use utoipa::IntoParams;

use crate::ApiError;

/// The page size when `?limit=` is absent.
pub const DEFAULT_PAGE: u16 = 50;
/// The largest page.
pub const MAX_PAGE: u16 = 200;
/// The longest `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 64;

/// The query of a list that takes nothing but its page: `?limit=&cursor=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// At most this many (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u16>,
    /// The previous page's `next_cursor` (opaque; one this list did not issue is a 422).
    pub cursor: Option<String>,
}

/// The page size `limit` asks for.
///
/// # Errors
/// `400` on `limit` outside 1–[`MAX_PAGE`].
pub fn page_size(limit: Option<u16>) -> Result<u16, ApiError> {
    match limit.unwrap_or(DEFAULT_PAGE) {
        n @ 1..=MAX_PAGE => Ok(n),
        _ => Err(ApiError::invalid_field(
            "limit",
            format!("must be 1 to {MAX_PAGE}"),
        )),
    }
}

impl From<CursorError> for ApiError {
    fn from(e: CursorError) -> Self {
        match e {
            CursorError::Invalid(_) => ApiError::unprocessable_field("cursor", "not a cursor from this list"),
            CursorError::Unavailable(cause) => ApiError::dependency_unavailable("the cursor key", cause),
        }
    }
}

/// The request's `Idempotency-Key`, if it sent one.
///
/// # Errors
/// `400` on `Idempotency-Key` for anything but 1–[`MAX_IDEMPOTENCY_KEY_LEN`] visible ASCII characters.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| (1..=MAX_IDEMPOTENCY_KEY_LEN).contains(&k.len()))
        .filter(|k| k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::invalid_field(
                "Idempotency-Key",
                format!("1 to {MAX_IDEMPOTENCY_KEY_LEN} visible ASCII characters"),
            )
        })?;
    Ok(Some(key.to_owned()))
}

/// SHA-256 (hex) of `request` in canonical form (its serialization: the same request however its JSON was
/// spaced or ordered, a different hash for any different field), to tell a replay under an `Idempotency-Key`
/// from a different request.
pub fn canonical_hash<T: Serialize>(request: &T) -> String {
    let canonical = serde_json::to_vec(request).unwrap_or_default();
    Sha256::digest(&canonical)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn page_sizes_and_keys_within_their_bounds_pass_and_others_name_their_field() {
        assert_eq!(page_size(None).unwrap(), 50);
        assert_eq!(page_size(Some(200)).unwrap(), 200);
        assert_eq!(page_size(Some(0)).unwrap_err().details()[0].field, "limit");
        let mut headers = HeaderMap::new();
        assert_eq!(idempotency_key(&headers).unwrap(), None);
        headers.insert("idempotency-key", HeaderValue::from_static("demo-1"));
        assert_eq!(idempotency_key(&headers).unwrap().as_deref(), Some("demo-1"));
        headers.insert("idempotency-key", HeaderValue::from_static("has space"));
        assert_eq!(
            idempotency_key(&headers).unwrap_err().details()[0].field,
            "Idempotency-Key"
        );
    }

    #[test]
    fn the_canonical_hash_tells_requests_apart_and_not_their_spacing() {
        let a: serde_json::Value = serde_json::from_str(r#"{"side": "BUY",  "quantity": 1}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{"side":"BUY","quantity":1}"#).unwrap();
        let c: serde_json::Value = serde_json::from_str(r#"{"side":"BUY","quantity":2}"#).unwrap();
        assert_eq!(canonical_hash(&a), canonical_hash(&b));
        assert_ne!(canonical_hash(&a), canonical_hash(&c));
        assert_eq!(canonical_hash(&a).len(), 64);
    }
}
