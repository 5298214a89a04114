//! Hand-checked: FIFO across the 12-month boundary with partial sells, F&O turnover, intraday equity,
//! financial years.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use ulid::Ulid;

use super::*;
use crate::kernel::ids::{OrderId, TradeId};

fn at(date: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{date}T10:00:00+05:30"))
        .unwrap()
        .with_timezone(&Utc)
}

fn charges(stt: Decimal, brokerage: Decimal, stamp: Decimal, gst: Decimal) -> Charges {
    Charges {
        brokerage,
        stt,
        transaction: Decimal::ZERO,
        ipf: Decimal::ZERO,
        sebi: Decimal::ZERO,
        stamp,
        gst,
    }
}

fn fill(
    n: u64,
    instrument: &str,
    product: Product,
    (side, quantity, price): (Side, i64, Decimal),
    date: &str,
    c: Charges,
) -> Trade {
    Trade {
        id: TradeId::from_ulid(Ulid::from_parts(n, 1)),
        order_id: OrderId::from_ulid(Ulid::from_parts(n, 2)),
        instrument: InstrumentKey::parse(instrument).unwrap(),
        side,
        product,
        quantity,
        price,
        charges: c,
        executed_at: at(date),
    }
}

fn year(text: &str) -> FinancialYear {
    FinancialYear::parse(text).unwrap()
}

#[test]
fn delivery_lots_are_matched_first_in_first_out_and_split_at_twelve_months() {
    let none = Decimal::ZERO;
    let fills = [
        // Sold first in the list: order does not matter, time does.
        fill(
            3,
            "NSE:INFY",
            Product::Delivery,
            (Side::Sell, 15, dec!(1500)),
            "2026-07-01",
            charges(dec!(22.50), dec!(20), none, dec!(3.60)),
        ),
        fill(
            1,
            "NSE:INFY",
            Product::Delivery,
            (Side::Buy, 10, dec!(1000)),
            "2025-06-10",
            charges(dec!(10), none, dec!(1.50), none),
        ),
        fill(
            2,
            "NSE:INFY",
            Product::Delivery,
            (Side::Buy, 10, dec!(1200)),
            "2026-01-15",
            charges(dec!(12), none, dec!(1.80), none),
        ),
        fill(
            4,
            "NSE:INFY",
            Product::Delivery,
            (Side::Sell, 5, dec!(1100)),
            "2027-02-01",
            charges(dec!(5.50), dec!(20), none, dec!(3.60)),
        ),
    ];
    let report = tax_report(&fills, year("2026-27"));
    // Lot A: the 10 bought 10 Jun 2025, sold 1 Jul 2026 (past 10 Jun 2026): long term, 10 × 500 = 5,000.
    // Lot B: 5 of those bought 15 Jan 2026, sold 1 Jul 2026: short term, 5 × 300 = 1,500.
    // Lot C: the other 5, sold 1 Feb 2027 (past 15 Jan 2027): long term, 5 × −100 = −500.
    let heads: Vec<(TaxHead, i64, Decimal)> =
        report.lots.iter().map(|l| (l.head, l.quantity, l.pnl)).collect();
    assert_eq!(
        heads,
        vec![
            (TaxHead::LongTermCapitalGain, 10, dec!(5000)),
            (TaxHead::ShortTermCapitalGain, 5, dec!(1500)),
            (TaxHead::LongTermCapitalGain, 5, dec!(-500)),
        ]
    );
    let long = &report.heads[&TaxHead::LongTermCapitalGain];
    // Charges in proportion to units: A takes all of the first buy's (STT 10, stamp 1.50) and 10/15 of the
    // first sale's (STT 15, brokerage 13.33…, GST 2.40); C half the second buy's (STT 6, stamp 0.90) and all
    // of the second sale's (STT 5.50, brokerage 20, GST 3.60). STT 36.50 is not deductible; the rest
    // 1.50 + 13.333… + 2.40 + 0.90 + 20 + 3.60 = 41.733… → 41.73.
    assert_eq!(long.lots, 2);
    assert_eq!((long.sale_value, long.cost), (dec!(20500), dec!(16000)));
    assert_eq!(long.gross_pnl, dec!(4500));
    assert_eq!(long.stt, dec!(36.50));
    assert_eq!(long.deductible_charges, dec!(41.73));
    assert_eq!(long.net_pnl, dec!(4458.27));
    assert_eq!(long.turnover, Decimal::ZERO);
    // B: half the second buy's (STT 6, stamp 0.90) and 5/15 of the first sale's (STT 7.50, brokerage
    // 6.666…, GST 1.20): deductible 8.766… → 8.77, net 1,491.23.
    let short = &report.heads[&TaxHead::ShortTermCapitalGain];
    assert_eq!(
        (short.lots, short.gross_pnl, short.stt),
        (1, dec!(1500), dec!(13.50))
    );
    assert_eq!(
        (short.deductible_charges, short.net_pnl),
        (dec!(8.77), dec!(1491.23))
    );
    // Nothing closed in 2025-26.
    let earlier = tax_report(&fills, year("2025-26"));
    assert!(earlier.lots.is_empty());
    assert_eq!(
        earlier.heads[&TaxHead::LongTermCapitalGain],
        HeadSummary::default()
    );
}

#[test]
fn derivatives_are_business_income_with_turnover_the_sum_of_absolute_results() {
    let c = charges(dec!(2), dec!(20), dec!(0.50), dec!(3.60));
    let fills = [
        // A short call bought back: 65 × (120 − 80) = 2,600, opened with a sale.
        fill(
            1,
            "NFO:NIFTY26D0126000CE",
            Product::Delivery,
            (Side::Sell, 65, dec!(120)),
            "2026-11-25",
            c,
        ),
        fill(
            2,
            "NFO:NIFTY26D0126000CE",
            Product::Delivery,
            (Side::Buy, 65, dec!(80)),
            "2026-11-27",
            c,
        ),
        // A future bought and sold lower: 65 × (25,900 − 26,000) = −6,500.
        fill(
            3,
            "NFO:NIFTY26DECFUT",
            Product::Intraday,
            (Side::Buy, 65, dec!(26000)),
            "2026-11-25",
            c,
        ),
        fill(
            4,
            "NFO:NIFTY26DECFUT",
            Product::Intraday,
            (Side::Sell, 65, dec!(25900)),
            "2026-11-25",
            c,
        ),
    ];
    let report = tax_report(&fills, year("2026-27"));
    // Lots come in closing order: the future closed on the 25th, the call on the 27th.
    assert_eq!(report.lots[1].instrument.as_str(), "NFO:NIFTY26D0126000CE");
    assert_eq!(
        (report.lots[1].opened_with, report.lots[1].pnl),
        (Side::Sell, dec!(2600))
    );
    let fno = &report.heads[&TaxHead::FuturesAndOptions];
    // Gross −3,900; turnover |2,600| + |−6,500| = 9,100; every charge deductible, STT too: 4 × 26.10.
    assert_eq!(
        (fno.lots, fno.gross_pnl, fno.turnover),
        (2, dec!(-3900), dec!(9100))
    );
    assert_eq!((fno.stt, fno.deductible_charges), (dec!(8), dec!(104.40)));
    assert_eq!(fno.net_pnl, dec!(-4004.40));
    assert_eq!(report.heads[&TaxHead::IntradayEquity], HeadSummary::default());
}

#[test]
fn intraday_and_same_day_delivery_equity_are_speculative() {
    let none = charges(Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let fills = [
        fill(
            1,
            "NSE:TCS",
            Product::Intraday,
            (Side::Buy, 10, dec!(100)),
            "2026-05-04",
            none,
        ),
        fill(
            2,
            "NSE:TCS",
            Product::Intraday,
            (Side::Sell, 10, dec!(105)),
            "2026-05-04",
            none,
        ),
        fill(
            3,
            "NSE:SBIN",
            Product::Delivery,
            (Side::Buy, 4, dec!(800)),
            "2026-05-04",
            none,
        ),
        fill(
            4,
            "NSE:SBIN",
            Product::Delivery,
            (Side::Sell, 4, dec!(790)),
            "2026-05-04",
            none,
        ),
        // Still held: no lot.
        fill(
            5,
            "NSE:SBIN",
            Product::Delivery,
            (Side::Buy, 3, dec!(790)),
            "2026-05-05",
            none,
        ),
    ];
    let report = tax_report(&fills, year("2026-27"));
    let intraday = &report.heads[&TaxHead::IntradayEquity];
    // 10 × 5 = 50 and 4 × −10 = −40: gross 10, turnover 90.
    assert_eq!(
        (intraday.lots, intraday.gross_pnl, intraday.turnover),
        (2, dec!(10), dec!(90))
    );
    assert_eq!(report.lots.len(), 2);
}

#[test]
fn financial_years_run_from_april_to_march() {
    let fy = year("2026-27");
    assert_eq!(
        (fy.first_day().to_string(), fy.last_day().to_string()),
        ("2026-04-01".into(), "2027-03-31".into())
    );
    assert_eq!(fy.label(), "2026-27");
    assert_eq!(FinancialYear::of("2027-03-31".parse().unwrap()), fy);
    assert_eq!(
        FinancialYear::of("2027-04-01".parse().unwrap()).label(),
        "2027-28"
    );
    for bad in ["2026-28", "26-27", "2026/27", "2026-2027", "", "abcd-ef"] {
        assert_eq!(FinancialYear::parse(bad), None, "{bad}");
    }
}
