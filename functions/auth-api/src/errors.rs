//! Which status and code each account error gets: API policy, kept out of the domain.

use axum::http::StatusCode;
use tradesense_domain::account::{LoginError, RegisterError};
use tradesense_domain::ports::RepoError;
use tradesense_http::{ApiError, ErrorCode};

/// Wraps domain errors so this crate can convert them (the orphan rule forbids `From` between two foreign
/// types).
pub struct AuthError(pub ApiError);

impl From<RegisterError> for AuthError {
    fn from(e: RegisterError) -> Self {
        AuthError(match e {
            RegisterError::InvalidEmail => ApiError::invalid_field("email", "not a valid email address"),
            RegisterError::WeakPassword(why) => {
                ApiError::invalid_field("password", format!("password {why}"))
            }
            RegisterError::InvalidDisplayName => ApiError::invalid_field("display_name", e.to_string()),
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
            LoginError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}

impl From<RepoError> for AuthError {
    fn from(e: RepoError) -> Self {
        AuthError(ApiError::internal(e))
    }
}

impl From<ApiError> for AuthError {
    fn from(e: ApiError) -> Self {
        AuthError(e)
    }
}

impl axum::response::IntoResponse for AuthError {
    fn into_response(self) -> axum::response::Response {
        self.0.into_response()
    }
}
