//! Which status and code each account error gets: API policy, kept out of the domain.

use axum::http::StatusCode;
use tradesense_domain::broker::service::LinkError;
use tradesense_domain::identity::password::WeakPassword;
use tradesense_domain::identity::service::account::{LoginError, MfaError, RegisterError};
use tradesense_http::{ApiError, ErrorCode};

tradesense_http::api_error_newtype!(
    /// What the auth handlers return: any [`ApiError`], and the account, MFA and broker-link errors mapped
    /// below.
    AuthError
);

impl From<RegisterError> for AuthError {
    fn from(e: RegisterError) -> Self {
        AuthError(match e {
            RegisterError::InvalidEmail => {
                ApiError::unprocessable_field("email", "not a valid email address")
            }
            // The document states the length (400); the other rules only in words (422).
            RegisterError::WeakPassword(why @ (WeakPassword::TooShort | WeakPassword::TooLong)) => {
                ApiError::invalid_field("password", format!("password {why}"))
            }
            RegisterError::WeakPassword(why) => {
                ApiError::unprocessable_field("password", format!("password {why}"))
            }
            RegisterError::InvalidDisplayName => ApiError::unprocessable_field("display_name", e.to_string()),
            RegisterError::EmailTaken => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::Conflict,
                "an account with this email exists",
            ),
            RegisterError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}

impl From<LoginError> for AuthError {
    fn from(e: LoginError) -> Self {
        AuthError(match e {
            LoginError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "invalid email or password",
            ),
            LoginError::TooManyAttempts(decision) => too_many_attempts(decision),
            LoginError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}

fn too_many_attempts(decision: tradesense_domain::kernel::rate_limit::RateDecision) -> ApiError {
    ApiError::rate_limited(decision.retry_after_secs).with_rate_limit(decision)
}

impl From<MfaError> for AuthError {
    fn from(e: MfaError) -> Self {
        let conflict = |e: &MfaError| ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, e.to_string());
        AuthError(match e {
            MfaError::AlreadyEnabled | MfaError::NotEnabled | MfaError::NotSetUp => conflict(&e),
            MfaError::InvalidCode => ApiError::unprocessable_field("code", e.to_string()),
            MfaError::WrongPassword => ApiError::unprocessable_field("password", "wrong password"),
            MfaError::TooManyAttempts(decision) => too_many_attempts(decision),
            MfaError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}

impl From<LinkError> for AuthError {
    fn from(e: LinkError) -> Self {
        AuthError(match e {
            LinkError::InvalidState => {
                ApiError::unprocessable_field("state", "invalid or expired state: start linking again")
            }
            LinkError::Rejected(message) => {
                ApiError::unprocessable_field("code", format!("Upstox refused the authorization: {message}"))
            }
            LinkError::Unavailable(cause) => {
                tracing::warn!(error = ?cause, "Upstox unavailable");
                ApiError::unavailable("Upstox is unavailable; try again shortly")
            }
            LinkError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}
