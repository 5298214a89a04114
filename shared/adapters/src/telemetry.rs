//! Logging. JSON lines in Lambda (CloudWatch parses them); readable text locally with `LOG_FORMAT=text`.
//! The level comes from `RUST_LOG`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`.
//!
//! Nothing logs request bodies, tokens, passwords or secret values: handlers log ids and outcomes only, and the
//! secret-bearing types (`SecretString`, `SigningKeyMaterial`, `CursorCodec`) redact themselves in `Debug`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls do nothing.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .or_else(|| {
            std::env::var("AWS_LAMBDA_LOG_LEVEL")
                .ok()
                .map(|l| l.to_lowercase())
        })
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let result = if std::env::var("LOG_FORMAT").is_ok_and(|f| f == "text") {
        builder.try_init()
    } else {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .without_time()
            .try_init()
    };
    // Already installed (tests, the local stack running several functions): keep the first.
    drop(result);
}
