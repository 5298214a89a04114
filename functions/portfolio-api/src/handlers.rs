//! Portfolio handlers: the caller's own account only (the user id comes from the authorizer).

use axum::extract::State;
use axum::http::StatusCode;
use tradesense_domain::auth::Permission;
use tradesense_domain::ids::UserId;
use tradesense_domain::paper::PaperAccount;
use tradesense_domain::ports::MarketDataError;
use tradesense_domain::trading::portfolio::{Valuation, funds as account_funds, summarize};
use tradesense_domain::trading::service::{PlaceError, ResetError};
use tradesense_http::error::ErrorBody as Body;
use tradesense_http::{ApiError, AppJson, AuthContext, ErrorCode};

use crate::PortfolioState;
use crate::dto::{
    FundsDto, HoldingDto, HoldingsResponse, PositionDto, PositionsResponse, ResetRequest, ResetResponse,
    SummaryDto,
};

async fn account(state: &PortfolioState, user: &UserId) -> Result<PaperAccount, ApiError> {
    state
        .paper
        .ledger
        .account(user)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::not_found)
}

async fn valued(state: &PortfolioState, user: UserId) -> Result<Valuation, ApiError> {
    state.paper.valuation(user).await.map_err(|e| match e {
        PlaceError::MarketData(MarketDataError::Unavailable(cause)) => {
            tracing::warn!(error = ?cause, "no prices to value positions");
            ApiError::unavailable("market data is unavailable; try again shortly")
        }
        other => ApiError::internal(anyhow::Error::from(other)),
    })
}

/// The caller's account at a glance: funds, positions and holdings valued at the last price.
#[utoipa::path(get, path = "/v1/portfolio", tag = "portfolio", security(("bearer" = [])),
    responses((status = 200, body = SummaryDto), (status = 403, body = Body)))]
pub async fn summary(
    auth: AuthContext,
    State(state): State<PortfolioState>,
) -> Result<AppJson<SummaryDto>, ApiError> {
    let user = auth.require(Permission::PortfolioRead)?.user_id;
    let account = account(&state, &user).await?;
    let book = valued(&state, user).await?;
    Ok(AppJson(SummaryDto::new(
        &summarize(&account, &book),
        state.paper.clock.now(),
    )))
}

/// The caller's positions valued at the last price.
#[utoipa::path(get, path = "/v1/portfolio/positions", tag = "portfolio", security(("bearer" = [])),
    responses((status = 200, body = PositionsResponse), (status = 403, body = Body)))]
pub async fn positions(
    auth: AuthContext,
    State(state): State<PortfolioState>,
) -> Result<AppJson<PositionsResponse>, ApiError> {
    let user = auth.require(Permission::PortfolioRead)?.user_id;
    let items = valued(&state, user)
        .await?
        .positions
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
) -> Result<AppJson<HoldingsResponse>, ApiError> {
    let user = auth.require(Permission::PortfolioRead)?.user_id;
    let items = valued(&state, user)
        .await?
        .holdings
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
) -> Result<AppJson<FundsDto>, ApiError> {
    let user = auth.require(Permission::PortfolioRead)?.user_id;
    Ok(AppJson(account_funds(&account(&state, &user).await?).into()))
}

/// Refunds the caller's paper account and forgets its closed positions; only when nothing is held.
#[utoipa::path(post, path = "/v1/portfolio/paper/reset", tag = "portfolio", security(("bearer" = [])),
    request_body = ResetRequest,
    responses((status = 200, body = ResetResponse), (status = 400, body = Body), (status = 403, body = Body),
        (status = 409, description = "An open position or a working order holds funds", body = Body)))]
pub async fn reset(
    auth: AuthContext,
    State(state): State<PortfolioState>,
    AppJson(body): AppJson<ResetRequest>,
) -> Result<AppJson<ResetResponse>, ApiError> {
    let user = auth.require(Permission::OrdersWrite)?.user_id;
    let account = state
        .paper
        .reset_paper(user, body.initial_cash)
        .await
        .map_err(|e| match e {
            ResetError::InvalidCash => ApiError::invalid_field("initial_cash", e.to_string()),
            ResetError::Holding => ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, e.to_string()),
            ResetError::Unexpected(cause) => ApiError::internal(cause),
        })?;
    tracing::info!(user_id = %user, cash = %account.cash, "paper account reset");
    Ok(AppJson(ResetResponse::from(&account)))
}
