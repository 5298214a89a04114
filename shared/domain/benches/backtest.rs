//! The backtest engine over 1,000,000 in-memory daily bars (a seeded driftless random walk from ₹1,000, up to
//! ±0.17% a bar, on a 0.05 tick): each strategy kind's run (indicators, signals, fills at the next open,
//! equity at every close); and building the series (the exact and float views) once.
//!
//! Fills cost nothing here (the commission and slippage arithmetic runs all the same, at rate 0): on a
//! driftless walk any cost bleeds the equity below one share within a few thousand trades, after which a
//! run stops trading and the figure would flatter the engine. At zero cost every kind trades for the whole
//! million bars (thousands of round trips each; the bench checks).
//!
//! Also the history a worker reads when nothing is imported: 5,000-odd daily bars of the simulated market
//! (each day's bar is its 375-minute path).
//!
//! `cargo bench -p tradesense-domain --bench backtest` (throughput in bars per second)

#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)] // a bench reports what it ran

use chrono::{DateTime, Duration, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tradesense_domain::backtest::engine::{Execution, FillCost, Series, run};
use tradesense_domain::backtest::request::{Bollinger, Breakout, Crossover, RsiReversion, Strategy};
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::candles::{Candle, Interval};
use tradesense_domain::market::master::InstrumentMaster;
use tradesense_domain::market::service::simulated::SimulatedMarket;

const BARS: usize = 1_000_000;

/// `BARS` daily bars of the walk, on a 0.05 tick.
fn bars() -> Vec<Candle> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let tick = |x: f64| Decimal::from((x * 20.0).round() as i64) / Decimal::from(20);
    let start = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
    let mut close = 1000.0_f64;
    (0..BARS)
        .map(|t| {
            let open = close * (1.0 + rng.gen_range(-0.0002..0.0002));
            close *= 1.0 + rng.gen_range(-0.0017..0.0017);
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
        cost: FillCost::Commission { rate: dec!(0) },
        slippage: dec!(0),
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
        let trades = outcome.trades.len();
        assert!(
            trades > 2_000,
            "{name}: {trades} trades; the series must keep every kind trading"
        );
        println!(
            "{name}: {trades} trades, final equity {}",
            outcome.equity[BARS - 1]
        );
        group.bench_with_input(BenchmarkId::new("run", name), &strategy, |b, s| {
            b.iter(|| run(black_box(s), &series, dec!(100000), &execution).unwrap())
        });
    }
    group.finish();
}

fn history(c: &mut Criterion) {
    let calendar = MarketCalendar::nse().unwrap();
    let today = "2026-11-25".parse().unwrap();
    let master = InstrumentMaster::shipped(&calendar, today).unwrap();
    let market = SimulatedMarket::new(calendar, 7);
    let infy = master.get("NSE:INFY").unwrap();
    let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let (from, to, now) = (
        at("2006-09-01T00:00:00+05:30"),
        at("2026-11-25T00:00:00+05:30"),
        at("2026-11-25T11:00:00+05:30"),
    );
    let read = || market.candles(infy, None, Interval::D1, from, to, now);
    let bars = read().len();
    let mut group = c.benchmark_group("backtest history");
    group.sample_size(10);
    group.throughput(Throughput::Elements(bars as u64));
    group.bench_function(format!("simulated daily bars, {bars}"), |b| b.iter(read));
    group.finish();
}

criterion_group!(benches, engine, history);
criterion_main!(benches);
