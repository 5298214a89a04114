//! Strict JSON bodies. `AppJson<T>` accepts only `application/json`, at most [`MAX_BODY_BYTES`](crate::MAX_BODY_BYTES),
//! and turns malformed JSON, wrong types and unknown fields (DTOs use `#[serde(deny_unknown_fields)]`) into
//! `400 VALIDATION_FAILED` naming the field. A number with no fraction (`5.0`) is the integer it equals, as
//! JSON Schema's `integer` says. As a response it is plain JSON.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode};

/// A JSON request body (strict) or response body.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// serde_json's message without its " at line L column C" suffix.
fn describe(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg,
    }
}

/// Parses `bytes` as `T`, naming the offending field on failure.
///
/// # Errors
/// `400 VALIDATION_FAILED` with the field path (`$` for the whole body).
pub fn parse_strict<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_field("$", format!("malformed JSON: {}", describe(&e))))?;
    whole_numbers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "$".to_owned() } else { path };
        ApiError::invalid_field(field, describe(&e.into_inner()))
    })
}

/// The largest magnitude below which every whole `f64` is exactly an integer (2^53).
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Rewrites every number with no fraction (`5.0`, `1e3`) as the integer it equals, so integer fields take it.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) => {
            let whole = n
                .as_f64()
                .filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() < EXACT_INTEGER_LIMIT);
            if let Some(f) = whole {
                // Exact: |f| < 2^53 and whole, so the cast neither rounds nor saturates.
                #[allow(clippy::cast_possible_truncation)]
                let whole = f as i64;
                *n = whole.into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(&req) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::ValidationFailed,
                "Content-Type must be application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large()
            } else {
                ApiError::validation("could not read the request body")
            }
        })?;
        parse_strict(&bytes).map(AppJson)
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Order {
        quantity: u32,
        legs: Vec<Leg>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Leg {
        side: String,
    }

    fn rejected_field(body: &str) -> (String, String) {
        let e = parse_strict::<Order>(body.as_bytes()).unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.code(), ErrorCode::ValidationFailed);
        let d = &e.details()[0];
        (d.field.clone(), d.message.clone())
    }

    #[test]
    fn accepts_a_well_formed_body() {
        let o: Order = parse_strict(br#"{"quantity": 5, "legs": [{"side": "BUY"}]}"#).unwrap();
        assert_eq!((o.quantity, o.legs[0].side.as_str()), (5, "BUY"));
    }

    #[test]
    fn names_the_field_with_the_wrong_type() {
        let (field, msg) = rejected_field(r#"{"quantity": "5", "legs": []}"#);
        assert_eq!(field, "quantity");
        assert!(msg.contains("invalid type"), "{msg}");
        assert!(!msg.contains("line"), "{msg}");
    }

    #[test]
    fn names_a_nested_field() {
        let (field, _) = rejected_field(r#"{"quantity": 5, "legs": [{"side": 1}]}"#);
        assert_eq!(field, "legs[0].side");
    }

    #[test]
    fn rejects_unknown_fields_by_name() {
        let (field, msg) = rejected_field(r#"{"quantity": 5, "legs": [], "admin": true}"#);
        assert!(field == "admin" || msg.contains("`admin`"), "{field}: {msg}");
    }

    #[test]
    fn names_a_missing_field() {
        let (_, msg) = rejected_field(r#"{"legs": []}"#);
        assert!(msg.contains("missing field `quantity`"), "{msg}");
    }

    #[test]
    fn a_whole_number_written_with_a_fraction_is_an_integer_and_a_fraction_is_refused() {
        let o: Order = parse_strict(br#"{"quantity": 5.0, "legs": []}"#).unwrap();
        assert_eq!(o.quantity, 5);
        let o: Order = parse_strict(br#"{"quantity": 2e1, "legs": []}"#).unwrap();
        assert_eq!(o.quantity, 20);
        let (field, msg) = rejected_field(r#"{"quantity": 5.5, "legs": []}"#);
        assert_eq!(field, "quantity");
        assert!(msg.contains("invalid type"), "{msg}");
        let (field, _) = rejected_field(r#"{"quantity": 1e300, "legs": []}"#);
        assert_eq!(field, "quantity");
    }

    #[test]
    fn rejects_malformed_json_and_trailing_garbage() {
        for body in [
            "",
            "{",
            "{]",
            "{\"quantity\": 5,}",
            r#"{"quantity": 5, "legs": []} {}"#,
            "\u{0}",
        ] {
            let (field, msg) = rejected_field(body);
            assert_eq!(field, "$", "{body}");
            assert!(!msg.is_empty());
        }
    }
}
