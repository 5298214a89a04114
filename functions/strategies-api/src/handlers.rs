//! Strategies handlers: parse, check the permission, call the strategy use cases, shape the answer. Saved
//! strategies are keyed by the authorizer's user: another account's id answers 404.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use tradesense_domain::identity::rbac::Permission;
use tradesense_domain::kernel::ids::StrategyId;
use tradesense_domain::strategies::service::SaveRequest;
use tradesense_domain::strategies::template::Template;
use tradesense_http::error::ErrorBody as Body;
use tradesense_http::pagination::{PageQuery, canonical_hash, idempotency_key, page_size};
use tradesense_http::{ApiError, AppJson, AppQuery, AuthContext};

use crate::StrategiesState;
use crate::dto::{
    AnalysisResponse, ExecuteLegsRequest, ExecuteResponse, LegsInput, SaveStrategyRequest, SavedStrategyDto,
    StrategiesResponse, TemplateDto, TemplatesResponse,
};
use crate::errors::StrategiesError;

fn id(raw: &str) -> Result<StrategyId, ApiError> {
    // A malformed id names nothing of anyone's: the same 404 as another account's.
    raw.parse().map_err(|_| ApiError::not_found())
}

/// The `Idempotency-Key` a basket needs.
fn basket_key(headers: &HeaderMap) -> Result<String, ApiError> {
    idempotency_key(headers)?.ok_or_else(|| {
        ApiError::invalid_field("Idempotency-Key", "required: a basket is placed once per key")
    })
}

/// `201` when every leg was placed (or replayed), `200` when a live basket stopped at a refused leg.
fn executed_status(response: &ExecuteResponse) -> StatusCode {
    if response.complete {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

/// Every strategy template with its parameters and a one-line description.
#[utoipa::path(get, path = "/v1/strategies/templates", tag = "strategies", security(("bearer" = [])),
    responses((status = 200, body = TemplatesResponse), (status = 401, body = Body), (status = 403, body = Body)))]
pub async fn templates(auth: AuthContext) -> Result<AppJson<TemplatesResponse>, StrategiesError> {
    auth.require(Permission::StrategiesRead)?;
    Ok(AppJson(TemplatesResponse {
        items: Template::ALL.into_iter().map(TemplateDto::of).collect(),
    }))
}

/// Analyses a template (its legs resolved on the live chain: strikes by offset from the at-the-money
/// strike, expiries `near`/`next`/a date) or legs: the legs priced with IV and Greeks, the net premium,
/// the payoff at the first expiry and today, maximum profit and loss, exact breakevens, net Greeks, the
/// probability of profit and the margin estimate. Calendars and diagonals value the far leg at the near
/// expiry with Black-76 at its IV.
#[utoipa::path(post, path = "/v1/strategies/analyze", tag = "strategies", security(("bearer" = [])),
    request_body = LegsInput,
    responses((status = 200, body = AnalysisResponse), (status = 400, body = Body), (status = 401, body = Body),
        (status = 403, body = Body), (status = 422, body = Body),
        (status = 503, description = "Market data is unavailable", body = Body)))]
pub async fn analyze(
    auth: AuthContext,
    State(state): State<StrategiesState>,
    AppJson(body): AppJson<LegsInput>,
) -> Result<AppJson<AnalysisResponse>, StrategiesError> {
    auth.require(Permission::StrategiesRead)?;
    let analyzed = state.strategies.analyze(&body.to_domain()?).await?;
    Ok(AppJson(AnalysisResponse::from(&analyzed)))
}

/// Saves a strategy (a template or legs, resolved and priced now) under a name; at most 100 per account.
#[utoipa::path(post, path = "/v1/strategies", tag = "strategies", security(("bearer" = [])),
    request_body = SaveStrategyRequest,
    responses((status = 201, body = SavedStrategyDto), (status = 400, body = Body), (status = 401, body = Body),
        (status = 403, body = Body), (status = 409, description = "100 strategies are saved already", body = Body),
        (status = 422, body = Body), (status = 503, body = Body)))]
pub async fn save(
    auth: AuthContext,
    State(state): State<StrategiesState>,
    AppJson(body): AppJson<SaveStrategyRequest>,
) -> Result<(StatusCode, AppJson<SavedStrategyDto>), StrategiesError> {
    let user = auth.require(Permission::StrategiesWrite)?.user_id;
    let request = SaveRequest {
        name: body.name.clone(),
        legs: body.to_domain()?,
    };
    let strategy = state.strategies.save(user, request).await?;
    Ok((
        StatusCode::CREATED,
        AppJson(SavedStrategyDto::of(&strategy, None)),
    ))
}

/// The caller's saved strategies, newest first, a page at a time (executions without their mark to
/// market: read one for that).
#[utoipa::path(get, path = "/v1/strategies", tag = "strategies", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = StrategiesResponse), (status = 400, body = Body), (status = 401, body = Body),
        (status = 403, body = Body), (status = 422, description = "A cursor this list did not issue", body = Body)))]
pub async fn list(
    auth: AuthContext,
    State(state): State<StrategiesState>,
    AppQuery(query): AppQuery<PageQuery>,
) -> Result<AppJson<StrategiesResponse>, StrategiesError> {
    let user = auth.require(Permission::StrategiesRead)?.user_id;
    let scope = format!("strategies|{user}");
    let after = state
        .cursors
        .resume_after(&scope, query.cursor.as_deref())
        .await?;
    let page = state
        .strategies
        .list(&user, page_size(query.limit)?, after)
        .await?;
    Ok(AppJson(StrategiesResponse {
        items: page.items.iter().map(|s| SavedStrategyDto::of(s, None)).collect(),
        next_cursor: state.cursors.next(&scope, page.resume_after).await?,
    }))
}

/// One of the caller's strategies; once executed, each leg marked to market (entry against the last price,
/// × units) and the total.
#[utoipa::path(get, path = "/v1/strategies/{id}", tag = "strategies", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = SavedStrategyDto), (status = 401, body = Body), (status = 403, body = Body),
        (status = 404, body = Body), (status = 503, body = Body)))]
pub async fn get(
    auth: AuthContext,
    State(state): State<StrategiesState>,
    Path(raw): Path<String>,
) -> Result<AppJson<SavedStrategyDto>, StrategiesError> {
    let user = auth.require(Permission::StrategiesRead)?.user_id;
    let view = state.strategies.get(&user, &id(&raw)?).await?;
    Ok(AppJson(SavedStrategyDto::from(&view)))
}

/// Deletes one of the caller's strategies (orders and positions it made stay).
#[utoipa::path(delete, path = "/v1/strategies/{id}", tag = "strategies", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, body = Body), (status = 403, body = Body),
        (status = 404, body = Body)))]
pub async fn delete(
    auth: AuthContext,
    State(state): State<StrategiesState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, StrategiesError> {
    let user = auth.require(Permission::StrategiesWrite)?.user_id;
    state.strategies.delete(&user, &id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Executes a saved strategy as one basket of market orders on the caller's account, buy legs first. On
/// paper all or nothing: a refused leg is named (`details[].field = legs[i]`) and nothing is placed; the
/// basket blocks its hedged margin. Live, legs go to the broker in turn and a refusal stops the rest
/// (`200`, `complete: false`). The same `Idempotency-Key` answers with the same orders; a strategy executed
/// under another key is a 409.
#[utoipa::path(post, path = "/v1/strategies/{id}/execute", tag = "strategies", security(("bearer" = [])),
    params(("id" = String, Path),
        ("Idempotency-Key" = String, Header, description = "1–64 visible ASCII characters", pattern = "^[!-~]{1,64}$")),
    responses((status = 201, body = ExecuteResponse), (status = 200, description = "Live: stopped at a refused leg", body = ExecuteResponse),
        (status = 400, body = Body), (status = 401, body = Body), (status = 403, body = Body),
        (status = 404, body = Body), (status = 409, body = Body), (status = 422, body = Body),
        (status = 423, description = "The kill switch is on", body = Body), (status = 429, body = Body),
        (status = 503, body = Body)))]
pub async fn execute_saved(
    auth: AuthContext,
    State(state): State<StrategiesState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<(StatusCode, AppJson<ExecuteResponse>), StrategiesError> {
    let user = auth.require(Permission::StrategiesWrite)?.user_id;
    auth.require(Permission::OrdersWrite)?;
    let key = basket_key(&headers)?;
    let executed = state.strategies.execute_saved(user, &id(&raw)?, key).await?;
    let response = ExecuteResponse::from(executed);
    Ok((executed_status(&response), AppJson(response)))
}

/// Executes legs given here as one basket, as `POST /v1/strategies/{id}/execute` does.
#[utoipa::path(post, path = "/v1/strategies/execute", tag = "strategies", security(("bearer" = [])),
    request_body = ExecuteLegsRequest,
    params(("Idempotency-Key" = String, Header, description = "1–64 visible ASCII characters", pattern = "^[!-~]{1,64}$")),
    responses((status = 201, body = ExecuteResponse), (status = 200, description = "Live: stopped at a refused leg", body = ExecuteResponse),
        (status = 400, body = Body), (status = 401, body = Body), (status = 403, body = Body),
        (status = 409, body = Body), (status = 422, body = Body),
        (status = 423, description = "The kill switch is on", body = Body), (status = 429, body = Body),
        (status = 503, body = Body)))]
pub async fn execute_legs(
    auth: AuthContext,
    State(state): State<StrategiesState>,
    headers: HeaderMap,
    AppJson(body): AppJson<ExecuteLegsRequest>,
) -> Result<(StatusCode, AppJson<ExecuteResponse>), StrategiesError> {
    let user = auth.require(Permission::StrategiesWrite)?.user_id;
    auth.require(Permission::OrdersWrite)?;
    let key = basket_key(&headers)?;
    if body.legs.iter().any(|l| l.price.is_some()) {
        return Err(ApiError::unprocessable_field(
            "legs",
            "a basket's legs are market orders: give no price",
        )
        .into());
    }
    let legs: Vec<_> = body.legs.iter().map(|l| l.to_domain()).collect();
    let executed = state
        .strategies
        .execute_legs(user, &legs, key, canonical_hash(&body))
        .await?;
    let response = ExecuteResponse::from(executed);
    Ok((executed_status(&response), AppJson(response)))
}
