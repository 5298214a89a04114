//! The admin area's OpenAPI fragment. The whole API's document is composed from every area's fragment by
//! `make openapi` into `docs/openapi.json`, which `GET /openapi.json` serves as committed.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    paths(
        crate::handlers::health,
        crate::handlers::deep_health,
        crate::handlers::list_users,
        crate::handlers::get_user,
        crate::handlers::search_audit,
        crate::handlers::update_user,
        crate::handlers::kill_switch,
        crate::handlers::redrive,
        crate::handlers::metrics,
        crate::handlers::openapi_document
    ),
    components(schemas(
        crate::dto::HealthResponse,
        crate::dto::DeepHealthResponse,
        crate::dto::RoleName,
        crate::dto::AuditKindName
    )),
    tags((name = "admin", description = "Health, operations and the API document"))
)]
/// The admin area's paths and schemas.
pub struct AdminDoc;
