//! End-of-day snapshots: a paper account's value at each session's close, replayed from its fills since it
//! was (last) funded. Replaying is the one rule for every day, today's and a missed day's alike: the fills
//! up to the close go through the same position arithmetic the paper book uses ([`Position::apply`], the
//! day's realized P&L to the paisa per fill, as the book's cash moves), and what is open is marked at the
//! close. So a snapshot's cash is the book's cash at that close, and its equity is that cash plus the open
//! positions' unrealized P&L.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::kernel::money::paise;
use crate::market::instrument::{Exchange, InstrumentKey};
use crate::trading::account::Funding;
use crate::trading::position::Position;
use crate::trading::request::Product;
use crate::trading::trade::Trade;

/// One account's value at one session's close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySnapshot {
    /// The session (IST date).
    pub day: NaiveDate,
    /// The cash ledger: the funding, plus realized P&L, minus charges, since the account was funded.
    pub cash: Decimal,
    /// Open delivery equity (long) at the close: units × close.
    pub holdings_value: Decimal,
    /// Unrealized P&L at the close of everything open that is not a holding (F&O, intraday).
    pub positions_mtm: Decimal,
    /// Unrealized P&L at the close of everything open, holdings included.
    pub unrealized_pnl: Decimal,
    /// Cash + unrealized P&L: what the account is worth.
    pub equity: Decimal,
    /// P&L realized by the session's fills.
    pub realized_pnl: Decimal,
    /// Charges of the session's fills.
    pub charges: Decimal,
    /// Money paid in or out since the previous snapshot (a reset), oldest first.
    pub fundings: Vec<Funding>,
}

impl DailySnapshot {
    /// Net money paid in (positive) or out since the previous snapshot.
    pub fn flow(&self) -> Decimal {
        self.fundings.iter().map(Funding::flow).sum()
    }
}

/// What a replayed session's fills did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionActivity {
    /// Realized P&L, to the paisa per fill.
    pub realized_pnl: Decimal,
    /// Charges.
    pub charges: Decimal,
}

impl std::ops::Add for SessionActivity {
    type Output = SessionActivity;

    fn add(self, other: SessionActivity) -> SessionActivity {
        SessionActivity {
            realized_pnl: self.realized_pnl + other.realized_pnl,
            charges: self.charges + other.charges,
        }
    }
}

/// What the fills between the last snapshot (whose cash was `anchor_cash`) and the account's latest funding
/// did, when those fills belong to a book since reset and cannot be replayed: their charges, and the
/// realized P&L the cash moved by besides them (each funding's cash before, less the cash the previous
/// period started with).
pub fn activity_before_funding(
    anchor_cash: Decimal,
    fundings: &[Funding],
    fills: &[Trade],
) -> SessionActivity {
    let charges: Decimal = fills.iter().map(|f| f.charges.total()).sum();
    let mut start = anchor_cash;
    let mut moved = Decimal::ZERO;
    for funding in fundings {
        moved += funding.cash_before - start;
        start = funding.cash_after;
    }
    SessionActivity {
        realized_pnl: moved + charges,
        charges,
    }
}

/// An account's book rebuilt from its fills, advanced session by session.
#[derive(Debug, Clone)]
pub struct Replay {
    cash: Decimal,
    positions: BTreeMap<(InstrumentKey, Product), Position>,
    fills: Vec<Trade>,
    next: usize,
}

impl Replay {
    /// A book funded with `cash` at `since` (`None`: it holds every fill), to be advanced through `fills`
    /// (any order; those at or before `since` are another book's and are left out).
    pub fn new(cash: Decimal, since: Option<DateTime<Utc>>, mut fills: Vec<Trade>) -> Self {
        fills.retain(|f| since.is_none_or(|since| f.executed_at > since));
        fills.sort_by_key(|f| (f.executed_at, f.id));
        Self {
            cash,
            positions: BTreeMap::new(),
            fills,
            next: 0,
        }
    }

    /// Applies every fill up to `close` (inclusive) not applied yet.
    pub fn advance_to(&mut self, close: DateTime<Utc>) -> SessionActivity {
        let mut activity = SessionActivity::default();
        while let Some(fill) = self.fills.get(self.next).filter(|f| f.executed_at <= close) {
            let key = (fill.instrument.clone(), fill.product);
            let before = self.positions.remove(&key).unwrap_or_default();
            let charges = fill.charges.total();
            let after = before.apply(fill.side, fill.quantity, fill.price, charges);
            let realized = paise(after.realized_pnl - before.realized_pnl);
            self.cash += realized - charges;
            activity.realized_pnl += realized;
            activity.charges += charges;
            if after.quantity != 0 {
                self.positions.insert(key, after);
            }
            self.next += 1;
        }
        activity
    }

    /// The instruments open now, each once.
    pub fn open_instruments(&self) -> Vec<InstrumentKey> {
        let mut keys: Vec<InstrumentKey> = self.positions.keys().map(|(k, _)| k.clone()).collect();
        keys.dedup();
        keys
    }

    /// The book now as `day`'s snapshot, open positions marked at `closes` (one missing, say an expired
    /// contract, is marked at its average price: no unrealized P&L, as the portfolio shows it).
    pub fn snapshot(
        &self,
        day: NaiveDate,
        activity: SessionActivity,
        closes: &HashMap<InstrumentKey, Decimal>,
        fundings: Vec<Funding>,
    ) -> DailySnapshot {
        let (mut holdings_value, mut positions_mtm, mut holdings_pnl) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        for ((instrument, product), position) in &self.positions {
            let close = closes
                .get(instrument)
                .copied()
                .unwrap_or_else(|| position.average_price());
            let unrealized = paise(position.unrealized_pnl(close));
            if is_holding(instrument, *product, position) {
                holdings_value += Decimal::from(position.quantity) * close;
                holdings_pnl += unrealized;
            } else {
                positions_mtm += unrealized;
            }
        }
        let unrealized_pnl = holdings_pnl + positions_mtm;
        DailySnapshot {
            day,
            cash: self.cash,
            holdings_value,
            positions_mtm,
            unrealized_pnl,
            equity: self.cash + unrealized_pnl,
            realized_pnl: activity.realized_pnl,
            charges: activity.charges,
            fundings,
        }
    }
}

/// Whether an open position is a holding: long delivery equity (not a derivative).
fn is_holding(instrument: &InstrumentKey, product: Product, position: &Position) -> bool {
    let derivative = matches!(instrument.exchange(), Some(Exchange::Nfo | Exchange::Mcx));
    product == Product::Delivery && !derivative && position.quantity > 0
}

#[cfg(test)]
pub(crate) mod tests;
