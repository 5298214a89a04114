//! Which status and code each backtest error gets: API policy, kept out of the domain.

use axum::http::StatusCode;
use tradesense_domain::backtest::service::{DeleteError, SubmitError};
use tradesense_domain::kernel::validation::Violation;
use tradesense_http::{ApiError, ErrorCode};

tradesense_http::api_error_newtype!(
    /// What the backtest handlers return: any [`ApiError`], and the backtest use cases' errors mapped below.
    BacktestError
);

/// `422 VALIDATION_FAILED` with one detail per violation (the request matched the document, but breaks the
/// rules its description states).
pub fn invalid(violations: Vec<Violation>) -> ApiError {
    violations.into_iter().fold(
        ApiError::unprocessable("the backtest breaks its rules"),
        |error, v| error.with_detail(v.field, v.message),
    )
}

/// `400 VALIDATION_FAILED` with one detail per field that does not have the document's form (an instrument
/// key, a date or instant).
pub fn malformed(violations: Vec<Violation>) -> ApiError {
    violations.into_iter().fold(
        ApiError::validation("the request does not match the document"),
        |error, v| error.with_detail(v.field, v.message),
    )
}

impl From<SubmitError> for BacktestError {
    fn from(e: SubmitError) -> Self {
        BacktestError(match e {
            SubmitError::Invalid(violations) => invalid(violations),
            SubmitError::KeyReused => ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, e.to_string()),
            SubmitError::Unavailable(cause) => ApiError::dependency_unavailable("the backtest queue", cause),
            SubmitError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}

impl From<DeleteError> for BacktestError {
    fn from(e: DeleteError) -> Self {
        BacktestError(match e {
            DeleteError::NotFound => ApiError::not_found(),
            DeleteError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}
