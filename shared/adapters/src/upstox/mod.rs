//! Upstox (<https://upstox.com/developer/api-documentation>): the login flow that links accounts ([`auth`]),
//! market data behind the `MarketData` port ([`market`]), orders and the account behind the `LiveBroker` port
//! ([`orders`], reading statuses with [`status`]), the instrument-file parser ([`instruments`]) and the
//! cached map between our instrument keys and Upstox's behind the `BrokerInstruments` port
//! ([`instrument_keys`]).

pub mod auth;
pub mod instrument_keys;
pub mod instruments;
pub mod market;
pub mod orders;
pub mod status;

pub use auth::{DEFAULT_BASE_URL, SecretBackedUpstox, UpstoxApp, UpstoxAuthClient};

/// The HTTP client every Upstox call goes through: each call, body included, bounded by `timeout`.
///
/// # Errors
/// If the client cannot be built (no TLS roots).
fn http_client(timeout: std::time::Duration) -> anyhow::Result<reqwest::Client> {
    use anyhow::Context as _;
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .context("build Upstox HTTP client")
}

/// `{"status":"success","data":…}`: the envelope of every Upstox answer.
#[derive(serde::Deserialize)]
#[serde(bound = "T: serde::de::DeserializeOwned")]
struct Envelope<T> {
    status: Option<String>,
    data: Option<T>,
}

impl<T> Envelope<T> {
    /// The data of a `"success"` answer.
    fn success(self) -> Option<T> {
        if self.status.as_deref() == Some("success") {
            self.data
        } else {
            None
        }
    }
}

/// One Upstox HTTP answer, read whole.
struct Answer {
    status: reqwest::StatusCode,
    /// `Retry-After`, in seconds, when Upstox sent one.
    retry_after: Option<std::time::Duration>,
    body: Vec<u8>,
}

/// Sends `request` with `token` as the bearer token, asking for JSON, and reads the whole answer.
async fn send(request: reqwest::RequestBuilder, token: &str) -> Result<Answer, reqwest::Error> {
    let response = request
        .bearer_auth(token)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(std::time::Duration::from_secs);
    let body = response.bytes().await?.to_vec();
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

/// A new pseudo-random number on every call, for backoff jitter.
#[derive(Debug, Default)]
struct Jitter(std::sync::atomic::AtomicU64);

impl Jitter {
    fn next(&self) -> u64 {
        use std::hash::BuildHasher as _;
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        std::collections::hash_map::RandomState::new().hash_one(n)
    }
}

/// Upstox's error body: `{"status":"error","errors":[{"errorCode":"UDAPI100050","error_code":"UDAPI100050",
/// "message":"…"}]}`. Upstox sends both spellings of the code (the camel-case one is deprecated); either is
/// read.
#[derive(serde::Deserialize)]
struct ErrorBody {
    errors: Vec<ErrorEntry>,
}

#[derive(serde::Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default, rename = "errorCode")]
    error_code_camel: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Upstox's first error in an error `body`, as `message (code)`; `None` when the body is not one.
fn error_message(body: &[u8]) -> Option<String> {
    let entry = serde_json::from_slice::<ErrorBody>(body)
        .ok()?
        .errors
        .into_iter()
        .next()?;
    let code = entry.error_code.or(entry.error_code_camel);
    match (code, entry.message) {
        (Some(code), Some(message)) => Some(format!("{message} ({code})")),
        (None, Some(message)) => Some(message),
        (Some(code), None) => Some(code),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_error_with_either_spelling_of_its_code() {
        let both = br#"{"status":"error","errors":[{"errorCode":"UDAPI100050","error_code":"UDAPI100050",
            "message":"Invalid token used to access API"},{"errorCode":"X","message":"second"}]}"#;
        assert_eq!(
            error_message(both).as_deref(),
            Some("Invalid token used to access API (UDAPI100050)")
        );
        let camel =
            br#"{"status":"error","errors":[{"errorCode":"UDAPI1087","message":"Invalid Instrument key"}]}"#;
        assert_eq!(
            error_message(camel).as_deref(),
            Some("Invalid Instrument key (UDAPI1087)")
        );
        let snake = br#"{"status":"error","errors":[{"error_code":"UDAPI100011"}]}"#;
        assert_eq!(error_message(snake).as_deref(), Some("UDAPI100011"));
        let bare = br#"{"status":"error","errors":[{"message":"Something went wrong"}]}"#;
        assert_eq!(error_message(bare).as_deref(), Some("Something went wrong"));
        for not_an_error in [
            &b"<html>502</html>"[..],
            br#"{"status":"error","errors":[]}"#,
            b"",
            br#"{"errors":[{}]}"#,
        ] {
            assert_eq!(error_message(not_an_error), None);
        }
    }
}
