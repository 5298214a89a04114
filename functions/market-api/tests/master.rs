//! Which instrument master the market function uses: the published snapshot, re-checked once a minute, or
//! the shipped one until a snapshot exists.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use market_api::MarketState;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::master::InstrumentMaster;
use tradesense_domain::market::ports::InstrumentStore;
use tradesense_domain::testing::{
    FixedClock, InMemoryDailyHistory, InMemoryInstrumentStore, InMemoryQuoteCache,
};

#[tokio::test]
async fn uses_the_shipped_master_until_a_snapshot_is_published_then_switches_within_a_minute() {
    let now = DateTime::parse_from_rfc3339("2026-11-25T10:00:00+05:30")
        .unwrap()
        .with_timezone(&Utc);
    let store = Arc::new(InMemoryInstrumentStore::default());
    let state = MarketState::simulated(
        7,
        Arc::new(InMemoryDailyHistory::default()),
        Arc::new(InMemoryQuoteCache::default()),
        store.clone(),
        Arc::new(FixedClock(now)),
    )
    .unwrap();
    let shipped = state.master(now).await.unwrap();
    assert!(shipped.get("NSE:RELIANCE").is_some());

    // A published snapshot holding only the indices and their derivatives.
    let day = now.date_naive();
    let full = InstrumentMaster::shipped(&MarketCalendar::nse().unwrap(), day).unwrap();
    let mut snapshot = full.snapshot(day);
    snapshot.instruments.retain(|i| i.key.as_str() != "NSE:RELIANCE");
    snapshot.id = "v1-test".into();
    store.publish(&snapshot).await.unwrap();

    let soon = state.master(now + Duration::seconds(30)).await.unwrap();
    assert!(
        soon.get("NSE:RELIANCE").is_some(),
        "not re-checked within the minute"
    );
    let later = state.master(now + Duration::seconds(61)).await.unwrap();
    assert!(
        later.get("NSE:RELIANCE").is_none(),
        "the published snapshot is in use"
    );
    assert_eq!(later.all().len(), full.all().len() - 1);
}
