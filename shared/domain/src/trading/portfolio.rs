//! What the portfolio area shows: positions valued at the last price, the account's funds, and the summary
//! of both. Pure: the caller fetches the records and prices. Money stays exact; only P&L that divides a cost
//! (the average price) is rounded, to the paisa, at this boundary.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::broker::live::{LiveFunds, LiveHolding, LivePosition};
use crate::kernel::money::paise;
use crate::market::instrument::InstrumentKey;
use crate::trading::account::PaperAccount;
use crate::trading::position::{Position, PositionRecord};
use crate::trading::request::Product;

/// One position valued at `last_price`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionValue {
    /// Instrument.
    pub instrument: InstrumentKey,
    /// Product.
    pub product: Product,
    /// Open quantity (negative: short).
    pub quantity: i64,
    /// Average price of the open quantity, to the paisa.
    pub average_price: Decimal,
    /// The mark.
    pub last_price: Decimal,
    /// Mark-to-market: everything sold − everything bought + open quantity × mark.
    pub mtm: Decimal,
    /// Realized P&L.
    pub realized_pnl: Decimal,
    /// Unrealized P&L at the mark, to the paisa.
    pub unrealized_pnl: Decimal,
    /// Units bought.
    pub buy_quantity: i64,
    /// Units sold.
    pub sell_quantity: i64,
    /// Charges paid on the fills.
    pub charges: Decimal,
}

/// `record` valued at `last_price`, leaving out its settled units (those show as holdings): the quantity,
/// unrealized P&L and MTM are of the rest, at the position's average price.
pub fn value_position(record: &PositionRecord, last_price: Decimal) -> PositionValue {
    let p = &record.position;
    let quantity = p.quantity - record.holding_quantity();
    let unrealized = if quantity == p.quantity {
        p.unrealized_pnl(last_price)
    } else {
        Decimal::from(quantity) * last_price - cost_of(p, quantity)
    };
    PositionValue {
        instrument: record.instrument.clone(),
        product: record.product,
        quantity,
        average_price: paise(p.average_price()),
        last_price,
        // Realized + unrealized: the same as everything sold − bought + open × mark when nothing is held.
        mtm: paise(p.realized_pnl + unrealized),
        realized_pnl: paise(p.realized_pnl),
        unrealized_pnl: paise(unrealized),
        buy_quantity: p.buy_quantity,
        sell_quantity: p.sell_quantity,
        charges: p.charges,
    }
}

/// The cost of `units` of the long position `p`'s open quantity, pro rata.
fn cost_of(p: &Position, units: i64) -> Decimal {
    p.open_cost * Decimal::from(units) / Decimal::from(p.quantity)
}

/// Settled delivery units (holdings) valued at the last price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldingValue {
    /// Instrument.
    pub instrument: InstrumentKey,
    /// Units held.
    pub quantity: i64,
    /// Average cost per unit, to the paisa.
    pub average_price: Decimal,
    /// The mark.
    pub last_price: Decimal,
    /// Units × mark.
    pub value: Decimal,
    /// Value − cost, to the paisa.
    pub pnl: Decimal,
    /// P&L as a percentage of cost, to two places.
    pub pnl_pct: Decimal,
}

/// The holdings part of `record` valued at `last_price`; `None` when nothing of it is settled.
pub fn value_holding(record: &PositionRecord, last_price: Decimal) -> Option<HoldingValue> {
    let quantity = record.holding_quantity();
    if quantity == 0 {
        return None;
    }
    let p = &record.position;
    let cost = cost_of(p, quantity);
    let value = Decimal::from(quantity) * last_price;
    Some(HoldingValue {
        instrument: record.instrument.clone(),
        quantity,
        average_price: paise(p.average_price()),
        last_price,
        value,
        pnl: paise(value - cost),
        pnl_pct: paise((value - cost) / cost * Decimal::ONE_HUNDRED),
    })
}

/// A user's book valued at the last prices: the day's positions and the holdings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Valuation {
    /// Positions that traded today or hold unsettled units ([`PositionRecord::shows_as_position`]).
    pub positions: Vec<PositionValue>,
    /// Settled delivery units.
    pub holdings: Vec<HoldingValue>,
}

impl Valuation {
    /// The day's P&L: realized + unrealized − charges of the day's positions (holdings carry no day P&L).
    pub fn day_pnl(&self) -> Decimal {
        self.positions
            .iter()
            .map(|p| p.realized_pnl + p.unrealized_pnl - p.charges)
            .sum()
    }
}

/// The mark of `record` among `prices` (last prices by instrument): a contract gone from the master (expired)
/// has none and is marked at its average price.
pub fn mark(prices: &HashMap<InstrumentKey, Decimal>, record: &PositionRecord) -> Decimal {
    prices
        .get(&record.instrument)
        .copied()
        .unwrap_or_else(|| record.position.average_price())
}

/// `records` valued at the marks `mark_of` gives.
pub fn valuation(records: &[PositionRecord], mark_of: impl Fn(&PositionRecord) -> Decimal) -> Valuation {
    let mut valued = Valuation::default();
    for record in records {
        let mark = mark_of(record);
        if record.shows_as_position() {
            valued.positions.push(value_position(record, mark));
        }
        valued.holdings.extend(value_holding(record, mark));
    }
    valued
}

/// The account's funds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Funds {
    /// The cash ledger.
    pub cash: Decimal,
    /// Held by positions and blocked by open orders.
    pub margin_used: Decimal,
    /// Free to trade with.
    pub margin_available: Decimal,
    /// Paid in (the paper account's funding).
    pub payin: Decimal,
    /// Paid out (never, on a paper account).
    pub payout: Decimal,
}

/// The funds of `account`.
pub fn funds(account: &PaperAccount) -> Funds {
    Funds {
        cash: account.cash,
        margin_used: account.cash - account.available,
        margin_available: account.available,
        payin: account.initial_cash,
        payout: Decimal::ZERO,
    }
}

/// The whole account at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// When it was valued.
    pub as_of: DateTime<Utc>,
    /// The account's funds.
    pub funds: Funds,
    /// Σ value of the holdings.
    pub holdings_value: Decimal,
    /// Σ mark-to-market of the positions.
    pub positions_mtm: Decimal,
    /// Σ realized P&L.
    pub realized_pnl: Decimal,
    /// Σ unrealized P&L.
    pub unrealized_pnl: Decimal,
    /// Σ charges.
    pub charges: Decimal,
    /// The day's P&L ([`Valuation::day_pnl`]).
    pub day_pnl: Decimal,
}

/// The summary of an account's `funds` with its book valued at `as_of`.
pub fn summarize(funds: Funds, book: &Valuation, as_of: DateTime<Utc>) -> Summary {
    let positions = &book.positions;
    let sum = |f: fn(&PositionValue) -> Decimal| positions.iter().map(f).sum();
    Summary {
        as_of,
        funds,
        holdings_value: book.holdings.iter().map(|h| h.value).sum(),
        positions_mtm: sum(|p| p.mtm),
        realized_pnl: sum(|p| p.realized_pnl),
        unrealized_pnl: sum(|p| p.unrealized_pnl),
        charges: sum(|p| p.charges),
        day_pnl: book.day_pnl(),
    }
}

/// A live broker's position, shown under our key `instrument`: the broker's quantities, prices and P&L
/// (MTM is its realized + unrealized P&L). Brokers report no per-position charges: zero.
pub fn value_live_position(p: &LivePosition, instrument: InstrumentKey) -> PositionValue {
    PositionValue {
        instrument,
        product: p.product,
        quantity: p.quantity,
        average_price: p.average_price.unwrap_or_default(),
        last_price: p.last_price,
        mtm: p.realised + p.unrealised,
        realized_pnl: p.realised,
        unrealized_pnl: p.unrealised,
        buy_quantity: p.day_buy_quantity,
        sell_quantity: p.day_sell_quantity,
        charges: Decimal::ZERO,
    }
}

/// A live broker's holding, shown under our key `instrument`: the settled quantity at the last price, its
/// P&L against the average price, and that P&L as a percentage of the cost, to the paisa (zero cost: 0%).
pub fn value_live_holding(h: &LiveHolding, instrument: InstrumentKey) -> HoldingValue {
    let value = Decimal::from(h.quantity) * h.last_price;
    let cost = Decimal::from(h.quantity) * h.average_price;
    let pnl = value - cost;
    HoldingValue {
        instrument,
        quantity: h.quantity,
        average_price: h.average_price,
        last_price: h.last_price,
        value,
        pnl: paise(pnl),
        pnl_pct: if cost.is_zero() {
            Decimal::ZERO
        } else {
            paise(pnl / cost * Decimal::ONE_HUNDRED)
        },
    }
}

/// A live broker's equity funds: cash is what is free plus what is in use.
pub fn live_funds(f: &LiveFunds) -> Funds {
    Funds {
        cash: f.available_margin + f.used_margin,
        margin_used: f.used_margin,
        margin_available: f.available_margin,
        payin: f.payin,
        payout: Decimal::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ids::UserId;
    use crate::market::instrument::Exchange;
    use crate::trading::position::Position;
    use crate::trading::request::Side;
    use rust_decimal_macros::dec;

    #[test]
    fn a_partly_closed_position_values_to_the_hand_checked_paisa() {
        // Bought 10 at 100.00 and 5 at 101.00 (cost 1,505.00), sold 6 at 102.00: closed cost 6 × 100.3333… =
        // 602.00, realized 612.00 − 602.00 = 10.00; 9 left at an average of 100.3333…; at 99.50 unrealized
        // 895.50 − 903.00 = −7.50; MTM 612 − 1,505 + 895.50 = 2.50 = realized + unrealized.
        let position = Position::default()
            .apply(Side::Buy, 10, dec!(100.00), dec!(1.10))
            .apply(Side::Buy, 5, dec!(101.00), dec!(0.60))
            .apply(Side::Sell, 6, dec!(102.00), dec!(0.90));
        let record = PositionRecord {
            position,
            margin: dec!(180.60),
            version: 3,
            ..PositionRecord::flat(InstrumentKey::new(Exchange::Nse, "ITC"), Product::Intraday)
        };
        let v = value_position(&record, dec!(99.50));
        assert_eq!(v.quantity, 9);
        assert_eq!(v.average_price, dec!(100.33));
        assert_eq!(
            (v.realized_pnl, v.unrealized_pnl, v.mtm),
            (dec!(10.00), dec!(-7.50), dec!(2.50))
        );
        assert_eq!(v.mtm, v.realized_pnl + v.unrealized_pnl);
        assert_eq!((v.buy_quantity, v.sell_quantity, v.charges), (15, 6, dec!(2.60)));

        let account = PaperAccount {
            cash: dec!(1000007.40),
            available: dec!(999826.80),
            ..PaperAccount::open(UserId::from_ulid(ulid::Ulid::new()), chrono::Utc::now())
        };
        let summary = summarize(
            funds(&account),
            &Valuation {
                positions: vec![v],
                holdings: Vec::new(),
            },
            account.funded_at,
        );
        assert_eq!(summary.funds.margin_used, dec!(180.60));
        assert_eq!(summary.funds.payin, dec!(1000000.00));
        assert_eq!((summary.positions_mtm, summary.charges), (dec!(2.50), dec!(2.60)));
        assert_eq!(summary.day_pnl, dec!(-0.10), "10.00 − 7.50 − 2.60");
    }

    #[test]
    fn settled_delivery_units_value_as_holdings_to_the_hand_checked_paisa() {
        // Day 1: bought 10 INFY at 1,500.10 for delivery; rolled over, all 10 settle into holdings.
        let infy = InstrumentKey::new(Exchange::Nse, "INFY");
        let day1 = PositionRecord {
            position: Position::default().apply(Side::Buy, 10, dec!(1500.10), dec!(17.83)),
            margin: dec!(15001.00),
            version: 1,
            ..PositionRecord::flat(infy.clone(), Product::Delivery)
        };
        assert!(day1.shows_as_position() && value_holding(&day1, dec!(1510)).is_none());
        let day2 = crate::trading::paper::roll_over(&day1, crate::market::instrument::Segment::Equity);
        assert_eq!(day2.settled_quantity, 10);
        assert!(!day2.shows_as_position(), "all of it is holdings now");
        // At 1,512.35: value 15,123.50, cost 15,001.00, P&L 122.50 = 0.8166…% → 0.82%.
        let h = value_holding(&day2, dec!(1512.35)).unwrap();
        assert_eq!((h.quantity, h.average_price), (10, dec!(1500.10)));
        assert_eq!(
            (h.value, h.pnl, h.pnl_pct),
            (dec!(15123.50), dec!(122.50), dec!(0.82))
        );
        // Day 2: sell 4 from the holdings at 1,520.00; 6 stay held and the sale shows among the positions.
        let fill = crate::trading::trade::Trade {
            id: crate::kernel::ids::TradeId::from_ulid(ulid::Ulid::new()),
            order_id: crate::kernel::ids::OrderId::from_ulid(ulid::Ulid::new()),
            instrument: infy,
            side: Side::Sell,
            product: Product::Delivery,
            quantity: 4,
            price: dec!(1520.00),
            charges: crate::trading::charges::Charges::default(),
            executed_at: chrono::Utc::now(),
        };
        let master = crate::market::master::InstrumentMaster::shipped(
            &crate::market::calendar::MarketCalendar::default(),
            "2026-11-23".parse().unwrap(),
        )
        .unwrap();
        let instrument = master.get("NSE:INFY").unwrap();
        let sold = crate::trading::paper::fill_effect(&day2, instrument, &fill, dec!(1520)).position;
        assert_eq!((sold.position.quantity, sold.holding_quantity()), (6, 6));
        let book = valuation(&[sold], |_| dec!(1520));
        let day = &book.positions[0];
        assert_eq!(day.realized_pnl, dec!(79.60), "4 × (1,520.00 − 1,500.10)");
        assert_eq!((day.quantity, day.sell_quantity, day.mtm), (0, 4, dec!(79.60)));
        assert_eq!(
            (book.holdings[0].quantity, book.holdings[0].value),
            (6, dec!(9120))
        );
    }

    #[test]
    fn a_live_account_values_like_the_paper_book_to_the_hand_checked_paisa() {
        use crate::broker::live::{LiveFunds, LiveHolding, LivePosition};
        let yes_bank = InstrumentKey::new(Exchange::Nse, "YESBANK");
        let holding = LiveHolding {
            isin: "INE528G01035".into(),
            instrument_key: "NSE_EQ|INE528G01035".into(),
            trading_symbol: "YESBANK".into(),
            company_name: "YES BANK LTD.".into(),
            exchange: "NSE".into(),
            quantity: 36,
            t1_quantity: 0,
            average_price: dec!(18.75),
            last_price: dec!(17.05),
            close_price: dec!(17.05),
            pnl: dec!(-61.2),
            day_change: Decimal::ZERO,
        };
        // 36 × 17.05 = 613.80 against 36 × 18.75 = 675.00: −61.20, i.e. −9.0666…% → −9.07%.
        let valued = value_live_holding(&holding, yes_bank.clone());
        assert_eq!(
            (valued.value, valued.pnl, valued.pnl_pct),
            (dec!(613.80), dec!(-61.20), dec!(-9.07))
        );
        let gifted = LiveHolding {
            average_price: Decimal::ZERO,
            ..holding
        };
        assert_eq!(
            value_live_holding(&gifted, yes_bank).pnl_pct,
            Decimal::ZERO,
            "no cost, no percentage"
        );

        let position = LivePosition {
            instrument_key: "NSE_EQ|INE002A01018".into(),
            trading_symbol: "RELIANCE".into(),
            exchange: "NSE".into(),
            product: Product::Intraday,
            quantity: 2,
            overnight_quantity: 0,
            day_buy_quantity: 5,
            day_sell_quantity: 3,
            average_price: Some(dec!(2449.95)),
            last_price: dec!(2460.00),
            close_price: dec!(2440.00),
            pnl: dec!(50.25),
            realised: dec!(30.15),
            unrealised: dec!(20.10),
        };
        let p = value_live_position(&position, InstrumentKey::new(Exchange::Nse, "RELIANCE"));
        // Sold 3 at 2,460.00 (3 × 10.05 = 30.15 realized); 2 left, marked at 2,460.00 (20.10 unrealized).
        assert_eq!(
            (p.mtm, p.realized_pnl, p.unrealized_pnl),
            (dec!(50.25), dec!(30.15), dec!(20.10))
        );
        assert_eq!(
            (p.buy_quantity, p.sell_quantity, p.charges),
            (5, 3, Decimal::ZERO)
        );

        let funds = live_funds(&LiveFunds {
            available_margin: dec!(15507.46),
            used_margin: dec!(0.80),
            payin: dec!(200.00),
        });
        assert_eq!(
            (funds.cash, funds.margin_used, funds.margin_available, funds.payin),
            (dec!(15508.26), dec!(0.80), dec!(15507.46), dec!(200.00))
        );
    }
}
