//! The market-data area's part of the OpenAPI document.

use utoipa::OpenApi;

/// Market-data paths.
#[derive(OpenApi)]
#[openapi(
    paths(crate::calculator::calculate),
    tags((name = "market", description = "Market data and option analytics"))
)]
pub struct MarketDoc;
