//! The portfolio area's part of the OpenAPI document.

use utoipa::OpenApi;

/// Portfolio paths.
#[derive(OpenApi)]
#[openapi(
    paths(
        crate::handlers::summary,
        crate::handlers::positions,
        crate::handlers::holdings,
        crate::handlers::funds,
        crate::handlers::reset,
        crate::handlers::mode,
        crate::handlers::switch_mode
    ),
    tags((name = "portfolio", description = "The account (paper, or the linked broker's in live mode): summary, positions, holdings, funds; the paper reset; the trading mode"))
)]
pub struct PortfolioDoc;
