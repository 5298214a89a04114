//! The replay by hand: a delivery buy and an option bought one session, partly and wholly sold the next,
//! each session marked at its close.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use ulid::Ulid;

use super::*;
use crate::kernel::ids::{OrderId, TradeId, UserId};
use crate::trading::account::PaperAccount;
use crate::trading::charges::Charges;
use crate::trading::request::Side;

pub(crate) fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// Fill `n`: `quantity` of `instrument` at `price` on `side`, paying `charges` (all brokerage), at `when`.
pub(crate) fn fill(
    n: u64,
    instrument: &str,
    product: Product,
    (side, quantity, price): (Side, i64, Decimal),
    charges: Decimal,
    when: &str,
) -> Trade {
    Trade {
        id: TradeId::from_ulid(Ulid::from_parts(n, 1)),
        order_id: OrderId::from_ulid(Ulid::from_parts(n, 2)),
        instrument: InstrumentKey::parse(instrument).unwrap(),
        side,
        product,
        quantity,
        price,
        charges: Charges {
            brokerage: charges,
            ..Charges::default()
        },
        executed_at: at(when),
    }
}

const INFY: &str = "NSE:INFY";
const CALL: &str = "NFO:NIFTY26DEC24000CE";

fn account() -> PaperAccount {
    PaperAccount {
        user_id: UserId::from_ulid(Ulid::from_parts(7, 7)),
        cash: dec!(1000000.00),
        available: dec!(1000000.00),
        initial_cash: dec!(1000000.00),
        funded_at: at("2026-11-30T09:00:00+05:30"),
    }
}

fn closes(marks: &[(&str, Decimal)]) -> HashMap<InstrumentKey, Decimal> {
    marks
        .iter()
        .map(|(k, v)| (InstrumentKey::parse(k).unwrap(), *v))
        .collect()
}

#[test]
fn two_sessions_replayed_and_marked_at_their_closes_by_hand() {
    let fills = vec![
        // Tuesday's sales, given first: the replay orders fills by time.
        fill(
            4,
            INFY,
            Product::Delivery,
            (Side::Sell, 4, dec!(1520.00)),
            dec!(1.00),
            "2026-12-01T14:00:00+05:30",
        ),
        fill(
            5,
            CALL,
            Product::Delivery,
            (Side::Sell, 75, dec!(130.00)),
            dec!(4.00),
            "2026-12-01T14:05:00+05:30",
        ),
        fill(
            2,
            INFY,
            Product::Delivery,
            (Side::Buy, 10, dec!(1500.00)),
            dec!(2.00),
            "2026-11-30T10:00:00+05:30",
        ),
        fill(
            3,
            CALL,
            Product::Delivery,
            (Side::Buy, 75, dec!(100.00)),
            dec!(5.00),
            "2026-11-30T11:00:00+05:30",
        ),
        // Before the funding: another book's, left out.
        fill(
            1,
            INFY,
            Product::Intraday,
            (Side::Buy, 1, dec!(1.00)),
            dec!(99.00),
            "2026-11-27T10:00:00+05:30",
        ),
    ];
    let mut replay = Replay::new(account().initial_cash, Some(account().funded_at), fills);

    // Monday: bought 10 INFY at 1,500 and 75 calls at 100, paying 2 + 5. Closes 1,510 and 120.
    let monday = replay.advance_to(at("2026-11-30T15:30:00+05:30"));
    assert_eq!(
        monday,
        SessionActivity {
            realized_pnl: dec!(0),
            charges: dec!(7.00)
        }
    );
    assert_eq!(replay.open_instruments().len(), 2);
    let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let s = replay.snapshot(
        day,
        monday,
        &closes(&[(INFY, dec!(1510.00)), (CALL, dec!(120.00))]),
        vec![],
    );
    assert_eq!(s.cash, dec!(999993.00)); // 10,00,000 − 7
    assert_eq!(s.holdings_value, dec!(15100.00)); // 10 × 1,510
    assert_eq!(s.positions_mtm, dec!(1500.00)); // 75 × (120 − 100)
    assert_eq!(s.unrealized_pnl, dec!(1600.00)); // 100 on INFY + 1,500
    assert_eq!(s.equity, dec!(1001593.00));

    // Tuesday: sold 4 INFY at 1,520 (+80) and the calls at 130 (+2,250), paying 1 + 4. INFY closes 1,490.
    let tuesday = replay.advance_to(at("2026-12-01T15:30:00+05:30"));
    assert_eq!(
        tuesday,
        SessionActivity {
            realized_pnl: dec!(2330.00),
            charges: dec!(5.00)
        }
    );
    assert_eq!(
        replay.open_instruments(),
        vec![InstrumentKey::parse(INFY).unwrap()]
    );
    let day = day.succ_opt().unwrap();
    let s = replay.snapshot(day, tuesday, &closes(&[(INFY, dec!(1490.00))]), vec![]);
    assert_eq!(s.cash, dec!(1002318.00)); // 9,99,993 + 2,330 − 5
    assert_eq!(s.holdings_value, dec!(8940.00)); // 6 × 1,490
    assert_eq!((s.positions_mtm, s.unrealized_pnl), (dec!(0), dec!(-60.00))); // 6 × (1,490 − 1,500)
    assert_eq!(s.equity, dec!(1002258.00));

    // Nothing after: a later session repeats the book with no activity; a missing close marks at cost.
    let quiet = replay.advance_to(at("2026-12-02T15:30:00+05:30"));
    assert_eq!(quiet, SessionActivity::default());
    let s = replay.snapshot(day.succ_opt().unwrap(), quiet, &HashMap::new(), vec![]);
    assert_eq!((s.unrealized_pnl, s.equity), (dec!(0), dec!(1002318.00)));
}

#[test]
fn a_short_option_is_a_position_not_a_holding_and_a_flow_is_reported() {
    let fills = vec![fill(
        1,
        CALL,
        Product::Delivery,
        (Side::Sell, 75, dec!(100.00)),
        dec!(0),
        "2026-11-30T10:00:00+05:30",
    )];
    let mut replay = Replay::new(account().initial_cash, Some(account().funded_at), fills);
    let activity = replay.advance_to(at("2026-11-30T15:30:00+05:30"));
    let funding = Funding {
        at: at("2026-11-30T09:00:00+05:30"),
        cash_before: dec!(400000.00),
        cash_after: dec!(1000000.00),
    };
    let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let s = replay.snapshot(day, activity, &closes(&[(CALL, dec!(90.00))]), vec![funding]);
    // Short 75 at 100, marked at 90: +750, and no holdings.
    assert_eq!(
        (s.holdings_value, s.positions_mtm, s.equity),
        (dec!(0), dec!(750.00), dec!(1000750.00))
    );
    assert_eq!(s.flow(), dec!(600000.00));
}
