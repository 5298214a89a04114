//! The Upstox market-data adapter against a wiremock server speaking Upstox's documented JSON, and the
//! instruments-file parser on a sample in Upstox's documented shape. No test waits on a clock: backoff is
//! zero and breaker cool-downs are either zero or far longer than any test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;
use serde_json::{Value, json};
use tradesense_adapters::upstox::instruments::{InstrumentFileError, UpstoxInstruments, parse_instruments};
use tradesense_adapters::upstox::market::{
    BreakerSettings, BreakerState, RetryPolicy, UpstoxMarketData, UpstoxMarketSettings,
};
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::candles::Interval;
use tradesense_domain::market::chain::option_chain;
use tradesense_domain::market::instrument::{Exchange, Instrument, InstrumentKey, Segment};
use tradesense_domain::market::master::InstrumentMaster;
use tradesense_domain::market::options::OptionType;
use tradesense_domain::market::ports::{MarketData, MarketDataError};
use tradesense_domain::market::service::simulated::SimulatedMarket;
use wiremock::matchers::{header, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJrZXlfaWQiOiJza192MS4wIn0.market-test-token";

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn ist(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+05:30"))
        .unwrap()
        .with_timezone(&Utc)
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn sample() -> UpstoxInstruments {
    parse_instruments(include_bytes!("data/upstox-instruments-sample.json")).unwrap()
}

fn master() -> InstrumentMaster {
    InstrumentMaster::shipped(&MarketCalendar::default(), day("2026-11-23")).unwrap()
}

/// No waiting between attempts; a breaker that stays out of the way unless a test sets it.
fn settings(breaker: BreakerSettings) -> UpstoxMarketSettings {
    UpstoxMarketSettings {
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        },
        breaker,
    }
}

fn lenient() -> BreakerSettings {
    BreakerSettings {
        failure_threshold: 1_000,
        cool_down: Duration::from_secs(3_600),
    }
}

fn client(server: &MockServer, keys: HashMap<InstrumentKey, String>) -> UpstoxMarketData {
    UpstoxMarketData::with_settings(&server.uri(), TOKEN, keys, settings(lenient())).unwrap()
}

fn sample_client(server: &MockServer) -> (UpstoxMarketData, UpstoxInstruments) {
    let parsed = sample();
    (client(server, parsed.upstox_keys.clone()), parsed)
}

fn find<'a>(parsed: &'a UpstoxInstruments, key: &str) -> &'a Instrument {
    parsed
        .instruments
        .iter()
        .find(|i| i.key.as_str() == key)
        .unwrap_or_else(|| panic!("{key} not parsed"))
}

fn error_body(code: &str, message: &str) -> Value {
    json!({"status": "error", "errors": [{
        "errorCode": code, "message": message, "propertyPath": null, "invalidValue": null,
        "error_code": code, "property_path": null, "invalid_value": null
    }]})
}

fn zero_levels() -> Value {
    json!([
        {"quantity": 0, "price": 0, "orders": 0}, {"quantity": 0, "price": 0, "orders": 0},
        {"quantity": 0, "price": 0, "orders": 0}, {"quantity": 0, "price": 0, "orders": 0},
        {"quantity": 0, "price": 0, "orders": 0}
    ])
}

// ---------------------------------------------------------------------------------------------------------
// The instruments file.

#[test]
fn reads_the_sample_instrument_file_with_ticks_in_paise_lots_expiries_and_option_types() {
    let parsed = sample();
    let keys: Vec<&str> = parsed.instruments.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "NSE:RELIANCE",
            "NSE:TATASTEEL",
            "NSE:NIFTY",
            "NFO:NIFTY26DECFUT",
            "NFO:NIFTY26DEC26000CE",
            "NFO:NIFTY26D0126000PE",
            "BSE:RELIANCE",
        ]
    );
    assert_eq!(parsed.skipped_count(), 1);
    assert_eq!(parsed.skipped.get("MCX_FO"), Some(&1));

    let reliance = find(&parsed, "NSE:RELIANCE");
    assert_eq!(
        (reliance.exchange, reliance.segment, reliance.lot_size),
        (Exchange::Nse, Segment::Equity, 1)
    );
    assert_eq!(reliance.tick_size, d("0.1"), "10.0 paise");
    assert_eq!(reliance.name, "RELIANCE INDUSTRIES LTD");
    assert_eq!(reliance.freeze_quantity, None);
    assert_eq!(find(&parsed, "NSE:TATASTEEL").tick_size, d("0.01"), "1.0 paise");
    let bse = find(&parsed, "BSE:RELIANCE");
    assert_eq!(
        (bse.exchange, bse.segment, bse.tick_size),
        (Exchange::Bse, Segment::Equity, d("0.05"))
    );

    let nifty = find(&parsed, "NSE:NIFTY");
    assert_eq!(
        (nifty.segment, nifty.lot_size, nifty.tick_size),
        (Segment::Index, 1, d("0.05"))
    );
    assert_eq!(nifty.name, "Nifty 50");

    let future = find(&parsed, "NFO:NIFTY26DECFUT");
    assert_eq!(
        (future.exchange, future.segment),
        (Exchange::Nfo, Segment::Future)
    );
    assert_eq!((future.lot_size, future.freeze_quantity), (65, Some(1800)));
    assert_eq!(future.tick_size, d("0.1"));
    assert_eq!(
        future.expiry,
        Some(day("2026-12-29")),
        "23:59:59 IST, not the UTC date"
    );
    assert_eq!(future.underlying.as_ref().unwrap().as_str(), "NSE:NIFTY");
    assert_eq!((future.strike, future.option_type), (None, None));

    let call = find(&parsed, "NFO:NIFTY26DEC26000CE");
    assert_eq!(call.segment, Segment::Option);
    assert_eq!(call.option_type, Some(OptionType::Call));
    assert_eq!(call.strike, Some(d("26000")));
    assert_eq!(call.tick_size, d("0.05"), "5.0 paise");
    assert_eq!(call.tick_size.to_string(), "0.05");
    assert_eq!((call.lot_size, call.expiry), (65, Some(day("2026-12-29"))));
    assert_eq!(call.name, "NIFTY 26000 CE 29 DEC 26");
    let put = find(&parsed, "NFO:NIFTY26D0126000PE");
    assert_eq!(put.option_type, Some(OptionType::Put));
    assert_eq!(put.expiry, Some(day("2026-12-01")));
    assert_eq!(put.underlying.as_ref().unwrap().as_str(), "NSE:NIFTY");

    assert_eq!(parsed.upstox_keys.len(), 7);
    assert_eq!(parsed.upstox_keys[&reliance.key], "NSE_EQ|INE002A01018");
    assert_eq!(parsed.upstox_keys[&bse.key], "BSE_EQ|INE002A01018");
    assert_eq!(parsed.upstox_keys[&nifty.key], "NSE_INDEX|Nifty 50");
    assert_eq!(parsed.upstox_keys[&call.key], "NSE_FO|62401");
}

#[test]
fn the_sample_derivatives_match_the_shipped_masters_symbols() {
    let master = master();
    for key in [
        "NFO:NIFTY26DECFUT",
        "NFO:NIFTY26DEC26000CE",
        "NFO:NIFTY26D0126000PE",
        "NSE:NIFTY",
    ] {
        assert!(
            master.get(key).is_some(),
            "{key} is the shipped master's spelling too"
        );
    }
}

#[test]
fn a_malformed_supported_record_fails_naming_its_index() {
    let equity = json!({"segment": "NSE_EQ", "instrument_key": "NSE_EQ|INE002A01018",
        "trading_symbol": "RELIANCE", "tick_size": 10.0, "lot_size": 1});
    let cases = [
        (
            json!({"instrument_key": "NSE_EQ|X", "trading_symbol": "X"}),
            "no segment",
        ),
        (
            json!({"segment": "NSE_EQ", "instrument_key": "NSE_EQ|X", "trading_symbol": "X"}),
            "no tick_size",
        ),
        (
            json!({"segment": "NSE_EQ", "instrument_key": "NSE_EQ|X", "trading_symbol": "X", "tick_size": 0}),
            "tick_size",
        ),
        (
            json!({"segment": "NSE_EQ", "instrument_key": "NSE_EQ|X", "trading_symbol": "X",
                   "tick_size": "five"}),
            "invalid type",
        ),
        (
            json!({"segment": "NSE_FO", "instrument_type": "CE", "instrument_key": "NSE_FO|1",
                   "trading_symbol": "NIFTY 1 CE", "tick_size": 5.0, "lot_size": 65,
                   "underlying_symbol": "NIFTY", "expiry": 1798568999000_i64}),
            "strike_price",
        ),
        (
            json!({"segment": "NSE_FO", "instrument_type": "FUT", "instrument_key": "NSE_FO|2",
                   "trading_symbol": "NIFTY FUT", "tick_size": 5.0, "lot_size": 12.5,
                   "underlying_symbol": "NIFTY", "expiry": 1798568999000_i64}),
            "lot_size",
        ),
        (
            json!({"segment": "NSE_FO", "instrument_type": "PE", "instrument_key": "NSE_FO|3",
                   "trading_symbol": "NIFTY 1 PE", "tick_size": 5.0, "lot_size": 65, "strike_price": 100,
                   "underlying_symbol": "NIFTY"}),
            "no expiry",
        ),
    ];
    for (record, reason) in cases {
        let file = serde_json::to_vec(&json!([equity, {"segment": "BSE_FO"}, record])).unwrap();
        match parse_instruments(&file) {
            Err(InstrumentFileError::Record { index: 2, reason: r }) => {
                assert!(r.contains(reason), "{r:?} should mention {reason:?}")
            }
            other => panic!("{record}: {other:?}"),
        }
    }
    let twice = serde_json::to_vec(&json!([equity, equity])).unwrap();
    assert!(matches!(
        parse_instruments(&twice),
        Err(InstrumentFileError::Duplicate { index: 1, first: 0, ref key }) if key == "NSE:RELIANCE"
    ));
    for not_a_file in [&b"{\"segment\":\"NSE_EQ\"}"[..], b"", b"[1,", b"<html>"] {
        assert!(matches!(
            parse_instruments(not_a_file),
            Err(InstrumentFileError::NotAnArray(_))
        ));
    }
    assert!(matches!(
        parse_instruments(b"[42]"),
        Err(InstrumentFileError::Record { index: 0, .. })
    ));
}

#[test]
fn derivatives_find_their_underlying_by_upstox_key_and_expire_on_their_ist_date() {
    let option = |key: &str, underlying_key: &str, underlying_symbol: &str, expiry: i64| {
        json!({"segment": "NSE_FO", "instrument_type": "CE", "instrument_key": key, "weekly": false,
               "trading_symbol": "display", "tick_size": 5.0, "lot_size": 30, "strike_price": 55000.0,
               "underlying_key": underlying_key, "underlying_symbol": underlying_symbol, "expiry": expiry})
    };
    // 2026-12-29 00:00 IST is still 28 December in UTC.
    let midnight_ist = ist("2026-12-29T00:00:00").timestamp_millis();
    let file = serde_json::to_vec(&json!([
        {"segment": "NSE_INDEX", "instrument_type": "INDEX", "instrument_key": "NSE_INDEX|Nifty Bank",
         "name": "Nifty Bank", "trading_symbol": "BANKNIFTY"},
        option("NSE_FO|1", "NSE_INDEX|Nifty Bank", "NIFTYBANK", midnight_ist),
        option("NSE_FO|2", "NSE_INDEX|Nifty Fin Service", "FINNIFTY", midnight_ist),
    ]))
    .unwrap();
    let parsed = parse_instruments(&file).unwrap();
    let by_key = find(&parsed, "NFO:NIFTYBANK26DEC55000CE");
    assert_eq!(
        by_key.underlying.as_ref().unwrap().as_str(),
        "NSE:BANKNIFTY",
        "the underlying record's key, not its underlying_symbol"
    );
    assert_eq!(by_key.expiry, Some(day("2026-12-29")));
    let fallback = find(&parsed, "NFO:FINNIFTY26DEC55000CE");
    assert_eq!(
        fallback.underlying.as_ref().unwrap().as_str(),
        "NSE:FINNIFTY",
        "not in the file"
    );
}

#[test]
fn unsupported_segments_and_types_are_skipped_and_counted() {
    let file = serde_json::to_vec(&json!([
        {"segment": "BSE_FO", "instrument_type": "CE"},
        {"segment": "MCX_FO", "instrument_type": "FUT"},
        {"segment": "MCX_FO"},
        {"segment": "NSE_FO", "instrument_type": "FUTIDX"},
        {"segment": "NCD_FO", "anything": [1, 2, 3]},
    ]))
    .unwrap();
    let parsed = parse_instruments(&file).unwrap();
    assert!(parsed.instruments.is_empty() && parsed.upstox_keys.is_empty());
    assert_eq!(parsed.skipped_count(), 5);
    assert_eq!(parsed.skipped.get("MCX_FO"), Some(&2));
    assert_eq!(parsed.skipped.get("NSE_FO:FUTIDX"), Some(&1));
}

// ---------------------------------------------------------------------------------------------------------
// Quotes.

#[tokio::test]
async fn quotes_map_upstox_answers_back_to_our_keys_with_exact_prices_and_best_bid_ask() {
    let server = MockServer::start().await;
    let (upstox, parsed) = sample_client(&server);
    // Keyed SEGMENT:SYMBOL, not by the requested key; only instrument_token ties an entry to a request.
    let body = json!({"status": "success", "data": {
        "NSE_EQ:RELIANCE": {
            "ohlc": {"open": 1400.0, "high": 1415.6, "low": 1398.1, "close": 1412.3},
            "depth": {
                "buy": [{"quantity": 120, "price": 1412.2, "orders": 3}, {"quantity": 40, "price": 1412.1, "orders": 1}],
                "sell": [{"quantity": 75, "price": 1412.4, "orders": 2}, {"quantity": 10, "price": 1412.5, "orders": 1}]
            },
            "timestamp": "2026-11-24T15:29:59.120+05:30",
            "instrument_token": "NSE_EQ|INE002A01018",
            "symbol": "RELIANCE",
            "last_price": 1412.3,
            "volume": 5234123,
            "average_price": 1407.62,
            "oi": 0,
            "net_change": 12.4,
            "total_buy_quantity": 160,
            "total_sell_quantity": 85,
            "lower_circuit_limit": 1259.9,
            "upper_circuit_limit": 1539.8,
            "last_trade_time": "1763978398000",
            "oi_day_high": 0,
            "oi_day_low": 0
        },
        "NSE_INDEX:Nifty 50": {
            "ohlc": {"open": 26080.1, "high": 26101.25, "low": 25990.4, "close": 26012.35},
            "depth": {"buy": zero_levels(), "sell": zero_levels()},
            "timestamp": "2026-11-24T15:30:01.000+05:30",
            "instrument_token": "NSE_INDEX|Nifty 50",
            "symbol": "NIFTY",
            "last_price": 26012.35,
            "volume": 0,
            "net_change": -41.7
        },
        "NSE_FO:NIFTY26DEC26000CE": {
            "ohlc": {"open": 150.0, "high": 151.2, "low": 139.95, "close": 142.05},
            "depth": {"buy": zero_levels(), "sell": [{"quantity": 650, "price": 142.1, "orders": 4}]},
            "timestamp": "2026-11-24T15:29:58.000+05:30",
            "instrument_token": "NSE_FO|62401",
            "symbol": "NIFTY26DEC26000CE",
            // Float artefacts as in Upstox's own documented example.
            "last_price": 142.04999923706055,
            "volume": 1830075,
            "oi": 5023400,
            "net_change": -1.0500000000000043,
            "last_trade_time": "1763978397000"
        }
    }});
    Mock::given(method("GET"))
        .and(path("/v2/market-quote/quotes"))
        .and(query_param(
            "instrument_key",
            "NSE_EQ|INE002A01018,NSE_FO|62401,NSE_INDEX|Nifty 50",
        ))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let wanted = [
        find(&parsed, "NSE:RELIANCE"),
        find(&parsed, "NSE:NIFTY"),
        find(&parsed, "NFO:NIFTY26DEC26000CE"),
    ];
    let now = ist("2026-11-24T15:30:05");
    let quotes = upstox.quotes(&master(), &wanted, now).await.unwrap();
    assert_eq!(quotes.len(), 3);

    let reliance = &quotes[&wanted[0].key];
    assert_eq!(reliance.last_price.to_string(), "1412.3");
    assert_eq!((reliance.bid, reliance.ask), (d("1412.2"), d("1412.4")));
    assert_eq!(reliance.previous_close, d("1399.9"), "last_price - net_change");
    assert_eq!(
        (
            reliance.day.open,
            reliance.day.high,
            reliance.day.low,
            reliance.day.close,
            reliance.day.volume
        ),
        (d("1400"), d("1415.6"), d("1398.1"), d("1412.3"), 5_234_123)
    );
    assert_eq!(
        reliance.timestamp,
        DateTime::from_timestamp_millis(1_763_978_398_000).unwrap()
    );

    let nifty = &quotes[&wanted[1].key];
    assert_eq!(nifty.last_price.to_string(), "26012.35");
    assert_eq!(
        (nifty.bid, nifty.ask),
        (nifty.last_price, nifty.last_price),
        "an index has no book"
    );
    assert_eq!(nifty.previous_close, d("26054.05"));
    assert_eq!(
        nifty.timestamp,
        ist("2026-11-24T15:30:01"),
        "no last_trade_time: the snapshot time"
    );

    let call = &quotes[&wanted[2].key];
    assert_eq!(call.last_price.to_string(), "142.05", "rounded to the 0.05 tick");
    assert_eq!(call.previous_close.to_string(), "143.1");
    assert_eq!(
        call.bid, call.last_price,
        "an empty bid side falls back to the last price"
    );
    assert_eq!(call.ask, d("142.1"));
    assert_eq!(call.open_interest, Some(5_023_400));
    assert_eq!(nifty.open_interest, None, "no oi field: none reported");

    assert!(
        !format!("{upstox:?}").contains(TOKEN),
        "the token never reaches a log"
    );
}

/// Answers a market-quote call with a quote for every requested key `NSE_EQ|SYN<n>`, priced 100 + n × 0.05,
/// and refuses more than 500 keys as Upstox does.
struct EchoQuotes;

impl Respond for EchoQuotes {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let keys: Vec<String> = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "instrument_key")
            .map(|(_, v)| v.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        if keys.len() > 500 {
            return ResponseTemplate::new(400)
                .set_body_json(error_body("UDAPI100043", "Maximum instrument key limit exceeded"));
        }
        let data: serde_json::Map<String, Value> = keys
            .iter()
            .map(|k| {
                let n: u32 = k.strip_prefix("NSE_EQ|SYN").unwrap().parse().unwrap();
                let last = 100.0 + f64::from(n) * 0.05;
                (
                    format!("NSE_EQ:SYM{n}"),
                    json!({
                        "ohlc": {"open": 100.0, "high": last, "low": 100.0, "close": last},
                        "depth": {"buy": [], "sell": []},
                        "instrument_token": k,
                        "last_price": last,
                        "volume": n,
                        "net_change": 0.0
                    }),
                )
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({"status": "success", "data": data}))
    }
}

fn synthetic(n: u32) -> Instrument {
    let symbol = format!("SYM{n}");
    Instrument {
        key: InstrumentKey::new(Exchange::Nse, &symbol),
        name: symbol.clone(),
        symbol,
        exchange: Exchange::Nse,
        segment: Segment::Equity,
        lot_size: 1,
        tick_size: d("0.05"),
        freeze_quantity: None,
        underlying: None,
        expiry: None,
        strike: None,
        option_type: None,
        reference_price: Decimal::ZERO,
    }
}

/// `n` synthetic instruments, and a client on `server` that knows each as `NSE_EQ|SYN<i>`.
fn synthetic_client(server: &MockServer, n: u32) -> (UpstoxMarketData, Vec<Instrument>) {
    let instruments: Vec<Instrument> = (0..n).map(synthetic).collect();
    let keys = instruments
        .iter()
        .enumerate()
        .map(|(i, instrument)| (instrument.key.clone(), format!("NSE_EQ|SYN{i}")))
        .collect();
    (client(server, keys), instruments)
}

#[tokio::test]
async fn quotes_are_batched_at_most_500_keys_a_call() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/market-quote/quotes"))
        .respond_with(EchoQuotes)
        .expect(2)
        .mount(&server)
        .await;
    let (upstox, instruments) = synthetic_client(&server, 501);
    let wanted: Vec<&Instrument> = instruments.iter().collect();
    let quotes = upstox.quotes(&master(), &wanted, Utc::now()).await.unwrap();

    assert_eq!(quotes.len(), 501);
    for (n, instrument) in instruments.iter().enumerate() {
        let expected = d("100") + Decimal::from(n) * d("0.05");
        assert_eq!(quotes[&instrument.key].last_price, expected, "{}", instrument.key);
        assert_eq!(quotes[&instrument.key].day.volume, n as u64);
    }
    let mut sizes: Vec<usize> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let (_, keys) = r.url.query_pairs().find(|(k, _)| k == "instrument_key").unwrap();
            keys.split(',').count()
        })
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [1, 500]);
}

#[tokio::test]
async fn last_prices_use_the_v3_ltp_call_batched_and_rounded_to_the_tick() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/market-quote/ltp"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(EchoQuotes)
        .expect(2)
        .mount(&server)
        .await;
    let (upstox, instruments) = synthetic_client(&server, 501);
    let wanted: Vec<&Instrument> = instruments.iter().collect();
    let prices = upstox.last_prices(&master(), &wanted, Utc::now()).await.unwrap();
    assert_eq!(prices.len(), 501);
    for (n, instrument) in instruments.iter().enumerate() {
        // 100 + n × 0.05 as an f64 on the wire (e.g. 100.15000000000001), back on the 0.05 tick exactly.
        assert_eq!(prices[&instrument.key], d("100") + Decimal::from(n) * d("0.05"));
    }
}

#[tokio::test]
async fn a_last_price_missing_from_the_answer_is_unavailable() {
    let server = MockServer::start().await;
    let only_one = json!({"status": "success", "data": {"NSE_EQ:SYM1": {
        "last_price": 101.5, "instrument_token": "NSE_EQ|SYN1", "ltq": 3, "volume": 1200, "cp": 100.0
    }}});
    Mock::given(method("GET"))
        .and(path("/v3/market-quote/ltp"))
        .respond_with(ResponseTemplate::new(200).set_body_json(only_one))
        .expect(1)
        .mount(&server)
        .await;
    let (one, two) = (synthetic(1), synthetic(2));
    let keys = HashMap::from([
        (one.key.clone(), "NSE_EQ|SYN1".to_owned()),
        (two.key.clone(), "NSE_EQ|SYN2".to_owned()),
    ]);
    let upstox = client(&server, keys);
    let failed = upstox.last_prices(&master(), &[&one, &two], Utc::now()).await;
    assert!(matches!(failed, Err(MarketDataError::Unavailable(e)) if format!("{e:#}").contains("NSE:SYM2")));
}

#[tokio::test]
async fn an_instrument_without_an_upstox_key_is_unsupported_and_nothing_is_called() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(EchoQuotes)
        .expect(0)
        .mount(&server)
        .await;
    let upstox = client(
        &server,
        HashMap::from([(synthetic(1).key, "NSE_EQ|SYN1".to_owned())]),
    );
    let (one, two) = (synthetic(1), synthetic(2));
    let refused = upstox.quotes(&master(), &[&one, &two], Utc::now()).await;
    assert!(matches!(refused, Err(MarketDataError::Unsupported(m)) if m.contains("NSE:SYM2")));
    let candles = upstox
        .candles(
            &master(),
            &two,
            Interval::D1,
            ist("2025-01-01T00:00:00"),
            ist("2025-02-01T00:00:00"),
            Utc::now(),
        )
        .await;
    assert!(matches!(candles, Err(MarketDataError::Unsupported(_))));
}

#[tokio::test]
async fn a_quote_missing_from_the_answer_fails_the_whole_call() {
    let server = MockServer::start().await;
    let only_one = json!({"status": "success", "data": {"NSE_EQ:SYM1": {
        "ohlc": {"open": 1, "high": 1, "low": 1, "close": 1}, "instrument_token": "NSE_EQ|SYN1",
        "last_price": 1, "net_change": 0
    }}});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(only_one))
        .expect(1)
        .mount(&server)
        .await;
    let (one, two) = (synthetic(1), synthetic(2));
    let keys = HashMap::from([
        (one.key.clone(), "NSE_EQ|SYN1".to_owned()),
        (two.key.clone(), "NSE_EQ|SYN2".to_owned()),
    ]);
    let upstox = client(&server, keys);
    let failed = upstox.quotes(&master(), &[&one, &two], Utc::now()).await;
    assert!(matches!(failed, Err(MarketDataError::Unavailable(e)) if format!("{e:#}").contains("NSE:SYM2")));
}

// ---------------------------------------------------------------------------------------------------------
// Option chain.

/// Upstox keys `NSE_FO|<n>` for every NIFTY contract of `expiry` in the shipped master, plus the index.
fn chain_keys(master: &InstrumentMaster, expiry: NaiveDate) -> HashMap<InstrumentKey, String> {
    master
        .option_contracts("NSE:NIFTY", expiry)
        .iter()
        .enumerate()
        .map(|(n, c)| (c.key.clone(), format!("NSE_FO|{}", 70_000 + n)))
        .chain([(
            InstrumentKey::new(Exchange::Nse, "NIFTY"),
            "NSE_INDEX|Nifty 50".to_owned(),
        )])
        .collect()
}

#[tokio::test]
async fn the_option_chain_is_one_call_per_expiry_matched_back_to_our_contracts() {
    let master = master();
    let expiry = day("2026-12-29");
    let keys = chain_keys(&master, expiry);
    // Upstox's answer, built from the simulated market's chain so the prices are coherent.
    let simulated = SimulatedMarket::new(MarketCalendar::default(), 7);
    let now = ist("2026-11-24T12:00:00");
    let expected = simulated
        .chain_snapshot(&master, "NSE:NIFTY", expiry, now)
        .await
        .unwrap();
    let side = |c: &Instrument| {
        let contract = expected.contracts[&c.key];
        json!({
            "instrument_key": keys[&c.key],
            "market_data": {
                "ltp": contract.last_price.to_f64().unwrap(), "volume": 1200, "oi": contract.open_interest,
                "close_price": 1.0, "bid_price": 0.0, "bid_qty": 0, "ask_price": 0.0, "ask_qty": 0, "prev_oi": 0
            },
            "option_greeks": {"vega": 0.0, "theta": 0.0, "gamma": 0.0, "delta": 0.0, "iv": 0.0, "pop": 0.0}
        })
    };
    let contracts = master.option_contracts("NSE:NIFTY", expiry);
    let spot = expected.underlying_price.to_f64().unwrap();
    let mut rows: Vec<Value> = contracts
        .chunks(2)
        .map(|pair| {
            json!({
                "expiry": "2026-12-29", "pcr": 1.1, "strike_price": pair[0].strike.unwrap().to_f64().unwrap(),
                "underlying_key": "NSE_INDEX|Nifty 50", "underlying_spot_price": spot,
                "call_options": side(pair[0]), "put_options": side(pair[1])
            })
        })
        .collect();
    // A strike Upstox lists that our master does not: skipped.
    rows.push(json!({
        "expiry": "2026-12-29", "strike_price": 99_000.0, "underlying_key": "NSE_INDEX|Nifty 50",
        "underlying_spot_price": spot,
        "call_options": {"instrument_key": "NSE_FO|1", "market_data": {"ltp": 0.05, "oi": 0}},
        "put_options": {"instrument_key": "NSE_FO|2", "market_data": {"ltp": 72_000.0, "oi": 0}}
    }));
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/option/chain"))
        .and(query_param("instrument_key", "NSE_INDEX|Nifty 50"))
        .and(query_param("expiry_date", "2026-12-29"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "success", "data": rows})))
        .expect(1)
        .mount(&server)
        .await;
    let upstox = client(&server, keys);
    let snapshot = upstox
        .chain_snapshot(&master, "NSE:NIFTY", expiry, now)
        .await
        .unwrap();
    assert_eq!(
        snapshot, expected,
        "the same prices and open interest, stamped now"
    );
    let chain = option_chain(&master, &snapshot, "NSE:NIFTY", expiry).unwrap();
    assert_eq!(chain.rows.len(), contracts.len() / 2);
}

#[tokio::test]
async fn an_expiry_upstox_does_not_list_is_unsupported() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/option/chain"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "success", "data": []})))
        .expect(1)
        .mount(&server)
        .await;
    let master = master();
    let expiry = day("2026-12-29");
    let upstox = client(&server, chain_keys(&master, expiry));
    let refused = upstox
        .chain_snapshot(&master, "NSE:NIFTY", expiry, Utc::now())
        .await;
    assert!(matches!(refused, Err(MarketDataError::Unsupported(m)) if m.contains("2026-12-29")));
}

// ---------------------------------------------------------------------------------------------------------
// Candles.

fn candles(rows: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"status": "success", "data": {"candles": rows}}))
}

#[tokio::test]
async fn three_months_of_minute_candles_are_fetched_a_month_a_call_and_merged_oldest_first() {
    let server = MockServer::start().await;
    let (upstox, parsed) = sample_client(&server);
    let base = "/v3/historical-candle/NSE_EQ%7CINE002A01018/minutes/1";
    // Each answer newest first, as Upstox sends them; February's repeats January's last candle.
    for (to_from, rows) in [
        (
            "2025-01-31/2025-01-01",
            json!([
                [
                    "2025-01-31T15:29:00+05:30",
                    1240.5,
                    1241.0,
                    1240.2,
                    1240.8,
                    1200,
                    0
                ],
                [
                    "2025-01-01T09:15:00+05:30",
                    1220.55,
                    1222.0,
                    1219.0,
                    1221.3,
                    5400,
                    0
                ]
            ]),
        ),
        (
            "2025-02-28/2025-02-01",
            json!([
                [
                    "2025-02-28T15:29:00+05:30",
                    1210.0,
                    1210.4,
                    1209.5,
                    1209.9,
                    800,
                    0
                ],
                [
                    "2025-01-31T15:29:00+05:30",
                    1240.5,
                    1241.0,
                    1240.2,
                    1240.8,
                    1200,
                    0
                ]
            ]),
        ),
        (
            "2025-03-31/2025-03-01",
            json!([
                [
                    "2025-03-31T15:29:00+05:30",
                    1275.1,
                    1275.9,
                    1274.8,
                    1275.0,
                    950,
                    0
                ],
                [
                    "2025-03-03T09:15:00+05:30",
                    1230.0,
                    1233.3,
                    1229.1,
                    1232.2,
                    6100,
                    0
                ]
            ]),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("{base}/{to_from}")))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .respond_with(candles(rows))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path_regex("^/v3/historical-candle/intraday/"))
        .respond_with(candles(json!([])))
        .expect(0)
        .mount(&server)
        .await;
    let reliance = find(&parsed, "NSE:RELIANCE");
    let got = upstox
        .candles(
            &master(),
            reliance,
            Interval::M1,
            ist("2025-01-01T00:00:00"),
            ist("2025-04-01T00:00:00"),
            ist("2025-06-02T12:00:00"),
        )
        .await
        .unwrap();
    let starts: Vec<DateTime<Utc>> = got.iter().map(|c| c.start).collect();
    assert_eq!(
        starts,
        [
            ist("2025-01-01T09:15:00"),
            ist("2025-01-31T15:29:00"),
            ist("2025-02-28T15:29:00"),
            ist("2025-03-03T09:15:00"),
            ist("2025-03-31T15:29:00"),
        ]
    );
    assert_eq!(
        got[0].start.to_rfc3339(),
        "2025-01-01T03:45:00+00:00",
        "IST read into UTC"
    );
    assert_eq!(
        (got[0].open, got[0].high, got[0].low, got[0].close, got[0].volume),
        (d("1220.6"), d("1222"), d("1219"), d("1221.3"), 5400),
        "prices on the 0.10 tick"
    );
    assert_eq!(got[4].close, d("1275"));
}

#[tokio::test]
async fn daily_candles_take_a_decade_a_call_and_today_comes_from_the_intraday_endpoint() {
    let server = MockServer::start().await;
    let (upstox, parsed) = sample_client(&server);
    let key = "NSE_INDEX%7CNifty%2050";
    for (to_from, rows) in [
        (
            "2021-12-31/2012-01-01",
            json!([
                [
                    "2021-12-31T00:00:00+05:30",
                    17387.15,
                    17400.8,
                    17264.05,
                    17354.05,
                    0,
                    0
                ],
                [
                    "2012-01-02T00:00:00+05:30",
                    4640.2,
                    4645.95,
                    4588.05,
                    4636.75,
                    0,
                    0
                ]
            ]),
        ),
        (
            "2025-06-09/2022-01-01",
            json!([[
                "2025-06-09T00:00:00+05:30",
                25160.1,
                25160.1,
                25077.15,
                25103.2,
                0,
                0
            ]]),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/v3/historical-candle/{key}/days/1/{to_from}")))
            .respond_with(candles(rows))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(format!("/v3/historical-candle/intraday/{key}/days/1")))
        .respond_with(candles(json!([[
            "2025-06-10T00:00:00+05:30",
            25196.05,
            25199.3,
            25121.1,
            25150.5,
            0,
            0
        ]])))
        .expect(1)
        .mount(&server)
        .await;
    let nifty = find(&parsed, "NSE:NIFTY");
    let got = upstox
        .candles(
            &master(),
            nifty,
            Interval::D1,
            ist("2012-01-01T00:00:00"),
            ist("2025-06-11T00:00:00"),
            ist("2025-06-10T10:00:00"),
        )
        .await
        .unwrap();
    let starts: Vec<String> = got.iter().map(|c| c.start.to_rfc3339()).collect();
    assert_eq!(
        starts,
        [
            "2012-01-01T18:30:00+00:00",
            "2021-12-30T18:30:00+00:00",
            "2025-06-08T18:30:00+00:00",
            "2025-06-09T18:30:00+00:00",
        ]
    );
    assert_eq!(got[3].close, d("25150.5"));
}

// ---------------------------------------------------------------------------------------------------------
// Retries, errors and the circuit breaker.

fn quote_body() -> Value {
    json!({"status": "success", "data": {"NSE_EQ:SYM1": {
        "ohlc": {"open": 101.0, "high": 102.5, "low": 100.5, "close": 101.35},
        "depth": {"buy": [{"quantity": 10, "price": 101.3, "orders": 1}],
                  "sell": [{"quantity": 5, "price": 101.4, "orders": 1}]},
        "instrument_token": "NSE_EQ|SYN1", "last_price": 101.35, "volume": 1000, "net_change": 1.35
    }}})
}

fn one_instrument_client(server: &MockServer, breaker: BreakerSettings) -> (UpstoxMarketData, Instrument) {
    let one = synthetic(1);
    let keys = HashMap::from([(one.key.clone(), "NSE_EQ|SYN1".to_owned())]);
    let upstox = UpstoxMarketData::with_settings(&server.uri(), TOKEN, keys, settings(breaker)).unwrap();
    (upstox, one)
}

#[tokio::test]
async fn throttling_is_retried_and_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429).set_body_json(error_body("UDAPI10005", "Too Many Request Sent")),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(quote_body()))
        .expect(1)
        .mount(&server)
        .await;
    let (upstox, one) = one_instrument_client(&server, lenient());
    let quotes = upstox.quotes(&master(), &[&one], Utc::now()).await.unwrap();
    assert_eq!(quotes[&one.key].last_price, d("101.35"));
    assert_eq!(quotes[&one.key].previous_close, d("100"));
}

#[tokio::test]
async fn three_server_errors_are_unavailable_after_three_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream"))
        .expect(3)
        .mount(&server)
        .await;
    let (upstox, one) = one_instrument_client(&server, lenient());
    let failed = upstox.quotes(&master(), &[&one], Utc::now()).await;
    assert!(
        matches!(failed, Err(MarketDataError::Unavailable(e)) if format!("{e:#}").contains("3 attempts"))
    );
}

#[tokio::test]
async fn a_bad_request_is_not_retried_and_is_unsupported_with_upstoxs_message() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(error_body("UDAPI1087", "Invalid Instrument key")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (upstox, one) = one_instrument_client(&server, lenient());
    let refused = upstox.quotes(&master(), &[&one], Utc::now()).await;
    assert!(
        matches!(&refused, Err(MarketDataError::Unsupported(m)) if m == "Upstox: Invalid Instrument key (UDAPI1087)"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_refused_token_or_an_unreadable_answer_is_unavailable_and_not_retried() {
    for response in [
        ResponseTemplate::new(401)
            .set_body_json(error_body("UDAPI100050", "Invalid token used to access API")),
        ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"),
        ResponseTemplate::new(200).set_body_json(error_body("UDAPI1", "odd")),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
        let (upstox, one) = one_instrument_client(&server, lenient());
        assert!(matches!(
            upstox.quotes(&master(), &[&one], Utc::now()).await,
            Err(MarketDataError::Unavailable(_))
        ));
    }
}

#[tokio::test]
async fn an_unreachable_upstox_is_unavailable() {
    // A port nothing listens on (bound then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let one = synthetic(1);
    let keys = HashMap::from([(one.key.clone(), "NSE_EQ|SYN1".to_owned())]);
    let upstox = UpstoxMarketData::with_settings(
        &format!("http://127.0.0.1:{port}"),
        TOKEN,
        keys,
        settings(lenient()),
    )
    .unwrap();
    assert!(matches!(
        upstox.quotes(&master(), &[&one], Utc::now()).await,
        Err(MarketDataError::Unavailable(_))
    ));
}

#[tokio::test]
async fn the_breaker_opens_after_consecutive_failures_and_then_fails_fast_without_calling() {
    let server = MockServer::start().await;
    let breaker = BreakerSettings {
        failure_threshold: 2,
        cool_down: Duration::from_secs(3_600),
    };
    let (upstox, one) = one_instrument_client(&server, breaker);
    {
        let _outage = Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(503))
            .expect(6)
            .mount_as_scoped(&server)
            .await;
        for _ in 0..2 {
            assert!(matches!(
                upstox.quotes(&master(), &[&one], Utc::now()).await,
                Err(MarketDataError::Unavailable(_))
            ));
        }
    }
    assert!(matches!(upstox.breaker_state(), BreakerState::Open { .. }));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(quote_body()))
        .expect(0)
        .mount(&server)
        .await;
    let fast = upstox.quotes(&master(), &[&one], Utc::now()).await;
    assert!(
        matches!(fast, Err(MarketDataError::Unavailable(e)) if format!("{e:#}").contains("circuit open"))
    );
    let candles = upstox
        .candles(
            &master(),
            &one,
            Interval::D1,
            ist("2025-01-01T00:00:00"),
            ist("2025-02-01T00:00:00"),
            Utc::now(),
        )
        .await;
    assert!(matches!(candles, Err(MarketDataError::Unavailable(_))));
}

#[tokio::test]
async fn after_the_cool_down_a_successful_probe_closes_the_breaker() {
    let server = MockServer::start().await;
    let breaker = BreakerSettings {
        failure_threshold: 1,
        cool_down: Duration::ZERO,
    };
    let (upstox, one) = one_instrument_client(&server, breaker);
    {
        let _outage = Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(500))
            .expect(3)
            .mount_as_scoped(&server)
            .await;
        assert!(upstox.quotes(&master(), &[&one], Utc::now()).await.is_err());
    }
    assert!(matches!(upstox.breaker_state(), BreakerState::Open { .. }));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(quote_body()))
        .expect(1)
        .mount(&server)
        .await;
    assert!(upstox.quotes(&master(), &[&one], Utc::now()).await.is_ok());
    assert_eq!(
        upstox.breaker_state(),
        BreakerState::Closed {
            consecutive_failures: 0
        }
    );
}
