//! The daily-history importer against the emulator: a whole CSV in, read back exactly; bad input writes
//! nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use rust_decimal::Decimal;
use tradesense_adapters::dynamo::daily_history::DynamoDailyHistory;
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::market::ports::DailyHistory;
use tradesense_local::import::import_daily_csv;
use tradesense_local::testing::TestStack;

/// A made-up but internally consistent 60-session series (a format fixture, not market data).
const SAMPLE: &str = include_str!("data/daily-ohlcv-sample.csv");

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn imports_a_csv_and_reads_it_back_exactly_and_idempotently() {
    let stack = TestStack::provision().await;
    let history = DynamoDailyHistory::new(stack.table());
    assert_eq!(import_daily_csv(&history, "NSE:INFY", SAMPLE).await.unwrap(), 60);
    assert_eq!(
        import_daily_csv(&history, "NSE:INFY", SAMPLE).await.unwrap(),
        60,
        "again: same rows"
    );
    let key = InstrumentKey::from_text("NSE:INFY");
    let all = history
        .range(&key, day("2000-01-01"), day("2100-01-01"))
        .await
        .unwrap();
    assert_eq!(all.len(), 60);
    assert!(all.windows(2).all(|w| w[0].date < w[1].date), "oldest first");
    let first_line: Vec<&str> = SAMPLE.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(all[0].date, day(first_line[0]));
    assert_eq!(
        all[0].bar.open,
        first_line[1].parse::<Decimal>().unwrap(),
        "exact decimal"
    );
    assert_eq!(all[0].bar.volume, first_line[5].parse::<u64>().unwrap());
    let window = history.range(&key, all[10].date, all[19].date).await.unwrap();
    assert_eq!(window.len(), 10);
    let other = history
        .range(
            &InstrumentKey::from_text("NSE:TCS"),
            day("2000-01-01"),
            day("2100-01-01"),
        )
        .await
        .unwrap();
    assert!(other.is_empty());
}

#[tokio::test]
async fn a_bad_file_or_key_writes_nothing() {
    let stack = TestStack::provision().await;
    let history = DynamoDailyHistory::new(stack.table());
    let broken = format!("{SAMPLE}2026-12-01,1,2,3,4,5\n");
    assert!(import_daily_csv(&history, "NSE:INFY", &broken).await.is_err());
    for key in ["INFY", "NYSE:IBM", "NSE:", "NSE:A B", "NSE:../../x"] {
        assert!(import_daily_csv(&history, key, SAMPLE).await.is_err(), "{key}");
    }
    let all = history
        .range(
            &InstrumentKey::from_text("NSE:INFY"),
            day("2000-01-01"),
            day("2100-01-01"),
        )
        .await
        .unwrap();
    assert!(all.is_empty(), "validation happens before any write");
}
