//! Alerts handlers: parse, check the permission, call the alert use cases, shape the answer. Everything is
//! keyed by the authorizer's user: another account's alert, webhook or notification id answers 404.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use tradesense_domain::identity::rbac::Permission;
use tradesense_domain::kernel::ids::{AlertId, NotificationId, WebhookId};
use tradesense_http::error::ErrorBody as Body;
use tradesense_http::pagination::page_size;
use tradesense_http::{ApiError, AppJson, AppQuery, AuthContext};

use crate::AlertsState;
use crate::dto::{
    AlertDto, AlertListQuery, AlertsResponse, CreateAlertRequest, CreateWebhookRequest, CreatedWebhookDto,
    EditAlertRequest, NotificationDto, NotificationQuery, NotificationsResponse, TestResultDto, WebhookDto,
    WebhooksResponse,
};
use crate::errors::AlertsError;

fn id<T: std::str::FromStr>(raw: &str) -> Result<T, ApiError> {
    // A malformed id names nothing of anyone's: the same 404 as another account's.
    raw.parse().map_err(|_| ApiError::not_found())
}

/// Creates an alert on a listed instrument; the scan evaluates it every minute of the market from the next
/// minute on.
#[utoipa::path(post, path = "/v1/alerts", tag = "alerts", security(("bearer" = [])),
    request_body = CreateAlertRequest,
    responses((status = 201, body = AlertDto), (status = 422, body = Body), (status = 401, body = Body),
        (status = 403, body = Body), (status = 409, description = "200 alerts are already active", body = Body),
        (status = 503, description = "The instrument master is unavailable", body = Body)))]
pub async fn create_alert(
    auth: AuthContext,
    State(state): State<AlertsState>,
    AppJson(body): AppJson<CreateAlertRequest>,
) -> Result<(StatusCode, AppJson<AlertDto>), AlertsError> {
    let user = auth.require(Permission::AlertsWrite)?.user_id;
    let draft = body
        .to_draft()
        .map_err(|(field, message)| ApiError::invalid_field(field, message))?;
    let alert = state.alerts.create(user, draft).await?;
    Ok((StatusCode::CREATED, AppJson(AlertDto::of(&alert, None))))
}

/// The caller's alerts, newest first, a page at a time, without trigger history.
#[utoipa::path(get, path = "/v1/alerts", tag = "alerts", security(("bearer" = [])), params(AlertListQuery),
    responses((status = 200, body = AlertsResponse), (status = 422, body = Body), (status = 401, body = Body),
        (status = 403, body = Body)))]
pub async fn list_alerts(
    auth: AuthContext,
    State(state): State<AlertsState>,
    AppQuery(query): AppQuery<AlertListQuery>,
) -> Result<AppJson<AlertsResponse>, AlertsError> {
    let user = auth.require(Permission::AlertsRead)?.user_id;
    let scope = format!("alerts|{user}|{:?}", query.status);
    let after = state
        .cursors
        .resume_after(&scope, query.cursor.as_deref())
        .await?;
    let page = state
        .alerts
        .list(&user, query.status, page_size(query.limit)?, after)
        .await?;
    Ok(AppJson(AlertsResponse {
        items: page.items.iter().map(|a| AlertDto::of(a, None)).collect(),
        next_cursor: state.cursors.next(&scope, page.resume_after).await?,
    }))
}

/// One of the caller's alerts with its latest 50 triggers and their deliveries.
#[utoipa::path(get, path = "/v1/alerts/{id}", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = AlertDto), (status = 401, body = Body), (status = 403, body = Body),
        (status = 404, body = Body)))]
pub async fn get_alert(
    auth: AuthContext,
    State(state): State<AlertsState>,
    Path(raw): Path<String>,
) -> Result<AppJson<AlertDto>, AlertsError> {
    let user = auth.require(Permission::AlertsRead)?.user_id;
    let view = state.alerts.get(&user, &id::<AlertId>(&raw)?).await?;
    Ok(AppJson(AlertDto::of(&view.alert, Some(&view.triggers))))
}

/// Pauses, resumes or edits one of the caller's open alerts.
#[utoipa::path(patch, path = "/v1/alerts/{id}", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = EditAlertRequest,
    responses((status = 200, body = AlertDto), (status = 422, body = Body), (status = 401, body = Body),
        (status = 403, body = Body), (status = 404, body = Body),
        (status = 409, description = "Closed, changed meanwhile, or 200 alerts already active", body = Body),
        (status = 503, description = "The instrument master is unavailable", body = Body)))]
pub async fn edit_alert(
    auth: AuthContext,
    State(state): State<AlertsState>,
    Path(raw): Path<String>,
    AppJson(body): AppJson<EditAlertRequest>,
) -> Result<AppJson<AlertDto>, AlertsError> {
    let user = auth.require(Permission::AlertsWrite)?.user_id;
    let alert = state
        .alerts
        .edit(&user, &id::<AlertId>(&raw)?, body.to_edit())
        .await?;
    Ok(AppJson(AlertDto::of(&alert, None)))
}

/// Cancels one of the caller's alerts: it stays listed as `CANCELLED` with its history.
#[utoipa::path(delete, path = "/v1/alerts/{id}", tag = "alerts", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Cancelled (or already cancelled)"), (status = 401, body = Body),
        (status = 403, body = Body), (status = 404, body = Body),
        (status = 409, description = "Changed meanwhile", body = Body)))]
pub async fn cancel_alert(
    auth: AuthContext,
    State(state): State<AlertsState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, AlertsError> {
    let user = auth.require(Permission::AlertsWrite)?.user_id;
    state.alerts.cancel(&user, &id::<AlertId>(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Registers an endpoint; the answer carries its signing key, shown this once.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = CreateWebhookRequest,
    responses((status = 201, body = CreatedWebhookDto), (status = 422, body = Body), (status = 401, body = Body),
        (status = 403, body = Body), (status = 409, description = "10 endpoints already", body = Body)))]
pub async fn create_webhook(
    auth: AuthContext,
    State(state): State<AlertsState>,
    AppJson(body): AppJson<CreateWebhookRequest>,
) -> Result<(StatusCode, AppJson<CreatedWebhookDto>), AlertsError> {
    let user = auth.require(Permission::AlertsWrite)?.user_id;
    let created = state
        .alerts
        .create_webhook(user, &body.url, body.description)
        .await?;
    Ok((StatusCode::CREATED, AppJson(CreatedWebhookDto::from(&created))))
}

/// The caller's endpoints (keys never shown again).
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = WebhooksResponse), (status = 401, body = Body), (status = 403, body = Body)))]
pub async fn list_webhooks(
    auth: AuthContext,
    State(state): State<AlertsState>,
) -> Result<AppJson<WebhooksResponse>, AlertsError> {
    let user = auth.require(Permission::AlertsRead)?.user_id;
    let endpoints = state.alerts.webhooks(&user).await?;
    Ok(AppJson(WebhooksResponse {
        items: endpoints.iter().map(WebhookDto::from).collect(),
    }))
}

/// Deletes one of the caller's endpoints; alerts naming it fail their webhook deliveries from then on.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, body = Body), (status = 403, body = Body),
        (status = 404, body = Body)))]
pub async fn delete_webhook(
    auth: AuthContext,
    State(state): State<AlertsState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, AlertsError> {
    let user = auth.require(Permission::AlertsWrite)?.user_id;
    state
        .alerts
        .delete_webhook(&user, &id::<WebhookId>(&raw)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a signed `webhook.test` message to one of the caller's endpoints now, once (no retries), and says
/// how it went. At most 5 a minute per user (`429` with `Retry-After` beyond).
#[utoipa::path(post, path = "/v1/webhooks/{id}/test", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = TestResultDto), (status = 401, body = Body), (status = 403, body = Body),
        (status = 404, body = Body), (status = 429, description = "5 test messages this minute already", body = Body)))]
pub async fn test_webhook(
    auth: AuthContext,
    State(state): State<AlertsState>,
    Path(raw): Path<String>,
) -> Result<AppJson<TestResultDto>, AlertsError> {
    let user = auth.require(Permission::AlertsWrite)?.user_id;
    let result = state.alerts.test_webhook(&user, &id::<WebhookId>(&raw)?).await?;
    Ok(AppJson(TestResultDto::from(&result)))
}

/// Gives one of the caller's endpoints a new key (shown this once); messages are signed with both keys for
/// the next 24 hours.
#[utoipa::path(post, path = "/v1/webhooks/{id}/rotate", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = CreatedWebhookDto), (status = 401, body = Body), (status = 403, body = Body),
        (status = 404, body = Body), (status = 409, description = "Changed meanwhile", body = Body)))]
pub async fn rotate_webhook(
    auth: AuthContext,
    State(state): State<AlertsState>,
    Path(raw): Path<String>,
) -> Result<AppJson<CreatedWebhookDto>, AlertsError> {
    let user = auth.require(Permission::AlertsWrite)?.user_id;
    let rotated = state
        .alerts
        .rotate_webhook(&user, &id::<WebhookId>(&raw)?)
        .await?;
    Ok(AppJson(CreatedWebhookDto::from(&rotated)))
}

/// The caller's notifications, newest first (only unread ones with `unread=true`).
#[utoipa::path(get, path = "/v1/notifications", tag = "notifications", security(("bearer" = [])),
    params(NotificationQuery),
    responses((status = 200, body = NotificationsResponse), (status = 422, body = Body), (status = 401, body = Body),
        (status = 403, body = Body)))]
pub async fn list_notifications(
    auth: AuthContext,
    State(state): State<AlertsState>,
    AppQuery(query): AppQuery<NotificationQuery>,
) -> Result<AppJson<NotificationsResponse>, AlertsError> {
    let user = auth.require(Permission::AlertsRead)?.user_id;
    let unread = query.unread.unwrap_or(false);
    let scope = format!("notifications|{user}|{unread}");
    let after = state
        .cursors
        .resume_after(&scope, query.cursor.as_deref())
        .await?;
    let page = state
        .alerts
        .notifications(&user, unread, page_size(query.limit)?, after)
        .await?;
    Ok(AppJson(NotificationsResponse {
        items: page.items.iter().map(NotificationDto::from).collect(),
        next_cursor: state.cursors.next(&scope, page.resume_after).await?,
    }))
}

/// Marks one of the caller's notifications read.
#[utoipa::path(post, path = "/v1/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "Read"), (status = 401, body = Body), (status = 403, body = Body),
        (status = 404, body = Body)))]
pub async fn read_notification(
    auth: AuthContext,
    State(state): State<AlertsState>,
    Path(raw): Path<String>,
) -> Result<StatusCode, AlertsError> {
    let user = auth.require(Permission::AlertsRead)?.user_id;
    if state
        .alerts
        .read_notification(&user, &id::<NotificationId>(&raw)?)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found().into())
    }
}

/// Marks every notification the caller has now read.
#[utoipa::path(post, path = "/v1/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 204, description = "All read"), (status = 401, body = Body), (status = 403, body = Body)))]
pub async fn read_all_notifications(
    auth: AuthContext,
    State(state): State<AlertsState>,
) -> Result<StatusCode, AlertsError> {
    let user = auth.require(Permission::AlertsRead)?.user_id;
    state.alerts.read_all_notifications(&user).await?;
    Ok(StatusCode::NO_CONTENT)
}
