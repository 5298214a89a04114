//! The backtest use cases: submitting a run (validated, idempotent, queued), reading and cancelling one's own
//! runs, and executing a run off the queue (the worker's).

mod execute;
mod submit;
#[cfg(test)]
mod tests;

pub use execute::{ExecuteError, Executed, MAX_ATTEMPTS};
pub use submit::{DeleteError, Deleted, RunView, SubmitCommand, SubmitError, Submitted};

use std::sync::Arc;

use chrono::Duration;

use crate::backtest::ports::BacktestStore;
use crate::kernel::events::EventPublisher;
use crate::kernel::ids::IdGen;
use crate::kernel::time::Clock;
use crate::market::ports::MarketData;
use crate::market::service::current::CurrentMaster;
use crate::trading::charges::{BrokeragePlan, ChargeSchedule};

/// What the backtest use cases run on.
pub struct BacktestContext {
    /// Where runs are kept.
    pub store: Arc<dyn BacktestStore>,
    /// The backtest queue.
    pub queue: Arc<dyn EventPublisher>,
    /// The bars (the same history the candles route serves).
    pub history: Arc<dyn MarketData>,
    /// Instruments.
    pub master: Arc<CurrentMaster>,
    /// The statutory charge table.
    pub charges: Arc<ChargeSchedule>,
    /// Brokerage, for statutory charges.
    pub plan: BrokeragePlan,
    /// The market clock.
    pub clock: Arc<dyn Clock>,
    /// Mints run ids.
    pub ids: Arc<dyn IdGen>,
    /// How long a worker holds a run before another may restart it (longer than one attempt can take).
    pub lease: Duration,
}

/// The backtest use cases.
pub struct BacktestService {
    ctx: BacktestContext,
}

impl BacktestService {
    /// The use cases over `ctx`.
    pub fn new(ctx: BacktestContext) -> Self {
        Self { ctx }
    }
}
