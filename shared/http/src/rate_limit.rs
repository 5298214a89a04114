//! `X-RateLimit-*` headers, on allowed responses and on the `429` that refuses ([`crate::error::enforce`]).

use axum::response::{IntoResponseParts, ResponseParts};
use http::{HeaderName, HeaderValue};
use tradesense_domain::kernel::rate_limit::RateDecision;

/// The three rate-limit headers for one decision.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitHeaders(pub RateDecision);

impl IntoResponseParts for RateLimitHeaders {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        let d = self.0;
        let headers = res.headers_mut();
        headers.insert(
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderValue::from(d.limit),
        );
        headers.insert(
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderValue::from(d.remaining),
        );
        headers.insert(
            HeaderName::from_static("x-ratelimit-reset"),
            HeaderValue::from(d.reset_at.timestamp()),
        );
        Ok(res)
    }
}
