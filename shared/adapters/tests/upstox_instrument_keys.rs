//! The Upstox instrument-key map against a wiremock server serving the sample instruments file, plain and
//! gzipped: both ways of the map, caching within the TTL, and what happens when the file cannot be had.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use tradesense_adapters::upstox::instrument_keys::UpstoxInstrumentKeys;
use tradesense_domain::broker::live::{BrokerKeyMap, LiveBrokerError};
use tradesense_domain::broker::ports::BrokerInstruments;
use tradesense_domain::market::instrument::InstrumentKey;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SAMPLE: &[u8] = include_bytes!("data/upstox-instruments-sample.json");
const FILE: &str = "/market-quote/instruments/exchange/complete.json.gz";

fn gzipped(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn url(server: &MockServer) -> String {
    format!("{}{FILE}", server.uri())
}

fn reliance() -> InstrumentKey {
    InstrumentKey::parse("NSE:RELIANCE").unwrap()
}

fn assert_maps_reliance_both_ways(map: &BrokerKeyMap) {
    assert_eq!(map.broker_key(&reliance()), Some("NSE_EQ|INE002A01018"));
    assert_eq!(map.our_key("NSE_EQ|INE002A01018"), Some(&reliance()));
}

async fn serving(body: Vec<u8>, expected_calls: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(FILE))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(body))
        .expect(expected_calls)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn maps_our_keys_and_upstox_keys_both_ways_from_a_plain_json_file() {
    let server = serving(SAMPLE.to_vec(), 1).await;
    let keys = UpstoxInstrumentKeys::new(&url(&server)).unwrap();
    let map = keys.key_map().await.unwrap();
    assert_maps_reliance_both_ways(&map);
    assert!(map.len() > 1);
}

#[tokio::test]
async fn reads_a_gzipped_file_into_the_same_map_as_the_plain_one() {
    let server = serving(gzipped(SAMPLE), 1).await;
    let keys = UpstoxInstrumentKeys::new(&url(&server)).unwrap();
    let map = keys.key_map().await.unwrap();
    assert_maps_reliance_both_ways(&map);
    let plain = serving(SAMPLE.to_vec(), 1).await;
    let from_plain = UpstoxInstrumentKeys::new(&url(&plain))
        .unwrap()
        .key_map()
        .await
        .unwrap();
    assert_eq!(*map, *from_plain);
}

#[tokio::test]
async fn calls_within_the_ttl_fetch_the_file_once_even_when_concurrent() {
    let server = serving(gzipped(SAMPLE), 1).await;
    let keys = UpstoxInstrumentKeys::with_ttl(&url(&server), Duration::from_secs(3600)).unwrap();
    let (a, b, c) = tokio::join!(keys.key_map(), keys.key_map(), keys.key_map());
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    assert!(Arc::ptr_eq(&a, &b) && Arc::ptr_eq(&b, &c));
    let later = keys.key_map().await.unwrap();
    assert!(Arc::ptr_eq(&a, &later), "served from the cache");
    assert_maps_reliance_both_ways(&later);
    // `expect(1)` is checked when the server drops.
}

#[tokio::test]
async fn a_503_with_no_map_cached_is_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(FILE))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>down</html>"))
        .mount(&server)
        .await;
    let keys = UpstoxInstrumentKeys::new(&url(&server)).unwrap();
    match keys.key_map().await {
        Err(LiveBrokerError::Unavailable(reason)) => assert!(reason.contains("503"), "{reason}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn unreadable_files_with_no_map_cached_are_unavailable() {
    for body in [
        b"not json".to_vec(),
        b"{\"status\":\"error\"}".to_vec(),
        vec![0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad],
        gzipped(b"[{\"segment\":"),
    ] {
        let server = serving(body, 1).await;
        let keys = UpstoxInstrumentKeys::new(&url(&server)).unwrap();
        assert!(
            matches!(keys.key_map().await, Err(LiveBrokerError::Unavailable(_))),
            "an unreadable file is Unavailable"
        );
    }
}

#[tokio::test]
async fn with_a_zero_ttl_a_failed_refresh_keeps_serving_the_previous_map() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(FILE))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(gzipped(SAMPLE)))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(FILE))
        .respond_with(ResponseTemplate::new(503))
        .expect(2)
        .mount(&server)
        .await;
    let keys = UpstoxInstrumentKeys::with_ttl(&url(&server), Duration::ZERO).unwrap();
    let first = keys.key_map().await.unwrap();
    let second = keys.key_map().await.unwrap();
    let third = keys.key_map().await.unwrap();
    assert!(Arc::ptr_eq(&first, &second) && Arc::ptr_eq(&second, &third));
    assert_maps_reliance_both_ways(&third);
}
