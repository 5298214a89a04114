//! The paper broker's deployed wiring, shared by every function that trades or values positions (orders,
//! portfolio, the scheduler's tick): the DynamoDB ledger and kill switch, the simulated market behind the
//! shared quote cache, the current instrument master, the NSE calendar and the shipped charges.

use std::sync::Arc;

use tradesense_domain::market::cached::CachedMarketData;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::current::CurrentMaster;
use tradesense_domain::market::simulated::SimulatedMarket;
use tradesense_domain::ports::Clock;
use tradesense_domain::trading::charges::{BrokeragePlan, ChargeSchedule};
use tradesense_domain::trading::service::OrderService;

use crate::dynamo::Table;
use crate::dynamo::instruments::DynamoInstrumentStore;
use crate::dynamo::kill_switch::DynamoKillSwitch;
use crate::dynamo::quote_cache::DynamoQuoteCache;
use crate::dynamo::trading::DynamoTradingLedger;

/// The order use cases over `table`, pricing with the simulated market of `market_seed`, on `clock`.
///
/// # Errors
/// If the shipped holiday list or charges table does not parse.
pub fn paper_broker(table: &Table, market_seed: u64, clock: Arc<dyn Clock>) -> anyhow::Result<OrderService> {
    let calendar = Arc::new(MarketCalendar::nse()?);
    let source = Arc::new(SimulatedMarket::new((*calendar).clone(), market_seed));
    Ok(OrderService {
        ledger: Arc::new(DynamoTradingLedger::new(table.clone())),
        market: Arc::new(CachedMarketData::new(
            source,
            Arc::new(DynamoQuoteCache::new(table.clone())),
        )),
        master: Arc::new(CurrentMaster::new(
            Arc::new(DynamoInstrumentStore::new(table.clone())),
            calendar.clone(),
        )),
        calendar,
        charges: Arc::new(ChargeSchedule::shipped()?),
        plan: BrokeragePlan::default(),
        kill_switch: Arc::new(DynamoKillSwitch::new(table.clone())),
        clock,
    })
}
