//! The backtest area's deployed wiring, shared by its API function (submit, read, cancel) and its worker
//! (execute): the DynamoDB store, the backtest queue, the market's history (the simulated market with
//! imported daily bars over it, what the candles route serves), the current instrument master, the charge
//! table and the market clock.

use std::sync::Arc;

use chrono::Duration;
use tradesense_domain::backtest::service::{BacktestContext, BacktestService};
use tradesense_domain::kernel::time::Clock;
use tradesense_domain::market::calendar::MarketCalendar;
use tradesense_domain::market::service::current::CurrentMaster;
use tradesense_domain::market::service::imported::WithImportedHistory;
use tradesense_domain::market::service::simulated::SimulatedMarket;
use tradesense_domain::trading::charges::{BrokeragePlan, ChargeSchedule};

use crate::AwsClients;
use crate::clock::market_clock;
use crate::config::{ConfigError, Vars, market_seed, required};
use crate::dynamo::Table;
use crate::dynamo::backtests::DynamoBacktestStore;
use crate::dynamo::daily_history::DynamoDailyHistory;
use crate::dynamo::instruments::DynamoInstrumentStore;
use crate::ids::UlidIds;
use crate::sqs::SqsPublisher;

/// How long a worker holds a run: longer than the worker function's timeout (5 minutes), so a run is only
/// restarted once its worker is surely gone, and shorter than the queue's visibility timeout (15 minutes),
/// so the message SQS redelivers after a worker died finds the lease lapsed and restarts the run.
pub const LEASE_MINUTES: i64 = 10;

/// What a backtest function reads from its environment.
#[derive(Clone)]
pub struct BacktestConfig {
    /// The single table (`TABLE_NAME`).
    pub table_name: String,
    /// The backtest queue (`BACKTEST_QUEUE_URL`).
    pub queue_url: String,
    /// The simulated market's seed (`MARKET_SEED`).
    pub market_seed: u64,
    /// The market clock ([`market_clock`]).
    pub clock: Arc<dyn Clock>,
}

impl BacktestConfig {
    /// Reads the configuration from `vars`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first missing or invalid variable.
    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: required(vars, "TABLE_NAME")?,
            queue_url: required(vars, "BACKTEST_QUEUE_URL")?,
            market_seed: market_seed(vars)?,
            clock: market_clock(vars)?,
        })
    }

    /// The backtest use cases this configuration describes.
    ///
    /// # Errors
    /// If the shipped holiday list or charge table does not parse.
    pub fn service(&self, aws: &AwsClients) -> anyhow::Result<BacktestService> {
        let table = Table::new(aws.dynamodb.clone(), &self.table_name);
        let calendar = Arc::new(MarketCalendar::nse()?);
        let simulated = Arc::new(SimulatedMarket::new((*calendar).clone(), self.market_seed));
        Ok(BacktestService::new(BacktestContext {
            store: Arc::new(DynamoBacktestStore::new(table.clone())),
            queue: Arc::new(SqsPublisher::new(aws.sqs.clone(), &self.queue_url)),
            history: Arc::new(WithImportedHistory::new(
                simulated,
                Arc::new(DynamoDailyHistory::new(table.clone())),
                calendar.clone(),
            )),
            master: Arc::new(CurrentMaster::new(
                Arc::new(DynamoInstrumentStore::new(table)),
                calendar,
            )),
            charges: Arc::new(ChargeSchedule::shipped()?),
            plan: BrokeragePlan::default(),
            clock: self.clock.clone(),
            ids: Arc::new(UlidIds::default()),
            lease: Duration::minutes(LEASE_MINUTES),
        }))
    }
}
