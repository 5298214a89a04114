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
    for (_, fragment) in fragments() {
        doc.merge(fragment);
    }
    add_common_responses(&mut doc);
    doc
}

/// Every area's fragment, by area. Merging keeps the first schema of a name, so two areas must never name
/// different schemas alike (a test holds them to it).
pub fn fragments() -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
    vec![
        ("admin", admin_api::openapi::AdminDoc::openapi()),
        ("auth", auth_api::openapi::AuthDoc::openapi()),
        ("orders", orders_api::openapi::OrdersDoc::openapi()),
        ("portfolio", portfolio_api::openapi::PortfolioDoc::openapi()),
        ("market", market_api::openapi::MarketDoc::openapi()),
        ("backtest", backtest_api::openapi::BacktestDoc::openapi()),
        ("alerts", alerts_api::openapi::AlertsDoc::openapi()),
        ("strategies", strategies_api::openapi::StrategiesDoc::openapi()),
        ("analytics", analytics_api::openapi::AnalyticsDoc::openapi()),
        ("stream", stream_api::openapi::StreamDoc::openapi()),
    ]
}

/// The document as committed: pretty JSON ending in a newline.
///
/// # Errors
/// If the document does not serialize.
pub fn render() -> anyhow::Result<String> {
    Ok(format!("{}\n", serde_json::to_string_pretty(&api_document())?))
}
