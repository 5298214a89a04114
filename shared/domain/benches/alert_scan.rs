//! The alert scan's evaluation: 100,000 active alerts (every condition kind, spread over 500 instruments)
//! against one observation per instrument, in one pass on one core. The scan's I/O is not here: it reads
//! one quote per instrument (500), however many alerts watch them.
//!
//! `cargo bench -p tradesense-domain --bench alert_scan` (or `make bench`)

#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)] // a bench reports what it ran

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use tradesense_domain::alerts::alert::{Alert, AlertStatus, Channel, TriggerMode};
use tradesense_domain::alerts::condition::{Condition, ConditionKind, Observation};
use tradesense_domain::alerts::scan::{InstrumentView, evaluate};
use tradesense_domain::kernel::ids::{AlertId, UserId};
use tradesense_domain::market::instrument::InstrumentKey;
use ulid::Ulid;

const ALERTS: usize = 100_000;
const INSTRUMENTS: usize = 500;

const KINDS: [ConditionKind; 8] = [
    ConditionKind::Above,
    ConditionKind::Below,
    ConditionKind::CrossesUp,
    ConditionKind::CrossesDown,
    ConditionKind::PctChangeUp,
    ConditionKind::PctChangeDown,
    ConditionKind::CrossesSmaUp,
    ConditionKind::CrossesSmaDown,
];

fn world() -> (Vec<Alert>, HashMap<InstrumentKey, InstrumentView>, DateTime<Utc>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let t0 = DateTime::<Utc>::from_timestamp(1_795_000_000, 0).unwrap();
    let keys: Vec<InstrumentKey> = (0..INSTRUMENTS)
        .map(|i| InstrumentKey::parse(&format!("NSE:SYM{i}")).unwrap())
        .collect();
    let views = keys
        .iter()
        .map(|k| {
            let price = Decimal::new(rng.gen_range(50_000..500_000), 2);
            let previous = price + Decimal::new(rng.gen_range(-500..500), 2);
            let view = InstrumentView {
                observation: Observation {
                    price,
                    previous_close: price + Decimal::new(rng.gen_range(-5_000..5_000), 2),
                    previous: Some((t0 - Duration::minutes(1), previous)),
                },
                smas: HashMap::from([(20, price + Decimal::new(rng.gen_range(-300..300), 2))]),
            };
            (k.clone(), view)
        })
        .collect::<HashMap<_, _>>();
    let alerts = (0..ALERTS)
        .map(|i| {
            let key = &keys[i % INSTRUMENTS];
            let kind = KINDS[i % KINDS.len()];
            let price = views[key].observation.price;
            let (target, period) = match kind {
                k if k.needs_sma() => (None, Some(20)),
                k if k.takes_percent() => (Some(Decimal::new(rng.gen_range(10..500), 2)), None),
                _ => (Some(price + Decimal::new(rng.gen_range(-1_000..1_000), 2)), None),
            };
            Alert {
                id: AlertId::from_ulid(Ulid::from_parts(i as u64, i as u128)),
                user_id: UserId::from_ulid(Ulid::from_parts(1, (i % 5_000) as u128)),
                instrument: key.clone(),
                condition: Condition { kind, target, period },
                channels: vec![Channel::InApp],
                webhook_id: None,
                trigger_mode: TriggerMode::Cooldown,
                cooldown_minutes: Some(15),
                max_triggers: None,
                expires_at: Some(t0 + Duration::days(30)),
                note: None,
                status: AlertStatus::Active,
                created_at: t0 - Duration::hours(1),
                updated_at: t0 - Duration::hours(1),
                armed_at: t0 - Duration::hours(1),
                trigger_count: 0,
                last_triggered_at: None,
                last_triggered_price: None,
                version: 1,
            }
        })
        .collect();
    (alerts, views, t0)
}

fn scan(c: &mut Criterion) {
    let (alerts, views, minute) = world();
    let found = evaluate(&alerts, &views, minute);
    println!(
        "{ALERTS} alerts over {INSTRUMENTS} instruments: {} triggered, {} expired",
        found.triggered.len(),
        found.expired.len()
    );
    let mut group = c.benchmark_group("alert_scan");
    group.throughput(Throughput::Elements(ALERTS as u64));
    group.sample_size(20);
    group.bench_function("evaluate_100k_alerts_500_instruments", |b| {
        b.iter(|| evaluate(black_box(&alerts), black_box(&views), minute))
    });
    group.finish();
}

criterion_group!(benches, scan);
criterion_main!(benches);
