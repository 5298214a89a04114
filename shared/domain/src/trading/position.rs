//! A position in one instrument and its P&L, from its fills. The position keeps the exact cost of its open
//! quantity (Σ quantity × price, reduced pro rata when units are closed), so the average price is
//! `cost / quantity` and unrealized P&L is `quantity × mark − cost` with no rounding anywhere; realized P&L when a fill reduces the position, unrealized P&L at a
//! mark price, and the day's buy and sell quantities and values. A fill that crosses zero closes the old
//! position and opens the rest at the fill price (a flip).
//!
//! Charges are tracked beside, never folded into the average price: net P&L = realized + unrealized − charges.
//!
//! At the end of each trading day the position is rolled over ([`Position::roll_over`]): the open quantity and
//! its cost carry into the next day, while the day's quantities, values, realized P&L and charges (already
//! settled into the account's cash) start again from zero. The carried position counts at its cost, so
//! realized + unrealized = mark-to-market still holds on every day.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::instrument::InstrumentKey;

use crate::trading::request::{Product, Side};

/// One position, quantities in units (lots × lot size), long positive and short negative.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    /// Open quantity: positive long, negative short, zero flat.
    pub quantity: i64,
    /// Cost of the open quantity (always ≥ 0; for a short, what it was sold for).
    pub open_cost: Decimal,
    /// P&L locked in by reducing fills.
    pub realized_pnl: Decimal,
    /// Units bought.
    pub buy_quantity: i64,
    /// Units sold.
    pub sell_quantity: i64,
    /// Value bought (Σ quantity × price).
    pub buy_value: Decimal,
    /// Value sold.
    pub sell_value: Decimal,
    /// Charges paid on the fills.
    pub charges: Decimal,
    /// Open quantity carried in from earlier days (at the last roll-over).
    #[serde(default)]
    pub carried_quantity: i64,
    /// Cost of the carried quantity at the last roll-over (≥ 0, as `open_cost`).
    #[serde(default)]
    pub carried_cost: Decimal,
}

impl Position {
    /// The position after a fill of `quantity` units (> 0) at `price`, paying `charges`.
    pub fn apply(self, side: Side, quantity: i64, price: Decimal, charges: Decimal) -> Position {
        let signed = match side {
            Side::Buy => quantity,
            Side::Sell => -quantity,
        };
        let mut next = self;
        next.charges += charges;
        match side {
            Side::Buy => {
                next.buy_quantity += quantity;
                next.buy_value += Decimal::from(quantity) * price;
            }
            Side::Sell => {
                next.sell_quantity += quantity;
                next.sell_value += Decimal::from(quantity) * price;
            }
        }
        let same_direction = self.quantity == 0 || (self.quantity > 0) == (signed > 0);
        if same_direction {
            next.quantity = self.quantity + signed;
            next.open_cost = self.open_cost + Decimal::from(quantity) * price;
            return next;
        }
        let open = self.quantity.abs();
        let closing = quantity.min(open);
        let direction = Decimal::from(self.quantity.signum());
        // The closed units' share of the cost, pro rata.
        let closed_cost = self.open_cost * Decimal::from(closing) / Decimal::from(open);
        next.realized_pnl += (Decimal::from(closing) * price - closed_cost) * direction;
        next.quantity = self.quantity + signed;
        next.open_cost = if closing == open {
            // Flat, or crossed zero: the rest is a new position opened at this fill's price.
            Decimal::from(quantity - closing) * price
        } else {
            self.open_cost - closed_cost
        };
        next
    }

    /// Average price of the open quantity (zero when flat); exact up to Decimal's 28 significant digits.
    pub fn average_price(&self) -> Decimal {
        if self.quantity == 0 {
            Decimal::ZERO
        } else {
            self.open_cost / Decimal::from(self.quantity.abs())
        }
    }

    /// Unrealized P&L of the open quantity at `mark`.
    pub fn unrealized_pnl(&self, mark: Decimal) -> Decimal {
        (Decimal::from(self.quantity.abs()) * mark - self.open_cost) * Decimal::from(self.quantity.signum())
    }

    /// Mark-to-market at `mark`: everything sold, minus everything bought (the carried quantity counting as
    /// bought or sold at its cost), plus the open quantity at `mark`.
    pub fn mark_to_market(&self, mark: Decimal) -> Decimal {
        self.sell_value - self.buy_value - Decimal::from(self.carried_quantity.signum()) * self.carried_cost
            + Decimal::from(self.quantity) * mark
    }

    /// Whether anything filled since the last roll-over.
    pub fn traded_today(&self) -> bool {
        self.buy_quantity > 0 || self.sell_quantity > 0
    }

    /// The position the next trading day starts with: the open quantity and its cost carried, the day's
    /// quantities, values, realized P&L and charges back to zero.
    pub fn roll_over(self) -> Position {
        Position {
            quantity: self.quantity,
            open_cost: self.open_cost,
            carried_quantity: self.quantity,
            carried_cost: self.open_cost,
            ..Position::default()
        }
    }

    /// Realized + unrealized − charges.
    pub fn net_pnl(&self, mark: Decimal) -> Decimal {
        self.realized_pnl + self.unrealized_pnl(mark) - self.charges
    }
}

/// A position as the book keeps it: per instrument and product, with the margin it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionRecord {
    /// Instrument.
    pub instrument: InstrumentKey,
    /// Product.
    pub product: Product,
    /// Quantities, cost and P&L.
    pub position: Position,
    /// Margin the open quantity holds.
    pub margin: Decimal,
    /// Units of a delivery equity position settled into holdings (bought before the last roll-over, T+1).
    #[serde(default)]
    pub settled_quantity: i64,
    /// The IST date of the latest fill, while the position has fills not yet rolled over.
    #[serde(default)]
    pub trading_day: Option<NaiveDate>,
    /// Optimistic-concurrency version (0: never stored).
    pub version: u64,
}

impl PositionRecord {
    /// A flat position never stored.
    pub fn flat(instrument: InstrumentKey, product: Product) -> Self {
        Self {
            instrument,
            product,
            position: Position::default(),
            margin: Decimal::ZERO,
            settled_quantity: 0,
            trading_day: None,
            version: 0,
        }
    }

    /// Units held in holdings: settled units still open.
    pub fn holding_quantity(&self) -> i64 {
        self.settled_quantity.min(self.position.quantity).max(0)
    }

    /// Whether the position shows among the day's positions: it traded since the last roll-over, or it has
    /// open units that are not holdings (an intraday or a carried F&O position).
    pub fn shows_as_position(&self) -> bool {
        self.position.traded_today() || self.position.quantity != self.holding_quantity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn fills(steps: &[(Side, i64, Decimal)]) -> Position {
        steps.iter().fold(Position::default(), |p, (side, q, price)| {
            p.apply(*side, *q, *price, Decimal::ZERO)
        })
    }

    #[test]
    fn adds_at_different_prices_average_exactly() {
        // 10 @ 100 + 20 @ 103.35 = 3,067 / 30 = 102.2333…
        let p = fills(&[(Side::Buy, 10, dec!(100)), (Side::Buy, 20, dec!(103.35))]);
        assert_eq!(p.quantity, 30);
        assert_eq!(p.open_cost, dec!(3067));
        assert_eq!(p.average_price().round_dp(2), dec!(102.23));
        assert_eq!(p.realized_pnl, Decimal::ZERO);
        assert_eq!(p.unrealized_pnl(dec!(105)), dec!(83), "30 × 105 − 3,067");
    }

    #[test]
    fn a_partial_close_realizes_on_the_closed_units_and_keeps_the_average() {
        // Long 30 @ 102.2333…, sell 12 @ 110: realized = 12 × 110 − 12/30 × 3,067 = 1,320 − 1,226.80 = 93.20.
        let p = fills(&[
            (Side::Buy, 10, dec!(100)),
            (Side::Buy, 20, dec!(103.35)),
            (Side::Sell, 12, dec!(110)),
        ]);
        assert_eq!(p.quantity, 18);
        assert_eq!(p.realized_pnl, dec!(93.20));
        assert_eq!(p.open_cost, dec!(1840.20), "18/30 of 3,067");
        assert_eq!((p.buy_quantity, p.sell_quantity), (30, 12));
    }

    #[test]
    fn a_flip_from_long_to_short_closes_then_opens_at_the_fill_price() {
        // Long 50 @ 2,450; sell 80 @ 2,470: realize 50 × 20 = 1,000, then short 30 @ 2,470.
        let p = fills(&[(Side::Buy, 50, dec!(2450)), (Side::Sell, 80, dec!(2470))]);
        assert_eq!(p.quantity, -30);
        assert_eq!(p.average_price(), dec!(2470));
        assert_eq!(p.realized_pnl, dec!(1000));
        // Short 30 @ 2,470 marked at 2,460 → +300 unrealized.
        assert_eq!(p.unrealized_pnl(dec!(2460)), dec!(300));
        // Buy 30 back @ 2,465: +150 more realized, flat.
        let flat = p.apply(Side::Buy, 30, dec!(2465), Decimal::ZERO);
        assert_eq!(
            (flat.quantity, flat.average_price(), flat.realized_pnl),
            (0, Decimal::ZERO, dec!(1150))
        );
    }

    #[test]
    fn charges_stay_out_of_the_average_and_come_off_net_pnl() {
        let p = Position::default()
            .apply(Side::Buy, 100, dec!(2450), dec!(40.13))
            .apply(Side::Sell, 100, dec!(2460), dec!(94.03));
        assert_eq!(p.realized_pnl, dec!(1000));
        assert_eq!(p.charges, dec!(134.16));
        assert_eq!(
            p.net_pnl(dec!(9999)),
            dec!(865.84),
            "flat: the mark no longer matters"
        );
    }

    fn step() -> impl Strategy<Value = (Side, i64, Decimal)> {
        (any::<bool>(), 1i64..500, 1i64..1_000_000).prop_map(|(buy, q, paise)| {
            let side = if buy { Side::Buy } else { Side::Sell };
            (side, q, Decimal::new(paise, 2))
        })
    }

    #[test]
    fn a_roll_over_carries_the_open_quantity_at_cost_and_restarts_the_day() {
        // Day 1: long 10 @ 100, sold 4 @ 110 (realized 40), charges 3.10. Day 2 starts long 6 at a cost of 600.
        let day1 = Position::default()
            .apply(Side::Buy, 10, dec!(100), dec!(1.50))
            .apply(Side::Sell, 4, dec!(110), dec!(1.60));
        let day2 = day1.roll_over();
        assert_eq!((day2.quantity, day2.open_cost), (6, dec!(600)));
        assert_eq!((day2.carried_quantity, day2.carried_cost), (6, dec!(600)));
        assert_eq!(
            (
                day2.buy_quantity,
                day2.sell_quantity,
                day2.realized_pnl,
                day2.charges
            ),
            (0, 0, Decimal::ZERO, Decimal::ZERO)
        );
        assert!(!day2.traded_today());
        // At 105 the carried 6 are worth 30 more than they cost: MTM = unrealized = 6 × 105 − 600.
        assert_eq!(day2.mark_to_market(dec!(105)), dec!(30));
        assert_eq!(day2.unrealized_pnl(dec!(105)), dec!(30));
        // Selling the 6 @ 104 on day 2 realizes 24 that day.
        let closed = day2.apply(Side::Sell, 6, dec!(104), Decimal::ZERO);
        assert_eq!((closed.quantity, closed.realized_pnl), (0, dec!(24)));
        assert_eq!(closed.mark_to_market(dec!(1)), dec!(24));
    }

    proptest! {
        /// realized + unrealized equals mark-to-market, whatever the fills and days; net P&L is that minus the
        /// day's charges.
        #[test]
        fn realized_plus_unrealized_is_mark_to_market(
            steps in prop::collection::vec(step(), 1..40),
            mark_paise in 1i64..1_000_000,
            charge_paise in prop::collection::vec(0i64..10_000, 40),
            rolls in prop::collection::vec(any::<bool>(), 40),
        ) {
            let mark = Decimal::new(mark_paise, 2);
            let mut p = Position::default();
            let mut charged = Decimal::ZERO;
            for (((side, q, price), c), roll) in steps.iter().zip(&charge_paise).zip(&rolls) {
                if *roll {
                    p = p.roll_over();
                    charged = Decimal::ZERO;
                }
                let c = Decimal::new(*c, 2);
                charged += c;
                p = p.apply(*side, *q, *price, c);
            }
            let identity = p.realized_pnl + p.unrealized_pnl(mark) - p.mark_to_market(mark);
            prop_assert!(identity.abs() < dec!(0.000001), "off by {identity}");
            prop_assert_eq!(p.quantity, p.carried_quantity + p.buy_quantity - p.sell_quantity);
            prop_assert_eq!(p.net_pnl(mark), p.realized_pnl + p.unrealized_pnl(mark) - charged);
            if p.quantity == 0 {
                prop_assert_eq!(p.open_cost, Decimal::ZERO);
            }
        }
    }
}
