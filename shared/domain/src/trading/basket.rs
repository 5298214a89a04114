//! A basket: several market orders placed as one request (a strategy's legs), what became of each leg, and
//! why a basket placed nothing. The order service places it ([`crate::trading::service`]).

use crate::kernel::error::RepoError;
use crate::trading::errors::PlaceError;
use crate::trading::margin::BasketMargin;
use crate::trading::order::Order;
use crate::trading::request::OrderRequest;

/// The most legs a basket may have.
pub const MAX_BASKET_LEGS: usize = 10;

/// One leg of a basket: a market order on an instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketLegCommand {
    /// The instrument key (`NFO:NIFTY26D0126000CE`).
    pub instrument: String,
    /// The order (MARKET).
    pub request: OrderRequest,
}

/// A basket as the caller asks for it.
#[derive(Debug, Clone)]
pub struct BasketCommand {
    /// The legs, in the caller's order.
    pub legs: Vec<BasketLegCommand>,
    /// The `Idempotency-Key` (required: a basket is never placed twice).
    pub idempotency_key: String,
    /// SHA-256 of the canonical request, to tell a replay from a different request under the same key.
    pub request_hash: String,
}

/// What became of one leg.
#[derive(Debug)]
pub enum LegResult {
    /// Placed: its order.
    Placed(Box<Order>),
    /// Refused (live mode): why.
    Failed(PlaceError),
    /// Not sent, because an earlier leg was refused (live mode).
    Skipped,
}

/// What placing a basket did, leg by leg in the order they were placed (buy legs first).
#[derive(Debug)]
pub struct BasketOutcome {
    /// `(index of the leg in the command, what became of it)`, in placement order.
    pub legs: Vec<(usize, LegResult)>,
    /// What the basket blocks, on paper (`None` in live mode and for a replay).
    pub margin: Option<BasketMargin>,
    /// The same request again: the original orders.
    pub replayed: bool,
}

impl BasketOutcome {
    /// Whether every leg was placed.
    pub fn complete(&self) -> bool {
        self.legs.iter().all(|(_, r)| matches!(r, LegResult::Placed(_)))
    }
}

/// Why a basket placed nothing: the leg refused (its index in the command), when one leg was.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct BasketError {
    /// The refused leg, if the refusal was one leg's.
    pub leg: Option<usize>,
    /// Why.
    pub error: PlaceError,
}

impl From<PlaceError> for BasketError {
    fn from(error: PlaceError) -> Self {
        Self { leg: None, error }
    }
}

impl From<RepoError> for BasketError {
    fn from(e: RepoError) -> Self {
        PlaceError::from(e).into()
    }
}

impl From<anyhow::Error> for BasketError {
    fn from(e: anyhow::Error) -> Self {
        PlaceError::from(e).into()
    }
}
