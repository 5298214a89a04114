//! A saved strategy: its name, its legs as resolved when saved (contract, side, units, the price then), and
//! once executed, each leg's order and entry price, from which it is marked to market.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::kernel::ids::{OrderId, StrategyId, UserId};
use crate::kernel::money::paise;
use crate::kernel::validation::Violation;
use crate::market::instrument::InstrumentKey;
use crate::trading::request::Side;

/// The longest name.
pub const MAX_NAME_LEN: usize = 80;
/// Strategies one account may keep.
pub const MAX_SAVED: usize = 100;

/// One leg as saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyLeg {
    /// The contract.
    pub instrument: InstrumentKey,
    /// Buy or sell.
    pub side: Side,
    /// Units.
    pub quantity: i64,
    /// The price per unit it was analysed at when saved.
    pub price: Decimal,
}

/// One leg as executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutedLeg {
    /// The contract.
    pub instrument: InstrumentKey,
    /// Buy or sell.
    pub side: Side,
    /// Units filled.
    pub quantity: i64,
    /// Its order.
    pub order_id: OrderId,
    /// The average fill price.
    pub entry_price: Decimal,
}

/// A strategy's execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execution {
    /// When it was executed.
    pub executed_at: DateTime<Utc>,
    /// The `Idempotency-Key` it was executed with (the same key replays it).
    pub idempotency_key: String,
    /// Each leg.
    pub legs: Vec<ExecutedLeg>,
}

/// A saved strategy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strategy {
    /// Its id.
    pub id: StrategyId,
    /// Its owner.
    pub user_id: UserId,
    /// The owner's name for it.
    pub name: String,
    /// The template it came from, if any.
    pub template: Option<String>,
    /// The index it trades.
    pub underlying: InstrumentKey,
    /// Its legs.
    pub legs: Vec<StrategyLeg>,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
    /// Its execution, once executed.
    pub execution: Option<Execution>,
    /// Bumped on every write.
    pub version: u64,
}

/// Checks a strategy's name: 1 to [`MAX_NAME_LEN`] characters, no control characters.
///
/// # Errors
/// The violation.
pub fn check_name(name: &str) -> Result<(), Violation> {
    let length = name.chars().count();
    if length == 0 || length > MAX_NAME_LEN || name.chars().any(char::is_control) || name.trim().is_empty() {
        return Err(Violation::new(
            "name",
            format!("1 to {MAX_NAME_LEN} characters, not blank, no control characters"),
        ));
    }
    Ok(())
}

/// One executed leg marked to market.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegMark {
    /// The executed leg.
    pub leg: ExecutedLeg,
    /// Its last price (the entry price when none is known: an expired contract).
    pub last_price: Decimal,
    /// (last − entry) × units, negated for a short leg, in paise.
    pub pnl: Decimal,
}

/// An execution marked to market.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkToMarket {
    /// Each leg.
    pub legs: Vec<LegMark>,
    /// The legs' P&L summed.
    pub total: Decimal,
}

/// `execution` marked at `prices`.
pub fn mark_to_market(execution: &Execution, prices: &HashMap<InstrumentKey, Decimal>) -> MarkToMarket {
    let legs: Vec<LegMark> = execution
        .legs
        .iter()
        .map(|leg| {
            let last_price = prices.get(&leg.instrument).copied().unwrap_or(leg.entry_price);
            let move_per_unit = match leg.side {
                Side::Buy => last_price - leg.entry_price,
                Side::Sell => leg.entry_price - last_price,
            };
            LegMark {
                leg: leg.clone(),
                last_price,
                pnl: paise(move_per_unit * Decimal::from(leg.quantity)),
            }
        })
        .collect();
    let total = legs.iter().map(|l| l.pnl).sum();
    MarkToMarket { legs, total }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_short_leg_gains_when_the_price_falls_and_the_total_is_the_sum() {
        let leg = |instrument: &str, side, entry| ExecutedLeg {
            instrument: InstrumentKey::parse(instrument).unwrap(),
            side,
            quantity: 65,
            order_id: OrderId::from_ulid(ulid::Ulid::from_parts(1, 1)),
            entry_price: entry,
        };
        let execution = Execution {
            executed_at: DateTime::UNIX_EPOCH,
            idempotency_key: "k".into(),
            legs: vec![
                leg("NFO:NIFTY26D0125800PE", Side::Buy, dec!(80.05)),
                leg("NFO:NIFTY26D0126000PE", Side::Sell, dec!(150.00)),
            ],
        };
        let prices = HashMap::from([
            (
                InstrumentKey::parse("NFO:NIFTY26D0125800PE").unwrap(),
                dec!(60.10),
            ),
            (
                InstrumentKey::parse("NFO:NIFTY26D0126000PE").unwrap(),
                dec!(110.35),
            ),
        ]);
        let marked = mark_to_market(&execution, &prices);
        // Long: (60.10 − 80.05) × 65 = −1,296.75. Short: (150.00 − 110.35) × 65 = 2,577.25. Total 1,280.50.
        assert_eq!(marked.legs[0].pnl, dec!(-1296.75));
        assert_eq!(marked.legs[1].pnl, dec!(2577.25));
        assert_eq!(marked.total, dec!(1280.50));
    }

    #[test]
    fn names_are_bounded_and_printable() {
        assert!(check_name("Weekly condor").is_ok());
        for bad in ["", "   ", "a\u{0}b", &"x".repeat(81)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
