//! Portfolio handlers: the caller's own account only (the user id comes from the authorizer). In live mode the
//! reads come from the user's broker; the paper account is untouched.

use axum::extract::State;
use tradesense_domain::identity::rbac::Permission;
use tradesense_http::error::ErrorBody as Body;
use tradesense_http::{AppJson, AuthContext};

use crate::PortfolioState;
use crate::dto::{
    FundsDto, HoldingDto, HoldingsResponse, ModeDto, PositionDto, PositionsResponse, ResetRequest,
    ResetResponse, SummaryDto,
};
use crate::errors::PortfolioError;

/// The caller's account at a glance: funds, positions and holdings valued at the last price.
#[utoipa::path(get, path = "/v1/portfolio", tag = "portfolio", security(("bearer" = [])),
    responses((status = 200, body = SummaryDto), (status = 403, body = Body)))]
pub async fn summary(
    auth: AuthContext,
    State(state): State<PortfolioState>,
) -> Result<AppJson<SummaryDto>, PortfolioError> {
    let user = auth.require(Permission::PortfolioRead)?.user_id;
    Ok(AppJson(SummaryDto::from(&state.paper.summary(user).await?)))
}

/// The caller's positions valued at the last price.
#[utoipa::path(get, path = "/v1/portfolio/positions", tag = "portfolio", security(("bearer" = [])),
    responses((status = 200, body = PositionsResponse), (status = 403, body = Body)))]
pub async fn positions(
    auth: AuthContext,
    State(state): State<PortfolioState>,
) -> Result<AppJson<PositionsResponse>, PortfolioError> {
    let user = auth.require(Permission::PortfolioRead)?.user_id;
    let items = state
        .paper
        .positions(user)
        .await?
        .iter()
        .map(PositionDto::from)
        .collect();
    Ok(AppJson(PositionsResponse { items }))
}

/// The caller's holdings (settled delivery units) valued at the last price.
#[utoipa::path(get, path = "/v1/portfolio/holdings", tag = "portfolio", security(("bearer" = [])),
    responses((status = 200, body = HoldingsResponse), (status = 403, body = Body)))]
pub async fn holdings(
    auth: AuthContext,
    State(state): State<PortfolioState>,
) -> Result<AppJson<HoldingsResponse>, PortfolioError> {
    let user = auth.require(Permission::PortfolioRead)?.user_id;
    let items = state
        .paper
        .holdings(user)
        .await?
        .iter()
        .map(HoldingDto::from)
        .collect();
    Ok(AppJson(HoldingsResponse { items }))
}

/// The caller's funds.
#[utoipa::path(get, path = "/v1/portfolio/funds", tag = "portfolio", security(("bearer" = [])),
    responses((status = 200, body = FundsDto), (status = 403, body = Body)))]
pub async fn funds(
    auth: AuthContext,
    State(state): State<PortfolioState>,
) -> Result<AppJson<FundsDto>, PortfolioError> {
    let user = auth.require(Permission::PortfolioRead)?.user_id;
    Ok(AppJson(state.paper.funds(user).await?.into()))
}

/// The caller's trading mode: where their new orders go.
#[utoipa::path(get, path = "/v1/portfolio/mode", tag = "portfolio", security(("bearer" = [])),
    responses((status = 200, body = ModeDto), (status = 403, body = Body)))]
pub async fn mode(
    auth: AuthContext,
    State(state): State<PortfolioState>,
) -> Result<AppJson<ModeDto>, PortfolioError> {
    let user = auth.require(Permission::PortfolioRead)?.user_id;
    let mode = state.paper.mode(&user).await?;
    Ok(AppJson(ModeDto { mode }))
}

/// Switches where the caller's new orders go: `live` (their linked Upstox account, real money) or `paper`.
/// Live needs a linked Upstox account whose access has not expired; orders already placed stay where they went.
#[utoipa::path(put, path = "/v1/portfolio/mode", tag = "portfolio", security(("bearer" = [])),
    request_body = ModeDto,
    responses((status = 200, body = ModeDto), (status = 403, body = Body),
        (status = 409, description = "No linked Upstox account with live access", body = Body)))]
pub async fn switch_mode(
    auth: AuthContext,
    State(state): State<PortfolioState>,
    AppJson(body): AppJson<ModeDto>,
) -> Result<AppJson<ModeDto>, PortfolioError> {
    let user = auth.require(Permission::OrdersWrite)?.user_id;
    let mode = state.paper.switch_mode(&user, body.mode).await?;
    tracing::info!(user_id = %user, ?mode, "trading mode switched");
    Ok(AppJson(ModeDto { mode }))
}

/// Refunds the caller's paper account and forgets its closed positions; only when nothing is held.
#[utoipa::path(post, path = "/v1/portfolio/paper/reset", tag = "portfolio", security(("bearer" = [])),
    request_body = ResetRequest,
    responses((status = 200, body = ResetResponse), (status = 422, body = Body), (status = 403, body = Body),
        (status = 409, description = "An open position or a working order holds funds", body = Body)))]
pub async fn reset(
    auth: AuthContext,
    State(state): State<PortfolioState>,
    AppJson(body): AppJson<ResetRequest>,
) -> Result<AppJson<ResetResponse>, PortfolioError> {
    let user = auth.require(Permission::OrdersWrite)?.user_id;
    let account = state.paper.reset_paper(user, body.initial_cash).await?;
    tracing::info!(user_id = %user, cash = %account.cash, "paper account reset");
    Ok(AppJson(ResetResponse::from(&account)))
}
