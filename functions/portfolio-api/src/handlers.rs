//! Portfolio handlers: the caller's own account only (the user id comes from the authorizer). In live mode the
//! reads come from the user's broker; the paper account is untouched.

use axum::extract::State;
use axum::http::StatusCode;
use tradesense_domain::identity::rbac::Permission;
use tradesense_domain::kernel::ids::UserId;
use tradesense_domain::market::ports::MarketDataError;
use tradesense_domain::trading::account::PaperAccount;
use tradesense_domain::trading::live_desk::{LiveAccount, SwitchError};
use tradesense_domain::trading::portfolio::{Funds, Valuation, funds as account_funds, summarize};
use tradesense_domain::trading::service::{PlaceError, ResetError};
use tradesense_http::error::ErrorBody as Body;
use tradesense_http::{ApiError, AppJson, AuthContext, ErrorCode};

use crate::PortfolioState;
use crate::dto::{
    FundsDto, HoldingDto, HoldingsResponse, ModeDto, PositionDto, PositionsResponse, ResetRequest,
    ResetResponse, SummaryDto,
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

fn valuation_error(e: PlaceError) -> ApiError {
    match e {
        PlaceError::MarketData(MarketDataError::Unavailable(cause)) => {
            tracing::warn!(error = ?cause, "no prices to value positions");
            ApiError::unavailable("market data is unavailable; try again shortly")
        }
        PlaceError::Broker(e) => e.into(),
        other => ApiError::internal(anyhow::Error::from(other)),
    }
}

/// The caller's account at their broker in live mode; `None` on paper.
async fn live_account<'a>(
    state: &'a PortfolioState,
    user: &UserId,
) -> Result<Option<LiveAccount<'a>>, ApiError> {
    state.paper.live_account(user).await.map_err(valuation_error)
}

/// The paper book at the last prices.
async fn paper_book(state: &PortfolioState, user: UserId) -> Result<Valuation, ApiError> {
    state.paper.valuation(user).await.map_err(valuation_error)
}

/// The paper account's funds.
async fn paper_funds(state: &PortfolioState, user: &UserId) -> Result<Funds, ApiError> {
    Ok(account_funds(&account(state, user).await?))
}

/// The caller's account at a glance: funds, positions and holdings valued at the last price.
#[utoipa::path(get, path = "/v1/portfolio", tag = "portfolio", security(("bearer" = [])),
    responses((status = 200, body = SummaryDto), (status = 403, body = Body)))]
pub async fn summary(
    auth: AuthContext,
    State(state): State<PortfolioState>,
) -> Result<AppJson<SummaryDto>, ApiError> {
    let user = auth.require(Permission::PortfolioRead)?.user_id;
    let (funds, book) = match live_account(&state, &user).await? {
        Some(live) => (
            live.funds().await.map_err(valuation_error)?,
            live.valuation().await.map_err(valuation_error)?,
        ),
        None => (paper_funds(&state, &user).await?, paper_book(&state, user).await?),
    };
    Ok(AppJson(SummaryDto::new(
        &summarize(funds, &book),
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
    let positions = match live_account(&state, &user).await? {
        Some(live) => live.positions().await.map_err(valuation_error)?,
        None => paper_book(&state, user).await?.positions,
    };
    let items = positions.iter().map(PositionDto::from).collect();
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
    let holdings = match live_account(&state, &user).await? {
        Some(live) => live.holdings().await.map_err(valuation_error)?,
        None => paper_book(&state, user).await?.holdings,
    };
    let items = holdings.iter().map(HoldingDto::from).collect();
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
    let funds = match live_account(&state, &user).await? {
        Some(live) => live.funds().await.map_err(valuation_error)?,
        None => paper_funds(&state, &user).await?,
    };
    Ok(AppJson(funds.into()))
}

/// The caller's trading mode: where their new orders go.
#[utoipa::path(get, path = "/v1/portfolio/mode", tag = "portfolio", security(("bearer" = [])),
    responses((status = 200, body = ModeDto), (status = 403, body = Body)))]
pub async fn mode(
    auth: AuthContext,
    State(state): State<PortfolioState>,
) -> Result<AppJson<ModeDto>, ApiError> {
    let user = auth.require(Permission::PortfolioRead)?.user_id;
    let mode = state.paper.mode(&user).await.map_err(ApiError::internal)?;
    Ok(AppJson(ModeDto { mode }))
}

/// Switches where the caller's new orders go: `live` (their linked Upstox account, real money) or `paper`.
/// Live needs a linked Upstox account whose access has not expired; orders already placed stay where they went.
#[utoipa::path(put, path = "/v1/portfolio/mode", tag = "portfolio", security(("bearer" = [])),
    request_body = ModeDto,
    responses((status = 200, body = ModeDto), (status = 400, body = Body), (status = 403, body = Body),
        (status = 409, description = "No linked Upstox account with live access", body = Body)))]
pub async fn switch_mode(
    auth: AuthContext,
    State(state): State<PortfolioState>,
    AppJson(body): AppJson<ModeDto>,
) -> Result<AppJson<ModeDto>, ApiError> {
    let user = auth.require(Permission::OrdersWrite)?.user_id;
    let mode = state
        .paper
        .switch_mode(&user, body.mode)
        .await
        .map_err(|e| match e {
            SwitchError::NotLinked | SwitchError::NoLiveBroker => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, e.to_string())
            }
            SwitchError::Unexpected(cause) => ApiError::internal(cause),
        })?;
    tracing::info!(user_id = %user, ?mode, "trading mode switched");
    Ok(AppJson(ModeDto { mode }))
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
