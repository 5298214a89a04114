//! The orders area's part of the OpenAPI document.

use utoipa::OpenApi;

/// Orders paths.
#[derive(OpenApi)]
#[openapi(
    paths(
        crate::handlers::place,
        crate::handlers::list,
        crate::handlers::get,
        crate::handlers::modify,
        crate::handlers::cancel,
        crate::handlers::trades
    ),
    tags((name = "orders", description = "Orders over the paper broker, and their fills"))
)]
pub struct OrdersDoc;
