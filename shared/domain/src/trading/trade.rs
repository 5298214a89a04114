//! A fill: units of an order traded at one price, with the charges of that fill.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::kernel::ids::{OrderId, TradeId};
use crate::market::instrument::InstrumentKey;
use crate::trading::charges::Charges;
use crate::trading::request::{Product, Side};

/// One fill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    /// Id.
    pub id: TradeId,
    /// The order it filled.
    pub order_id: OrderId,
    /// Instrument.
    pub instrument: InstrumentKey,
    /// Side.
    pub side: Side,
    /// Product.
    pub product: Product,
    /// Units.
    pub quantity: i64,
    /// Price.
    pub price: Decimal,
    /// Charges of this fill.
    pub charges: Charges,
    /// When.
    pub executed_at: DateTime<Utc>,
}
