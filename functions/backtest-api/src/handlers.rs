//! Backtest handlers: parse, check the permission, call the backtest use cases, shape the answer. Every run
//! is keyed by the authorizer's user: another account's run id answers 404.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tradesense_domain::backtest::service::{Deleted, SubmitCommand, Submitted};
use tradesense_domain::identity::rbac::Permission;
use tradesense_domain::kernel::ids::BacktestId;
use tradesense_http::error::ErrorBody as Body;
use tradesense_http::pagination::{PageQuery, idempotency_key, page_size};
use tradesense_http::{ApiError, AppJson, AppQuery, AuthContext};

use crate::BacktestState;
use crate::dto::{RunDto, RunsResponse, SubmitBacktestRequest};
use crate::errors::{BacktestError, malformed};

fn run_id(raw: &str) -> Result<BacktestId, ApiError> {
    // A malformed id names no run of anyone's: the same 404 as another account's.
    raw.parse().map_err(|_| ApiError::not_found())
}

/// Submits a backtest: validated (every bad field named, nothing stored or queued), stored and queued for the
/// backtest worker. A repeat with the same `Idempotency-Key` and body answers with the original run as it now
/// stands; a different body under the same key is a 409.
#[utoipa::path(post, path = "/v1/backtests", tag = "backtests", security(("bearer" = [])),
    request_body = SubmitBacktestRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1–64 visible ASCII characters",
        pattern = "^[!-~]{1,64}$")),
    responses((status = 202, description = "Queued (or the original run, for a repeat)", body = RunDto),
        (status = 422, body = Body), (status = 401, body = Body), (status = 403, body = Body),
        (status = 409, description = "The Idempotency-Key was used for another backtest", body = Body),
        (status = 503, description = "The backtest queue is unavailable; nothing was kept", body = Body)))]
pub async fn submit(
    auth: AuthContext,
    State(state): State<BacktestState>,
    headers: HeaderMap,
    AppJson(body): AppJson<SubmitBacktestRequest>,
) -> Result<(StatusCode, AppJson<RunDto>), BacktestError> {
    let user = auth.require(Permission::BacktestsWrite)?.user_id;
    let command = SubmitCommand {
        request: body.to_domain().map_err(malformed)?,
        idempotency_key: idempotency_key(&headers)?,
        request_hash: body.canonical_hash(),
    };
    let run = match state.backtests.submit(user, command).await? {
        Submitted::Created(run) | Submitted::Replayed(run) => run,
    };
    Ok((StatusCode::ACCEPTED, AppJson(RunDto::of(&run))))
}

/// The caller's runs, newest first, a page at a time, without their results.
#[utoipa::path(get, path = "/v1/backtests", tag = "backtests", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = RunsResponse), (status = 422, body = Body), (status = 401, body = Body)))]
pub async fn list(
    auth: AuthContext,
    State(state): State<BacktestState>,
    AppQuery(query): AppQuery<PageQuery>,
) -> Result<AppJson<RunsResponse>, BacktestError> {
    let user = auth.require(Permission::BacktestsRead)?.user_id;
    let scope = format!("backtests|{user}");
    let after = state
        .cursors
        .resume_after(&scope, query.cursor.as_deref())
        .await?;
    let page = state
        .backtests
        .list(&user, page_size(query.limit)?, after)
        .await?;
    Ok(AppJson(RunsResponse {
        items: page.items.iter().map(RunDto::of).collect(),
        next_cursor: state.cursors.next(&scope, page.resume_after).await?,
    }))
}

/// One of the caller's runs; once `DONE`, with its metrics, trades and curves.
#[utoipa::path(get, path = "/v1/backtests/{id}", tag = "backtests", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = RunDto), (status = 401, body = Body), (status = 404, body = Body)))]
pub async fn get(
    auth: AuthContext,
    State(state): State<BacktestState>,
    Path(id): Path<String>,
) -> Result<AppJson<RunDto>, BacktestError> {
    let user = auth.require(Permission::BacktestsRead)?.user_id;
    let view = state
        .backtests
        .get(&user, &run_id(&id)?)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(AppJson(RunDto::from(&view)))
}

/// Deletes one of the caller's runs: a queued or running run is cancelled (`200` with the run, which stays
/// listed as `CANCELLED`; its worker stops at its next step); a finished one is removed with its result
/// (`204`).
#[utoipa::path(delete, path = "/v1/backtests/{id}", tag = "backtests", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "Cancelled", body = RunDto), (status = 204, description = "Removed"),
        (status = 401, body = Body), (status = 403, body = Body), (status = 404, body = Body)))]
pub async fn delete(
    auth: AuthContext,
    State(state): State<BacktestState>,
    Path(id): Path<String>,
) -> Result<Response, BacktestError> {
    let user = auth.require(Permission::BacktestsWrite)?.user_id;
    Ok(match state.backtests.delete(&user, &run_id(&id)?).await? {
        Deleted::Cancelled(run) => AppJson(RunDto::of(&run)).into_response(),
        Deleted::Removed => StatusCode::NO_CONTENT.into_response(),
    })
}
