//! Trade statistics: the round trips (closed FIFO lots, [`crate::analytics::tax::closed_lots`]) of a date
//! range grouped by instrument, day, weekday, hour or product, each group with its count, wins and
//! losses, win rate, P&L and charges. A trade wins when its P&L after its charges is above zero. The `day`
//! grouping is the P&L calendar a frontend draws as a heat map.

use std::collections::BTreeMap;

use chrono::{Datelike as _, NaiveDate, Timelike as _};
use rust_decimal::Decimal;

use crate::analytics::tax::ClosedLot;
use crate::kernel::money::paise;
use crate::kernel::time::ist;
use crate::trading::request::Product;

/// How trades are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// By instrument key.
    Instrument,
    /// By the IST date the trade closed (`2026-11-25`).
    Day,
    /// By the IST weekday it closed (`1 Mon` … `7 Sun`, so they sort in week order).
    Weekday,
    /// By the IST hour it closed (`09` … `15`).
    Hour,
    /// By product (`INTRADAY`, `DELIVERY`).
    Product,
}

impl GroupBy {
    /// Parses `instrument`, `day`, `weekday`, `hour` or `product`.
    pub fn parse(text: &str) -> Option<GroupBy> {
        match text {
            "instrument" => Some(GroupBy::Instrument),
            "day" => Some(GroupBy::Day),
            "weekday" => Some(GroupBy::Weekday),
            "hour" => Some(GroupBy::Hour),
            "product" => Some(GroupBy::Product),
            _ => None,
        }
    }

    /// The group `lot` falls in.
    fn key(self, lot: &ClosedLot) -> String {
        let closed = lot.closed_at.with_timezone(&ist());
        match self {
            GroupBy::Instrument => lot.instrument.to_string(),
            GroupBy::Day => lot.closed_on.to_string(),
            GroupBy::Weekday => format!("{} {}", closed.weekday().number_from_monday(), closed.weekday()),
            GroupBy::Hour => format!("{:02}", closed.hour()),
            GroupBy::Product => match lot.product {
                Product::Intraday => "INTRADAY".to_owned(),
                Product::Delivery => "DELIVERY".to_owned(),
            },
        }
    }
}

/// One group's statistics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TradeGroup {
    /// The group (see [`GroupBy`]).
    pub key: String,
    /// Trades closed.
    pub trades: usize,
    /// Trades whose P&L after charges was above zero.
    pub wins: usize,
    /// Trades whose P&L after charges was below zero.
    pub losses: usize,
    /// P&L before charges.
    pub gross_pnl: Decimal,
    /// Charges.
    pub charges: Decimal,
    /// P&L after charges.
    pub net_pnl: Decimal,
}

impl TradeGroup {
    /// Wins over trades (0 to 1), to 4 places; zero without trades.
    pub fn win_rate(&self) -> Decimal {
        if self.trades == 0 {
            return Decimal::ZERO;
        }
        (Decimal::from(self.wins) / Decimal::from(self.trades)).round_dp(4)
    }
}

/// The trades of `lots` closed from `from` to `to` (IST dates, inclusive), grouped `by`, in key order.
pub fn trade_groups(lots: &[ClosedLot], from: NaiveDate, to: NaiveDate, by: GroupBy) -> Vec<TradeGroup> {
    let mut groups: BTreeMap<String, TradeGroup> = BTreeMap::new();
    for lot in lots.iter().filter(|l| (from..=to).contains(&l.closed_on)) {
        let key = by.key(lot);
        let group = groups.entry(key.clone()).or_insert_with(|| TradeGroup {
            key,
            ..TradeGroup::default()
        });
        let charges = lot.charges.total();
        let net = lot.pnl - charges;
        group.trades += 1;
        if net > Decimal::ZERO {
            group.wins += 1;
        } else if net < Decimal::ZERO {
            group.losses += 1;
        }
        group.gross_pnl += lot.pnl;
        group.charges += charges;
        group.net_pnl += net;
    }
    groups
        .into_values()
        .map(|g| TradeGroup {
            gross_pnl: paise(g.gross_pnl),
            charges: paise(g.charges),
            net_pnl: paise(g.net_pnl),
            ..g
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::tax::{TaxHead, closed_lots};
    use crate::kernel::ids::{OrderId, TradeId};
    use crate::market::instrument::InstrumentKey;
    use crate::trading::charges::Charges;
    use crate::trading::request::Side;
    use crate::trading::trade::Trade;
    use chrono::{DateTime, Utc};
    use rust_decimal_macros::dec;

    fn fill(n: u64, instrument: &str, product: Product, side: Side, price: Decimal, at: &str) -> Trade {
        Trade {
            id: TradeId::from_ulid(ulid::Ulid::from_parts(n, 1)),
            order_id: OrderId::from_ulid(ulid::Ulid::from_parts(n, 2)),
            instrument: InstrumentKey::parse(instrument).unwrap(),
            side,
            product,
            quantity: 10,
            price,
            charges: Charges {
                brokerage: dec!(1),
                ..Charges::default()
            },
            executed_at: DateTime::parse_from_rfc3339(at).unwrap().with_timezone(&Utc),
        }
    }

    fn week() -> Vec<ClosedLot> {
        use Product::{Delivery, Intraday};
        use Side::{Buy, Sell};
        closed_lots(&[
            // Mon 23 Nov: INFY intraday +10 × 5 = 50, closed at 10:15.
            fill(
                1,
                "NSE:INFY",
                Intraday,
                Buy,
                dec!(100),
                "2026-11-23T09:30:00+05:30",
            ),
            fill(
                2,
                "NSE:INFY",
                Intraday,
                Sell,
                dec!(105),
                "2026-11-23T10:15:00+05:30",
            ),
            // Mon 23 Nov: TCS intraday −10 × 2 = −20, closed at 14:05.
            fill(
                3,
                "NSE:TCS",
                Intraday,
                Buy,
                dec!(200),
                "2026-11-23T13:00:00+05:30",
            ),
            fill(
                4,
                "NSE:TCS",
                Intraday,
                Sell,
                dec!(198),
                "2026-11-23T14:05:00+05:30",
            ),
            // Bought Mon, sold Wed 25 Nov: INFY delivery +10 × 0.15 = 1.50, which its 2.00 of charges turn
            // into a loss after charges; closed at 10:40.
            fill(
                5,
                "NSE:INFY",
                Delivery,
                Buy,
                dec!(100),
                "2026-11-23T11:00:00+05:30",
            ),
            fill(
                6,
                "NSE:INFY",
                Delivery,
                Sell,
                dec!(100.15),
                "2026-11-25T10:40:00+05:30",
            ),
        ])
    }

    #[test]
    fn trades_group_by_day_weekday_hour_instrument_and_product_with_hand_checked_figures() {
        let lots = week();
        assert_eq!(lots.len(), 3);
        assert!(lots.iter().all(|l| l.charges.total() == dec!(2)));
        assert_eq!(lots[2].head, TaxHead::ShortTermCapitalGain);
        let (from, to) = ("2026-11-23".parse().unwrap(), "2026-11-29".parse().unwrap());
        let by = |g| trade_groups(&lots, from, to, g);
        let days = by(GroupBy::Day);
        // Monday: 50 − 20 = 30 gross, 4 of charges, 26 net; one win, one loss.
        assert_eq!(
            (days[0].key.as_str(), days[0].trades, days[0].wins, days[0].losses),
            ("2026-11-23", 2, 1, 1)
        );
        assert_eq!(
            (days[0].gross_pnl, days[0].charges, days[0].net_pnl),
            (dec!(30), dec!(4), dec!(26))
        );
        assert_eq!(days[0].win_rate(), dec!(0.5));
        // Wednesday: 1.50 gross, −0.50 net: a loss.
        assert_eq!(
            (days[1].key.as_str(), days[1].losses, days[1].net_pnl),
            ("2026-11-25", 1, dec!(-0.50))
        );
        let weekdays: Vec<String> = by(GroupBy::Weekday).into_iter().map(|g| g.key).collect();
        assert_eq!(weekdays, ["1 Mon", "3 Wed"]);
        let hours: Vec<(String, usize)> = by(GroupBy::Hour).into_iter().map(|g| (g.key, g.trades)).collect();
        assert_eq!(hours, [("10".to_owned(), 2), ("14".to_owned(), 1)]);
        let instruments = by(GroupBy::Instrument);
        assert_eq!(
            (instruments[0].key.as_str(), instruments[0].gross_pnl),
            ("NSE:INFY", dec!(51.50))
        );
        let products: Vec<(String, Decimal)> = by(GroupBy::Product)
            .into_iter()
            .map(|g| (g.key, g.net_pnl))
            .collect();
        assert_eq!(
            products,
            [
                ("DELIVERY".to_owned(), dec!(-0.50)),
                ("INTRADAY".to_owned(), dec!(26))
            ]
        );
        // The range is inclusive and filters by the closing date.
        let monday = trade_groups(&lots, from, from, GroupBy::Day);
        assert_eq!(monday.len(), 1);
        assert_eq!(GroupBy::parse("month"), None);
    }
}
