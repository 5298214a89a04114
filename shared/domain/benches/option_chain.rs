//! An option chain's analytics: 200 strikes × CE/PE on a NIFTY-like forward, each priced off a volatility
//! smile, its implied volatility solved back from that price, and its Greeks computed at the solved IV.
//!
//! `cargo bench -p tradesense-domain --bench option_chain`

#![allow(missing_docs, clippy::unwrap_used)]

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use tradesense_domain::market::options::{DAYS_PER_YEAR, Model, OptionSpec, OptionType, Valuation};

const FORWARD: f64 = 22_000.0;

/// A skewed smile: 13% at the money, higher for low strikes.
fn smile(strike: f64) -> f64 {
    let m = (strike / FORWARD).ln();
    0.13 - 0.25 * m + 0.9 * m * m
}

fn chain() -> Vec<(OptionSpec, f64)> {
    (0..200)
        .flat_map(|i| {
            let strike = 20_000.0 + 20.0 * f64::from(i);
            [OptionType::Call, OptionType::Put].map(|option_type| {
                let spec = OptionSpec {
                    model: Model::Black76,
                    option_type,
                    underlying: FORWARD,
                    strike,
                    time_years: 9.0 / DAYS_PER_YEAR,
                    rate: 0.065,
                    dividend_yield: 0.0,
                };
                (spec, spec.price(smile(strike)))
            })
        })
        .collect()
}

fn analyse(chain: &[(OptionSpec, f64)]) -> Vec<Option<Valuation>> {
    chain
        .iter()
        .map(|(spec, price)| spec.implied_volatility(*price).map(|iv| spec.value(iv)))
        .collect()
}

fn option_chain(c: &mut Criterion) {
    let chain = chain();
    let solved = analyse(&chain).iter().filter(|v| v.is_some()).count();
    eprintln!("{solved} of {} options have an implied volatility", chain.len());
    c.bench_function("option chain 200 strikes x CE/PE: IV + Greeks", |b| {
        b.iter(|| analyse(black_box(&chain)))
    });
}

criterion_group!(benches, option_chain);
criterion_main!(benches);
