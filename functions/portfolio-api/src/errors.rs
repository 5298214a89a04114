//! Which status and code each portfolio error gets: API policy, kept out of the domain.

use axum::http::StatusCode;
use tradesense_domain::market::ports::MarketDataError;
use tradesense_domain::trading::service::{PlaceError, ResetError, SwitchError};
use tradesense_http::{ApiError, ErrorCode};

tradesense_http::api_error_newtype!(
    /// What the portfolio handlers return: any [`ApiError`], and the portfolio reads', reset's and mode
    /// switch's errors mapped below.
    PortfolioError
);

/// A read of the portfolio: no prices to value it with, or the live broker's refusal or silence, are not
/// 500s.
impl From<PlaceError> for PortfolioError {
    fn from(e: PlaceError) -> Self {
        PortfolioError(match e {
            PlaceError::MarketData(MarketDataError::Unavailable(cause)) => {
                tracing::warn!(error = ?cause, "no prices to value positions");
                ApiError::unavailable("market data is unavailable; try again shortly")
            }
            PlaceError::Broker(e) => e.into(),
            other => ApiError::internal(anyhow::Error::from(other)),
        })
    }
}

impl From<SwitchError> for PortfolioError {
    fn from(e: SwitchError) -> Self {
        PortfolioError(match e {
            SwitchError::NotLinked | SwitchError::NoLiveBroker => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, e.to_string())
            }
            SwitchError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}

impl From<ResetError> for PortfolioError {
    fn from(e: ResetError) -> Self {
        PortfolioError(match e {
            ResetError::InvalidCash => ApiError::unprocessable_field("initial_cash", e.to_string()),
            ResetError::Holding => ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, e.to_string()),
            ResetError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}
