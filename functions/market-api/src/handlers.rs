//! Market-data handlers: instruments, quotes, candles, option chain, market status. Every route needs
//! `market:read`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use rust_decimal::Decimal;
use tradesense_domain::identity::rbac::Permission;
use tradesense_domain::market::chain::{ChainSide, IvSource, forward_price, option_chain};
use tradesense_domain::market::instrument::{Exchange, Instrument};
use tradesense_domain::market::master::InstrumentQuery;
use tradesense_http::query::TimeParam;
use tradesense_http::{ApiError, AppJson, AppQuery, AuthContext};

use crate::dto::{
    CandlesQuery, CandlesResponse, ChainQuery, ChainResponse, ChainRowDto, ChainSideDto, InstrumentDto,
    InstrumentList, InstrumentSearch, QuoteDto, QuotesQuery, QuotesResponse, StatusQuery, StatusResponse,
};
use crate::errors::MarketError;
use crate::state::MarketState;

type Body = tradesense_http::error::ErrorBody;

/// Most instruments per quotes request.
pub const MAX_QUOTE_INSTRUMENTS: usize = 500;
/// Most search results per request.
pub const MAX_SEARCH_RESULTS: usize = 100;

fn round(x: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    (x * factor).round() / factor
}

/// Instruments by symbol or name prefix, with exchange and segment filters.
#[utoipa::path(get, path = "/v1/market/instruments", tag = "market", security(("bearer" = [])),
    params(InstrumentSearch),
    responses((status = 200, body = InstrumentList), (status = 403, body = Body)))]
pub async fn instruments(
    auth: AuthContext,
    State(state): State<MarketState>,
    AppQuery(query): AppQuery<InstrumentSearch>,
) -> Result<AppJson<InstrumentList>, MarketError> {
    auth.require(Permission::MarketRead)?;
    let text = query.q.trim();
    if text.is_empty() || query.q.chars().count() > 40 {
        return Err(ApiError::invalid_field("q", "give 1 to 40 characters, not only spaces").into());
    }
    let limit = usize::from(query.limit.unwrap_or(20));
    if !(1..=MAX_SEARCH_RESULTS).contains(&limit) {
        return Err(ApiError::invalid_field("limit", format!("must be 1 to {MAX_SEARCH_RESULTS}")).into());
    }
    let master = state.master(state.clock.now()).await?;
    let found = master.search(&InstrumentQuery {
        text: text.to_owned(),
        exchange: query.exchange,
        segment: query.segment,
        limit,
    });
    Ok(AppJson(InstrumentList {
        items: found.into_iter().map(InstrumentDto::from).collect(),
    }))
}

/// Quotes for up to 500 instruments.
#[utoipa::path(get, path = "/v1/market/quotes", tag = "market", security(("bearer" = [])),
    params(QuotesQuery),
    responses((status = 200, body = QuotesResponse), (status = 403, body = Body), (status = 422, body = Body)))]
pub async fn quotes(
    auth: AuthContext,
    State(state): State<MarketState>,
    AppQuery(query): AppQuery<QuotesQuery>,
) -> Result<AppJson<QuotesResponse>, MarketError> {
    auth.require(Permission::MarketRead)?;
    let mut keys: Vec<&str> = query.instruments.split(',').map(str::trim).collect();
    if keys.len() > MAX_QUOTE_INSTRUMENTS {
        return Err(ApiError::invalid_field(
            "instruments",
            format!("give at most {MAX_QUOTE_INSTRUMENTS} comma-separated instrument keys"),
        )
        .into());
    }
    keys.retain(|k| !k.is_empty());
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        return Err(ApiError::unprocessable_field("instruments", "give at least one instrument key").into());
    }
    let now = state.clock.now();
    let master = state.master(now).await?;
    let unknown: Vec<&str> = keys.iter().copied().filter(|k| master.get(k).is_none()).collect();
    if !unknown.is_empty() {
        let shown: Vec<String> = unknown
            .iter()
            .take(5)
            .map(|k| k.chars().take(40).collect())
            .collect();
        return Err(ApiError::unprocessable_field(
            "instruments",
            format!("unknown instruments: {}", shown.join(", ")),
        )
        .into());
    }
    let instruments: Vec<&Instrument> = keys.iter().filter_map(|k| master.get(k)).collect();
    let quotes = state.data.quotes(&master, &instruments, now).await?;
    let out: BTreeMap<String, QuoteDto> = quotes
        .into_iter()
        .map(|(key, q)| (key.to_string(), QuoteDto::from(&q)))
        .collect();
    Ok(AppJson(QuotesResponse { quotes: out }))
}

/// Candles of any listed instrument over `[from, to)`, bucketed from the session open. `from` and `to` take an
/// IST day (`2026-01-01`: from its start, to its end) or an RFC 3339 instant; `to` defaults to now.
#[utoipa::path(get, path = "/v1/market/candles/{instrument}", tag = "market", security(("bearer" = [])),
    params(("instrument" = String, Path, description = "A listed instrument, e.g. NSE:RELIANCE"), CandlesQuery),
    responses((status = 200, body = CandlesResponse), (status = 403, body = Body), (status = 404, body = Body),
        (status = 422, body = Body)))]
pub async fn candles(
    auth: AuthContext,
    State(state): State<MarketState>,
    Path(key): Path<String>,
    AppQuery(query): AppQuery<CandlesQuery>,
) -> Result<AppJson<CandlesResponse>, MarketError> {
    auth.require(Permission::MarketRead)?;
    let now = state.clock.now();
    let master = state.master(now).await?;
    let instrument = master.get(&key).ok_or_else(ApiError::not_found)?;
    let from = query.from.as_start();
    let to = query.to.map_or(now, TimeParam::as_end);
    if to <= from {
        return Err(ApiError::unprocessable_field("to", "must be after from").into());
    }
    if to - from > query.interval.max_range() {
        let days = query.interval.max_range().num_days();
        return Err(ApiError::unprocessable_field(
            "to",
            format!("at most {days} days after from at this interval"),
        )
        .into());
    }
    let rows = state
        .data
        .candles(&master, instrument, query.interval, from, to, now)
        .await?
        .into_iter()
        .map(|c| (c.start, c.open, c.high, c.low, c.close, c.volume))
        .collect();
    Ok(AppJson(CandlesResponse { candles: rows }))
}

/// The option chain of an index for one expiry, with IV and Greeks per strike.
#[utoipa::path(get, path = "/v1/market/option-chain/{underlying}", tag = "market", security(("bearer" = [])),
    params(("underlying" = String, Path, description = "e.g. NSE:NIFTY"), ChainQuery),
    responses((status = 200, body = ChainResponse), (status = 403, body = Body), (status = 404, body = Body),
        (status = 422, body = Body)))]
pub async fn chain(
    auth: AuthContext,
    State(state): State<MarketState>,
    Path(underlying): Path<String>,
    AppQuery(query): AppQuery<ChainQuery>,
) -> Result<AppJson<ChainResponse>, MarketError> {
    auth.require(Permission::MarketRead)?;
    let now = state.clock.now();
    let master = state.master(now).await?;
    let expiries = master.option_expiries(&underlying);
    let first = *expiries.first().ok_or_else(ApiError::not_found)?;
    let expiry = query.expiry.unwrap_or(first);
    if !expiries.contains(&expiry) {
        let listed: Vec<String> = expiries.iter().map(ToString::to_string).collect();
        return Err(ApiError::unprocessable_field(
            "expiry",
            format!("not listed; listed: {}", listed.join(", ")),
        )
        .into());
    }
    let snapshot = state
        .data
        .chain_snapshot(&master, &underlying, expiry, now)
        .await?;
    let chain = option_chain(&master, &snapshot, &underlying, expiry)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no chain for {underlying} {expiry}")))?;
    let side = |s: &ChainSide| ChainSideDto {
        instrument: s.instrument.to_string(),
        last_price: s.last_price,
        iv: s.iv.map(|v| round(v * 100.0, 4)),
        iv_source: s.iv_source.map(|source| match source {
            IvSource::Own => "self",
            IvSource::OutOfTheMoney => "otm",
        }),
        delta: s.greeks.map(|g| round(g.delta, 6)),
        gamma: s.greeks.map(|g| round(g.gamma, 8)),
        theta: s.greeks.map(|g| round(g.theta, 6)),
        vega: s.greeks.map(|g| round(g.vega, 6)),
        oi: s.oi,
    };
    Ok(AppJson(ChainResponse {
        underlying_price: chain.underlying_price,
        forward: forward_price(&chain, Decimal::new(5, 2)),
        expiry,
        expiries,
        items: chain
            .rows
            .iter()
            .map(|r| ChainRowDto {
                strike: r.strike,
                call: side(&r.call),
                put: side(&r.put),
            })
            .collect(),
    }))
}

/// Whether the exchange is open, with the next open and close (IST calendar with exchange holidays).
#[utoipa::path(get, path = "/v1/market/status", tag = "market", security(("bearer" = [])),
    params(StatusQuery),
    responses((status = 200, body = StatusResponse), (status = 403, body = Body)))]
pub async fn status(
    auth: AuthContext,
    State(state): State<MarketState>,
    AppQuery(query): AppQuery<StatusQuery>,
) -> Result<AppJson<StatusResponse>, MarketError> {
    auth.require(Permission::MarketRead)?;
    let exchange = query.exchange.unwrap_or(Exchange::Nse);
    Ok(AppJson(state.calendar.status(exchange, state.clock.now()).into()))
}
