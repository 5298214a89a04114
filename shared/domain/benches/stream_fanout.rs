//! The push channel's quote tick without I/O: 500 instruments' quotes fanned out to 10,000 subscriptions
//! (1,000 connections watching 10 instruments each, one in five in `quote` mode, the rest `ltp`), each
//! instrument rendered once per mode and each connection's items packed into frames of at most 32 KiB.
//! Reading the subscriber index and the one quote read, and the posts, are not here.
//!
//! `cargo bench -p tradesense-domain --bench stream_fanout` (or `make bench`)

#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)] // a bench reports what it ran

use std::collections::HashMap;

use chrono::DateTime;
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::market::quote::{Bar, Quote};
use tradesense_domain::stream::connection::{ConnectionId, QuoteMode};
use tradesense_domain::stream::fanout::{Subscriber, SubscriberIndex, fan_out};

const INSTRUMENTS: usize = 500;
const CONNECTIONS: usize = 1_000;
const PER_CONNECTION: usize = 10;
const SUBSCRIPTIONS: usize = CONNECTIONS * PER_CONNECTION;

fn world() -> (SubscriberIndex, HashMap<InstrumentKey, Quote>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(19);
    let ts = DateTime::from_timestamp(1_795_000_000, 0).unwrap();
    let keys: Vec<InstrumentKey> = (0..INSTRUMENTS)
        .map(|i| InstrumentKey::parse(&format!("NSE:SYM{i}")).unwrap())
        .collect();
    let quotes = keys
        .iter()
        .map(|k| {
            let last = Decimal::new(rng.gen_range(5_000..500_000), 2);
            let quote = Quote {
                last_price: last,
                bid: last - Decimal::new(5, 2),
                ask: last + Decimal::new(5, 2),
                day: Bar {
                    open: last,
                    high: last + Decimal::ONE,
                    low: last - Decimal::ONE,
                    close: last,
                    volume: rng.gen_range(1_000..10_000_000),
                },
                previous_close: last - Decimal::new(rng.gen_range(-2_000..2_000), 2),
                timestamp: ts,
                open_interest: None,
                bid_quantity: Some(rng.gen_range(1..5_000)),
                ask_quantity: Some(rng.gen_range(1..5_000)),
            };
            (k.clone(), quote)
        })
        .collect();
    let mut index = SubscriberIndex::new();
    for c in 0..CONNECTIONS {
        let connection: ConnectionId = format!("conn{c:05}AbCdEf=").parse().unwrap();
        let mode = if c % 5 == 0 {
            QuoteMode::Quote
        } else {
            QuoteMode::Ltp
        };
        let first = rng.gen_range(0..INSTRUMENTS);
        for i in 0..PER_CONNECTION {
            index
                .entry(keys[(first + i * 37) % INSTRUMENTS].clone())
                .or_default()
                .push(Subscriber {
                    connection: connection.clone(),
                    mode,
                });
        }
    }
    (index, quotes)
}

fn fanout(c: &mut Criterion) {
    let (index, quotes) = world();
    let frames = fan_out(&index, &quotes);
    let subscriptions: usize = index.values().map(Vec::len).sum();
    assert_eq!(subscriptions, SUBSCRIPTIONS);
    let count: usize = frames.values().map(Vec::len).sum();
    let bytes: usize = frames.values().flatten().map(String::len).sum();
    println!(
        "{subscriptions} subscriptions to {} instruments: {count} frames to {} connections, {bytes} bytes",
        index.len(),
        frames.len()
    );
    let mut group = c.benchmark_group("stream_fanout");
    group.throughput(Throughput::Elements(SUBSCRIPTIONS as u64));
    group.sample_size(20);
    group.bench_function("tick_500_instruments_10k_subscriptions", |b| {
        b.iter(|| fan_out(black_box(&index), black_box(&quotes)))
    });
    group.finish();
}

criterion_group!(benches, fanout);
criterion_main!(benches);
