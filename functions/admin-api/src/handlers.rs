//! Admin handlers: extract, call, render.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use tradesense_domain::identity::ports::UserQuery;
use tradesense_domain::identity::rbac::Permission;
use tradesense_domain::identity::service::administration::AccessChange;
use tradesense_domain::kernel::ids::UserId;
use tradesense_domain::ops::dead_letters::RedrivableQueue;
use tradesense_domain::ops::jobs::ScheduledJob;
use tradesense_domain::ops::service::health::check_dependencies;
use tradesense_http::pagination::{canonical_hash, page_size};
use tradesense_http::{ApiError, AppJson, AppQuery, AuthContext};

use crate::AdminState;
use crate::dto::{
    AccountDto, AdminUserDto, AuditEventDto, AuditQuery, AuditResponse, DeepHealthResponse, HealthResponse,
    KillSwitchDto, KillSwitchRequest, MetricsQuery, MetricsResponse, RedriveDto, UpdateUserRequest,
    UsersQuery, UsersResponse,
};
use crate::errors::{AdminError, metrics_failed, unhealthy};

/// Shallow health: the function is up. Touches no dependency.
#[utoipa::path(get, path = "/v1/health", tag = "admin", security(()),
    responses((status = 200, description = "The function answers", body = HealthResponse)))]
pub async fn health() -> AppJson<HealthResponse> {
    AppJson(HealthResponse {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Deep health: one real round trip to each dependency, timed. 503 naming the failing ones.
#[utoipa::path(get, path = "/v1/admin/health", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every dependency answered", body = DeepHealthResponse),
        (status = 401, description = "No valid credentials", body = tradesense_http::error::ErrorBody),
        (status = 403, description = "Not an admin", body = tradesense_http::error::ErrorBody),
        (status = 503, description = "A dependency is down; `details` names it", body = tradesense_http::error::ErrorBody),
    ))]
pub async fn deep_health(
    auth: AuthContext,
    State(state): State<AdminState>,
) -> Result<AppJson<DeepHealthResponse>, AdminError> {
    auth.require(Permission::Admin)?;
    let report = check_dependencies(&state.checks, |name, e| {
        tracing::error!(dependency = name, error = ?e, "dependency check failed");
    })
    .await;
    if !report.is_healthy() {
        return Err(unhealthy(&report.failing()));
    }
    let heartbeat = state
        .job_runs
        .last_run(ScheduledJob::Heartbeat)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = ?e, "could not read the scheduler heartbeat");
            None
        });
    Ok(AppJson(DeepHealthResponse::new(&report, heartbeat)))
}

/// Users by email prefix, role and disabled flag, in email order, a page at a time; audited.
#[utoipa::path(get, path = "/v1/admin/users", tag = "admin", security(("bearer" = [])), params(UsersQuery),
    responses(
        (status = 200, body = UsersResponse),
        (status = 400, body = tradesense_http::error::ErrorBody),
        (status = 403, body = tradesense_http::error::ErrorBody),
        (status = 422, description = "A cursor this list did not issue", body = tradesense_http::error::ErrorBody),
    ))]
pub async fn list_users(
    auth: AuthContext,
    State(state): State<AdminState>,
    AppQuery(query): AppQuery<UsersQuery>,
) -> Result<AppJson<UsersResponse>, AdminError> {
    let admin = auth.require(Permission::Admin)?;
    let prefix = query.q.as_deref().map(|q| q.trim().to_lowercase());
    if prefix.as_deref().is_some_and(|p| p.is_empty() || p.len() > 254) {
        return Err(ApiError::invalid_field("q", "1 to 254 characters").into());
    }
    let scope = format!(
        "admin-users|{}|{prefix:?}|{:?}|{:?}",
        admin.user_id, query.role, query.disabled
    );
    let after = state
        .cursors
        .resume_after(&scope, query.cursor.as_deref())
        .await?;
    let search = UserQuery {
        email_prefix: prefix,
        role: query.role,
        disabled: query.disabled,
        limit: page_size(query.limit)?,
        after,
    };
    let page = state
        .accounts
        .list(admin, &search)
        .await
        .map_err(ApiError::from)?;
    Ok(AppJson(UsersResponse {
        items: page.items.iter().map(AdminUserDto::from).collect(),
        next_cursor: state.cursors.next(&scope, page.resume_after).await?,
    }))
}

/// One account: profile, roles, MFA on or off, broker linked, last login, working orders; audited.
#[utoipa::path(get, path = "/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, body = AccountDto),
        (status = 403, body = tradesense_http::error::ErrorBody),
        (status = 404, body = tradesense_http::error::ErrorBody),
    ))]
pub async fn get_user(
    auth: AuthContext,
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<AppJson<AccountDto>, AdminError> {
    let admin = auth.require(Permission::Admin)?;
    let target: UserId = id.parse().map_err(|_| ApiError::not_found())?;
    let detail = state
        .accounts
        .detail(admin, &target)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(ApiError::not_found)?;
    Ok(AppJson(AccountDto::from(&detail)))
}

/// Audit events, every user's or one's, of one type, in a time range (default: the last 7 days), newest
/// first, a page at a time, each with its actor, target, request id and source IP; audited. Without `user` one
/// call reads at most 31 days of the range: a page may be short, or empty, while `next_cursor` leads on.
#[utoipa::path(get, path = "/v1/admin/audit", tag = "admin", security(("bearer" = [])), params(AuditQuery),
    responses(
        (status = 200, body = AuditResponse),
        (status = 400, description = "A malformed parameter (`user`, `type`, `from`, `to`, `limit`), or `from` after `to` or more than 366 days before it", body = tradesense_http::error::ErrorBody),
        (status = 403, description = "Not an admin", body = tradesense_http::error::ErrorBody),
        (status = 422, description = "A cursor this search did not issue (another search's, or these filters changed)", body = tradesense_http::error::ErrorBody),
        (status = 503, description = "Storage or the cursor key did not answer", body = tradesense_http::error::ErrorBody),
    ))]
pub async fn search_audit(
    auth: AuthContext,
    State(state): State<AdminState>,
    AppQuery(query): AppQuery<AuditQuery>,
) -> Result<AppJson<AuditResponse>, AdminError> {
    let admin = auth.require(Permission::Admin)?;
    let limit = page_size(query.limit)?;
    let filter = query.filter();
    // A cursor continues only the search that issued it: this admin's, with these filters.
    let scope = format!("admin-audit|{}|{}", admin.user_id, canonical_hash(&filter));
    let resume = state
        .cursors
        .resume_after(&scope, query.cursor.as_deref())
        .await?;
    let page = state.audit_search.search(admin, &filter, limit, resume).await?;
    Ok(AppJson(AuditResponse {
        events: page.items.iter().map(AuditEventDto::from).collect(),
        next_cursor: state.cursors.next(&scope, page.resume_after).await?,
    }))
}

/// Changes a user's roles and/or disabled flag; effective on their next request, and audited.
#[utoipa::path(patch, path = "/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")), request_body = UpdateUserRequest,
    responses(
        (status = 200, body = AdminUserDto),
        (status = 422, body = tradesense_http::error::ErrorBody),
        (status = 403, description = "Not an admin, or the admin's own account", body = tradesense_http::error::ErrorBody),
        (status = 404, body = tradesense_http::error::ErrorBody),
    ))]
pub async fn update_user(
    auth: AuthContext,
    State(state): State<AdminState>,
    Path(id): Path<String>,
    AppJson(req): AppJson<UpdateUserRequest>,
) -> Result<AppJson<AdminUserDto>, AdminError> {
    let admin = auth.require(Permission::Admin)?;
    // A malformed id names no user.
    let target: UserId = id.parse().map_err(|_| ApiError::not_found())?;
    let change = AccessChange {
        roles: req.roles,
        disabled: req.disabled,
    };
    let user = state.administration.change_access(admin, &target, change).await?;
    tracing::info!(admin = %admin.user_id, user_id = %user.id, "user access changed");
    Ok(AppJson(AdminUserDto::from(&user)))
}

/// Halts or resumes order entry for the whole platform; audited.
#[utoipa::path(post, path = "/v1/admin/kill-switch", tag = "admin", security(("bearer" = [])),
    request_body = KillSwitchRequest,
    responses(
        (status = 200, body = KillSwitchDto),
        (status = 422, body = tradesense_http::error::ErrorBody),
        (status = 403, body = tradesense_http::error::ErrorBody),
    ))]
pub async fn kill_switch(
    auth: AuthContext,
    State(state): State<AdminState>,
    AppJson(req): AppJson<KillSwitchRequest>,
) -> Result<AppJson<KillSwitchDto>, AdminError> {
    let admin = auth.require(Permission::Admin)?;
    let switch = state.kill_switch.set(admin, req.enabled, &req.reason).await?;
    tracing::warn!(admin = %admin.user_id, enabled = switch.enabled, reason = %switch.reason, "kill switch flipped");
    Ok(AppJson(KillSwitchDto {
        enabled: switch.enabled,
        reason: switch.reason,
        changed_by: switch.changed_by.to_string(),
        changed_at: switch.changed_at,
    }))
}

/// Moves a dead-letter queue's messages back to their queue (`audit`, `backtest` or `alert`), at most 1,000
/// a call, so the worker retries them after a fix; audited with what moved.
#[utoipa::path(post, path = "/v1/admin/dlq/{queue}/redrive", tag = "admin", security(("bearer" = [])),
    params(("queue" = String, Path, description = "audit, backtest or alert", pattern = "^(audit|backtest|alert)$")),
    responses(
        (status = 200, body = RedriveDto),
        (status = 403, body = tradesense_http::error::ErrorBody),
        (status = 404, description = "No such queue", body = tradesense_http::error::ErrorBody),
        (status = 503, description = "The queue service did not answer; what moved stays moved", body = tradesense_http::error::ErrorBody),
    ))]
pub async fn redrive(
    auth: AuthContext,
    State(state): State<AdminState>,
    Path(queue): Path<String>,
) -> Result<AppJson<RedriveDto>, AdminError> {
    let admin = auth.require(Permission::Admin)?;
    let queue = RedrivableQueue::from_name(&queue).ok_or_else(ApiError::not_found)?;
    let moved = state
        .redrive
        .redrive(admin, queue)
        .await
        .map_err(ApiError::internal)?;
    tracing::warn!(admin = %admin.user_id, queue = queue.name(), moved, "dead letters redriven");
    Ok(AppJson(RedriveDto {
        queue: queue.name(),
        moved,
    }))
}

/// Request and queue metrics over a window ending now: each HTTP function's requests, 4xx and 5xx and p50/p95
/// latency (CloudWatch), each worker queue's depth, messages in flight, oldest message age and dead-letter
/// depth (SQS), and the kill switch; audited.
#[utoipa::path(get, path = "/v1/admin/metrics", tag = "admin", security(("bearer" = [])), params(MetricsQuery),
    responses(
        (status = 200, body = MetricsResponse),
        (status = 400, description = "A window other than 5m, 15m, 1h, 6h or 24h; `details` names `window`", body = tradesense_http::error::ErrorBody),
        (status = 403, description = "Not an admin", body = tradesense_http::error::ErrorBody),
        (status = 500, description = "A metrics source answered with an error", body = tradesense_http::error::ErrorBody),
        (status = 503, description = "CloudWatch, SQS or the table did not answer; retry after `Retry-After`", body = tradesense_http::error::ErrorBody),
    ))]
pub async fn metrics(
    auth: AuthContext,
    State(state): State<AdminState>,
    AppQuery(query): AppQuery<MetricsQuery>,
) -> Result<AppJson<MetricsResponse>, AdminError> {
    let admin = auth.require(Permission::Admin)?;
    let window = query.window.unwrap_or_default();
    let report = state
        .metrics
        .report(admin, window)
        .await
        .map_err(metrics_failed)?;
    Ok(AppJson(MetricsResponse::from(&report)))
}

/// The whole API's OpenAPI document, as committed (`make openapi` composes it from every area's fragment).
const API_DOCUMENT: &str = include_str!("../../../docs/openapi.json");

/// The OpenAPI document of the whole API.
#[utoipa::path(get, path = "/openapi.json", tag = "admin", security(()),
    responses((status = 200, description = "OpenAPI 3.1 document")))]
pub async fn openapi_document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], API_DOCUMENT)
}
