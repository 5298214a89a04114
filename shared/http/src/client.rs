//! Facts about the caller that API Gateway establishes (never headers the client could forge).

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use http::request::Parts;
use lambda_http::request::RequestContext;

/// The caller's IP as API Gateway saw it (`requestContext.http.sourceIp`); `None` outside API Gateway and the
/// local gateway. `X-Forwarded-For` is deliberately ignored: clients can set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for SourceIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ip = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
            #[allow(unreachable_patterns)]
            _ => None,
        };
        Ok(SourceIp(ip.filter(|ip| !ip.is_empty() && ip.len() <= 64)))
    }
}
