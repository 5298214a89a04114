//! The orders area's part of the OpenAPI document.

use utoipa::OpenApi;

/// Orders paths.
#[derive(OpenApi)]
#[openapi(paths(crate::place_order), tags((name = "orders", description = "Orders (placement not built yet)")))]
pub struct OrdersDoc;
