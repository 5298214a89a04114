//! Which status and code each admin error gets: API policy, kept out of the domain.

use axum::http::StatusCode;
use tradesense_adapters::aws::is_unavailable;
use tradesense_domain::identity::service::administration::AccessChangeError;
use tradesense_domain::ops::service::audit_search::AuditSearchError;
use tradesense_domain::ops::service::kill_switch::KillSwitchError;
use tradesense_http::{ApiError, ErrorCode};

tradesense_http::api_error_newtype!(
    /// What the admin handlers return: any [`ApiError`], and the access-change, kill-switch and audit-search
    /// errors mapped below.
    AdminError
);

impl From<AccessChangeError> for AdminError {
    fn from(e: AccessChangeError) -> Self {
        AdminError(match e {
            AccessChangeError::Empty => ApiError::unprocessable(e.to_string()),
            AccessChangeError::InvalidRoles => ApiError::unprocessable_field("roles", e.to_string()),
            AccessChangeError::OwnAccount => {
                ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, e.to_string())
            }
            AccessChangeError::NotFound => ApiError::not_found(),
            AccessChangeError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}

impl From<KillSwitchError> for AdminError {
    fn from(e: KillSwitchError) -> Self {
        AdminError(match e {
            KillSwitchError::InvalidReason => ApiError::unprocessable_field("reason", e.to_string()),
            KillSwitchError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}

impl From<AuditSearchError> for AdminError {
    fn from(e: AuditSearchError) -> Self {
        AdminError(match e {
            AuditSearchError::FromAfterTo | AuditSearchError::RangeTooLong => {
                ApiError::invalid_field("from", e.to_string())
            }
            AuditSearchError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}

/// The deep health check's refusal: 503 naming each dependency that is down.
pub fn unhealthy(failing: &[&'static str]) -> AdminError {
    let e = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
        format!("dependencies down: {}", failing.join(", ")),
    );
    AdminError(failing.iter().fold(e, |e, name| e.with_detail(*name, "down")))
}

/// A metrics read that failed: `503 UNAVAILABLE` with `Retry-After` when CloudWatch, SQS or the table gave no
/// answer (timed out or unreachable: trying again shortly may work), else 500. The cause is logged, never sent.
pub fn metrics_failed(cause: anyhow::Error) -> AdminError {
    AdminError(if is_unavailable(cause.as_ref()) {
        ApiError::dependency_unavailable("a metrics source", cause)
    } else {
        ApiError::internal(cause)
    })
}
