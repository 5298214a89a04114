//! A strategy's legs: what a leg trades, on which side and how many units, and the leg as priced now (the
//! price, the volatility and the Greeks its chain gives it), which the analysis runs on.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::instrument::InstrumentKey;
use crate::market::options::{OptionType, Valuation};
use crate::trading::request::Side;

/// What a leg's contract pays, for the analysis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LegContract {
    /// A European option on the index.
    Option {
        /// Call or put.
        option_type: OptionType,
        /// Strike.
        strike: Decimal,
        /// Expiry date.
        expiry: NaiveDate,
    },
    /// The index future.
    Future {
        /// Expiry date.
        expiry: NaiveDate,
    },
}

impl LegContract {
    /// The contract's expiry date.
    pub fn expiry(&self) -> NaiveDate {
        match self {
            LegContract::Option { expiry, .. } | LegContract::Future { expiry } => *expiry,
        }
    }
}

/// A leg priced now: the input of [`crate::strategies::payoff::analyze`].
#[derive(Debug, Clone, PartialEq)]
pub struct PricedLeg {
    /// The contract's instrument key (`NFO:NIFTY26D0126000CE`).
    pub instrument: InstrumentKey,
    /// What it pays.
    pub contract: LegContract,
    /// Buy (long) or sell (short).
    pub side: Side,
    /// Units (lots × lot size), positive.
    pub quantity: i64,
    /// The contract's lot size.
    pub lot_size: u32,
    /// Entry price per unit: the one asked for, else the last traded price.
    pub price: Decimal,
    /// The forward of this leg's expiry now (the chain's synthetic future; a future's own price).
    pub forward: f64,
    /// Years from now to this leg's expiry (calendar days / 365, to 15:30 IST on expiry day).
    pub time_years: f64,
    /// Implied volatility (decimal) of an option leg; `None` for a future.
    pub iv: Option<f64>,
    /// Per-unit price and Greeks now at `iv` (Black-76 on `forward`); a future's delta is 1, the rest 0.
    pub greeks: Valuation,
}

impl PricedLeg {
    /// +1 for a long leg, −1 for a short one.
    pub fn sign(&self) -> f64 {
        match self.side {
            Side::Buy => 1.0,
            Side::Sell => -1.0,
        }
    }
}
