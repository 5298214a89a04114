//! The map between our instrument keys and Upstox's, behind the [`BrokerInstruments`] port: Upstox's
//! instruments file (<https://upstox.com/developer/api-documentation/instruments>) fetched from a URL, plain
//! JSON or gzip (told apart by the gzip magic bytes, not by headers), read by
//! [`super::instruments::parse_instruments`], and cached.
//!
//! Caching: the map is served for a TTL (six hours by default; Upstox publishes the file once a day). One
//! `tokio::sync::Mutex` guards the cache, so callers arriving together while it is stale fetch once. When a
//! refresh fails and a map is cached, the old map keeps being served (with a warning) and the next refresh is
//! tried after the TTL or [`RETRY_AFTER_FAILURE`], whichever is shorter, so an outage does not make every
//! caller wait on the download. With no map at all, every failure is [`LiveBrokerError::Unavailable`]: a
//! non-2xx answer, a transport error or timeout, a body that does not decompress, or a file that does not
//! parse.

use std::io::Read as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::Mutex;
use tradesense_domain::broker::live::{BrokerKeyMap, LiveBrokerError};
use tradesense_domain::broker::ports::BrokerInstruments;

use super::instruments::parse_instruments;

/// Upstox's complete instruments file (every exchange, gzip-compressed JSON).
pub const DEFAULT_INSTRUMENTS_URL: &str =
    "https://assets.upstox.com/market-quote/instruments/exchange/complete.json.gz";

/// How long a fetched map is served by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(6 * 60 * 60);

/// The longest wait before another refresh after a failed one, while an old map is served.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);

/// The bound on one download, body included.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The most bytes a decompressed file may have (the complete file is tens of megabytes); a larger one is
/// refused rather than read into memory.
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The cached map, and when to fetch again.
struct Cached {
    map: Arc<BrokerKeyMap>,
    checked_at: Instant,
    fresh_for: Duration,
}

/// [`BrokerInstruments`] for Upstox: its instruments file, fetched from a URL and cached for a TTL.
pub struct UpstoxInstrumentKeys {
    http: reqwest::Client,
    url: String,
    ttl: Duration,
    cache: Mutex<Option<Cached>>,
}

impl std::fmt::Debug for UpstoxInstrumentKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstoxInstrumentKeys")
            .field("url", &self.url)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl UpstoxInstrumentKeys {
    /// The file at `url` (normally [`DEFAULT_INSTRUMENTS_URL`]), cached for [`DEFAULT_TTL`].
    ///
    /// # Errors
    /// If the HTTP client cannot be built.
    pub fn new(url: &str) -> anyhow::Result<Self> {
        Self::with_ttl(url, DEFAULT_TTL)
    }

    /// The file at `url`, cached for `ttl` (zero: fetched on every call, an old map still served when a
    /// fetch fails).
    ///
    /// # Errors
    /// If the HTTP client cannot be built.
    pub fn with_ttl(url: &str, ttl: Duration) -> anyhow::Result<Self> {
        let http = super::http_client(TIMEOUT)?;
        Ok(Self {
            http,
            url: url.to_owned(),
            ttl,
            cache: Mutex::new(None),
        })
    }

    /// Downloads and reads the file.
    async fn fetch(&self) -> Result<BrokerKeyMap, String> {
        let response = self
            .http
            .get(&self.url)
            .send()
            .await
            .map_err(|e| format!("instruments file: {e}"))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("instruments file: HTTP {}", status.as_u16()));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("instruments file body: {e}"))?;
        // Decompressing and parsing tens of megabytes is CPU work: keep it off the async workers.
        tokio::task::spawn_blocking(move || {
            let json = decompress(&body)?;
            let parsed = parse_instruments(&json).map_err(|e| e.to_string())?;
            Ok(BrokerKeyMap::new(parsed.upstox_keys))
        })
        .await
        .map_err(|e| format!("instruments file: reader failed: {e}"))?
    }
}

/// The JSON text of `body`: gunzipped when it starts with the gzip magic bytes, else as is.
fn decompress(body: &[u8]) -> Result<Vec<u8>, String> {
    if !body.starts_with(&GZIP_MAGIC) {
        return Ok(body.to_vec());
    }
    let mut json = Vec::new();
    flate2::read::MultiGzDecoder::new(body)
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("instruments file does not decompress: {e}"))?;
    if json.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "instruments file is larger than {MAX_FILE_BYTES} bytes decompressed"
        ));
    }
    Ok(json)
}

#[async_trait]
impl BrokerInstruments for UpstoxInstrumentKeys {
    /// The cached map while fresh; otherwise the file fetched again, or the old map if that fails.
    ///
    /// # Errors
    /// [`LiveBrokerError::Unavailable`] when the file cannot be fetched or read and no map is cached.
    async fn key_map(&self) -> Result<Arc<BrokerKeyMap>, LiveBrokerError> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref()
            && cached.checked_at.elapsed() < cached.fresh_for
        {
            return Ok(cached.map.clone());
        }
        match self.fetch().await {
            Ok(map) => {
                let map = Arc::new(map);
                tracing::info!(instruments = map.len(), "Upstox instrument keys loaded");
                *cache = Some(Cached {
                    map: map.clone(),
                    checked_at: Instant::now(),
                    fresh_for: self.ttl,
                });
                Ok(map)
            }
            Err(reason) => match cache.as_mut() {
                Some(cached) => {
                    tracing::warn!(
                        reason = %reason,
                        "Upstox instrument keys not refreshed; serving the previous map"
                    );
                    cached.checked_at = Instant::now();
                    cached.fresh_for = self.ttl.min(RETRY_AFTER_FAILURE);
                    Ok(cached.map.clone())
                }
                None => Err(LiveBrokerError::Unavailable(reason)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_json_passes_through_and_garbage_after_the_gzip_magic_is_refused() {
        assert_eq!(decompress(b"[]").unwrap(), b"[]");
        assert!(decompress(&[0x1f, 0x8b, 0, 1, 2, 3]).is_err());
    }
}
