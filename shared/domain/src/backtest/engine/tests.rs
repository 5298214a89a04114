//! Hand-checked runs of each strategy on short series (every trade and the final equity worked out on
//! paper, in the comments), and properties of every run.

use chrono::Duration;
use proptest::prelude::{prop_assert, prop_assert_eq, prop_oneof, proptest};
use proptest::strategy::Strategy as _;
use rust_decimal_macros::dec;

use super::*;
use crate::backtest::request::{Bollinger, Breakout, Crossover, RsiReversion};
use crate::trading::charges::ChargeSegment;

/// Daily bars from 4 May 2026 (09:15 IST), one a day, from (open, high, low, close).
fn bars(ohlc: &[(Decimal, Decimal, Decimal, Decimal)]) -> Series {
    let first: DateTime<Utc> = "2026-05-04T03:45:00Z".parse().unwrap();
    Series::new(
        ohlc.iter()
            .enumerate()
            .map(|(t, (open, high, low, close))| Candle {
                start: first + Duration::days(t as i64),
                open: *open,
                high: *high,
                low: *low,
                close: *close,
                volume: 1,
            })
            .collect(),
    )
}

/// Bars from (open, close), high and low at their extremes.
fn oc(pairs: &[(Decimal, Decimal)]) -> Series {
    let ohlc: Vec<_> = pairs
        .iter()
        .map(|(o, c)| (*o, (*o).max(*c), (*o).min(*c), *c))
        .collect();
    bars(&ohlc)
}

fn free() -> Execution<'static> {
    Execution {
        cost: FillCost::Commission { rate: Decimal::ZERO },
        slippage: Decimal::ZERO,
    }
}

fn day(t: i64) -> DateTime<Utc> {
    "2026-05-04T03:45:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::days(t)
}

/// Closes 10 9 8 9 11 12 11 9 8 10. SMA(2) from bar 1: 9.5 8.5 8.5 10 11.5 11.5 10 8.5 9; SMA(3) from bar 2:
/// 9 8.67 9.33 10.67 11.33 10.67 9.33 9. Fast − slow: − − + (bar 4: up) + + − (bar 7: down) − 0.
fn sma_series() -> Series {
    oc(&[
        (dec!(10), dec!(10)),
        (dec!(9.5), dec!(9)),
        (dec!(8.5), dec!(8)),
        (dec!(8.5), dec!(9)),
        (dec!(9.5), dec!(11)),
        (dec!(11.5), dec!(12)),
        (dec!(12), dec!(11)),
        (dec!(10.5), dec!(9)),
        (dec!(8.5), dec!(8)),
        (dec!(9), dec!(10)),
    ])
}

const SMA: Strategy = Strategy::SmaCrossover(Crossover { fast: 2, slow: 3 });

#[test]
fn an_sma_crossover_enters_the_bar_after_the_cross_up_and_exits_the_bar_after_the_cross_down() {
    let out = run(&SMA, &sma_series(), dec!(1000), &free()).unwrap();
    // Up at bar 4's close → bought at bar 5's open 11.50: 86 units (989.00), 11.00 left. Down at bar 7 → sold at
    // bar 8's open 8.50: 731.00, cash 742.00.
    assert_eq!(out.trades.len(), 1);
    let t = &out.trades[0];
    assert_eq!((t.entry_signal_at, t.entry_at), (day(4), day(5)));
    assert_eq!((t.exit_signal_at, t.exit_at), (Some(day(7)), Some(day(8))));
    assert_eq!(
        (t.entry_price, t.exit_price, t.quantity),
        (dec!(11.5), Some(dec!(8.5)), 86)
    );
    assert_eq!((t.gross_pnl, t.net_pnl), (dec!(-258), dec!(-258)));
    assert_eq!(t.return_pct, dec!(-26.0870), "−258 / 989 × 100");
    assert_eq!((t.bars_held, t.status), (3, TradeStatus::Closed));
    // 1000 until bar 4; 11 + 86 × (12, 11, 9); then 742.
    let expected: Vec<Decimal> = [1000, 1000, 1000, 1000, 1000, 1043, 957, 785, 742, 742]
        .into_iter()
        .map(Decimal::from)
        .collect();
    assert_eq!(out.equity, expected);
    assert_eq!(out.bars_in_market, 3);
}

#[test]
fn commission_and_slippage_move_the_fills_and_the_cash_to_the_hand_checked_paisa() {
    let execution = Execution {
        cost: FillCost::Commission { rate: dec!(0.001) },
        slippage: dec!(0.001),
    };
    let out = run(&SMA, &sma_series(), dec!(1000), &execution).unwrap();
    // Buy at 11.50 × 1.001 = 11.5115: floor(1000 / (11.5115 × 1.001)) = 86; 989.989 + 0.989989 commission.
    // Sell at 8.50 × 0.999 = 8.4915: 730.269 − 0.730269. Net = −3.02 × 86 − 1.720258 = −261.440258.
    let t = &out.trades[0];
    assert_eq!(
        (t.entry_price, t.quantity, t.entry_commission),
        (dec!(11.5115), 86, dec!(0.989989))
    );
    assert_eq!(
        (t.exit_price, t.exit_commission),
        (Some(dec!(8.4915)), Some(dec!(0.730269)))
    );
    assert_eq!((t.gross_pnl, t.net_pnl), (dec!(-259.72), dec!(-261.440258)));
    assert_eq!(out.equity.last(), Some(&dec!(738.559742)));
    assert_eq!(out.total_commission, dec!(1.720258));
}

#[test]
fn statutory_charges_are_the_paper_brokers_dated_table() {
    let schedule = ChargeSchedule::shipped().unwrap();
    let plan = BrokeragePlan::default();
    let execution = Execution {
        cost: FillCost::Statutory {
            schedule: &schedule,
            plan: &plan,
            segment: ChargeSegment::EquityDelivery,
        },
        slippage: Decimal::ZERO,
    };
    let out = run(&SMA, &sma_series(), dec!(1000), &execution).unwrap();
    // Buy 86 at 11.50 = 989.00: STT 0.99 (0.989), NSE 0.03 (0.0293733), IPF 0.00, SEBI 0.00, stamp 0.15
    // (0.14835), GST 18% of 0.03 = 0.01: 1.18. Sell 86 at 8.50 = 731.00: STT 0.73, NSE 0.02 (0.0217107),
    // GST 0.00 (0.0036): 0.75. Cash 1000 − 990.18 + 730.25 = 740.07.
    let t = &out.trades[0];
    assert_eq!(
        (t.quantity, t.entry_commission, t.exit_commission),
        (86, dec!(1.18), Some(dec!(0.75)))
    );
    assert_eq!(out.equity.last(), Some(&dec!(740.07)));
    let before_the_table = Series::new(
        sma_series()
            .bars
            .iter()
            .map(|b| Candle {
                start: b.start - Duration::days(365),
                ..*b
            })
            .collect(),
    );
    assert!(
        run(&SMA, &before_the_table, dec!(1000), &execution).is_err(),
        "no rates before 2026-04-01"
    );
}

#[test]
fn an_ema_crossover_never_enters_on_a_start_above_and_a_last_bar_signal_only_fills_if_a_bar_follows() {
    // EMA(2) seeded 10.5 at bar 1: 11.5 11.17 10.39 9.46 9.82 11.27 12.42; EMA(3) seeded 11 at bar 2: 11 10.5
    // 9.75 9.88 10.94 11.97. Fast above from the start (no entry), down at bar 4 (flat: ignored), up at bar 7.
    let closes = [10, 11, 12, 11, 10, 9, 10, 12, 13];
    let pairs: Vec<_> = closes
        .iter()
        .enumerate()
        .map(|(t, c)| {
            (
                if t == 8 { dec!(12.5) } else { Decimal::from(*c) },
                Decimal::from(*c),
            )
        })
        .collect();
    let strategy = Strategy::EmaCrossover(Crossover { fast: 2, slow: 3 });
    let cut = oc(&pairs[..8]);
    let out = run(&strategy, &cut, dec!(1000), &free()).unwrap();
    assert!(out.trades.is_empty(), "the cross up on the last bar never fills");
    assert!(out.equity.iter().all(|e| *e == dec!(1000)));
    // With a ninth bar the entry fills at its open 12.50: 80 units, left open and marked at the close 13.
    let out = run(&strategy, &oc(&pairs), dec!(1000), &free()).unwrap();
    let t = &out.trades[0];
    assert_eq!((t.entry_at, t.entry_price, t.quantity), (day(8), dec!(12.5), 80));
    assert_eq!(
        (t.status, t.mark_price, t.gross_pnl),
        (TradeStatus::Open, Some(dec!(13)), dec!(40))
    );
    assert_eq!((t.exit_at, t.bars_held), (None, 0));
    assert_eq!(out.equity.last(), Some(&dec!(1040)));
}

#[test]
fn rsi_reversion_buys_below_lower_and_sells_above_upper() {
    // Moves −1 −1 +1 +1 +1 −1. RSI(2): bar 2 = 0 (buy), bar 3 = 50, bar 4 = 75 (sell), bar 5 = 87.5, bar 6 =
    // 43.75. Bought at bar 3's open 8.50: 117 units (994.50), 5.50 left; sold at bar 5's open 10.50: 1,228.50.
    let strategy = Strategy::RsiReversion(RsiReversion {
        period: 2,
        lower: 30.0,
        upper: 70.0,
    });
    let series = oc(&[
        (dec!(10), dec!(10)),
        (dec!(10), dec!(9)),
        (dec!(9), dec!(8)),
        (dec!(8.5), dec!(9)),
        (dec!(9), dec!(10)),
        (dec!(10.5), dec!(11)),
        (dec!(11), dec!(10)),
    ]);
    let out = run(&strategy, &series, dec!(1000), &free()).unwrap();
    assert_eq!(out.trades.len(), 1);
    let t = &out.trades[0];
    assert_eq!((t.entry_at, t.entry_price, t.quantity), (day(3), dec!(8.5), 117));
    assert_eq!(
        (t.exit_at, t.exit_price, t.gross_pnl),
        (Some(day(5)), Some(dec!(10.5)), dec!(234))
    );
    assert_eq!(out.equity.last(), Some(&dec!(1234)));
}

#[test]
fn a_breakout_buys_above_the_channel_and_sells_below_it() {
    // Channel of the 2 bars before: bar 2 closes 11 above 10.8 (buy at bar 3's open 11.10: 90 units, 1.00
    // left); bar 4 closes 10.05 below 10.10 (sell at bar 5's open 10.00: cash 901).
    let strategy = Strategy::Breakout(Breakout { lookback: 2 });
    let series = bars(&[
        (dec!(10), dec!(10.5), dec!(9.5), dec!(10)),
        (dec!(10), dec!(10.8), dec!(9.8), dec!(10.2)),
        (dec!(10.2), dec!(11.2), dec!(10.1), dec!(11)),
        (dec!(11.1), dec!(11.5), dec!(10.9), dec!(11.3)),
        (dec!(11.2), dec!(11.3), dec!(10), dec!(10.05)),
        (dec!(10), dec!(10.2), dec!(9.9), dec!(10.1)),
    ]);
    let out = run(&strategy, &series, dec!(1000), &free()).unwrap();
    let t = &out.trades[0];
    assert_eq!((t.entry_at, t.entry_price, t.quantity), (day(3), dec!(11.1), 90));
    assert_eq!(
        (t.exit_at, t.exit_price, t.gross_pnl),
        (Some(day(5)), Some(dec!(10.0)), dec!(-99))
    );
    assert_eq!(
        out.equity,
        [
            dec!(1000),
            dec!(1000),
            dec!(1000),
            dec!(1018),
            dec!(905.5),
            dec!(901)
        ]
    );
}

#[test]
fn bollinger_reversion_buys_below_the_lower_band_and_sells_back_above_the_mean() {
    // Bar 3: mean 9, σ √2 → lower 7.59, close 7 below (buy at bar 4's open 8: 125 units). Bar 4: mean 8.67,
    // close 9 above (sell at bar 5's open 10.50: 1,312.50). Bar 6 closes on its mean 10: not above.
    let strategy = Strategy::BollingerReversion(Bollinger {
        period: 3,
        stddev: 1.0,
    });
    let series = oc(&[
        (dec!(10), dec!(10)),
        (dec!(10), dec!(10)),
        (dec!(10), dec!(10)),
        (dec!(9), dec!(7)),
        (dec!(8), dec!(9)),
        (dec!(10.5), dec!(11)),
        (dec!(11), dec!(10)),
    ]);
    let out = run(&strategy, &series, dec!(1000), &free()).unwrap();
    assert_eq!(out.trades.len(), 1);
    let t = &out.trades[0];
    assert_eq!((t.entry_at, t.entry_price, t.quantity), (day(4), dec!(8), 125));
    assert_eq!((t.exit_price, t.gross_pnl), (Some(dec!(10.5)), dec!(312.5)));
    assert_eq!(out.equity.last(), Some(&dec!(1312.5)));
}

/// Cash and units at every bar's close, replayed from the trades alone.
fn replay(series: &Series, out: &Outcome, capital: Decimal) -> Vec<(Decimal, i64)> {
    let index = |at: DateTime<Utc>| series.bars.iter().position(|b| b.start == at).unwrap();
    let mut states = Vec::new();
    let (mut cash, mut units) = (capital, 0_i64);
    for (t, _) in series.bars.iter().enumerate() {
        for trade in &out.trades {
            if index(trade.entry_at) == t {
                cash -= Decimal::from(trade.quantity) * trade.entry_price + trade.entry_commission;
                units += trade.quantity;
            }
            if trade.exit_at.map(index) == Some(t) {
                let (price, commission) = (trade.exit_price.unwrap(), trade.exit_commission.unwrap());
                cash += Decimal::from(trade.quantity) * price - commission;
                units -= trade.quantity;
            }
        }
        states.push((cash, units));
    }
    states
}

fn any_strategy() -> impl proptest::strategy::Strategy<Value = Strategy> {
    prop_oneof![
        (1_u32..5, 5_u32..12).prop_map(|(fast, slow)| Strategy::SmaCrossover(Crossover { fast, slow })),
        (1_u32..5, 5_u32..12).prop_map(|(fast, slow)| Strategy::EmaCrossover(Crossover { fast, slow })),
        (2_u32..10).prop_map(|period| Strategy::RsiReversion(RsiReversion {
            period,
            lower: 35.0,
            upper: 65.0
        })),
        (1_u32..10).prop_map(|lookback| Strategy::Breakout(Breakout { lookback })),
        (2_u32..10).prop_map(|period| Strategy::BollingerReversion(Bollinger { period, stddev: 1.5 })),
    ]
}

proptest! {
    #[test]
    fn equity_is_cash_plus_units_at_the_close_no_trade_fills_on_its_signal_bar_and_cash_never_goes_negative(
        strategy in any_strategy(),
        moves in proptest::collection::vec((-300_i64..300, -300_i64..300), 2..120),
        commission in 0_i64..50,
        slippage in 0_i64..50,
    ) {
        let mut price = 10_000_i64;
        let pairs: Vec<(Decimal, Decimal)> = moves
            .iter()
            .map(|(gap, day_move)| {
                let open = (price + gap).max(100);
                price = (open + day_move).max(100);
                (Decimal::new(open, 2), Decimal::new(price, 2))
            })
            .collect();
        let series = oc(&pairs);
        let execution = Execution {
            cost: FillCost::Commission { rate: Decimal::new(commission, 4) },
            slippage: Decimal::new(slippage, 4),
        };
        let capital = dec!(100000);
        let out = run(&strategy, &series, capital, &execution).unwrap();
        let states = replay(&series, &out, capital);
        for (t, ((cash, units), equity)) in states.iter().zip(&out.equity).enumerate() {
            prop_assert_eq!(*equity, *cash + Decimal::from(*units) * series.bars[t].close);
            prop_assert!(*cash >= Decimal::ZERO, "cash {} at bar {}", cash, t);
        }
        for trade in &out.trades {
            prop_assert!(trade.entry_at > trade.entry_signal_at);
            prop_assert!(trade.exit_at.zip(trade.exit_signal_at).is_none_or(|(at, signal)| at > signal));
            prop_assert!(trade.quantity > 0);
        }
    }

    #[test]
    fn marking_a_position_is_decimal_arithmetic_to_the_last_digit_and_scale(
        cash in (0_i64..i64::MAX, 0_u32..12),
        quantity in 0_i64..10_000_000,
        close in (1_i64..100_000_000, 0_u32..6),
    ) {
        let (cash, close) = (Decimal::new(cash.0, cash.1), Decimal::new(close.0, close.1));
        let expected = cash + Decimal::from(quantity) * close;
        prop_assert_eq!(marked(cash, quantity, close).to_string(), expected.to_string());
    }
}

#[test]
fn a_percentage_rounds_half_to_even_in_the_fourth_place() {
    assert_eq!(percent_of(dec!(1), dec!(3)), dec!(33.3333));
    assert_eq!(percent_of(dec!(-2), dec!(3)), dec!(-66.6667));
    assert_eq!(
        percent_of(dec!(0.000001), dec!(2)),
        dec!(0),
        "0.00005 rounds to even"
    );
    assert_eq!(
        percent_of(dec!(0.000003), dec!(2)),
        dec!(0.0002),
        "0.00015 rounds to even"
    );
    assert_eq!(percent_of(dec!(-0.000003), dec!(2)), dec!(-0.0002));
    assert_eq!(percent_of(dec!(5), dec!(0)), dec!(0));
    assert_eq!(percent_of(dec!(1.5), dec!(10)).to_string(), "15");
}

proptest! {
    #[test]
    fn an_entry_buys_the_most_units_its_cash_covers(
        cash in (1_i64..1_000_000_000_000, 0_u32..6),
        price in (5_i64..100_000_000, 0_u32..6),
        rate in 0_i64..500,
    ) {
        let (cash, price) = (Decimal::new(cash.0, cash.1), Decimal::new(price.0, price.1));
        let cost = FillCost::Commission { rate: Decimal::new(rate, 4) };
        let at = day(0);
        let quantity = cost.affordable(cash, price, at).unwrap();
        let total = |q: i64| Decimal::from(q) * price + cost.of(Side::Buy, q, price, at).unwrap();
        prop_assert!(quantity >= 0);
        prop_assert!(quantity == 0 || total(quantity) <= cash);
        prop_assert!(total(quantity + 1) > cash, "{} more would do", quantity + 1);
    }

    #[test]
    fn a_percentage_is_within_half_a_unit_of_its_fourth_place(
        part in (-1_000_000_000_000_i64..1_000_000_000_000, 0_u32..8),
        whole in (1_i64..1_000_000_000_000, 0_u32..8),
    ) {
        let (part, whole) = (Decimal::new(part.0, part.1), Decimal::new(whole.0, whole.1));
        let pct = percent_of(part, whole);
        prop_assert!(pct.scale() <= 4);
        let error = (pct * whole - part * Decimal::ONE_HUNDRED).abs();
        prop_assert!(error <= dec!(0.00005) * whole, "{} of {} is not {}", part, whole, pct);
    }
}

#[test]
fn marking_beyond_the_mantissa_falls_back_to_decimal_arithmetic() {
    let cash = Decimal::new(1, 28);
    let close = dec!(79228162514264.3);
    assert_eq!(marked(cash, 1, close), cash + close);
}
