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
        crate::handlers::reset
    ),
    tags((name = "portfolio", description = "The paper account: summary, positions, holdings, funds, reset"))
)]
pub struct PortfolioDoc;
