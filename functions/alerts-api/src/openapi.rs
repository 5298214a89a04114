//! The alerts area's part of the OpenAPI document.

use utoipa::OpenApi;

/// Alerts, webhooks and notifications paths.
#[derive(OpenApi)]
#[openapi(
    paths(
        crate::handlers::create_alert,
        crate::handlers::list_alerts,
        crate::handlers::get_alert,
        crate::handlers::edit_alert,
        crate::handlers::cancel_alert,
        crate::handlers::create_webhook,
        crate::handlers::list_webhooks,
        crate::handlers::delete_webhook,
        crate::handlers::test_webhook,
        crate::handlers::rotate_webhook,
        crate::handlers::list_notifications,
        crate::handlers::read_notification,
        crate::handlers::read_all_notifications
    ),
    tags(
        (name = "alerts", description = "Price alerts evaluated every minute of the market"),
        (name = "webhooks", description = "Signed webhook endpoints (Standard Webhooks)"),
        (name = "notifications", description = "The in-app inbox: alert triggers and order events")
    )
)]
pub struct AlertsDoc;
