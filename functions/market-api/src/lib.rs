//! The market-data API. So far: `POST /v1/market/option-calculator` (public), pricing one European option
//! with Black-Scholes or Black-76, its Greeks, and the implied volatility of a given price.

mod calculator;
pub mod openapi;

use axum::Router;
use axum::routing::post;
use tradesense_adapters::config::{AwsSettings, ConfigError, Vars, optional};
use tradesense_http::HttpConfig;

/// Configuration of the market-data function.
#[derive(Debug, Clone)]
pub struct MarketConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// CORS and other HTTP settings.
    pub http: HttpConfig,
}

impl MarketConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        let cors = optional(vars, "CORS_ALLOWED_ORIGINS").unwrap_or_default();
        Ok(Self {
            aws: AwsSettings::from_vars(vars)?,
            http: HttpConfig::from_cors_origins(&cors).map_err(|reason| ConfigError::Invalid {
                key: "CORS_ALLOWED_ORIGINS".into(),
                reason,
            })?,
        })
    }
}

/// The market-data routes, with full API Gateway paths.
pub fn router() -> Router {
    Router::new().route("/v1/market/option-calculator", post(calculator::calculate))
}
