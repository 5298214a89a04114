//! Facts about the caller that API Gateway establishes (never headers the client could forge).

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use http::Extensions;
use http::request::Parts;
use lambda_http::request::RequestContext;

/// The caller's IP as API Gateway saw it (`requestContext.http.sourceIp`); `None` outside API Gateway and the
/// local gateway. `X-Forwarded-For` is deliberately ignored: clients can set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SourceIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(SourceIp(source_ip(&parts.extensions)))
    }
}

/// The caller's IP in the API Gateway context among a request's `extensions`, if any (and plausible).
pub(crate) fn source_ip(extensions: &Extensions) -> Option<String> {
    let ip = match extensions.get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        #[allow(unreachable_patterns)]
        _ => None,
    };
    ip.filter(|ip| !ip.is_empty() && ip.len() <= 64)
}
