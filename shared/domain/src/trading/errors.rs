//! Why an order use case changed nothing (the order service's errors, kept with the model so other areas'
//! ports can name them). Which HTTP status each gets is the functions' policy (`errors.rs` in each function
//! crate).

use crate::broker::live::LiveBrokerError;
use crate::kernel::rate_limit::RateDecision;
use crate::kernel::validation::Violation;
use crate::market::ports::MarketDataError;
use crate::trading::paper::{ModifyRefusal, NotCancellable};
use crate::trading::risk::RiskRejection;

/// Why placing changed nothing. Reads of the book and the portfolio fail with it too: the price source
/// (valuations), the broker (live reads) or storage.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// No such instrument.
    #[error("unknown instrument")]
    UnknownInstrument,
    /// The request breaks order rules.
    #[error("invalid order")]
    Invalid(Vec<Violation>),
    /// A risk check refused it.
    #[error(transparent)]
    Risk(RiskRejection),
    /// The idempotency key or client order id was used with a different request.
    #[error("{0} was already used for a different order")]
    KeyReused(&'static str),
    /// Ten placements a minute already: the refusal (`X-RateLimit-*`, `Retry-After`).
    #[error("placement limit reached")]
    RateLimited(RateDecision),
    /// The platform kill switch is on: no new orders.
    #[error("trading is halted: {0}")]
    KillSwitch(String),
    /// Other placements on the same position kept winning the race; nothing was written.
    #[error("the position changed concurrently; try again")]
    Busy,
    /// No price to trade at.
    #[error(transparent)]
    MarketData(#[from] MarketDataError),
    /// Live mode: the broker refused, or could not be reached, before the order was stored (not linked, its
    /// instrument list unavailable), or refused a modification.
    #[error(transparent)]
    Broker(LiveBrokerError),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Why modifying changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ModifyError {
    /// No such order of this user.
    #[error("not found")]
    NotFound,
    /// The order or the modified request was refused.
    #[error("modification refused")]
    Refused(ModifyRefusal),
    /// As placing: halted, busy, no price, storage.
    #[error(transparent)]
    Place(#[from] PlaceError),
}

/// Why cancelling changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    /// No such order of this user.
    #[error("not found")]
    NotFound,
    /// Already complete, cancelled or rejected.
    #[error(transparent)]
    Closed(#[from] NotCancellable),
    /// Live mode: the broker refused the cancellation or could not be reached.
    #[error(transparent)]
    Broker(LiveBrokerError),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Why a paper reset changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// Outside ₹10,000–₹1 crore, or not in whole paise.
    #[error("initial_cash must be ₹10,000.00 to ₹1,00,00,000.00 in whole paise")]
    InvalidCash,
    /// An open position or a working order holds funds.
    #[error("close every position and cancel every working order first")]
    Holding,
    /// Storage failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Why an account's mode was not changed.
#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    /// Live mode needs a linked broker account whose access has not expired.
    #[error("link your Upstox account first (its access ends at 03:30 IST every day)")]
    NotLinked,
    /// This deployment has no live broker.
    #[error("live trading is not available here")]
    NoLiveBroker,
    /// Storage or key failures.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<anyhow::Error> for ModifyError {
    fn from(e: anyhow::Error) -> Self {
        ModifyError::Place(e.into())
    }
}

crate::storage_failures_are_unexpected!(PlaceError, ModifyError, CancelError, SwitchError);
