//! The HTTP conventions every API function shares: the error body, strict JSON bodies and query strings, the
//! auth-context extractor and permission guard, request ids and origins, security headers, CORS, the body
//! size limit, each function's request metrics, the OpenAPI basics, the order and the notification as every
//! API shows them (also the push channel's frames) with the status of each placement refusal, and `serve()`, which runs one axum router under Lambda or as a local
//! server.

pub mod auth;
pub mod client;
pub mod error;
pub mod json;
pub mod layers;
pub mod notifications;
pub mod openapi;
pub mod origin;
pub mod pagination;
pub mod query;
pub mod rate_limit;
pub mod request_id;
pub mod serve;
pub mod stream;
pub mod trading;

pub use auth::AuthContext;
pub use client::SourceIp;
pub use error::{ApiError, ErrorCode};
pub use json::AppJson;
pub use layers::{HttpConfig, MAX_BODY_BYTES, function_app, with_conventions, with_request_metrics};
pub use query::AppQuery;
pub use serve::serve;

/// What [`api_error_newtype!`] expands to needs, whatever the calling crate depends on.
#[doc(hidden)]
pub mod __private {
    pub use axum::response::{IntoResponse, Response};
    pub use tradesense_adapters::dynamo::cursor::CursorError;
    pub use tradesense_domain::kernel::error::RepoError;
}
