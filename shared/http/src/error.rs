//! The one error type handlers return, rendered as the API's error body:
//! `{"error": {"code", "message", "details"?}, "request_id"}`.
//!
//! A 4xx carries a stable code and a safe message. A 5xx logs the full error chain once, here, and tells the
//! client nothing about internals.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use utoipa::ToSchema;

use tradesense_domain::kernel::error::RepoError;
use tradesense_domain::kernel::rate_limit::RateDecision;

use crate::rate_limit::RateLimitHeaders;
use crate::request_id;

/// Stable, machine-readable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// Input does not match the API document (400; 415 for a non-JSON body), or matches it but breaks a rule
    /// the document states in words (422).
    ValidationFailed,
    /// No valid credentials (401).
    Unauthorized,
    /// Valid credentials without the needed permission (403).
    Forbidden,
    /// No such resource, or another account's (404).
    NotFound,
    /// The route exists but not for this method (405).
    MethodNotAllowed,
    /// The request conflicts with the current state (409).
    Conflict,
    /// Too many requests (429).
    RateLimited,
    /// Not enough funds or margin.
    InsufficientFunds,
    /// A risk rule refused the order.
    RiskRejected,
    /// The market is closed.
    MarketClosed,
    /// The login needs an MFA step.
    MfaRequired,
    /// The kill switch is on (423).
    KillSwitchActive,
    /// The body is over the size limit (413).
    PayloadTooLarge,
    /// Something went wrong on our side (500).
    Internal,
    /// A dependency is down (503).
    Unavailable,
    /// The route exists but its behaviour is not built yet (501).
    NotImplemented,
}

/// One field-level problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's path (`price`, `legs[0].quantity`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    details: Vec<FieldError>,
    retry_after_secs: Option<u64>,
    rate_limit: Option<RateDecision>,
    /// The cause of a 5xx, logged once and never sent.
    cause: Option<anyhow::Error>,
}

/// The error body, as documented in OpenAPI.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
    /// The request's id (also in `X-Request-Id`).
    pub request_id: String,
}

/// The `error` member of [`ErrorBody`].
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code.
    pub code: ErrorCode,
    /// Human-readable, safe to show.
    pub message: String,
    /// Field-level problems, when any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
}

/// Longest message we echo back; serde messages can quote input.
const MAX_MESSAGE_CHARS: usize = 300;

fn clip(s: impl Into<String>) -> String {
    let s = s.into();
    if s.chars().count() <= MAX_MESSAGE_CHARS {
        s
    } else {
        s.chars().take(MAX_MESSAGE_CHARS).collect::<String>() + "…"
    }
}

impl ApiError {
    /// An error with a status, code and safe message.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: clip(message),
            details: Vec::new(),
            retry_after_secs: None,
            rate_limit: None,
            cause: None,
        }
    }

    /// 400 VALIDATION_FAILED naming one field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let message = clip(message);
        Self {
            details: vec![FieldError {
                field: field.into(),
                message: message.clone(),
            }],
            ..Self::new(StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed, message)
        }
    }

    /// 422 VALIDATION_FAILED naming one field: the request matches the API document, but this value breaks a
    /// rule the document can only state in words (`to` after `from`, a price on the tick, a listed instrument).
    pub fn unprocessable_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..Self::invalid_field(field, message)
        }
    }

    /// 422 VALIDATION_FAILED: the request matches the API document but breaks rules stated in words; the
    /// details name each field (add them with [`with_detail`](Self::with_detail)).
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            message,
        )
    }

    /// `422 VALIDATION_FAILED` saying `message`, one detail per violation: the request matched the document
    /// but breaks a rule its description states.
    pub fn violations(
        message: impl Into<String>,
        violations: Vec<tradesense_domain::kernel::validation::Violation>,
    ) -> Self {
        violations
            .into_iter()
            .fold(Self::unprocessable(message), |error, v| {
                error.with_detail(v.field, v.message)
            })
    }

    /// Adds a field-level detail.
    pub fn with_detail(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.details.push(FieldError {
            field: field.into(),
            message: clip(message),
        });
        self
    }

    /// 400 VALIDATION_FAILED.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::ValidationFailed, message)
    }

    /// 401 UNAUTHORIZED, with one message for every cause so nothing is revealed.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "missing or invalid credentials",
        )
    }

    /// 403 FORBIDDEN.
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "not permitted")
    }

    /// 403 FORBIDDEN for a cookie-authenticated state change without the matching `X-CSRF-Token`.
    pub fn csrf_mismatch() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "missing or invalid CSRF token",
        )
    }

    /// 404 NOT_FOUND.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "not found")
    }

    /// 413 PAYLOAD_TOO_LARGE.
    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("body exceeds {} bytes", crate::MAX_BODY_BYTES),
        )
    }

    /// 429 RATE_LIMITED with `Retry-After`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                "too many requests",
            )
        }
    }

    /// Adds the `X-RateLimit-*` headers of `decision`.
    pub fn with_rate_limit(mut self, decision: RateDecision) -> Self {
        self.rate_limit = Some(decision);
        self
    }

    /// 500 INTERNAL; or, when `cause` is an AWS call that got no answer (timed out or not sent), 503 with
    /// `Retry-After` ([`dependency_unavailable`](Self::dependency_unavailable)): trying again shortly may
    /// well work. `cause` is logged with its whole chain when the response is built, never sent.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let cause = cause.into();
        if tradesense_adapters::aws::is_unavailable(cause.as_ref()) {
            return Self::dependency_unavailable("storage", cause);
        }
        Self {
            cause: Some(cause),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal error",
            )
        }
    }

    /// 503 UNAVAILABLE with a safe message (which dependency, never why).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable, message)
    }

    /// How long a client should wait before retrying a request that met an unavailable dependency.
    pub const DEPENDENCY_RETRY_AFTER_SECS: u64 = 2;

    /// 503 UNAVAILABLE with `Retry-After`: `dependency` (named in the message) failed or timed out; `cause`
    /// is logged, never shown.
    pub fn dependency_unavailable(dependency: &str, cause: impl Into<anyhow::Error>) -> Self {
        Self {
            retry_after_secs: Some(Self::DEPENDENCY_RETRY_AFTER_SECS),
            cause: Some(cause.into()),
            ..Self::unavailable(format!("{dependency} is unavailable; try again shortly"))
        }
    }

    /// 501 NOT_IMPLEMENTED: a route whose behaviour is not built yet.
    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_IMPLEMENTED, ErrorCode::NotImplemented, message)
    }

    /// The `error` member this error answers with, for a body that reports several outcomes (a basket's
    /// legs). The cause of a 5xx is logged here, never sent.
    pub fn into_detail(self) -> ErrorDetail {
        if let Some(cause) = &self.cause {
            tracing::error!(error = ?cause, status = self.status.as_u16(), "part of a request failed");
        }
        ErrorDetail {
            code: self.code,
            message: self.message,
            details: self.details,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The field-level problems.
    pub fn details(&self) -> &[FieldError] {
        &self.details
    }
}

/// A live broker's refusal or silence, never a 500: a refusal is a 409 in the broker's words, a missing or
/// expired link a 409 asking to link again, an unreachable broker a 503.
impl From<tradesense_domain::broker::live::LiveBrokerError> for ApiError {
    fn from(e: tradesense_domain::broker::live::LiveBrokerError) -> Self {
        use tradesense_domain::broker::live::LiveBrokerError as E;
        match e {
            E::Rejected(message) => Self::new(
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                format!("Upstox refused: {message}"),
            ),
            E::Unauthorized => Self::new(
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                "your Upstox access has expired or is not linked: link your Upstox account again \
                 (its access ends at 03:30 IST every day)",
            ),
            E::Unavailable(why) => {
                tracing::warn!(%why, "live broker unavailable");
                Self::unavailable("Upstox could not be reached; try again shortly")
            }
        }
    }
}

/// `Ok(headers)` when the decision allows the request, else the `429` (with `Retry-After` and the headers).
///
/// # Errors
/// `429 RATE_LIMITED` when the limit is exceeded.
pub fn enforce(decision: RateDecision) -> Result<RateLimitHeaders, ApiError> {
    if decision.allowed {
        Ok(RateLimitHeaders(decision))
    } else {
        Err(ApiError::rate_limited(decision.retry_after_secs).with_rate_limit(decision))
    }
}

/// A storage failure a handler does not handle itself is a 500; its cause goes to the log, never the body.
impl From<RepoError> for ApiError {
    fn from(e: RepoError) -> Self {
        ApiError::internal(e)
    }
}

/// Declares a function crate's error type: `pub struct $name(pub ApiError)`, what its handlers return. Any
/// [`ApiError`], any storage failure (`RepoError`, a 500) and any list cursor's failure convert into it, and it renders as the
/// [`ApiError`]. The crate's `errors.rs` then writes `From<DomainError> for $name` for each of its domain
/// errors: which status and code each gets is that API's policy (the orphan rule is why a newtype is needed).
#[macro_export]
macro_rules! api_error_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name(pub $crate::ApiError);

        impl From<$crate::ApiError> for $name {
            fn from(e: $crate::ApiError) -> Self {
                Self(e)
            }
        }

        impl From<$crate::__private::RepoError> for $name {
            fn from(e: $crate::__private::RepoError) -> Self {
                Self(e.into())
            }
        }

        impl From<$crate::__private::CursorError> for $name {
            fn from(e: $crate::__private::CursorError) -> Self {
                Self(e.into())
            }
        }

        impl $crate::__private::IntoResponse for $name {
            fn into_response(self) -> $crate::__private::Response {
                $crate::__private::IntoResponse::into_response(self.0)
            }
        }
    };
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            match &self.cause {
                Some(cause) => {
                    tracing::error!(error = ?cause, status = self.status.as_u16(), "request failed")
                }
                None => {
                    tracing::error!(status = self.status.as_u16(), message = %self.message, "request failed")
                }
            }
        }
        let (status, rate_limit, retry_after_secs) = (self.status, self.rate_limit, self.retry_after_secs);
        let body = ErrorBody {
            error: self.into_detail(),
            request_id: request_id::current().unwrap_or_default(),
        };
        let mut response = match rate_limit {
            Some(d) => (status, RateLimitHeaders(d), Json(body)).into_response(),
            None => (status, Json(body)).into_response(),
        };
        if let Some(secs) = retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body_of(e: ApiError) -> (StatusCode, serde_json::Value) {
        let r = e.into_response();
        let status = r.status();
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn renders_the_documented_error_body() {
        let (status, body) = body_of(ApiError::invalid_field("price", "required for LIMIT orders")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
        assert_eq!(body["error"]["details"][0]["field"], "price");
        assert!(body["request_id"].is_string());
    }

    #[tokio::test]
    async fn a_5xx_body_never_carries_the_cause() {
        let cause = anyhow::anyhow!("dynamodb: table arn:aws:dynamodb:ap-south-1:123:table/x throttled");
        let (status, body) = body_of(ApiError::internal(cause)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            body["error"],
            serde_json::json!({"code": "INTERNAL", "message": "internal error"})
        );
    }

    #[tokio::test]
    async fn rate_limited_sets_retry_after() {
        let r = ApiError::rate_limited(7).into_response();
        assert_eq!(r.headers()[header::RETRY_AFTER], "7");
    }

    #[test]
    fn clips_long_messages() {
        let e = ApiError::validation("x".repeat(10_000));
        assert!(e.message.chars().count() <= MAX_MESSAGE_CHARS + 1);
    }
}
