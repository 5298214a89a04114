//! Upstox market data (<https://upstox.com/developer/api-documentation>) behind the domain's [`MarketData`]
//! port.
//!
//! - Quotes: `GET /v2/market-quote/quotes?instrument_key=NSE_EQ|INE002A01018,…`, at most
//!   [`MAX_KEYS_PER_QUOTE_CALL`] keys a call. The answer is keyed `SEGMENT:SYMBOL` (`NSE_EQ:RELIANCE`), so each
//!   quote is matched back to our instrument through its `instrument_token`, which is the requested key.
//! - Last prices: `GET /v3/market-quote/ltp?instrument_key=…`, batched and matched the same way.
//! - Option chain: `GET /v2/option/chain?instrument_key={underlying}&expiry_date={yyyy-mm-dd}`, one call per
//!   expiry, each strike's call and put matched back through their `instrument_key`.
//! - Candles: `GET /v3/historical-candle/{instrument_key}/{unit}/{interval}/{to_date}/{from_date}` for past
//!   days, split to respect Upstox's span per request (1–15 minute candles: one month; longer minutes and
//!   hours: one quarter; days: one decade), plus `GET /v3/historical-candle/intraday/{instrument_key}/{unit}/
//!   {interval}` when the range reaches into the current IST day (the historical endpoint does not serve it).
//!
//! Prices are read from the JSON number's text into [`Decimal`] (never through `f64` arithmetic) and rounded
//! to the instrument's tick. Every call is bounded in time, the idempotent GETs are retried with jittered
//! backoff on 429, 5xx and transport errors (never on another 4xx), and a [`CircuitBreaker`] fails fast with
//! [`MarketDataError::Unavailable`] while Upstox is down. The access token is never logged.
//!
//! Error mapping: transport errors, timeouts, 429, 5xx, unreadable bodies, an open circuit, a refused token
//! (401/403) and a quote missing from the answer are [`MarketDataError::Unavailable`]; any other 4xx (an
//! invalid instrument key, a range Upstox will not serve) and an instrument with no Upstox key are
//! [`MarketDataError::Unsupported`] carrying Upstox's message.

use std::collections::HashMap;
use std::str::FromStr as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_trait::async_trait;
use chrono::{DateTime, Months, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};
use tradesense_domain::kernel::time::ist;
use tradesense_domain::market::candles::{Candle, Interval};
use tradesense_domain::market::chain::{ChainSnapshot, ContractSnapshot};
use tradesense_domain::market::instrument::{Instrument, InstrumentKey, round_to_tick};
use tradesense_domain::market::master::InstrumentMaster;
use tradesense_domain::market::ports::{MarketData, MarketDataError};
use tradesense_domain::market::quote::{Bar, Quote};

use super::{Answer, Envelope, Jitter, error_message, send};

/// The most instrument keys Upstox accepts in one market-quote call.
pub const MAX_KEYS_PER_QUOTE_CALL: usize = 500;

/// How failed calls are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included (at least 1).
    pub max_attempts: u32,
    /// The backoff before the first retry; it doubles each retry.
    pub base_delay: Duration,
    /// No backoff (nor honoured `Retry-After`) is longer than this.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, 200 ms doubling, at most 2 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first): "equal jitter", half of
    /// `min(max_delay, base_delay · 2^(retry-1))` plus a share of the other half chosen by `random`.
    pub fn backoff(&self, retry: u32, random: u64) -> Duration {
        let exponent = retry.saturating_sub(1).min(20);
        let ceiling = self.base_delay.saturating_mul(1 << exponent).min(self.max_delay);
        let ceiling_nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        let half = ceiling_nanos / 2;
        let spread = ceiling_nanos - half;
        Duration::from_nanos(half + random % spread.saturating_add(1))
    }

    /// The wait before retry number `retry`: the [`backoff`](Self::backoff), or longer if the server asked
    /// for longer (`retry_after`), never above `max_delay`.
    pub fn delay(&self, retry: u32, random: u64, retry_after: Option<Duration>) -> Duration {
        self.backoff(retry, random)
            .max(retry_after.unwrap_or_default())
            .min(self.max_delay)
    }
}

/// When the circuit breaker opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive failed calls (after their retries) that open the circuit (at least 1).
    pub failure_threshold: u32,
    /// How long the circuit stays open before one probe call is let through.
    pub cool_down: Duration,
}

impl Default for BreakerSettings {
    /// Open after 5 consecutive failures, for 30 s.
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

/// Where a [`CircuitBreaker`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through; this many have failed in a row.
    Closed {
        /// Failures since the last success.
        consecutive_failures: u32,
    },
    /// Calls fail fast until `until`.
    Open {
        /// End of the cool-down.
        until: Instant,
    },
    /// One probe call, let through at `since`, decides: success closes, failure reopens. Others fail fast;
    /// a probe with no outcome after a cool-down (its caller gave up) is replaced by a new one.
    HalfOpen {
        /// When the probe was let through.
        since: Instant,
    },
}

/// A small circuit breaker. Time is passed in, so its behaviour can be tested without waiting.
#[derive(Debug)]
pub struct CircuitBreaker {
    settings: BreakerSettings,
    state: Mutex<BreakerState>,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(settings: BreakerSettings) -> Self {
        Self::with_state(
            settings,
            BreakerState::Closed {
                consecutive_failures: 0,
            },
        )
    }

    /// A breaker starting in `state`.
    pub fn with_state(settings: BreakerSettings, state: BreakerState) -> Self {
        Self {
            settings,
            state: Mutex::new(state),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerState> {
        // The state is a plain value, always whole: a panic elsewhere cannot leave it half-written.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        *self.lock()
    }

    /// Whether a call may go out at `now`. An expired open circuit lets this one call through as the probe.
    pub fn try_acquire(&self, now: Instant) -> bool {
        let mut state = self.lock();
        match *state {
            BreakerState::Closed { .. } => true,
            BreakerState::Open { until } if now < until => false,
            BreakerState::HalfOpen { since } if now < self.cool_down_end(since) => false,
            BreakerState::Open { .. } | BreakerState::HalfOpen { .. } => {
                *state = BreakerState::HalfOpen { since: now };
                true
            }
        }
    }

    fn cool_down_end(&self, from: Instant) -> Instant {
        from.checked_add(self.settings.cool_down).unwrap_or(from)
    }

    /// Records a call that reached Upstox and got an answer: the circuit closes.
    pub fn record_success(&self) {
        *self.lock() = BreakerState::Closed {
            consecutive_failures: 0,
        };
    }

    /// Records a failed call at `now`: the circuit opens at the threshold, or at once after a failed probe.
    pub fn record_failure(&self, now: Instant) {
        let mut state = self.lock();
        let open = BreakerState::Open {
            until: self.cool_down_end(now),
        };
        *state = match *state {
            BreakerState::Closed { consecutive_failures } => {
                let failures = consecutive_failures.saturating_add(1);
                if failures >= self.settings.failure_threshold.max(1) {
                    open
                } else {
                    BreakerState::Closed {
                        consecutive_failures: failures,
                    }
                }
            }
            BreakerState::HalfOpen { .. } => open,
            already @ BreakerState::Open { .. } => already,
        };
    }
}

/// Timeouts, retries and the circuit breaker of [`UpstoxMarketData`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstoxMarketSettings {
    /// The longest one HTTP call may take, body included.
    pub timeout: Duration,
    /// Retries of failed calls.
    pub retry: RetryPolicy,
    /// When to stop calling.
    pub breaker: BreakerSettings,
}

impl Default for UpstoxMarketSettings {
    /// 5 s per call, [`RetryPolicy::default`], [`BreakerSettings::default`].
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
            breaker: BreakerSettings::default(),
        }
    }
}

/// [`MarketData`] from Upstox's REST API, for one access token.
#[derive(Debug)]
pub struct UpstoxMarketData {
    http: reqwest::Client,
    base_url: String,
    access_token: SecretString,
    instrument_keys: HashMap<InstrumentKey, String>,
    retry: RetryPolicy,
    breaker: CircuitBreaker,
    jitter: Jitter,
}

impl UpstoxMarketData {
    /// A client for `base_url` (normally [`super::DEFAULT_BASE_URL`]) calling with `access_token` (an Upstox
    /// OAuth access token; it is sent as a bearer token and never logged), with default settings.
    ///
    /// `instrument_keys` maps each of our keys (`NSE:RELIANCE`) to Upstox's `instrument_key`
    /// (`NSE_EQ|INE002A01018`), as built by [`super::instruments::parse_instruments`] from Upstox's instrument
    /// file. An instrument with no entry is [`MarketDataError::Unsupported`].
    ///
    /// # Errors
    /// If the HTTP client cannot be built.
    pub fn new(
        base_url: &str,
        access_token: impl Into<String>,
        instrument_keys: HashMap<InstrumentKey, String>,
    ) -> anyhow::Result<Self> {
        Self::with_settings(
            base_url,
            access_token,
            instrument_keys,
            UpstoxMarketSettings::default(),
        )
    }

    /// Like [`new`](Self::new), with explicit timeouts, retries and breaker settings.
    ///
    /// # Errors
    /// If the HTTP client cannot be built.
    pub fn with_settings(
        base_url: &str,
        access_token: impl Into<String>,
        instrument_keys: HashMap<InstrumentKey, String>,
        settings: UpstoxMarketSettings,
    ) -> anyhow::Result<Self> {
        let http = super::http_client(settings.timeout)?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            access_token: SecretString::from(access_token.into()),
            instrument_keys,
            retry: settings.retry,
            breaker: CircuitBreaker::new(settings.breaker),
            jitter: Jitter::default(),
        })
    }

    /// The circuit breaker's current state.
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    fn upstox_key(&self, instrument: &Instrument) -> Result<&str, MarketDataError> {
        self.instrument_keys
            .get(&instrument.key)
            .map(String::as_str)
            .ok_or_else(|| {
                MarketDataError::Unsupported(format!("{} is not available from Upstox", instrument.key))
            })
    }

    /// Each instrument with its Upstox key; any without one is `Unsupported`.
    fn with_upstox_keys<'a>(
        &'a self,
        instruments: &[&'a Instrument],
    ) -> Result<Vec<(&'a Instrument, &'a str)>, MarketDataError> {
        instruments
            .iter()
            .map(|i| Ok((*i, self.upstox_key(i)?)))
            .collect()
    }

    /// One market-quote endpoint (`path`) over the keys of `wanted`, at most [`MAX_KEYS_PER_QUOTE_CALL`] a
    /// call. Upstox keys its answer `SEGMENT:SYMBOL`, so the answers are re-indexed by `token` (the
    /// requested instrument key).
    async fn quote_batches<T: DeserializeOwned>(
        &self,
        path: &str,
        wanted: &[(&Instrument, &str)],
        what: &'static str,
        token: fn(&T) -> &String,
    ) -> Result<HashMap<String, T>, MarketDataError> {
        let mut keys: Vec<&str> = wanted.iter().map(|(_, k)| *k).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut by_token = HashMap::with_capacity(keys.len());
        for batch in keys.chunks(MAX_KEYS_PER_QUOTE_CALL) {
            let query = batch.iter().map(|k| encode(k)).collect::<Vec<_>>().join(",");
            let url = format!("{}{path}?instrument_key={query}", self.base_url);
            let data: HashMap<String, T> = self.get(&url, what).await?;
            by_token.extend(data.into_values().map(|q| (token(&q).clone(), q)));
        }
        Ok(by_token)
    }

    /// One logical GET: circuit check, then attempts with backoff, then the breaker's bookkeeping.
    async fn get<T: DeserializeOwned>(&self, url: &str, what: &'static str) -> Result<T, MarketDataError> {
        if !self.breaker.try_acquire(Instant::now()) {
            return Err(MarketDataError::Unavailable(anyhow::anyhow!(
                "Upstox circuit open: {what} not attempted"
            )));
        }
        let max_attempts = self.retry.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            match self.attempt::<T>(url).await {
                Ok(value) => {
                    self.breaker.record_success();
                    return Ok(value);
                }
                Err(Attempt::Refused(e)) => {
                    // Upstox answered: it is up, whatever it thought of the request.
                    self.breaker.record_success();
                    return Err(e);
                }
                Err(Attempt::Unreadable(e)) => {
                    self.breaker.record_failure(Instant::now());
                    return Err(MarketDataError::Unavailable(e.context(what)));
                }
                Err(Attempt::Transient { error, retry_after }) => {
                    if attempt >= max_attempts {
                        self.breaker.record_failure(Instant::now());
                        return Err(MarketDataError::Unavailable(
                            error.context(format!("{what} failed after {attempt} attempts")),
                        ));
                    }
                    let delay = self.retry.delay(attempt, self.jitter.next(), retry_after);
                    tracing::warn!(what, attempt, delay_ms = delay.as_millis() as u64, error = %error, "Upstox call failed; retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt<T: DeserializeOwned>(&self, url: &str) -> Result<T, Attempt> {
        let transient = |e: reqwest::Error| Attempt::Transient {
            error: anyhow::Error::new(e).context("Upstox call"),
            retry_after: None,
        };
        let Answer {
            status,
            retry_after,
            body,
        } = send(self.http.get(url), self.access_token.expose_secret())
            .await
            .map_err(transient)?;
        if status.is_success() {
            let envelope: Envelope<T> = serde_json::from_slice(&body).map_err(|e| {
                Attempt::Unreadable(anyhow::Error::new(e).context("Upstox answer not understood"))
            })?;
            return envelope.success().ok_or_else(|| {
                Attempt::Unreadable(anyhow::anyhow!(
                    "Upstox answered HTTP {status} without status success and data"
                ))
            });
        }
        let message = error_message(&body).unwrap_or_else(|| format!("HTTP {status}"));
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return Err(Attempt::Transient {
                error: anyhow::anyhow!("Upstox answered HTTP {status}: {message}"),
                retry_after,
            });
        }
        if matches!(
            status,
            reqwest::StatusCode::UNAUTHORIZED | reqwest::StatusCode::FORBIDDEN
        ) {
            return Err(Attempt::Refused(MarketDataError::Unavailable(anyhow::anyhow!(
                "Upstox refused the access token (HTTP {status}): {message}"
            ))));
        }
        Err(Attempt::Refused(MarketDataError::Unsupported(format!(
            "Upstox: {message}"
        ))))
    }

    async fn candle_call(
        &self,
        url: &str,
        tick: Decimal,
        what: &'static str,
    ) -> Result<Vec<Candle>, MarketDataError> {
        let data: CandleData = self.get(url, what).await?;
        data.candles
            .iter()
            .map(|row| parse_candle(row, tick))
            .collect::<anyhow::Result<Vec<_>>>()
            .map_err(|e| MarketDataError::Unavailable(e.context(what)))
    }
}

/// How one HTTP attempt failed.
enum Attempt {
    /// Worth another try: transport error, timeout, 429, 5xx.
    Transient {
        error: anyhow::Error,
        retry_after: Option<Duration>,
    },
    /// Upstox answered and refused; trying again will not help.
    Refused(MarketDataError),
    /// A 2xx whose body is not Upstox's documented shape.
    Unreadable(anyhow::Error),
}

/// The answer for `upstox_key` among `by_token`; Upstox leaving one out is `Unavailable`.
fn answered<'a, T>(
    by_token: &'a HashMap<String, T>,
    instrument: &Instrument,
    upstox_key: &str,
    what: &str,
) -> Result<&'a T, MarketDataError> {
    by_token.get(upstox_key).ok_or_else(|| {
        MarketDataError::Unavailable(anyhow::anyhow!(
            "Upstox returned no {what} for {} ({upstox_key})",
            instrument.key
        ))
    })
}

/// One instrument of the LTP quote (v3: `{last_price, instrument_token, ltq, volume, cp}`).
#[derive(Deserialize)]
struct LastPrice {
    instrument_token: String,
    last_price: Number,
}

/// One strike of the put/call option chain.
#[derive(Deserialize)]
struct ChainStrike {
    underlying_spot_price: Number,
    #[serde(default)]
    call_options: Option<ChainOption>,
    #[serde(default)]
    put_options: Option<ChainOption>,
}

#[derive(Deserialize)]
struct ChainOption {
    instrument_key: String,
    market_data: ChainMarketData,
}

#[derive(Deserialize)]
struct ChainMarketData {
    ltp: Number,
    #[serde(default)]
    oi: Option<Number>,
}

/// One instrument of the full market quote (fields we use; Upstox sends more).
#[derive(Deserialize)]
struct FullQuote {
    instrument_token: String,
    last_price: Number,
    net_change: Number,
    ohlc: Ohlc,
    #[serde(default)]
    depth: Option<Depth>,
    #[serde(default)]
    volume: Option<Number>,
    #[serde(default)]
    oi: Option<Number>,
    #[serde(default)]
    timestamp: Option<Value>,
    #[serde(default)]
    last_trade_time: Option<Value>,
}

#[derive(Deserialize)]
struct Ohlc {
    open: Number,
    high: Number,
    low: Number,
    close: Number,
}

#[derive(Deserialize)]
struct Depth {
    #[serde(default)]
    buy: Vec<DepthLevel>,
    #[serde(default)]
    sell: Vec<DepthLevel>,
}

#[derive(Deserialize)]
struct DepthLevel {
    price: Number,
    #[serde(default)]
    quantity: Option<Number>,
}

#[derive(Deserialize)]
struct CandleData {
    candles: Vec<Vec<Value>>,
}

/// The exact decimal a JSON number was written as. Without serde_json's `arbitrary_precision`, a number with
/// a fraction is held as the nearest `f64`, whose shortest round-trip text is the text Upstox sent (for
/// anything up to 15–17 significant digits); parsing that text, not the float, keeps `2450.35` exact.
pub(crate) fn json_decimal(n: &Number) -> Option<Decimal> {
    let text = n.to_string();
    Decimal::from_str(&text)
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
}

fn price(n: &Number, tick: Decimal, field: &str) -> anyhow::Result<Decimal> {
    json_decimal(n)
        .map(|d| round_to_tick(d, tick))
        .with_context(|| format!("{field} {n} is not a price"))
}

fn count(n: &Number, field: &str) -> anyhow::Result<u64> {
    n.as_u64()
        .or_else(|| {
            json_decimal(n)
                .filter(|d| d.fract().is_zero())
                .and_then(|d| d.to_u64())
        })
        .with_context(|| format!("{field} {n} is not a count"))
}

/// A `last_trade_time` (epoch milliseconds, as a string or a number) or a `timestamp` (RFC 3339).
fn instant(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::String(s) => s
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .or_else(|| {
                DateTime::parse_from_rfc3339(s)
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            }),
        Value::Number(n) => n.as_i64().and_then(DateTime::from_timestamp_millis),
        _ => None,
    }
}

/// The best price on one side of the book: levels with a price and a quantity (Upstox pads empty levels
/// with zeros), the highest bid or the lowest offer.
fn best(levels: &[DepthLevel], highest: bool) -> Option<Decimal> {
    let prices = levels.iter().filter_map(|level| {
        let p = json_decimal(&level.price)?;
        let quantity = level
            .quantity
            .as_ref()
            .and_then(json_decimal)
            .unwrap_or(Decimal::ONE);
        (p > Decimal::ZERO && quantity > Decimal::ZERO).then_some(p)
    });
    if highest { prices.max() } else { prices.min() }
}

fn to_quote(q: &FullQuote, tick: Decimal, now: DateTime<Utc>) -> anyhow::Result<Quote> {
    let last_raw = json_decimal(&q.last_price).with_context(|| format!("last_price {}", q.last_price))?;
    let net_change = json_decimal(&q.net_change).with_context(|| format!("net_change {}", q.net_change))?;
    let last_price = round_to_tick(last_raw, tick);
    let (bid, ask) = match &q.depth {
        Some(depth) => (best(&depth.buy, true), best(&depth.sell, false)),
        None => (None, None),
    };
    let timestamp = q
        .last_trade_time
        .as_ref()
        .and_then(instant)
        .or_else(|| q.timestamp.as_ref().and_then(instant))
        .unwrap_or(now);
    Ok(Quote {
        last_price,
        bid: bid.map_or(last_price, |b| round_to_tick(b, tick)),
        ask: ask.map_or(last_price, |a| round_to_tick(a, tick)),
        day: Bar {
            open: price(&q.ohlc.open, tick, "ohlc.open")?,
            high: price(&q.ohlc.high, tick, "ohlc.high")?,
            low: price(&q.ohlc.low, tick, "ohlc.low")?,
            close: price(&q.ohlc.close, tick, "ohlc.close")?,
            volume: q
                .volume
                .as_ref()
                .map(|v| count(v, "volume"))
                .transpose()?
                .unwrap_or(0),
        },
        // Upstox's `ohlc` is today's; `net_change` is against the previous close.
        previous_close: round_to_tick(last_raw - net_change, tick),
        timestamp,
        open_interest: q.oi.as_ref().map(|oi| count(oi, "oi")).transpose()?,
        // Not read yet: paper fills price off the simulated market, whose depth is its own.
        bid_quantity: None,
        ask_quantity: None,
    })
}

/// `["2025-01-02T09:15:00+05:30", open, high, low, close, volume, oi]`.
fn parse_candle(row: &[Value], tick: Decimal) -> anyhow::Result<Candle> {
    let number = |i: usize, field: &str| -> anyhow::Result<&Number> {
        match row.get(i) {
            Some(Value::Number(n)) => Ok(n),
            other => anyhow::bail!("candle {field} is {other:?}"),
        }
    };
    let start = row
        .first()
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .with_context(|| format!("candle time {:?}", row.first()))?
        .with_timezone(&Utc);
    Ok(Candle {
        start,
        open: price(number(1, "open")?, tick, "open")?,
        high: price(number(2, "high")?, tick, "high")?,
        low: price(number(3, "low")?, tick, "low")?,
        close: price(number(4, "close")?, tick, "close")?,
        volume: count(number(5, "volume")?, "volume")?,
    })
}

/// Upstox's `(unit, interval)` for our interval, and the most calendar months one historical request may span.
fn upstox_interval(interval: Interval) -> (&'static str, u32, u32) {
    match interval {
        Interval::M1 => ("minutes", 1, 1),
        Interval::M5 => ("minutes", 5, 1),
        Interval::M15 => ("minutes", 15, 1),
        Interval::M30 => ("minutes", 30, 3),
        Interval::H1 => ("hours", 1, 3),
        Interval::D1 => ("days", 1, 120),
    }
}

/// `from..=to` cut into `(from_date, to_date)` requests, oldest first, each shorter than `months` calendar
/// months (to_date before from_date + months), so no request exceeds Upstox's span.
fn date_chunks(from: NaiveDate, to: NaiveDate, months: u32) -> Vec<(NaiveDate, NaiveDate)> {
    let mut chunks = Vec::new();
    let mut start = from;
    while start <= to {
        let end = start
            .checked_add_months(Months::new(months))
            .and_then(|d| d.pred_opt())
            .map_or(to, |d| d.min(to));
        chunks.push((start, end));
        match end.succ_opt() {
            Some(next) => start = next,
            None => break,
        }
    }
    chunks
}

/// Percent-encodes one path segment or query value (RFC 3986 unreserved characters pass).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[async_trait]
impl MarketData for UpstoxMarketData {
    async fn quotes(
        &self,
        _master: &InstrumentMaster,
        instruments: &[&Instrument],
        now: DateTime<Utc>,
    ) -> Result<HashMap<InstrumentKey, Quote>, MarketDataError> {
        let wanted = self.with_upstox_keys(instruments)?;
        let by_token: HashMap<String, FullQuote> = self
            .quote_batches(
                "/v2/market-quote/quotes",
                &wanted,
                "Upstox quotes",
                |q: &FullQuote| &q.instrument_token,
            )
            .await?;
        let mut quotes = HashMap::with_capacity(wanted.len());
        for (instrument, upstox_key) in wanted {
            let raw = answered(&by_token, instrument, upstox_key, "quote")?;
            let quote = to_quote(raw, instrument.tick_size, now).map_err(|e| {
                MarketDataError::Unavailable(e.context(format!("Upstox quote of {}", instrument.key)))
            })?;
            quotes.insert(instrument.key.clone(), quote);
        }
        Ok(quotes)
    }

    /// `GET /v3/market-quote/ltp`, at most [`MAX_KEYS_PER_QUOTE_CALL`] keys a call.
    async fn last_prices(
        &self,
        _master: &InstrumentMaster,
        instruments: &[&Instrument],
        _now: DateTime<Utc>,
    ) -> Result<HashMap<InstrumentKey, Decimal>, MarketDataError> {
        let wanted = self.with_upstox_keys(instruments)?;
        let by_token: HashMap<String, LastPrice> = self
            .quote_batches(
                "/v3/market-quote/ltp",
                &wanted,
                "Upstox last prices",
                |q: &LastPrice| &q.instrument_token,
            )
            .await?;
        let mut prices = HashMap::with_capacity(wanted.len());
        for (instrument, upstox_key) in wanted {
            let raw = answered(&by_token, instrument, upstox_key, "last price")?;
            let last = price(&raw.last_price, instrument.tick_size, "last_price").map_err(|e| {
                MarketDataError::Unavailable(e.context(format!("Upstox LTP of {}", instrument.key)))
            })?;
            prices.insert(instrument.key.clone(), last);
        }
        Ok(prices)
    }

    /// `GET /v2/option/chain?instrument_key=…&expiry_date=…`: one call for the whole expiry. Strikes Upstox
    /// lists that our master does not are skipped; open interest is Upstox's; the snapshot is stamped `now`
    /// (the answer carries no time).
    async fn chain_snapshot(
        &self,
        master: &InstrumentMaster,
        underlying: &str,
        expiry: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<ChainSnapshot, MarketDataError> {
        let spot = master
            .get(underlying)
            .ok_or_else(|| MarketDataError::Unsupported(format!("{underlying} is not listed")))?;
        let url = format!(
            "{}/v2/option/chain?instrument_key={}&expiry_date={expiry}",
            self.base_url,
            encode(self.upstox_key(spot)?)
        );
        let rows: Vec<ChainStrike> = self.get(&url, "Upstox option chain").await?;
        let ours: HashMap<&str, &Instrument> = master
            .option_contracts(underlying, expiry)
            .into_iter()
            .filter_map(|c| Some((self.instrument_keys.get(&c.key)?.as_str(), c)))
            .collect();
        let unreadable = |e: anyhow::Error| MarketDataError::Unavailable(e.context("Upstox option chain"));
        let underlying_price = match rows.first() {
            Some(row) => price(
                &row.underlying_spot_price,
                spot.tick_size,
                "underlying_spot_price",
            )
            .map_err(unreadable)?,
            None => {
                return Err(MarketDataError::Unsupported(format!(
                    "Upstox lists no {underlying} options expiring {expiry}"
                )));
            }
        };
        let mut contracts = HashMap::with_capacity(ours.len());
        for side in rows
            .iter()
            .flat_map(|r| [&r.call_options, &r.put_options])
            .flatten()
        {
            let Some(instrument) = ours.get(side.instrument_key.as_str()) else {
                continue;
            };
            let contract = ContractSnapshot {
                last_price: price(&side.market_data.ltp, instrument.tick_size, "ltp").map_err(unreadable)?,
                open_interest: side
                    .market_data
                    .oi
                    .as_ref()
                    .map(|oi| count(oi, "oi"))
                    .transpose()
                    .map_err(unreadable)?,
            };
            contracts.insert(instrument.key.clone(), contract);
        }
        Ok(ChainSnapshot {
            underlying_price,
            as_of: now,
            contracts,
        })
    }

    async fn candles(
        &self,
        _master: &InstrumentMaster,
        instrument: &Instrument,
        interval: Interval,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Candle>, MarketDataError> {
        let upstox_key = encode(self.upstox_key(instrument)?);
        if from >= to || from > now {
            return Ok(Vec::new());
        }
        let (unit, step, months) = upstox_interval(interval);
        let tick = instrument.tick_size;
        let today = now.with_timezone(&ist()).date_naive();
        let first_day = from.with_timezone(&ist()).date_naive();
        let last_day = (to - chrono::Duration::nanoseconds(1))
            .with_timezone(&ist())
            .date_naive();
        let mut candles = Vec::new();
        if let Some(yesterday) = today.pred_opt() {
            for (from_date, to_date) in date_chunks(first_day, last_day.min(yesterday), months) {
                let url = format!(
                    "{}/v3/historical-candle/{upstox_key}/{unit}/{step}/{to_date}/{from_date}",
                    self.base_url
                );
                candles.extend(self.candle_call(&url, tick, "Upstox historical candles").await?);
            }
        }
        if first_day <= today && today <= last_day {
            let url = format!(
                "{}/v3/historical-candle/intraday/{upstox_key}/{unit}/{step}",
                self.base_url
            );
            candles.extend(self.candle_call(&url, tick, "Upstox intraday candles").await?);
        }
        candles.retain(|c| c.start >= from && c.start < to);
        candles.sort_by_key(|c| c.start);
        candles.dedup_by_key(|c| c.start);
        Ok(candles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(threshold: u32, cool_down_secs: u64) -> BreakerSettings {
        BreakerSettings {
            failure_threshold: threshold,
            cool_down: Duration::from_secs(cool_down_secs),
        }
    }

    #[test]
    fn the_breaker_opens_after_the_threshold_of_consecutive_failures() {
        let t0 = Instant::now();
        let breaker = CircuitBreaker::new(settings(3, 30));
        breaker.record_failure(t0);
        breaker.record_failure(t0);
        assert!(breaker.try_acquire(t0), "two failures of three: still closed");
        breaker.record_failure(t0);
        assert_eq!(
            breaker.state(),
            BreakerState::Open {
                until: t0 + Duration::from_secs(30)
            }
        );
        assert!(!breaker.try_acquire(t0 + Duration::from_secs(29)));
    }

    #[test]
    fn a_success_resets_the_count_of_failures() {
        let t0 = Instant::now();
        let breaker = CircuitBreaker::new(settings(2, 30));
        breaker.record_failure(t0);
        breaker.record_success();
        breaker.record_failure(t0);
        assert_eq!(
            breaker.state(),
            BreakerState::Closed {
                consecutive_failures: 1
            }
        );
    }

    #[test]
    fn after_the_cool_down_one_probe_goes_through_and_decides() {
        let t0 = Instant::now();
        let until = t0 + Duration::from_secs(30);
        let breaker = CircuitBreaker::with_state(settings(2, 30), BreakerState::Open { until });
        assert!(breaker.try_acquire(until), "the probe");
        assert_eq!(breaker.state(), BreakerState::HalfOpen { since: until });
        assert!(!breaker.try_acquire(until), "only one probe at a time");
        breaker.record_failure(until);
        assert_eq!(
            breaker.state(),
            BreakerState::Open {
                until: until + Duration::from_secs(30)
            },
            "a failed probe reopens at once"
        );

        let probing = CircuitBreaker::with_state(settings(2, 30), BreakerState::HalfOpen { since: t0 });
        probing.record_success();
        assert!(probing.try_acquire(t0));
        assert_eq!(
            probing.state(),
            BreakerState::Closed {
                consecutive_failures: 0
            }
        );
    }

    #[test]
    fn a_probe_that_never_reports_is_replaced_after_a_cool_down() {
        let t0 = Instant::now();
        let breaker = CircuitBreaker::with_state(settings(2, 30), BreakerState::HalfOpen { since: t0 });
        assert!(!breaker.try_acquire(t0 + Duration::from_secs(29)));
        assert!(breaker.try_acquire(t0 + Duration::from_secs(30)));
    }

    #[test]
    fn backoff_doubles_is_jittered_within_half_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        };
        assert_eq!(policy.backoff(1, 0), Duration::from_millis(50));
        assert_eq!(policy.backoff(1, 50_000_000), Duration::from_millis(100));
        assert_eq!(policy.backoff(2, 0), Duration::from_millis(100));
        assert_eq!(
            policy.backoff(3, 0),
            Duration::from_millis(150),
            "400 ms capped at 300"
        );
        for r in [1, 7, u64::MAX] {
            let d = policy.backoff(2, r);
            assert!(
                d >= Duration::from_millis(100) && d <= Duration::from_millis(200),
                "{d:?}"
            );
        }
        let zero = RetryPolicy {
            base_delay: Duration::ZERO,
            ..policy
        };
        assert_eq!(zero.backoff(3, u64::MAX), Duration::ZERO);
    }

    #[test]
    fn date_ranges_are_cut_into_calendar_spans_oldest_first() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            date_chunks(d("2025-01-01"), d("2025-03-31"), 1),
            [
                (d("2025-01-01"), d("2025-01-31")),
                (d("2025-02-01"), d("2025-02-28")),
                (d("2025-03-01"), d("2025-03-31")),
            ]
        );
        assert_eq!(
            date_chunks(d("2025-01-15"), d("2025-02-20"), 3),
            [(d("2025-01-15"), d("2025-02-20"))]
        );
        assert_eq!(
            date_chunks(d("2010-01-01"), d("2025-06-30"), 120),
            [
                (d("2010-01-01"), d("2019-12-31")),
                (d("2020-01-01"), d("2025-06-30"))
            ]
        );
        assert!(date_chunks(d("2025-02-01"), d("2025-01-31"), 1).is_empty());
    }

    #[test]
    fn decimals_come_from_the_numbers_text() {
        let n = |s: &str| serde_json::from_str::<Number>(s).unwrap();
        assert_eq!(json_decimal(&n("2450.35")).unwrap().to_string(), "2450.35");
        assert_eq!(json_decimal(&n("5.0")).unwrap().to_string(), "5.0");
        assert_eq!(json_decimal(&n("1e-7")).unwrap().to_string(), "0.0000001");
        assert_eq!(json_decimal(&n("24123697")).unwrap().to_string(), "24123697");
    }
}
