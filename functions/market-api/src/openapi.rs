//! The market-data area's part of the OpenAPI document.

use utoipa::OpenApi;

/// Market-data paths.
#[derive(OpenApi)]
#[openapi(
    paths(
        crate::calculator::calculate,
        crate::handlers::instruments,
        crate::handlers::quotes,
        crate::handlers::candles,
        crate::handlers::chain,
        crate::handlers::status
    ),
    tags((name = "market", description = "Market data and option analytics"))
)]
pub struct MarketDoc;
