//! The paper-trading account every user gets at registration: simulated cash, exact to the paisa.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::kernel::ids::UserId;

/// Cash a new paper account starts with: ₹10,00,000.00.
pub const INITIAL_PAPER_CASH: Decimal = Decimal::from_parts(100_000_000, 0, 0, false, 2);

/// A user's paper-trading account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperAccount {
    /// Owner.
    pub user_id: UserId,
    /// The cash ledger, in rupees: funding plus realized P&L minus charges.
    pub cash: Decimal,
    /// Cash not held as margin by open orders and positions (never below zero).
    pub available: Decimal,
    /// Cash the account was (last) funded with.
    pub initial_cash: Decimal,
    /// When it was funded.
    pub funded_at: DateTime<Utc>,
}

impl PaperAccount {
    /// A fresh account for `user_id` funded with [`INITIAL_PAPER_CASH`].
    pub fn open(user_id: UserId, now: DateTime<Utc>) -> Self {
        Self {
            user_id,
            cash: INITIAL_PAPER_CASH,
            available: INITIAL_PAPER_CASH,
            initial_cash: INITIAL_PAPER_CASH,
            funded_at: now,
        }
    }
}

/// Money paid into or out of a paper account at one instant: a reset re-funds it, and since a reset needs
/// nothing held, the cash before is the whole account then. Returns are measured net of these flows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Funding {
    /// When.
    pub at: DateTime<Utc>,
    /// The account's cash (its whole value) just before.
    pub cash_before: Decimal,
    /// The account's cash just after.
    pub cash_after: Decimal,
}

impl Funding {
    /// Paid in (positive) or out (negative).
    pub fn flow(&self) -> Decimal {
        self.cash_after - self.cash_before
    }
}

/// The least a paper account can be reset to: ₹10,000.00.
pub const MIN_PAPER_CASH: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 2);
/// The most a paper account can be reset to: ₹1,00,00,000.00 (₹1 crore).
pub const MAX_PAPER_CASH: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 2);

/// Whether `cash` can fund a paper account: within the bounds, in whole paise.
pub fn valid_paper_cash(cash: Decimal) -> bool {
    (MIN_PAPER_CASH..=MAX_PAPER_CASH).contains(&cash) && cash.round_dp(2) == cash
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_new_account_holds_ten_lakh_rupees_exactly() {
        assert_eq!(INITIAL_PAPER_CASH.to_string(), "1000000.00");
        let account = PaperAccount::open(UserId::from_ulid(ulid::Ulid::new()), Utc::now());
        assert_eq!(account.cash, "1000000.00".parse::<Decimal>().unwrap());
        assert_eq!(account.cash, account.initial_cash);
        assert_eq!(account.available, account.cash, "nothing held yet");
    }

    #[test]
    fn paper_cash_is_bounded_and_in_whole_paise() {
        assert!(valid_paper_cash(dec!(10000)) && valid_paper_cash(dec!(10000000.00)));
        assert!(valid_paper_cash(dec!(500000.25)));
        for bad in [
            dec!(9999.99),
            dec!(10000000.01),
            dec!(500000.255),
            dec!(-1),
            Decimal::ZERO,
        ] {
            assert!(!valid_paper_cash(bad), "{bad}");
        }
    }
}
