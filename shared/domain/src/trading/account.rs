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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_account_holds_ten_lakh_rupees_exactly() {
        assert_eq!(INITIAL_PAPER_CASH.to_string(), "1000000.00");
        let account = PaperAccount::open(UserId::from_ulid(ulid::Ulid::new()), Utc::now());
        assert_eq!(account.cash, "1000000.00".parse::<Decimal>().unwrap());
        assert_eq!(account.cash, account.initial_cash);
        assert_eq!(account.available, account.cash, "nothing held yet");
    }
}
