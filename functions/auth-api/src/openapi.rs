//! The auth area's part of the OpenAPI document.

use utoipa::OpenApi;

/// Auth paths and schemas.
#[derive(OpenApi)]
#[openapi(
    paths(
        crate::handlers::register,
        crate::handlers::login,
        crate::handlers::refresh,
        crate::handlers::logout,
        crate::handlers::me,
        crate::mfa_handlers::challenge,
        crate::mfa_handlers::setup,
        crate::mfa_handlers::enable,
        crate::mfa_handlers::disable,
        crate::mfa_handlers::backup_codes,
        crate::broker_handlers::authorize,
        crate::broker_handlers::callback,
        crate::broker_handlers::unlink
    ),
    components(schemas(crate::dto::CookieSessionResponse)),
    tags((name = "auth", description = "Accounts and sessions"))
)]
pub struct AuthDoc;
