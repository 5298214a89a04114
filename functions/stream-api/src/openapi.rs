//! The push channel's part of the OpenAPI document.

use utoipa::OpenApi;

/// Stream paths.
#[derive(OpenApi)]
#[openapi(
    paths(crate::handlers::stream_ticket),
    tags((name = "stream", description = "The real-time push channel (WebSocket): a ticket to connect with"))
)]
pub struct StreamDoc;
