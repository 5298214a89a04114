//! Request ids: API Gateway's own id when running behind it (or the one the local gateway assigns), else a
//! fresh ULID. The id is in every log line of the request (a tracing span), in `X-Request-Id`, in error
//! bodies and, with the rest of the request's origin ([`crate::origin`]), in the audit events it records. A
//! client-sent `X-Request-Id` is never trusted.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use lambda_http::request::RequestContext;
use tracing::Instrument;
use tradesense_domain::kernel::origin::RequestOrigin;

use crate::origin;

/// The response header carrying the id.
pub const HEADER: &str = "x-request-id";

/// The id of the request being handled on this task, if any.
pub fn current() -> Option<String> {
    RequestOrigin::current().map(|o| o.request_id)
}

fn from_gateway(req: &Request) -> Option<String> {
    match req.extensions().get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.request_id.clone(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Middleware: assigns the id, runs the request inside a span and its origin, and sets `X-Request-Id`.
pub async fn layer(req: Request, next: Next) -> Response {
    let id = from_gateway(&req)
        .filter(|id| !id.is_empty() && id.len() <= 128)
        .unwrap_or_else(|| ulid::Ulid::new().to_string());
    let span =
        tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let origin = origin::of(&req, id.clone());
    let mut response = origin.scope(next.run(req).instrument(span)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}
