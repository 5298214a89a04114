//! The strategies area's part of the OpenAPI document.

use utoipa::OpenApi;

/// Strategy paths.
#[derive(OpenApi)]
#[openapi(
    paths(
        crate::handlers::templates,
        crate::handlers::analyze,
        crate::handlers::save,
        crate::handlers::list,
        crate::handlers::get,
        crate::handlers::delete,
        crate::handlers::execute_saved,
        crate::handlers::execute_legs
    ),
    tags((name = "strategies", description = "Multi-leg option strategies: templates, analysis, saved strategies with mark to market, basket execution"))
)]
pub struct StrategiesDoc;
