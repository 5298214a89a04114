//! Market-data handlers: instruments, quotes, candles, option chain, market status. Every route needs
//! `market:read`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use chrono::Days;
use rust_decimal::Decimal;
use tradesense_domain::auth::Permission;
use tradesense_domain::broker_link::ist;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::candles::aggregate;
use tradesense_domain::market::chain::{forward_price, option_chain};
use tradesense_domain::market::instrument::{Exchange, Segment};
use tradesense_domain::market::master::InstrumentQuery;
use tradesense_http::{ApiError, AppJson, AppQuery, AuthContext};

use crate::dto::{
    CandlesQuery, CandlesResponse, ChainQuery, ChainResponse, ChainRowDto, ChainSideDto, InstrumentDto,
    InstrumentList, InstrumentSearch, QuoteDto, QuotesQuery, QuotesResponse, StatusQuery, StatusResponse,
};
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
    params(("q" = String, Query), ("exchange" = Option<String>, Query), ("segment" = Option<String>, Query),
        ("limit" = Option<usize>, Query)),
    responses((status = 200, body = InstrumentList), (status = 400, body = Body), (status = 403, body = Body)))]
pub async fn instruments(
    auth: AuthContext,
    State(state): State<MarketState>,
    AppQuery(query): AppQuery<InstrumentSearch>,
) -> Result<AppJson<InstrumentList>, ApiError> {
    auth.require(Permission::MarketRead)?;
    let text = query.q.trim();
    if text.is_empty() || text.len() > 40 {
        return Err(ApiError::invalid_field("q", "give 1 to 40 characters"));
    }
    let limit = query.limit.unwrap_or(20);
    if !(1..=MAX_SEARCH_RESULTS).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            format!("must be 1 to {MAX_SEARCH_RESULTS}"),
        ));
    }
    let master = state.master(state.clock.now())?;
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
    params(("instruments" = String, Query, description = "Comma-separated keys, e.g. NSE:RELIANCE,NSE:TCS")),
    responses((status = 200, body = QuotesResponse), (status = 400, body = Body), (status = 403, body = Body)))]
pub async fn quotes(
    auth: AuthContext,
    State(state): State<MarketState>,
    AppQuery(query): AppQuery<QuotesQuery>,
) -> Result<AppJson<QuotesResponse>, ApiError> {
    auth.require(Permission::MarketRead)?;
    let mut keys: Vec<&str> = query
        .instruments
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() || keys.len() > MAX_QUOTE_INSTRUMENTS {
        return Err(ApiError::invalid_field(
            "instruments",
            format!("give 1 to {MAX_QUOTE_INSTRUMENTS} comma-separated instrument keys"),
        ));
    }
    let now = state.clock.now();
    let master = state.master(now)?;
    let unknown: Vec<&str> = keys.iter().copied().filter(|k| master.get(k).is_none()).collect();
    if !unknown.is_empty() {
        let shown: Vec<String> = unknown
            .iter()
            .take(5)
            .map(|k| k.chars().take(40).collect())
            .collect();
        return Err(ApiError::invalid_field(
            "instruments",
            format!("unknown instruments: {}", shown.join(", ")),
        ));
    }
    let mut out = BTreeMap::new();
    for key in keys {
        let instrument = master.get(key).ok_or_else(ApiError::not_found)?;
        let q = state
            .market
            .quote(&master, instrument, now)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no quote for {key}")))?;
        let change = q.last_price - q.previous_close;
        let change_pct = if q.previous_close.is_zero() {
            Decimal::ZERO
        } else {
            (change / q.previous_close * Decimal::ONE_HUNDRED).round_dp(2)
        };
        out.insert(
            key.to_owned(),
            QuoteDto {
                last_price: q.last_price,
                bid: q.bid,
                ask: q.ask,
                open: q.day.open,
                high: q.day.high,
                low: q.day.low,
                close: q.previous_close,
                change,
                change_pct,
                volume: q.day.volume,
                timestamp: q.timestamp,
            },
        );
    }
    Ok(AppJson(QuotesResponse { quotes: out }))
}

/// Candles of an equity or index over `[from, to)`, bucketed from the session open.
#[utoipa::path(get, path = "/v1/market/candles/{instrument}", tag = "market", security(("bearer" = [])),
    params(("instrument" = String, Path), ("interval" = String, Query), ("from" = String, Query), ("to" = String, Query)),
    responses((status = 200, body = CandlesResponse), (status = 400, body = Body), (status = 404, body = Body)))]
pub async fn candles(
    auth: AuthContext,
    State(state): State<MarketState>,
    Path(key): Path<String>,
    AppQuery(query): AppQuery<CandlesQuery>,
) -> Result<AppJson<CandlesResponse>, ApiError> {
    auth.require(Permission::MarketRead)?;
    let now = state.clock.now();
    let master = state.master(now)?;
    let instrument = master.get(&key).ok_or_else(ApiError::not_found)?;
    if !matches!(instrument.segment, Segment::Equity | Segment::Index) {
        return Err(ApiError::invalid_field(
            "instrument",
            "candles are available for equities and indices",
        ));
    }
    if query.to <= query.from {
        return Err(ApiError::invalid_field("to", "must be after from"));
    }
    if query.to - query.from > query.interval.max_range() {
        let days = query.interval.max_range().num_days();
        return Err(ApiError::invalid_field(
            "to",
            format!("at most {days} days per request at this interval"),
        ));
    }
    let until = query.to.min(now);
    let calendar: &MarketCalendar = state.market.calendar();
    let mut rows = Vec::new();
    let mut day = query.from.with_timezone(&ist()).date_naive();
    let last_day = until.with_timezone(&ist()).date_naive();
    while day <= last_day {
        if calendar.is_trading_day(instrument.exchange, day) {
            let bars = state.market.minute_bars(instrument, day, until);
            rows.extend(
                aggregate(&bars, query.interval)
                    .into_iter()
                    .filter(|c| c.start >= query.from && c.start < query.to)
                    .map(|c| (c.start, c.open, c.high, c.low, c.close, c.volume)),
            );
        }
        day = day
            .checked_add_days(Days::new(1))
            .unwrap_or(last_day + Days::new(1));
    }
    Ok(AppJson(CandlesResponse { candles: rows }))
}

/// The option chain of an index for one expiry, with IV and Greeks per strike.
#[utoipa::path(get, path = "/v1/market/option-chain/{underlying}", tag = "market", security(("bearer" = [])),
    params(("underlying" = String, Path, description = "e.g. NSE:NIFTY"), ("expiry" = Option<String>, Query)),
    responses((status = 200, body = ChainResponse), (status = 400, body = Body), (status = 404, body = Body)))]
pub async fn chain(
    auth: AuthContext,
    State(state): State<MarketState>,
    Path(underlying): Path<String>,
    AppQuery(query): AppQuery<ChainQuery>,
) -> Result<AppJson<ChainResponse>, ApiError> {
    auth.require(Permission::MarketRead)?;
    let now = state.clock.now();
    let master = state.master(now)?;
    let expiries = master.option_expiries(&underlying);
    let first = *expiries.first().ok_or_else(ApiError::not_found)?;
    let expiry = query.expiry.unwrap_or(first);
    if !expiries.contains(&expiry) {
        let listed: Vec<String> = expiries.iter().map(ToString::to_string).collect();
        return Err(ApiError::invalid_field(
            "expiry",
            format!("not listed; listed: {}", listed.join(", ")),
        ));
    }
    let chain = option_chain(&master, &state.market, &underlying, expiry, now)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no chain for {underlying} {expiry}")))?;
    let side = |s: &tradesense_domain::market::chain::ChainSide| ChainSideDto {
        instrument: s.instrument.to_string(),
        last_price: s.last_price,
        iv: s.iv.map(|v| round(v * 100.0, 4)),
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
    params(("exchange" = Option<String>, Query)),
    responses((status = 200, body = StatusResponse), (status = 400, body = Body)))]
pub async fn status(
    auth: AuthContext,
    State(state): State<MarketState>,
    AppQuery(query): AppQuery<StatusQuery>,
) -> Result<AppJson<StatusResponse>, ApiError> {
    auth.require(Permission::MarketRead)?;
    let exchange = query.exchange.unwrap_or(Exchange::Nse);
    Ok(AppJson(
        state.market.calendar().status(exchange, state.clock.now()).into(),
    ))
}
