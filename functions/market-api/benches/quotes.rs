//! Market routes through the router and the shared conventions, as a deployed function runs them (minus API
//! Gateway): quotes for the NIFTY 50 (the simulated market prices in process, with no quote cache in front) and a NIFTY option
//! chain.
//!
//! `cargo bench -p market-api --bench quotes`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use lambda_http::aws_lambda_events::apigw::{ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequestContext};
use lambda_http::request::RequestContext;
use market_api::{MarketState, router};
use tower::ServiceExt;
use tradesense_domain::identity::rbac::{Principal, Role};
use tradesense_domain::kernel::ids::{SessionId, UserId};
use tradesense_domain::testing::{
    FixedClock, InMemoryDailyHistory, InMemoryInstrumentStore, InMemoryQuoteCache,
};
use tradesense_http::{HttpConfig, with_conventions};

const NIFTY_50: &str = "NSE:ADANIENT,NSE:ADANIPORTS,NSE:APOLLOHOSP,NSE:ASIANPAINT,NSE:AXISBANK,NSE:BAJAJ-AUTO,\
NSE:BAJFINANCE,NSE:BAJAJFINSV,NSE:BEL,NSE:BHARTIARTL,NSE:CIPLA,NSE:COALINDIA,NSE:DRREDDY,NSE:EICHERMOT,\
NSE:ETERNAL,NSE:GRASIM,NSE:HCLTECH,NSE:HDFCBANK,NSE:HDFCLIFE,NSE:HINDALCO,NSE:HINDUNILVR,NSE:ICICIBANK,\
NSE:INDIGO,NSE:INFY,NSE:ITC,NSE:JIOFIN,NSE:JSWSTEEL,NSE:KOTAKBANK,NSE:LT,NSE:M%26M,NSE:MARUTI,NSE:MAXHEALTH,\
NSE:NESTLEIND,NSE:NTPC,NSE:ONGC,NSE:POWERGRID,NSE:RELIANCE,NSE:SBILIFE,NSE:SBIN,NSE:SHRIRAMFIN,NSE:SUNPHARMA,\
NSE:TATACONSUM,NSE:TATAMOTORS,NSE:TATASTEEL,NSE:TCS,NSE:TECHM,NSE:TITAN,NSE:TRENT,NSE:ULTRACEMCO,NSE:WIPRO";

fn app() -> Router {
    let now = DateTime::parse_from_rfc3339("2026-11-25T11:00:00+05:30")
        .unwrap()
        .with_timezone(&Utc);
    let instruments = Arc::new(InMemoryInstrumentStore::default());
    let state = MarketState::simulated(
        7,
        Arc::new(InMemoryDailyHistory::default()),
        Arc::new(InMemoryQuoteCache::default()),
        instruments,
        Arc::new(FixedClock(now)),
    )
    .unwrap();
    with_conventions(router(state), &HttpConfig::default())
}

fn get(path: &str) -> Request<Body> {
    let principal = Principal {
        user_id: UserId::from_ulid(ulid::Ulid::new()),
        roles: vec![Role::Viewer],
        session_id: SessionId::from_ulid(ulid::Ulid::new()),
    };
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.fields = principal.to_context().into_iter().collect();
    let mut ctx = ApiGatewayV2httpRequestContext::default();
    ctx.authorizer = Some(authorizer);
    let mut request = Request::get(path).body(Body::empty()).unwrap();
    request.extensions_mut().insert(RequestContext::ApiGatewayV2(ctx));
    request
}

fn call(runtime: &tokio::runtime::Runtime, app: &Router, path: &str) {
    let response = runtime.block_on(app.clone().oneshot(get(path))).unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
}

fn routes(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let quotes = format!("/v1/market/quotes?instruments={NIFTY_50}");
    let app = app();
    call(&runtime, &app, &quotes);
    c.bench_function("GET quotes, 50 equities", |b| {
        b.iter(|| call(&runtime, &app, &quotes))
    });
    let chain = "/v1/market/option-chain/NSE:NIFTY?expiry=2026-12-29";
    c.bench_function("GET option chain NIFTY, 101 strikes", |b| {
        b.iter(|| call(&runtime, &app, chain))
    });
}

criterion_group!(benches, routes);
criterion_main!(benches);
