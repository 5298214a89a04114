//! Orders handlers: parse, check the permission, call the order use cases, shape the answer. Every read and
//! write is keyed by the authorizer's user: another account's order id answers 404.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use tradesense_domain::identity::rbac::Permission;
use tradesense_domain::kernel::ids::OrderId;
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::trading::ports::OrderListQuery;
use tradesense_domain::trading::service::{PlaceCommand, PlaceOutcome};
use tradesense_http::error::ErrorBody as Body;
use tradesense_http::pagination::{PageQuery, canonical_hash, idempotency_key, page_size};
use tradesense_http::query::TimeParam;
use tradesense_http::rate_limit::RateLimitHeaders;
use tradesense_http::{ApiError, AppJson, AppQuery, AuthContext};

use crate::OrdersState;
use crate::dto::{
    ModifyOrderRequest, OrderDto, OrdersQuery, OrdersResponse, PlaceOrderRequest, TradeDto, TradesResponse,
};
use crate::errors::OrdersError;

/// Places an order on the paper broker. A repeat with the same `Idempotency-Key` or `client_order_id` and
/// the same body returns the original order; a different body under either is a 409.
#[utoipa::path(post, path = "/v1/orders", tag = "orders", security(("bearer" = [])), request_body = PlaceOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1–64 visible ASCII characters",
        pattern = "^[!-~]{1,64}$")),
    responses((status = 201, body = OrderDto), (status = 422, body = Body), (status = 403, body = Body),
        (status = 409, body = Body), (status = 422, description = "Insufficient funds or a risk rule", body = Body),
        (status = 429, body = Body), (status = 503, body = Body)))]
pub async fn place(
    auth: AuthContext,
    State(state): State<OrdersState>,
    headers: HeaderMap,
    AppJson(body): AppJson<PlaceOrderRequest>,
) -> Result<(StatusCode, Option<RateLimitHeaders>, AppJson<OrderDto>), OrdersError> {
    let user = auth.require(Permission::OrdersWrite)?.user_id;
    let command = PlaceCommand {
        instrument: body.instrument.clone(),
        request: body.to_domain(),
        idempotency_key: idempotency_key(&headers)?,
        request_hash: canonical_hash(&body),
    };
    match state.orders.place(user, command).await? {
        PlaceOutcome::Created(order, decision) => {
            tracing::info!(order_id = %order.id, status = ?order.status, "order placed");
            Ok((
                StatusCode::CREATED,
                Some(RateLimitHeaders(decision)),
                AppJson(OrderDto::from_order(&order, false)),
            ))
        }
        PlaceOutcome::Replayed(order) => Ok((
            StatusCode::CREATED,
            None,
            AppJson(OrderDto::from_order(&order, false)),
        )),
    }
}

/// The caller's orders, newest first, optionally filtered, a page at a time.
#[utoipa::path(get, path = "/v1/orders", tag = "orders", security(("bearer" = [])), params(OrdersQuery),
    responses((status = 200, body = OrdersResponse), (status = 422, description = "A cursor this list did not issue", body = Body)))]
pub async fn list(
    auth: AuthContext,
    State(state): State<OrdersState>,
    AppQuery(query): AppQuery<OrdersQuery>,
) -> Result<AppJson<OrdersResponse>, OrdersError> {
    let user = auth.require(Permission::OrdersRead)?.user_id;
    let scope = format!("orders|{user}");
    let list = OrderListQuery {
        status: query.status,
        instrument: query
            .instrument
            .as_deref()
            .map(|raw| {
                InstrumentKey::parse(raw)
                    .ok_or_else(|| ApiError::invalid_field("instrument", "EXCHANGE:SYMBOL, e.g. NSE:INFY"))
            })
            .transpose()?,
        from: query.from.map(TimeParam::as_start),
        to: query.to.map(TimeParam::as_end),
        limit: page_size(query.limit)?,
        after: state
            .cursors
            .resume_after(&scope, query.cursor.as_deref())
            .await?,
    };
    let page = state.orders.orders(&user, &list).await?;
    Ok(AppJson(OrdersResponse {
        items: page
            .items
            .iter()
            .map(|o| OrderDto::from_order(o, false))
            .collect(),
        next_cursor: state.cursors.next(&scope, page.resume_after).await?,
    }))
}

fn order_id(raw: &str) -> Result<OrderId, ApiError> {
    // A malformed id names no order of anyone's: the same 404 as another account's.
    raw.parse().map_err(|_| ApiError::not_found())
}

/// One of the caller's orders with its status history.
#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = OrderDto), (status = 404, body = Body)))]
pub async fn get(
    auth: AuthContext,
    State(state): State<OrdersState>,
    Path(id): Path<String>,
) -> Result<AppJson<OrderDto>, OrdersError> {
    let user = auth.require(Permission::OrdersRead)?.user_id;
    let order = state
        .orders
        .order(&user, &order_id(&id)?)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(AppJson(OrderDto::from_order(&order, true)))
}

/// Cancels one of the caller's open orders, releasing the funds it blocked.
#[utoipa::path(delete, path = "/v1/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = OrderDto), (status = 404, body = Body), (status = 409, body = Body)))]
pub async fn cancel(
    auth: AuthContext,
    State(state): State<OrdersState>,
    Path(id): Path<String>,
) -> Result<AppJson<OrderDto>, OrdersError> {
    let user = auth.require(Permission::OrdersWrite)?.user_id;
    let cancelled = state.orders.cancel(user, order_id(&id)?).await?;
    Ok(AppJson(OrderDto::from_order(&cancelled, true)))
}

/// Modifies one of the caller's working orders: the modified order is placed afresh against the market
/// (it may fill at once) and the funds the old one blocked are released.
#[utoipa::path(put, path = "/v1/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ModifyOrderRequest,
    responses((status = 200, body = OrderDto), (status = 422, body = Body), (status = 404, body = Body),
        (status = 409, body = Body), (status = 422, body = Body), (status = 423, body = Body)))]
pub async fn modify(
    auth: AuthContext,
    State(state): State<OrdersState>,
    Path(id): Path<String>,
    AppJson(body): AppJson<ModifyOrderRequest>,
) -> Result<AppJson<OrderDto>, OrdersError> {
    let user = auth.require(Permission::OrdersWrite)?.user_id;
    let order = state
        .orders
        .modify(user, order_id(&id)?, body.to_domain())
        .await?;
    tracing::info!(order_id = %order.id, status = ?order.status, "order modified");
    Ok(AppJson(OrderDto::from_order(&order, true)))
}

/// The caller's fills with their charges, newest first, a page at a time.
#[utoipa::path(get, path = "/v1/trades", tag = "orders", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = TradesResponse), (status = 422, description = "A cursor this list did not issue", body = Body)))]
pub async fn trades(
    auth: AuthContext,
    State(state): State<OrdersState>,
    AppQuery(query): AppQuery<PageQuery>,
) -> Result<AppJson<TradesResponse>, OrdersError> {
    let user = auth.require(Permission::OrdersRead)?.user_id;
    let scope = format!("trades|{user}");
    let after = state
        .cursors
        .resume_after(&scope, query.cursor.as_deref())
        .await?;
    let page = state.orders.trades(&user, page_size(query.limit)?, after).await?;
    Ok(AppJson(TradesResponse {
        items: page.items.iter().map(TradeDto::from).collect(),
        next_cursor: state.cursors.next(&scope, page.resume_after).await?,
    }))
}
