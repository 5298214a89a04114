//! The backtest engine over 1,000,000 in-memory daily bars (a seeded random walk on a 0.05 tick): each
//! strategy kind's run (indicators, signals, fills at the next open, equity at every close), with a 0.03%
//! commission and 5 bps of slippage; and building the series (the exact and float views) once.
//!
//! `cargo bench -p tradesense-domain --bench backtest` (throughput in bars per second)

#![allow(missing_docs, clippy::unwrap_used)]

use chrono::{DateTime, Duration, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tradesense_domain::backtest::engine::{Execution, FillCost, Series, run};
use tradesense_domain::backtest::request::{Bollinger, Breakout, Crossover, RsiReversion, Strategy};
use tradesense_domain::market::candles::Candle;

const BARS: usize = 1_000_000;

/// `BARS` daily bars of a random walk from ₹1,000 in steps of up to ±1%, on a 0.05 tick.
fn bars() -> Vec<Candle> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let tick = |x: f64| Decimal::from((x * 20.0).round() as i64) / Decimal::from(20);
    let start = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
    let mut close = 1000.0_f64;
    (0..BARS)
        .map(|t| {
            let open = close * (1.0 + rng.gen_range(-0.002..0.002));
            close = (close * (1.0 + rng.gen_range(-0.01..0.01))).max(1.0);
            let (o, c) = (tick(open), tick(close));
            Candle {
                start: start + Duration::days(t as i64),
                open: o,
                high: o.max(c) + dec!(0.50),
                low: (o.min(c) - dec!(0.50)).max(dec!(0.05)),
                close: c,
                volume: 1_000,
            }
        })
        .collect()
}

fn engine(c: &mut Criterion) {
    let bars = bars();
    let mut group = c.benchmark_group("backtest engine, 1M bars");
    group.sample_size(10);
    group.throughput(Throughput::Elements(BARS as u64));
    group.bench_function("series", |b| b.iter(|| Series::new(black_box(bars.clone()))));
    let series = Series::new(bars);
    let execution = Execution {
        cost: FillCost::Commission { rate: dec!(0.0003) },
        slippage: dec!(0.0005),
    };
    let kinds = [
        (
            "sma_crossover",
            Strategy::SmaCrossover(Crossover { fast: 10, slow: 30 }),
        ),
        (
            "ema_crossover",
            Strategy::EmaCrossover(Crossover { fast: 10, slow: 30 }),
        ),
        (
            "rsi_reversion",
            Strategy::RsiReversion(RsiReversion {
                period: 14,
                lower: 30.0,
                upper: 70.0,
            }),
        ),
        ("breakout", Strategy::Breakout(Breakout { lookback: 20 })),
        (
            "bollinger_reversion",
            Strategy::BollingerReversion(Bollinger {
                period: 20,
                stddev: 2.0,
            }),
        ),
    ];
    for (name, strategy) in kinds {
        let outcome = run(&strategy, &series, dec!(100000), &execution).unwrap();
        assert!(!outcome.trades.is_empty(), "{name} never traded");
        group.bench_with_input(BenchmarkId::new("run", name), &strategy, |b, s| {
            b.iter(|| run(black_box(s), &series, dec!(100000), &execution).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
