//! The local stand-in for API Gateway: one router holding every function's routes, behind the same
//! authorizer code the deployed authorizer runs. It serves only the routes template.yaml declares, answers
//! 401 for a protected route without a valid token, and passes the principal to the function exactly as API
//! Gateway does (`requestContext.authorizer.lambda`), so functions cannot tell the difference. Each answer carries the AWS round trips the route made
//! ([`round_trips`]).

use std::sync::Arc;

use authorizer::{Authorizer, CallerRequest, Denial};
use aws_lambda_events::event::apigw::{ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequestContext};
use axum::Router;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use lambda_http::request::RequestContext;
use tradesense_http::{ApiError, HttpConfig, origin, request_id, with_conventions};

use crate::round_trips;
use crate::template::HttpRoute;

/// What the gateway checks each request against.
#[derive(Clone)]
pub struct Gateway {
    routes: Arc<[HttpRoute]>,
    authorizer: Arc<Authorizer>,
}

/// Whether `path` matches a template path (`{name}` is one segment, `{name+}` the rest).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.trim_matches('/').split('/');
    let mut have = path.trim_matches('/').split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(_)) if w.starts_with('{') && w.ends_with("+}") => return true,
            (Some(w), Some(h)) if (w.starts_with('{') && w.ends_with('}') && !h.is_empty()) || w == h => {}
            _ => return false,
        }
    }
}

impl Gateway {
    /// A gateway for `routes`, authorizing with `authorizer`.
    pub fn new(routes: Vec<HttpRoute>, authorizer: Arc<Authorizer>) -> Self {
        Self {
            routes: routes.into(),
            authorizer,
        }
    }

    fn route_for(&self, method: &str, path: &str) -> Option<&HttpRoute> {
        self.routes
            .iter()
            .find(|r| r.method == method && path_matches(&r.path, path))
    }
}

async fn gate(State(gateway): State<Gateway>, mut req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let Some(route) = gateway.route_for(&method, &path).cloned() else {
        // Preflights are answered by the CORS layer before this point; anything else is not an API route.
        return ApiError::not_found().into_response();
    };
    // Like API Gateway, the authorizer runs only for protected routes.
    let principal = if route.public {
        None
    } else {
        let caller = CallerRequest {
            headers: req.headers(),
            cookies: &[],
            method: &method,
        };
        match gateway.authorizer.authorize(&caller).await {
            Ok(p) => Some(p),
            Err(Denial::Unauthenticated) => return ApiError::unauthorized().into_response(),
            Err(Denial::CsrfMismatch) => return ApiError::csrf_mismatch().into_response(),
        }
    };
    let mut ctx = ApiGatewayV2httpRequestContext::default();
    ctx.request_id = request_id::current();
    ctx.route_key = Some(format!("{} {}", route.method, route.path));
    ctx.stage = Some("$default".into());
    ctx.http.method = req.method().clone();
    ctx.http.path = Some(path);
    ctx.http.source_ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    if let Some(p) = principal {
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.fields = p.to_context().into_iter().collect();
        ctx.authorizer = Some(authorizer);
    }
    req.extensions_mut().insert(RequestContext::ApiGatewayV2(ctx));
    // The request-id layer ran before this context existed: the function's handler runs in the origin the
    // context gives (source IP, principal), as under API Gateway.
    let (mut response, trips) = round_trips::record(origin::within_context(req, next)).await;
    let headers = response.headers_mut();
    headers.insert(
        round_trips::SEQUENTIAL_HEADER,
        HeaderValue::from(trips.sequential),
    );
    if let Ok(calls) = HeaderValue::from_str(&trips.calls.join(" ")) {
        headers.insert(round_trips::CALLS_HEADER, calls);
    }
    response
}

/// The whole local API: `functions` merged and gated, beside the WebSocket API's `sockets` (which checks its
/// own tickets, as `$connect` does behind API Gateway), wrapped in the shared conventions.
pub fn router(functions: Router, gateway: Gateway, sockets: Router, http: &HttpConfig) -> Router {
    with_conventions(
        functions
            .layer(middleware::from_fn_with_state(gateway, gate))
            .merge(sockets),
        http,
    )
}

#[cfg(test)]
mod tests {
    use super::path_matches;

    #[test]
    fn matches_template_paths() {
        assert!(path_matches("/v1/health", "/v1/health"));
        assert!(path_matches("/v1/orders/{id}", "/v1/orders/01J"));
        assert!(!path_matches("/v1/orders/{id}", "/v1/orders/"));
        assert!(!path_matches("/v1/orders/{id}", "/v1/orders/01J/fills"));
        assert!(path_matches(
            "/v1/market/candles/{instrument+}",
            "/v1/market/candles/NSE/RELIANCE"
        ));
        assert!(!path_matches("/v1/health", "/v1/healthz"));
    }
}
