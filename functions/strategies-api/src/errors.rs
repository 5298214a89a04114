//! Which status and code each strategy error gets: API policy, kept out of the domain.

use tradesense_domain::market::ports::MarketDataError;
use tradesense_domain::strategies::service::StrategyError;
use tradesense_http::ApiError;
use tradesense_http::trading::conflict;

tradesense_http::api_error_newtype!(
    /// What the strategies handlers return: any [`ApiError`], and the strategy use cases' errors mapped below.
    StrategiesError
);

impl From<StrategyError> for StrategiesError {
    fn from(e: StrategyError) -> Self {
        StrategiesError(match e {
            StrategyError::Invalid(violations) => {
                ApiError::violations("the strategy breaks its rules", violations)
            }
            StrategyError::NotFound => ApiError::not_found(),
            StrategyError::TooMany(_) | StrategyError::AlreadyExecuted => conflict(e.to_string()),
            // A basket refused for one leg says which: the leg's index in the request.
            StrategyError::Basket(refusal) => {
                let error = ApiError::from(refusal.error);
                match refusal.leg {
                    Some(leg) => {
                        error.with_detail(format!("legs[{leg}]"), "this leg was refused; nothing was placed")
                    }
                    None => error,
                }
            }
            StrategyError::MarketData(MarketDataError::Unsupported(message)) => {
                ApiError::unprocessable_field("underlying", message)
            }
            StrategyError::MarketData(MarketDataError::Unavailable(cause)) => {
                ApiError::dependency_unavailable("market data", cause)
            }
            StrategyError::Unexpected(cause) => ApiError::internal(cause),
        })
    }
}
