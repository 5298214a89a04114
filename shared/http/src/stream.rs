//! The push channel's frames in the REST API's shapes: an order as `GET /v1/orders/{id}` shows it (with its
//! history), a position as the portfolio lists it, a notification as the inbox lists it.

use serde::Serialize;
use tradesense_domain::alerts::notification::Notification;
use tradesense_domain::stream::ports::UpdateRenderer;
use tradesense_domain::trading::order::Order;
use tradesense_domain::trading::portfolio::PositionValue;

use crate::notifications::NotificationDto;
use crate::trading::{OrderDto, PositionDto};

/// Renders the push channel's `order`, `position` and `notification` frames with the REST DTOs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RestRenderer;

impl UpdateRenderer for RestRenderer {
    fn order(&self, order: &Order) -> serde_json::Value {
        to_json(&OrderDto::from_order(order, true))
    }

    fn position(&self, position: &PositionValue) -> serde_json::Value {
        to_json(&PositionDto::from(position))
    }

    fn notification(&self, notification: &Notification) -> serde_json::Value {
        to_json(&NotificationDto::from(notification))
    }
}

/// A DTO as JSON (its fields are strings, numbers and JSON values: it cannot fail; logged if it did).
fn to_json(dto: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(dto).unwrap_or_else(|e| {
        tracing::error!(error = %e, "a frame did not render");
        serde_json::Value::Null
    })
}
