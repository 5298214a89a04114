//! The simulated market the stacks run (the same seed), to know in advance where a price goes.

use chrono::{DateTime, Utc};
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::master::InstrumentMaster;
use tradesense_domain::market::quote::Quote;
use tradesense_domain::market::service::simulated::SimulatedMarket;

/// NSE:INFY's quote at `at` on the stacks' simulated market.
pub fn infy_at(at: DateTime<Utc>) -> Quote {
    let calendar = MarketCalendar::nse().unwrap();
    let master = InstrumentMaster::shipped(&calendar, "2026-11-25".parse().unwrap()).unwrap();
    let seed = tradesense_adapters::config::market_seed(&|_| None).unwrap();
    SimulatedMarket::new(calendar, seed)
        .quote(&master, master.get("NSE:INFY").unwrap(), at)
        .unwrap()
}
