//! The API's OpenAPI document, composed from every area's fragment and committed as `docs/openapi.json`:
//! admin-api serves that file, frontend teams generate their clients from it, and a test fails when it is
//! stale (`make openapi` writes it again). A new area adds its fragment here, and nowhere else.

use std::path::PathBuf;

use tradesense_http::openapi::{add_common_responses, base_document};
use utoipa::OpenApi as _;

use crate::emulator::workspace_root;

/// Where the committed document lives.
pub fn committed_path() -> PathBuf {
    workspace_root().join("docs/openapi.json")
}

/// The whole document: the shared basics merged with every area's paths and schemas.
pub fn api_document() -> utoipa::openapi::OpenApi {
    let mut doc = base_document(env!("CARGO_PKG_VERSION"));
    doc.merge(admin_api::openapi::AdminDoc::openapi());
    doc.merge(auth_api::openapi::AuthDoc::openapi());
    doc.merge(orders_api::openapi::OrdersDoc::openapi());
    doc.merge(portfolio_api::openapi::PortfolioDoc::openapi());
    doc.merge(market_api::openapi::MarketDoc::openapi());
    doc.merge(backtest_api::openapi::BacktestDoc::openapi());
    doc.merge(alerts_api::openapi::AlertsDoc::openapi());
    doc.merge(strategies_api::openapi::StrategiesDoc::openapi());
    doc.merge(analytics_api::openapi::AnalyticsDoc::openapi());
    add_common_responses(&mut doc);
    doc
}

/// The document as committed: pretty JSON ending in a newline.
///
/// # Errors
/// If the document does not serialize.
pub fn render() -> anyhow::Result<String> {
    Ok(format!("{}\n", serde_json::to_string_pretty(&api_document())?))
}
