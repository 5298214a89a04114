//! The API's OpenAPI document. Each area contributes its paths here as it is built.

use tradesense_http::openapi::base_document;
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
struct AdminDoc;

/// The whole document: shared basics merged with every area's paths.
pub fn api_document() -> utoipa::openapi::OpenApi {
    let mut doc = base_document(env!("CARGO_PKG_VERSION"));
    doc.merge(AdminDoc::openapi());
    doc.merge(auth_api::openapi::AuthDoc::openapi());
    doc.merge(orders_api::openapi::OrdersDoc::openapi());
    doc.merge(portfolio_api::openapi::PortfolioDoc::openapi());
    doc.merge(market_api::openapi::MarketDoc::openapi());
    doc
}
