//! A user's portfolio, read from the venue their account trades at (the paper book, or their broker in live
//! mode), and the paper account's reset.

use rust_decimal::Decimal;

use crate::kernel::ids::UserId;
use crate::trading::account::{PaperAccount, valid_paper_cash};
use crate::trading::portfolio::{Funds, HoldingValue, PositionValue, Summary};
use crate::trading::ports::CommitError;
use crate::trading::service::{OrderService, PlaceError, ResetError};

impl OrderService {
    /// `user`'s account at a glance: funds, positions and holdings valued at the last price.
    ///
    /// # Errors
    /// Storage, market-data or (live) broker failures.
    pub async fn summary(&self, user: UserId) -> Result<Summary, PlaceError> {
        self.read_account(user, |venue| venue.summary()).await
    }

    /// `user`'s positions valued at the last price.
    ///
    /// # Errors
    /// As [`summary`](Self::summary).
    pub async fn positions(&self, user: UserId) -> Result<Vec<PositionValue>, PlaceError> {
        self.read_account(user, |venue| venue.positions()).await
    }

    /// `user`'s holdings valued at the last price.
    ///
    /// # Errors
    /// As [`summary`](Self::summary).
    pub async fn holdings(&self, user: UserId) -> Result<Vec<HoldingValue>, PlaceError> {
        self.read_account(user, |venue| venue.holdings()).await
    }

    /// `user`'s funds.
    ///
    /// # Errors
    /// As [`summary`](Self::summary).
    pub async fn funds(&self, user: UserId) -> Result<Funds, PlaceError> {
        self.read_account(user, |venue| venue.funds()).await
    }

    /// Refunds `user`'s paper account with `cash`, when nothing is held.
    ///
    /// # Errors
    /// [`ResetError`]; nothing is written.
    pub async fn reset_paper(&self, user: UserId, cash: Decimal) -> Result<PaperAccount, ResetError> {
        if !valid_paper_cash(cash) {
            return Err(ResetError::InvalidCash);
        }
        match self.ctx.ledger.reset(&user, cash, self.ctx.clock.now()).await {
            Ok(account) => Ok(account),
            Err(CommitError::Conflict | CommitError::InsufficientFunds) => Err(ResetError::Holding),
            Err(e) => Err(ResetError::Unexpected(e.into())),
        }
    }
}
