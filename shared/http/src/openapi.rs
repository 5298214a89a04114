//! OpenAPI basics every area's document shares: the bearer security scheme, the error body schema and the
//! responses every operation can give. The admin function serves every area's document merged into one at
//! `GET /openapi.json`.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr, Response,
    ResponseBuilder,
};

use crate::error::{ErrorBody, ErrorCode, ErrorDetail, FieldError};

/// How request bodies write a non-negative decimal (prices, cash, percentages): a JSON string of up to 15
/// digits, optionally a point and up to 10 more. Use it as `#[schema(value_type = DecimalString)]`.
pub struct DecimalString;

/// The pattern of a [`DecimalString`].
pub const DECIMAL_STRING_PATTERN: &str = r"^[0-9]{1,15}(\.[0-9]{1,10})?$";

impl utoipa::PartialSchema for DecimalString {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(DECIMAL_STRING_PATTERN))
            .description(Some(
                "A decimal as a string, e.g. \"1500.05\"; rules on its value are the field's.",
            ))
            .examples(["1500.05"])
            .into()
    }
}

impl utoipa::ToSchema for DecimalString {}

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
        .schema_from::<DecimalString>()
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

/// What every operation can answer besides what its handler documents, added to each operation of `doc`:
/// `401` where a bearer token is required, `400` where it takes a query string, a header or a body, and
/// `413` and `415` where it takes a JSON body. A status the handler documents itself keeps its description.
pub fn add_common_responses(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            for (status, description) in common_responses(operation) {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_response(description));
            }
        }
    }
}

fn common_responses(operation: &Operation) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    let needs_token = operation
        .security
        .iter()
        .flatten()
        .any(|requirement| *requirement != SecurityRequirement::default());
    if needs_token {
        out.push((
            "401",
            "No valid credentials: a missing, expired, forged or revoked token.",
        ));
    }
    let takes_input = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query | ParameterIn::Header));
    if takes_input || operation.request_body.is_some() {
        out.push((
            "400",
            "The request does not match this document (malformed, missing, unknown or out-of-range input); \
             the details name each field or parameter.",
        ));
    }
    if operation.request_body.is_some() {
        out.push(("413", "The body is larger than 64 KiB."));
        out.push(("415", "The body is not `application/json`."));
    }
    out
}

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, PathItemBuilder};
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::{HttpMethod, PathsBuilder};

    fn statuses(doc: &OpenApi, path: &str) -> Vec<String> {
        let item = &doc.paths.paths[path];
        let op = item.get.as_ref().or(item.post.as_ref()).unwrap();
        op.responses.responses.keys().cloned().collect()
    }

    #[test]
    fn adds_401_to_protected_operations_and_400_413_415_where_input_is_read() {
        let ok = || ResponseBuilder::new().description("ok").build();
        let protected_query = OperationBuilder::new()
            .security(SecurityRequirement::new(BEARER, Vec::<String>::new()))
            .parameter(
                ParameterBuilder::new()
                    .name("limit")
                    .parameter_in(ParameterIn::Query),
            )
            .response("200", ok());
        let public_body = OperationBuilder::new()
            .security(SecurityRequirement::default())
            .request_body(Some(RequestBodyBuilder::new().build()))
            .response("400", ResponseBuilder::new().description("kept").build())
            .response("200", ok());
        let public_bare = OperationBuilder::new().response("200", ok());
        let mut doc = OpenApiBuilder::new()
            .paths(
                PathsBuilder::new()
                    .path(
                        "/q",
                        PathItemBuilder::new()
                            .operation(HttpMethod::Get, protected_query)
                            .build(),
                    )
                    .path(
                        "/b",
                        PathItemBuilder::new()
                            .operation(HttpMethod::Post, public_body)
                            .build(),
                    )
                    .path(
                        "/h",
                        PathItemBuilder::new()
                            .operation(HttpMethod::Get, public_bare)
                            .build(),
                    ),
            )
            .build();
        add_common_responses(&mut doc);
        assert_eq!(statuses(&doc, "/q"), ["200", "400", "401"]);
        assert_eq!(statuses(&doc, "/b"), ["200", "400", "413", "415"]);
        assert_eq!(statuses(&doc, "/h"), ["200"]);
        let RefOr::T(kept) = &doc.paths.paths["/b"].post.as_ref().unwrap().responses.responses["400"] else {
            panic!("a response, not a reference")
        };
        assert_eq!(kept.description, "kept");
    }
}
