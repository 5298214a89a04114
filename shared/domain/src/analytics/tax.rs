//! Realized P&L by tax head, from fills matched first in, first out (docs/decisions.md "Tax P&L" states the
//! rules and their sources):
//! - **F&O** (NFO, MCX): non-speculative business income (Income-tax Act s. 43(5) proviso (d)); turnover is
//!   the sum of each matched lot's absolute profit or loss (ICAI Guidance Note on Tax Audit, 2022);
//! - **intraday equity** (INTRADAY, and a DELIVERY buy sold the same day, which is never delivered):
//!   speculative business income (s. 43(5)); turnover as for F&O;
//! - **delivery equity**: a capital gain, short-term when held 12 months or less and long-term when held
//!   longer (s. 2(42A), s. 111A, s. 112A). STT is not deductible from a capital gain (s. 48), so it is
//!   reported apart from the deductible charges; for business income every charge is an expense.
//!
//! A lot's charges are its fills' charges in proportion to the units matched. A lot is reported in the
//! financial year (1 April to 31 March, IST) of the fill that closed it.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Datelike as _, Months, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::kernel::money::paise;
use crate::kernel::time::ist_date;
use crate::market::instrument::{Exchange, InstrumentKey};
use crate::trading::charges::Charges;
use crate::trading::request::{Product, Side};
use crate::trading::trade::Trade;

/// A tax head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaxHead {
    /// Intraday equity: speculative business income.
    IntradayEquity,
    /// Futures and options: non-speculative business income.
    FuturesAndOptions,
    /// Delivery equity held 12 months or less.
    ShortTermCapitalGain,
    /// Delivery equity held longer than 12 months.
    LongTermCapitalGain,
}

impl TaxHead {
    /// Every head, in the report's order.
    pub const ALL: [TaxHead; 4] = [
        TaxHead::IntradayEquity,
        TaxHead::FuturesAndOptions,
        TaxHead::ShortTermCapitalGain,
        TaxHead::LongTermCapitalGain,
    ];

    /// Whether it is business income (its turnover and every charge count).
    pub fn is_business(self) -> bool {
        matches!(self, TaxHead::IntradayEquity | TaxHead::FuturesAndOptions)
    }
}

/// A financial year, 1 April to 31 March.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FinancialYear {
    /// The calendar year it starts in (2026 for 2026-27).
    pub start_year: i32,
}

impl FinancialYear {
    /// Parses `2026-27`.
    pub fn parse(text: &str) -> Option<FinancialYear> {
        let (start, end) = text.split_once('-')?;
        if start.len() != 4 || end.len() != 2 {
            return None;
        }
        let start_year: i32 = start.parse().ok()?;
        let end: i32 = end.parse().ok()?;
        ((start_year + 1) % 100 == end && (2000..=2100).contains(&start_year))
            .then_some(FinancialYear { start_year })
    }

    /// The year containing `date`.
    pub fn of(date: NaiveDate) -> FinancialYear {
        let start_year = if date.month() >= 4 {
            date.year()
        } else {
            date.year() - 1
        };
        FinancialYear { start_year }
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start_year, 4, 1).unwrap_or_default()
    }

    /// Its last day.
    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start_year + 1, 3, 31).unwrap_or_default()
    }

    /// `2026-27`.
    pub fn label(self) -> String {
        format!("{}-{:02}", self.start_year, (self.start_year + 1) % 100)
    }
}

/// One matched lot: units opened by one fill and closed by another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedLot {
    /// The instrument.
    pub instrument: InstrumentKey,
    /// The product it was traded with.
    pub product: Product,
    /// Its head.
    pub head: TaxHead,
    /// Units.
    pub quantity: i64,
    /// The opening fill's side (a short lot opens with a sell).
    pub opened_with: Side,
    /// Price per unit bought.
    pub buy_price: Decimal,
    /// Price per unit sold.
    pub sell_price: Decimal,
    /// When it opened (IST date).
    pub opened_on: NaiveDate,
    /// When it closed (IST date).
    pub closed_on: NaiveDate,
    /// The closing fill's instant.
    pub closed_at: DateTime<Utc>,
    /// (sell − buy) × units.
    pub pnl: Decimal,
    /// Its share of both fills' charges.
    pub charges: Charges,
}

/// One head's figures for a year.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeadSummary {
    /// Lots closed.
    pub lots: usize,
    /// Sale value (sell price × units).
    pub sale_value: Decimal,
    /// Cost (buy price × units).
    pub cost: Decimal,
    /// Realized P&L before charges.
    pub gross_pnl: Decimal,
    /// Charges that are deductible: all of them for business income, all but STT for a capital gain.
    pub deductible_charges: Decimal,
    /// STT (deductible only for business income: then also in `deductible_charges`).
    pub stt: Decimal,
    /// `gross_pnl − deductible_charges`.
    pub net_pnl: Decimal,
    /// Business income's turnover (Σ |lot P&L|); zero for capital gains.
    pub turnover: Decimal,
}

/// A year's realized P&L by head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxReport {
    /// The year.
    pub year: FinancialYear,
    /// Each head (every head present, possibly empty).
    pub heads: BTreeMap<TaxHead, HeadSummary>,
    /// The lots closed in the year, in closing order.
    pub lots: Vec<ClosedLot>,
}

/// An open lot waiting for its closing fill.
#[derive(Debug, Clone)]
struct OpenLot {
    side: Side,
    quantity: i64,
    price: Decimal,
    opened_at: DateTime<Utc>,
    /// The opening fill's charges per unit.
    charges_per_unit: Charges,
}

/// The head of a lot of `instrument` traded with `product`, opened and closed on these dates.
fn head_of(
    instrument: &InstrumentKey,
    product: Product,
    opened_on: NaiveDate,
    closed_on: NaiveDate,
) -> TaxHead {
    let derivative = matches!(instrument.exchange(), Some(Exchange::Nfo | Exchange::Mcx));
    if derivative {
        TaxHead::FuturesAndOptions
    } else if product == Product::Intraday || opened_on == closed_on {
        TaxHead::IntradayEquity
    } else if opened_on
        .checked_add_months(Months::new(12))
        .is_some_and(|anniversary| closed_on > anniversary)
    {
        TaxHead::LongTermCapitalGain
    } else {
        TaxHead::ShortTermCapitalGain
    }
}

/// Every lot `fills` close, matched first in, first out per instrument and product (fills in any order;
/// they are taken oldest first).
pub fn closed_lots(fills: &[Trade]) -> Vec<ClosedLot> {
    let mut ordered: Vec<&Trade> = fills.iter().collect();
    ordered.sort_by_key(|t| (t.executed_at, t.id));
    let mut books: HashMap<(InstrumentKey, Product), VecDeque<OpenLot>> = HashMap::new();
    let mut lots = Vec::new();
    for fill in ordered {
        let per_unit = fill
            .charges
            .scaled(Decimal::ONE / Decimal::from(fill.quantity.max(1)));
        let book = books.entry((fill.instrument.clone(), fill.product)).or_default();
        let mut left = fill.quantity;
        while left > 0 {
            let Some(open) = book.front_mut().filter(|o| o.side != fill.side) else {
                break;
            };
            let matched = left.min(open.quantity);
            let units = Decimal::from(matched);
            let (buy_price, sell_price) = match open.side {
                Side::Buy => (open.price, fill.price),
                Side::Sell => (fill.price, open.price),
            };
            let (opened_on, closed_on) = (ist_date(open.opened_at), ist_date(fill.executed_at));
            let charges = open.charges_per_unit.scaled(units) + per_unit.scaled(units);
            lots.push(ClosedLot {
                instrument: fill.instrument.clone(),
                product: fill.product,
                head: head_of(&fill.instrument, fill.product, opened_on, closed_on),
                quantity: matched,
                opened_with: open.side,
                buy_price,
                sell_price,
                opened_on,
                closed_on,
                closed_at: fill.executed_at,
                pnl: (sell_price - buy_price) * units,
                charges,
            });
            open.quantity -= matched;
            left -= matched;
            if open.quantity == 0 {
                book.pop_front();
            }
        }
        if left > 0 {
            book.push_back(OpenLot {
                side: fill.side,
                quantity: left,
                price: fill.price,
                opened_at: fill.executed_at,
                charges_per_unit: per_unit,
            });
        }
    }
    lots
}

/// The report of `year` from every fill of the account (earlier years' fills open the lots this year closes).
pub fn tax_report(fills: &[Trade], year: FinancialYear) -> TaxReport {
    let lots: Vec<ClosedLot> = closed_lots(fills)
        .into_iter()
        .filter(|lot| FinancialYear::of(lot.closed_on) == year)
        .collect();
    let mut heads: BTreeMap<TaxHead, HeadSummary> = TaxHead::ALL
        .iter()
        .map(|h| (*h, HeadSummary::default()))
        .collect();
    for lot in &lots {
        let units = Decimal::from(lot.quantity);
        let summary = heads.entry(lot.head).or_default();
        summary.lots += 1;
        summary.sale_value += lot.sell_price * units;
        summary.cost += lot.buy_price * units;
        summary.gross_pnl += lot.pnl;
        summary.stt += lot.charges.stt;
        summary.deductible_charges += if lot.head.is_business() {
            lot.charges.total()
        } else {
            lot.charges.total() - lot.charges.stt
        };
        if lot.head.is_business() {
            summary.turnover += lot.pnl.abs();
        }
    }
    for summary in heads.values_mut() {
        summary.sale_value = paise(summary.sale_value);
        summary.cost = paise(summary.cost);
        summary.gross_pnl = paise(summary.gross_pnl);
        summary.deductible_charges = paise(summary.deductible_charges);
        summary.stt = paise(summary.stt);
        summary.turnover = paise(summary.turnover);
        summary.net_pnl = summary.gross_pnl - summary.deductible_charges;
    }
    TaxReport { year, heads, lots }
}

#[cfg(test)]
mod tests;
