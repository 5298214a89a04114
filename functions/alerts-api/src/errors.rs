//! Which status and code each alert error gets: API policy, kept out of the domain.

use axum::http::StatusCode;
use tradesense_domain::alerts::service::{AlertError, WebhookError};
use tradesense_domain::kernel::validation::Violation;
use tradesense_http::{ApiError, ErrorCode};

tradesense_http::api_error_newtype!(
    /// What the alerts handlers return: any [`ApiError`], and the alert use cases' errors mapped below.
    AlertsError
);

/// `422 VALIDATION_FAILED` with one detail per violation (the request matched the document but breaks a rule
/// its description states).
fn invalid(what: &str, violations: Vec<Violation>) -> ApiError {
    violations.into_iter().fold(
        ApiError::unprocessable(format!("the {what} breaks its rules")),
        |error, v| error.with_detail(v.field, v.message),
    )
}

fn conflict(message: String) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
}

impl From<AlertError> for AlertsError {
    fn from(e: AlertError) -> Self {
        AlertsError(match e {
            AlertError::Invalid(violations) => invalid("alert", violations),
            AlertError::NotFound => ApiError::not_found(),
            AlertError::LimitReached | AlertError::Closed(_) | AlertError::Changed => conflict(e.to_string()),
            AlertError::Unavailable(cause) => {
                ApiError::dependency_unavailable("the instrument master", cause)
            }
            AlertError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}

impl From<WebhookError> for AlertsError {
    fn from(e: WebhookError) -> Self {
        AlertsError(match e {
            WebhookError::Invalid(violations) => invalid("webhook", violations),
            WebhookError::NotFound => ApiError::not_found(),
            WebhookError::LimitReached | WebhookError::Changed => conflict(e.to_string()),
            WebhookError::RateLimited(decision) => {
                ApiError::rate_limited(decision.retry_after_secs).with_rate_limit(decision)
            }
            WebhookError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}
