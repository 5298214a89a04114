//! The push channel's REST route (`POST /v1/stream/ticket`, any signed-in role): a single-use ticket, good for
//! 30 seconds, bound to the caller's session, to open the WebSocket with (`url?ticket=…`). Long-lived tokens
//! never go in a URL.

mod dto;
mod errors;
mod handlers;
pub mod openapi;

use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use tradesense_adapters::config::{AwsSettings, ConfigError, Vars};
use tradesense_adapters::stream::StreamConfig;
use tradesense_domain::stream::service::StreamService;
use tradesense_http::HttpConfig;

/// Configuration of the ticket function.
#[derive(Clone)]
pub struct StreamApiConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// CORS and other HTTP settings.
    pub http: HttpConfig,
    /// The push channel's wiring.
    pub stream: StreamConfig,
}

impl StreamApiConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            aws: AwsSettings::from_vars(vars)?,
            http: HttpConfig::from_vars(vars)?,
            stream: StreamConfig::from_vars(vars)?,
        })
    }
}

/// The handlers' state.
#[derive(Clone)]
pub struct StreamApiState {
    /// The push channel's use cases.
    pub stream: Arc<StreamService>,
}

/// The route, with its full API Gateway path.
pub fn router(state: StreamApiState) -> Router {
    Router::new()
        .route("/v1/stream/ticket", post(handlers::stream_ticket))
        .with_state(state)
}
