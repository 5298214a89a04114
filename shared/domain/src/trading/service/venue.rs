//! Where orders go and where an account is read from: the paper broker, or the user's live broker. One
//! abstraction, chosen once per request, so the use cases never branch on the mode.

use async_trait::async_trait;

use crate::trading::order::Order;
use crate::trading::portfolio::{Funds, HoldingValue, PositionValue, Summary};
use crate::trading::request::OrderChange;
use crate::trading::service::place::{Opening, PlaceCommand, PlaceOutcome};
use crate::trading::service::{CancelError, ModifyError, PlaceError};

/// One user's venue for one request.
#[async_trait]
pub(super) trait Venue: Send + Sync {
    /// Places `command`, which passed the checks every placement starts with (`opening`).
    async fn place(&self, command: PlaceCommand, opening: Opening) -> Result<PlaceOutcome, PlaceError>;

    /// Modifies the working `order` (the kill switch was checked).
    async fn modify(&self, order: Order, change: &OrderChange) -> Result<Order, ModifyError>;

    /// Cancels `order`.
    async fn cancel(&self, order: Order) -> Result<Order, CancelError>;

    /// The positions, valued at the last price.
    async fn positions(&self) -> Result<Vec<PositionValue>, PlaceError>;

    /// The holdings, valued at the last price.
    async fn holdings(&self) -> Result<Vec<HoldingValue>, PlaceError>;

    /// The funds.
    async fn funds(&self) -> Result<Funds, PlaceError>;

    /// The account at a glance: funds, positions and holdings.
    async fn summary(&self) -> Result<Summary, PlaceError>;
}
