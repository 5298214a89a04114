//! The end-of-day snapshot job's computation for one busy account: a year of 250 sessions with 20 fills a
//! session (5,000 fills over 20 instruments, delivery and intraday), replayed session by session and
//! snapshotted at each close, as a back-fill of a whole year does. The job's I/O is not here: per account
//! it reads the account, its latest snapshot, its fundings and its fills (a page per 200), and writes one
//! item per session.
//!
//! `cargo bench -p tradesense-domain --bench snapshot_replay` (or `make bench`)

#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)] // a bench reports what it ran

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use tradesense_domain::analytics::snapshot::{DailySnapshot, Replay};
use tradesense_domain::kernel::ids::{OrderId, TradeId};
use tradesense_domain::market::instrument::InstrumentKey;
use tradesense_domain::trading::charges::Charges;
use tradesense_domain::trading::request::{Product, Side};
use tradesense_domain::trading::trade::Trade;
use ulid::Ulid;

const SESSIONS: i64 = 250;
const FILLS_PER_SESSION: i64 = 20;
const INSTRUMENTS: usize = 20;

/// A session and its close.
type Session = (NaiveDate, DateTime<Utc>);
/// Each instrument's closing price.
type Closes = HashMap<InstrumentKey, Decimal>;

fn year() -> (Vec<Trade>, Vec<Session>, Closes) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let keys: Vec<InstrumentKey> = (0..INSTRUMENTS)
        .map(|i| InstrumentKey::parse(&format!("NSE:SYM{i}")).unwrap())
        .collect();
    let first_close = DateTime::<Utc>::from_timestamp(1_764_495_000, 0).unwrap();
    let sessions: Vec<Session> = (0..SESSIONS)
        .map(|d| {
            let close = first_close + Duration::days(d);
            (close.date_naive(), close)
        })
        .collect();
    let mut fills = Vec::new();
    for (d, (_, close)) in sessions.iter().enumerate() {
        for f in 0..FILLS_PER_SESSION {
            let n = (d as i64 * FILLS_PER_SESSION + f) as u64;
            fills.push(Trade {
                id: TradeId::from_ulid(Ulid::from_parts(n, 1)),
                order_id: OrderId::from_ulid(Ulid::from_parts(n, 2)),
                instrument: keys[rng.gen_range(0..INSTRUMENTS)].clone(),
                side: if rng.gen_bool(0.5) { Side::Buy } else { Side::Sell },
                product: if f % 2 == 0 {
                    Product::Delivery
                } else {
                    Product::Intraday
                },
                quantity: rng.gen_range(1..50),
                price: Decimal::new(rng.gen_range(100_000..200_000), 2),
                charges: Charges {
                    brokerage: Decimal::new(2_000, 2),
                    ..Charges::default()
                },
                executed_at: *close - Duration::hours(5) + Duration::minutes(f * 10),
            });
        }
    }
    let closes = keys
        .into_iter()
        .map(|k| (k, Decimal::new(rng.gen_range(100_000..200_000), 2)))
        .collect();
    (fills, sessions, closes)
}

fn replay_year(fills: &[Trade], sessions: &[Session], closes: &Closes) -> Vec<DailySnapshot> {
    let mut replay = Replay::new(Decimal::from(1_000_000), None, fills.to_vec());
    sessions
        .iter()
        .map(|(day, close)| {
            let activity = replay.advance_to(*close);
            replay.snapshot(*day, activity, closes, Vec::new())
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let (fills, sessions, closes) = year();
    let snapshots = replay_year(&fills, &sessions, &closes);
    println!(
        "{} fills over {} sessions; last equity {}",
        fills.len(),
        snapshots.len(),
        snapshots.last().unwrap().equity
    );
    let mut group = c.benchmark_group("snapshot_replay");
    group.throughput(Throughput::Elements(fills.len() as u64));
    group.bench_function("a year of 5,000 fills, 250 snapshots", |b| {
        b.iter(|| replay_year(black_box(&fills), black_box(&sessions), black_box(&closes)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
