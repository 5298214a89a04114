//! The analytics area's part of the OpenAPI document.

use utoipa::OpenApi;

/// Analytics paths.
#[derive(OpenApi)]
#[openapi(
    paths(
        crate::handlers::tax_pnl,
        crate::handlers::trades,
        crate::handlers::equity_curve,
        crate::handlers::performance
    ),
    tags((name = "analytics", description = "Analytics on the caller's own account"))
)]
pub struct AnalyticsDoc;
