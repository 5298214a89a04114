//! The layers every router gets, in the Lambda and in the local stack alike: request id and origin (outermost,
//! so even a rejected request has one, and the handler runs inside it), security headers, CORS from
//! configuration, the body size limit, and JSON 404/405 fallbacks; and, around each function's own routes,
//! its request metrics (one EMF document per request to a [`MetricSink`]).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use http::{HeaderName, HeaderValue, Method, StatusCode, header};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tradesense_adapters::config::{ConfigError, Vars, optional};
use tradesense_adapters::metrics::{MetricSink, StdoutEmf, emf_document};
use tradesense_domain::ops::metrics::RequestSample;

use crate::error::{ApiError, ErrorCode};
use crate::request_id;

/// The largest request body accepted (64 KiB); larger gets `413 PAYLOAD_TOO_LARGE`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// HTTP settings shared by every function.
#[derive(Debug, Clone, Default)]
pub struct HttpConfig {
    /// Origins allowed to call the API from a browser (with credentials). Empty: no cross-origin access.
    pub cors_allowed_origins: Vec<HeaderValue>,
}

impl HttpConfig {
    /// Reads `CORS_ALLOWED_ORIGINS` (optional; unset allows no browser origin) from `vars`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the bad origin.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        let cors = optional(vars, "CORS_ALLOWED_ORIGINS").unwrap_or_default();
        Self::from_cors_origins(&cors).map_err(|reason| ConfigError::Invalid {
            key: "CORS_ALLOWED_ORIGINS".into(),
            reason,
        })
    }

    /// Parses `CORS_ALLOWED_ORIGINS`, a comma-separated list of exact origins (`https://app.example.com`).
    /// `*` is refused: the browser frontend sends cookies, and credentials with a wildcard are unsafe.
    ///
    /// # Errors
    /// A message naming the bad origin.
    pub fn from_cors_origins(csv: &str) -> Result<Self, String> {
        let cors_allowed_origins = csv
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| {
                let ok = (o.starts_with("https://") || o.starts_with("http://")) && !o.ends_with('/');
                if !ok || o.contains('*') {
                    return Err(format!("invalid CORS origin {o:?}: use scheme://host[:port]"));
                }
                HeaderValue::from_str(o).map_err(|_| format!("invalid CORS origin {o:?}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { cors_allowed_origins })
    }
}

/// Headers on every response (API.md). `no-store` is set on all responses: every route but health is
/// authenticated, and caching health answers is of no use either.
const SECURITY_HEADERS: [(&str, &str); 6] = [
    ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
];

async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    response
}

/// Rejects a declared `Content-Length` over the limit before any handler runs; streamed bodies are capped by
/// `DefaultBodyLimit` inside the JSON extractor.
async fn declared_body_limit(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return ApiError::payload_too_large().into_response();
    }
    next.run(req).await
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "method not allowed",
    )
}

fn cors(cfg: &HttpConfig) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(cfg.cors_allowed_origins.clone()))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-csrf-token"),
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-auth-mode"),
        ])
        .expose_headers([
            HeaderName::from_static(request_id::HEADER),
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderName::from_static("x-ratelimit-reset"),
            header::RETRY_AFTER,
        ])
        .max_age(std::time::Duration::from_secs(600))
}

/// Wraps `router` (one function's, or the local stack's merge of all) in the shared conventions.
pub fn with_conventions(router: Router, cfg: &HttpConfig) -> Router {
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(declared_body_limit))
        .layer(cors(cfg))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(request_id::layer))
}

/// Who records a function's requests, and where.
#[derive(Clone)]
struct RequestRecorder {
    function: Arc<str>,
    sink: Arc<dyn MetricSink>,
}

async fn record_request(State(recorder): State<RequestRecorder>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(req).await;
    let sample = RequestSample {
        function: &recorder.function,
        status: response.status().as_u16(),
        latency: started.elapsed(),
        at: chrono::Utc::now(),
    };
    recorder.sink.emit(emf_document(&sample));
    response
}

/// Records each request `router`'s routes answer as `function`'s (its binary name: the `Function` dimension):
/// its status and latency as one EMF document to `sink`, once the response is built. Only requests that match
/// a route are recorded, so a function's figures are the same in Lambda and in the local stack: what API
/// Gateway or the local gateway refuses (authorizer denials, unknown routes) and what the conventions answer
/// before any route (a declared body over the limit, CORS preflights) never reach a function's routes.
pub fn with_request_metrics(router: Router, function: &str, sink: Arc<dyn MetricSink>) -> Router {
    let recorder = RequestRecorder {
        function: Arc::from(function),
        sink,
    };
    router.route_layer(middleware::from_fn_with_state(recorder, record_request))
}

/// One function's app as deployed: `router`'s requests recorded as EMF lines on stdout under `function`
/// ([`with_request_metrics`], [`StdoutEmf`]), inside the shared conventions ([`with_conventions`]).
pub fn function_app(function: &str, router: Router, cfg: &HttpConfig) -> Router {
    with_conventions(with_request_metrics(router, function, Arc::new(StdoutEmf)), cfg)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;

    /// Keeps what it is given.
    #[derive(Default)]
    struct Kept(Mutex<Vec<serde_json::Value>>);

    impl MetricSink for Kept {
        fn emit(&self, document: serde_json::Value) {
            self.0.lock().unwrap().push(document);
        }
    }

    #[tokio::test]
    async fn every_request_a_route_answers_is_recorded_once_under_its_function() {
        let sink = Arc::new(Kept::default());
        let routes = Router::new()
            .route("/ok", get(|| async { "ok" }))
            .route("/refused", get(|| async { ApiError::forbidden() }));
        let app = with_conventions(
            with_request_metrics(routes, "orders-api", sink.clone()),
            &HttpConfig::default(),
        );
        for path in ["/ok", "/refused", "/unknown"] {
            let request = http::Request::get(path).body(Body::empty()).unwrap();
            app.clone().oneshot(request).await.unwrap();
        }
        let kept = sink.0.lock().unwrap();
        let recorded: Vec<_> = kept
            .iter()
            .map(|d| {
                (
                    d["Function"].as_str(),
                    d["Requests"].as_u64(),
                    d["Errors4xx"].as_u64(),
                )
            })
            .collect();
        assert_eq!(
            recorded,
            [
                (Some("orders-api"), Some(1), Some(0)),
                (Some("orders-api"), Some(1), Some(1))
            ],
            "an unknown route reaches no function's route"
        );
        assert!(
            kept.iter()
                .all(|d| d["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "TradeSense")
        );
    }

    #[test]
    fn parses_exact_origins_and_refuses_wildcards() {
        let cfg = HttpConfig::from_cors_origins("https://app.tradesense.in, http://localhost:5173").unwrap();
        assert_eq!(cfg.cors_allowed_origins.len(), 2);
        assert!(
            HttpConfig::from_cors_origins("")
                .unwrap()
                .cors_allowed_origins
                .is_empty()
        );
        for bad in [
            "*",
            "https://*.example.com",
            "app.example.com",
            "https://app.example.com/",
        ] {
            assert!(HttpConfig::from_cors_origins(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_its_variable_and_names_it_when_invalid() {
        let unset = |_: &str| None;
        assert!(
            HttpConfig::from_vars(&unset)
                .unwrap()
                .cors_allowed_origins
                .is_empty()
        );
        let set = |k: &str| (k == "CORS_ALLOWED_ORIGINS").then(|| "https://app.tradesense.in".to_owned());
        assert_eq!(HttpConfig::from_vars(&set).unwrap().cors_allowed_origins.len(), 1);
        let wildcard = |_: &str| Some("*".to_owned());
        assert!(matches!(
            HttpConfig::from_vars(&wildcard),
            Err(ConfigError::Invalid { key, .. }) if key == "CORS_ALLOWED_ORIGINS"
        ));
    }
}
