//! The admin area's OpenAPI fragment, and the whole API's document as committed (`docs/openapi.json`,
//! composed from every area's fragment by `make openapi`), which `GET /openapi.json` serves as it is.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    paths(
        crate::handlers::health,
        crate::handlers::deep_health,
        crate::handlers::update_user,
        crate::handlers::kill_switch,
        crate::handlers::openapi_document
    ),
    components(schemas(crate::dto::HealthResponse, crate::dto::DeepHealthResponse)),
    tags((name = "admin", description = "Health, operations and the API document"))
)]
/// The admin area's paths and schemas.
pub struct AdminDoc;

/// The whole API's document, as committed.
pub const API_DOCUMENT: &str = include_str!("../../../docs/openapi.json");
