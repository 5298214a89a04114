//! Which status and code each market-data error gets: API policy, kept out of the domain.

use tradesense_domain::market::ports::MarketDataError;
use tradesense_http::ApiError;

tradesense_http::api_error_newtype!(
    /// What the market handlers return: any [`ApiError`], and a price source's failure mapped below.
    MarketError
);

/// A source failure as the API tells it: unsupported requests are the caller's 422, outages a 503.
impl From<MarketDataError> for MarketError {
    fn from(e: MarketDataError) -> Self {
        MarketError(match e {
            MarketDataError::Unsupported(message) => ApiError::unprocessable_field("instrument", message),
            MarketDataError::Unavailable(cause) => {
                tracing::warn!(error = ?cause, "market data unavailable");
                ApiError::unavailable("market data is unavailable; try again shortly")
            }
        })
    }
}
