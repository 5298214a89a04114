//! OpenAPI basics every area's document shares: the bearer security scheme and the error body schema. The
//! admin function merges every area's document into the one served at `GET /openapi.json`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};

use crate::error::{ErrorBody, ErrorCode, ErrorDetail, FieldError};

/// The name of the bearer-token security scheme in every document.
pub const BEARER: &str = "bearer";

/// The base document: title, version, security scheme and the shared error schemas.
pub fn base_document(version: &str) -> OpenApi {
    let components = ComponentsBuilder::new()
        .security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        )
        .schema_from::<ErrorBody>()
        .schema_from::<ErrorDetail>()
        .schema_from::<FieldError>()
        .schema_from::<ErrorCode>()
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("TradeSense API")
                .version(version)
                .description(Some(
                    "Trading-platform backend for Indian equity and F&O traders.",
                )),
        )
        .components(Some(components))
        .build()
}
