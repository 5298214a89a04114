//! A strategy's analysis: a 4-leg NIFTY iron condor (1 lot of 65 a leg; the short strikes 2 rows out of
//! the money, the wings 4 rows out) resolved on the simulated market's 2026-12-29 chain at 12:00 IST on 24
//! November 2026, analysed on a 500-level grid: payoff at expiry and today, breakevens, extremes, net
//! Greeks and probability of profit.
//!
//! `cargo bench -p tradesense-domain --bench strategy_analyze`

#![allow(missing_docs, clippy::unwrap_used)]

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use rust_decimal::prelude::ToPrimitive as _;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::chain::{
    ChainRow, ChainSide, ChainSnapshot, OptionChain, chain_instruments, option_chain,
};
use tradesense_domain::market::master::{InstrumentMaster, REFERENCE_RATE};
use tradesense_domain::market::options::OptionType;
use tradesense_domain::market::service::simulated::SimulatedMarket;
use tradesense_domain::strategies::leg::{LegContract, PricedLeg};
use tradesense_domain::strategies::payoff::{Scenario, analyze};
use tradesense_domain::trading::request::Side;

const QUANTITY: i64 = 65;
const POINTS: usize = 500;

fn chain() -> OptionChain {
    let calendar = MarketCalendar::default();
    let master = InstrumentMaster::shipped(&calendar, "2026-11-23".parse().unwrap()).unwrap();
    let market = SimulatedMarket::new(calendar, 7);
    let now = DateTime::parse_from_rfc3339("2026-11-24T12:00:00+05:30")
        .unwrap()
        .with_timezone(&Utc);
    let expiry: NaiveDate = "2026-12-29".parse().unwrap();
    let quotes = chain_instruments(&master, "NSE:NIFTY", expiry)
        .into_iter()
        .map(|i| (i.key.clone(), market.quote(&master, i, now).unwrap()))
        .collect();
    let snapshot = ChainSnapshot::from_quotes(&quotes, "NSE:NIFTY").unwrap();
    option_chain(&master, &snapshot, "NSE:NIFTY", expiry).unwrap()
}

fn leg(chain: &OptionChain, row: &ChainRow, option_type: OptionType, side: Side) -> PricedLeg {
    let quote: &ChainSide = match option_type {
        OptionType::Call => &row.call,
        OptionType::Put => &row.put,
    };
    PricedLeg {
        instrument: quote.instrument.clone(),
        contract: LegContract::Option {
            option_type,
            strike: row.strike,
            expiry: chain.expiry,
        },
        side,
        quantity: QUANTITY,
        lot_size: 65,
        price: quote.last_price,
        forward: chain.forward,
        time_years: chain.time_years,
        iv: quote.iv,
        greeks: quote.greeks.unwrap(),
    }
}

/// The iron condor around the strike nearest the forward, and the scenario at its ATM IV.
fn iron_condor(chain: &OptionChain) -> (Vec<PricedLeg>, Scenario) {
    let atm = (0..chain.rows.len())
        .min_by(|&a, &b| {
            let d = |i: usize| (chain.rows[i].strike.to_f64().unwrap() - chain.forward).abs();
            d(a).total_cmp(&d(b))
        })
        .unwrap();
    let rows = &chain.rows;
    let legs = vec![
        leg(chain, &rows[atm - 4], OptionType::Put, Side::Buy),
        leg(chain, &rows[atm - 2], OptionType::Put, Side::Sell),
        leg(chain, &rows[atm + 2], OptionType::Call, Side::Sell),
        leg(chain, &rows[atm + 4], OptionType::Call, Side::Buy),
    ];
    let scenario = Scenario {
        spot: chain.underlying_price.to_f64().unwrap(),
        atm_iv: rows[atm].call.iv.unwrap(),
        rate: REFERENCE_RATE,
    };
    (legs, scenario)
}

fn strategy_analyze(c: &mut Criterion) {
    let chain = chain();
    let (legs, scenario) = iron_condor(&chain);
    let analysis = analyze(&legs, &scenario, POINTS);
    let described: Vec<String> = legs
        .iter()
        .map(|l| format!("{:?} {} @ {}", l.side, l.instrument.as_str(), l.price))
        .collect();
    eprintln!(
        "{} | premium {} | breakevens {:?} | max profit {:?} | max loss {:?} | POP {:.4}",
        described.join(", "),
        analysis.net_premium,
        analysis.breakevens,
        analysis.max_profit,
        analysis.max_loss,
        analysis.probability_of_profit
    );
    c.bench_function("strategy analyze: NIFTY iron condor, 4 legs, 500 points", |b| {
        b.iter(|| analyze(black_box(&legs), black_box(&scenario), black_box(POINTS)))
    });
}

criterion_group!(benches, strategy_analyze);
criterion_main!(benches);
