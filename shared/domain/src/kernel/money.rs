//! Money helpers. Money is [`Decimal`] everywhere: exact, never a float.

use rust_decimal::{Decimal, RoundingStrategy};

/// `x` rounded to whole paise, half away from zero (as contract notes round).
pub fn paise(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}
