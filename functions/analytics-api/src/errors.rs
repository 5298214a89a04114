//! Which status and code each analytics error gets: API policy, kept out of the domain.

use tradesense_domain::analytics::service::AnalyticsError;
use tradesense_http::ApiError;

tradesense_http::api_error_newtype!(
    /// What the analytics handlers return: any [`ApiError`], and the analytics use cases' errors mapped below.
    AnalyticsApiError
);

impl From<AnalyticsError> for AnalyticsApiError {
    fn from(e: AnalyticsError) -> Self {
        AnalyticsApiError(match e {
            too_many @ AnalyticsError::TooManyFills(_) => ApiError::unprocessable(too_many.to_string()),
            AnalyticsError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}
