//! The backtest area's part of the OpenAPI document.

use utoipa::OpenApi;

/// Backtest paths.
#[derive(OpenApi)]
#[openapi(
    paths(
        crate::handlers::submit,
        crate::handlers::list,
        crate::handlers::get,
        crate::handlers::delete
    ),
    tags((name = "backtests", description = "Strategies run over an instrument's history by the backtest worker"))
)]
pub struct BacktestDoc;
