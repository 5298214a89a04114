//! The orders API. Today it holds only `POST /v1/orders` behind its `orders:write` guard, so that RBAC is
//! tested end to end (a viewer can never trade); a permitted caller gets `501 NOT_IMPLEMENTED` until the
//! trading core (issue 6) builds placement here.

pub mod openapi;

use axum::Router;
use axum::routing::post;
use tradesense_adapters::config::{AwsSettings, ConfigError, Vars, optional};
use tradesense_domain::auth::Permission;
use tradesense_http::{ApiError, AuthContext, HttpConfig};

/// Configuration of the orders function.
#[derive(Debug, Clone)]
pub struct OrdersConfig {
    /// Where the AWS SDK sends requests.
    pub aws: AwsSettings,
    /// CORS and other HTTP settings.
    pub http: HttpConfig,
}

impl OrdersConfig {
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

/// Places an order (not built yet: the permission guard is).
#[utoipa::path(post, path = "/v1/orders", tag = "orders", security(("bearer" = [])),
    responses((status = 403, description = "Without orders:write (viewers)", body = tradesense_http::error::ErrorBody),
        (status = 501, description = "Placement not built yet", body = tradesense_http::error::ErrorBody)))]
pub async fn place_order(auth: AuthContext) -> Result<(), ApiError> {
    auth.require(Permission::OrdersWrite)?;
    Err(ApiError::not_implemented(
        "order placement arrives with the trading core",
    ))
}

/// The orders routes, with full API Gateway paths.
pub fn router() -> Router {
    Router::new().route("/v1/orders", post(place_order))
}
