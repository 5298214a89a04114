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
use tradesense_domain::trading::risk::RiskLimits;
use tradesense_domain::trading::service::OrderService;

use crate::AwsClients;
use crate::clock::clock_from_vars;
use crate::config::{ConfigError, Vars, market_seed, required};
use crate::dynamo::Table;
use crate::dynamo::instruments::DynamoInstrumentStore;
use crate::dynamo::kill_switch::DynamoKillSwitch;
use crate::dynamo::quote_cache::DynamoQuoteCache;
use crate::dynamo::trading::DynamoTradingLedger;

/// What a paper-trading function reads from its environment.
#[derive(Clone)]
pub struct PaperConfig {
    /// The single table (`TABLE_NAME`).
    pub table_name: String,
    /// The simulated market's seed (`MARKET_SEED`).
    pub market_seed: u64,
    /// The clock (`SIMULATED_CLOCK_START`: empty in deployments, set by tests to trade in market hours).
    pub clock: Arc<dyn Clock>,
}

impl PaperConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: required(vars, "TABLE_NAME")?,
            market_seed: market_seed(vars)?,
            clock: clock_from_vars(vars)?,
        })
    }

    /// The order use cases this configuration describes ([`paper_broker`]).
    ///
    /// # Errors
    /// If the shipped holiday list or charges table does not parse.
    pub fn broker(&self, aws: &AwsClients) -> anyhow::Result<OrderService> {
        let table = Table::new(aws.dynamodb.clone(), &self.table_name);
        paper_broker(&table, self.market_seed, self.clock.clone())
    }
}

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
        limits: RiskLimits::default(),
        kill_switch: Arc::new(DynamoKillSwitch::new(table.clone())),
        clock,
    })
}
