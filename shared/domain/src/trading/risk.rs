//! The platform's per-account risk limits, checked before an order is accepted (beside the funds check, the
//! maximum order value and the kill switch): how many orders may work at once, how large a position in one
//! instrument may grow, and how much an account may lose in a day before it may only reduce its positions.
//!
//! An order that only reduces a position is never refused by the position or loss limits: a trader must
//! always be able to get out.

use chrono::Duration;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::kernel::rate_limit::RateRule;
use crate::trading::position::Position;
use crate::trading::request::Side;

/// Order placements per account: 10 a minute. Counted in the placement's own transaction, so a refused or
/// replayed placement costs nothing.
pub const ORDERS_PER_ACCOUNT: RateRule = RateRule {
    limit: 10,
    window: Duration::minutes(1),
};

/// Why a valid order was refused before acceptance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RiskRejection {
    /// Not enough available funds.
    #[error("insufficient funds: ₹{required} needed, ₹{available} available")]
    InsufficientFunds {
        /// Funds the order needs.
        required: Decimal,
        /// Funds available.
        available: Decimal,
    },
    /// Above [`crate::trading::paper::MAX_ORDER_VALUE`].
    #[error("order value ₹{value} is above the ₹{limit} limit")]
    OrderValueTooLarge {
        /// The order's value.
        value: Decimal,
        /// The limit.
        limit: Decimal,
    },
    /// Selling more delivery shares than held.
    #[error("cannot sell {wanted} for delivery: {held} held")]
    ShortDelivery {
        /// Units in the order.
        wanted: i64,
        /// Units held.
        held: i64,
    },
    /// The account already has the most working orders it may ([`RiskLimits`]).
    #[error("{open} orders are working; at most {limit} may work at once")]
    TooManyOpenOrders {
        /// Orders working now.
        open: usize,
        /// The limit.
        limit: usize,
    },
    /// The position in the instrument would grow past its limit.
    #[error("the position would be worth ₹{value}, above the ₹{limit} limit per instrument")]
    PositionLimit {
        /// The position's value after the order.
        value: Decimal,
        /// The limit.
        limit: Decimal,
    },
    /// The day's loss reached the daily limit: only orders that reduce a position are accepted.
    #[error("today's loss of ₹{loss} reached the ₹{limit} daily limit; only reducing orders are accepted")]
    DailyLossLimit {
        /// The day's loss so far.
        loss: Decimal,
        /// The limit.
        limit: Decimal,
    },
}

/// The limits, the same for every account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskLimits {
    /// Orders working at once (open, trigger pending, partly filled) per account.
    pub max_open_orders: usize,
    /// Value of the open position in one instrument and product (quantity × price) after the order.
    pub max_position_value: Decimal,
    /// The day's loss (realized + unrealized − charges of the day's positions) at which only reducing
    /// orders are accepted, as a fraction of the account's funding.
    pub daily_loss_fraction: Decimal,
}

impl Default for RiskLimits {
    /// 50 working orders; ₹2 crore per instrument; 5% of the funding lost in a day.
    fn default() -> Self {
        Self {
            max_open_orders: 50,
            max_position_value: dec!(20000000),
            daily_loss_fraction: dec!(0.05),
        }
    }
}

/// The account's day so far, as far as the loss limit cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exposure {
    /// The day's P&L so far (negative: a loss).
    pub day_pnl: Decimal,
    /// The account's funding (the paper account's initial cash).
    pub funding: Decimal,
}

/// Whether an order on `side` for `quantity` only reduces `position` (never adds to it or flips it).
pub fn reduces_only(position: &Position, side: Side, quantity: i64) -> bool {
    match side {
        Side::Buy => position.quantity < 0 && quantity <= -position.quantity,
        Side::Sell => position.quantity > 0 && quantity <= position.quantity,
    }
}

/// Checks the position and daily-loss limits for an order on `side` for `quantity` at `price` against
/// `position`.
///
/// # Errors
/// The first limit the order would break.
pub fn check_exposure(
    limits: &RiskLimits,
    exposure: &Exposure,
    position: &Position,
    side: Side,
    quantity: i64,
    price: Decimal,
) -> Result<(), RiskRejection> {
    if reduces_only(position, side, quantity) {
        return Ok(());
    }
    let loss_limit = (exposure.funding * limits.daily_loss_fraction).round_dp(2);
    if -exposure.day_pnl >= loss_limit {
        return Err(RiskRejection::DailyLossLimit {
            loss: -exposure.day_pnl,
            limit: loss_limit,
        });
    }
    let after = match side {
        Side::Buy => position.quantity + quantity,
        Side::Sell => position.quantity - quantity,
    };
    let value = Decimal::from(after.abs()) * price;
    if value > limits.max_position_value {
        return Err(RiskRejection::PositionLimit {
            value,
            limit: limits.max_position_value,
        });
    }
    Ok(())
}

/// Checks the working-order limit for an order that would rest, with `open` orders working now.
///
/// # Errors
/// [`RiskRejection::TooManyOpenOrders`] when the account already has the most it may.
pub fn check_open_orders(limits: &RiskLimits, open: usize) -> Result<(), RiskRejection> {
    if open >= limits.max_open_orders {
        return Err(RiskRejection::TooManyOpenOrders {
            open,
            limit: limits.max_open_orders,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(quantity: i64, price: Decimal) -> Position {
        Position::default().apply(Side::Buy, quantity, price, Decimal::ZERO)
    }

    fn exposure(day_pnl: Decimal) -> Exposure {
        Exposure {
            day_pnl,
            funding: dec!(1000000),
        }
    }

    #[test]
    fn the_position_limit_counts_the_position_after_the_order() {
        let limits = RiskLimits::default();
        // Long 10,000 @ 1,500 = ₹1.5 crore; 3,333 more @ 1,500 makes 13,333 × 1,500 = ₹1,99,99,500: allowed.
        let p = long(10_000, dec!(1500));
        let calm = exposure(Decimal::ZERO);
        assert_eq!(
            check_exposure(&limits, &calm, &p, Side::Buy, 3_333, dec!(1500)),
            Ok(())
        );
        // 3,334 more: 13,334 × 1,500 = ₹2,00,01,000 > ₹2 crore.
        assert_eq!(
            check_exposure(&limits, &calm, &p, Side::Buy, 3_334, dec!(1500)),
            Err(RiskRejection::PositionLimit {
                value: dec!(20001000),
                limit: dec!(20000000)
            })
        );
        // Flipping to a short of the same size is judged on the short.
        assert!(check_exposure(&limits, &calm, &p, Side::Sell, 23_334, dec!(1500)).is_err());
        // Selling what is held is always allowed.
        assert_eq!(
            check_exposure(&limits, &calm, &p, Side::Sell, 10_000, dec!(1500)),
            Ok(())
        );
    }

    #[test]
    fn after_the_daily_loss_limit_only_reducing_orders_pass() {
        let limits = RiskLimits::default();
        let p = long(100, dec!(1500));
        // 5% of ₹10,00,000 = ₹50,000: a loss of ₹49,999.99 still trades, ₹50,000.00 stops new exposure.
        assert_eq!(
            check_exposure(&limits, &exposure(dec!(-49999.99)), &p, Side::Buy, 1, dec!(1500)),
            Ok(())
        );
        assert_eq!(
            check_exposure(&limits, &exposure(dec!(-50000)), &p, Side::Buy, 1, dec!(1500)),
            Err(RiskRejection::DailyLossLimit {
                loss: dec!(50000),
                limit: dec!(50000.00)
            })
        );
        assert_eq!(
            check_exposure(&limits, &exposure(dec!(-50000)), &p, Side::Sell, 100, dec!(1500)),
            Ok(()),
            "closing is always allowed"
        );
        assert!(
            check_exposure(&limits, &exposure(dec!(-50000)), &p, Side::Sell, 101, dec!(1500)).is_err(),
            "a flip adds exposure"
        );
    }

    #[test]
    fn the_fifty_first_working_order_is_refused() {
        let limits = RiskLimits::default();
        assert_eq!(check_open_orders(&limits, 49), Ok(()));
        assert_eq!(
            check_open_orders(&limits, 50),
            Err(RiskRejection::TooManyOpenOrders { open: 50, limit: 50 })
        );
    }
}
