//! The strategy use cases: the template catalogue, analysis of a template or of legs on the live chains
//! (`analyze`), saved strategies with their mark to market, and execution as a basket (`saved`).

mod analyze;
mod saved;
#[cfg(test)]
mod tests;

pub use analyze::{Analyzed, LegsRequest, RequestedLeg};
pub use saved::{Executed, SaveRequest, StrategyView};

use std::sync::Arc;

use crate::kernel::ids::IdGen;
use crate::kernel::time::Clock;
use crate::kernel::validation::Violation;
use crate::market::ports::{MarketData, MarketDataError};
use crate::market::service::current::CurrentMaster;
use crate::strategies::ports::{OrderDesk, StrategyStore};
use crate::trading::basket::BasketError;

/// What the strategy use cases run on.
pub struct StrategiesContext {
    /// Saved strategies.
    pub store: Arc<dyn StrategyStore>,
    /// Places baskets (the order service).
    pub desk: Arc<dyn OrderDesk>,
    /// Chains and prices.
    pub market: Arc<dyn MarketData>,
    /// Instruments.
    pub master: Arc<CurrentMaster>,
    /// The market clock.
    pub clock: Arc<dyn Clock>,
    /// Mints strategy ids.
    pub ids: Arc<dyn IdGen>,
}

/// The strategy use cases.
pub struct StrategyService {
    ctx: StrategiesContext,
}

impl StrategyService {
    /// The use cases over `ctx`.
    pub fn new(ctx: StrategiesContext) -> Self {
        Self { ctx }
    }
}

/// Why a strategy use case changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum StrategyError {
    /// The request breaks the rules.
    #[error("invalid strategy")]
    Invalid(Vec<Violation>),
    /// No such strategy of this user.
    #[error("not found")]
    NotFound,
    /// The account keeps [`MAX_SAVED`](crate::strategies::strategy::MAX_SAVED) strategies already.
    #[error("at most {0} saved strategies; delete one first")]
    TooMany(usize),
    /// Executed already, with another `Idempotency-Key`.
    #[error("the strategy was executed already")]
    AlreadyExecuted,
    /// The basket was refused.
    #[error(transparent)]
    Basket(#[from] BasketError),
    /// No chain or price.
    #[error(transparent)]
    MarketData(#[from] MarketDataError),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<Vec<Violation>> for StrategyError {
    fn from(violations: Vec<Violation>) -> Self {
        StrategyError::Invalid(violations)
    }
}

crate::storage_failures_are_unexpected!(StrategyError);
