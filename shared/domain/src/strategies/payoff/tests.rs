//! Hand-checked analyses of the standard strategies (every expected figure worked out on paper in the
//! comments, from the payoff diagram, not from the code's output) and properties of any strategy.
//!
//! The market: NIFTY's forward at 26,000, the first expiry 30 days away (unless a test says otherwise), a
//! 6.5% rate, 14% IV, lots of 65. The spot is the forward discounted to now (a market without dividends).

use chrono::NaiveDate;
use proptest::prelude::{prop_assert, proptest};
use rust_decimal_macros::dec;

use super::*;
use crate::market::instrument::{Exchange, InstrumentKey};
use crate::market::options::{DAYS_PER_YEAR, Valuation};

const FORWARD: f64 = 26_000.0;
const RATE: f64 = 0.065;
const IV: f64 = 0.14;
const LOT: i64 = 65;
const DAYS: f64 = 30.0;
const POINTS: usize = 500;

fn years(days: f64) -> f64 {
    days / DAYS_PER_YEAR
}

fn scenario() -> Scenario {
    Scenario {
        spot: FORWARD * (-RATE * years(DAYS)).exp(),
        atm_iv: IV,
        rate: RATE,
    }
}

fn expiry(days: f64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap() + chrono::Duration::days(days as i64)
}

/// An option on `forward` expiring in `days`, its Greeks from Black-76 at 14%.
#[allow(clippy::too_many_arguments)]
fn option_on(
    option_type: OptionType,
    strike: i64,
    side: Side,
    quantity: i64,
    price: Decimal,
    forward: f64,
    days: f64,
) -> PricedLeg {
    let suffix = match option_type {
        OptionType::Call => "CE",
        OptionType::Put => "PE",
    };
    let spec = OptionSpec {
        model: Model::Black76,
        option_type,
        underlying: forward,
        strike: strike as f64,
        time_years: years(days),
        rate: RATE,
        dividend_yield: 0.0,
    };
    PricedLeg {
        instrument: InstrumentKey::new(Exchange::Nfo, &format!("NIFTY{days}D{strike}{suffix}")),
        contract: LegContract::Option {
            option_type,
            strike: Decimal::from(strike),
            expiry: expiry(days),
        },
        side,
        quantity,
        lot_size: 65,
        price,
        forward,
        time_years: years(days),
        iv: Some(IV),
        greeks: spec.value(IV),
    }
}

/// An option on the 26,000 forward expiring in 30 days.
fn option(option_type: OptionType, strike: i64, side: Side, quantity: i64, price: Decimal) -> PricedLeg {
    option_on(option_type, strike, side, quantity, price, FORWARD, DAYS)
}

fn call(strike: i64, side: Side, quantity: i64, price: Decimal) -> PricedLeg {
    option(OptionType::Call, strike, side, quantity, price)
}

fn put(strike: i64, side: Side, quantity: i64, price: Decimal) -> PricedLeg {
    option(OptionType::Put, strike, side, quantity, price)
}

/// The 30-day future, bought or sold at its forward.
fn future(side: Side, quantity: i64) -> PricedLeg {
    PricedLeg {
        instrument: InstrumentKey::new(Exchange::Nfo, "NIFTY26DECFUT"),
        contract: LegContract::Future { expiry: expiry(DAYS) },
        side,
        quantity,
        lot_size: 65,
        price: dec!(26000),
        forward: FORWARD,
        time_years: years(DAYS),
        iv: None,
        greeks: Valuation {
            price: FORWARD,
            delta: 1.0,
            gamma: 0.0,
            theta: 0.0,
            vega: 0.0,
            rho: 0.0,
        },
    }
}

fn finite(amount: Decimal) -> Extreme {
    Extreme::Finite(amount)
}

/// The lognormal probability that the underlying ends below `x` at the first expiry (30 days), by the
/// formula: `Φ((ln(x / F) + σ²T/2) / (σ√T))`.
fn below(x: f64) -> f64 {
    let total = IV * years(DAYS).sqrt();
    norm_cdf(((x / FORWARD).ln() + 0.5 * total * total) / total)
}

#[test]
fn a_long_straddle_breaks_even_a_premium_either_side_of_its_strike_and_risks_the_premium() {
    // Buy the 26,000 call at 300 and put at 280: 580 paid a unit, 65 × 580 = 37,700. At expiry the P&L is
    // 65 × (|S − 26,000| − 580): zero at 26,000 ∓ 580 = 25,420 and 26,580, −37,700 at the strike (the
    // worst), and it grows one for one above the strike (the call): unlimited profit.
    let legs = [
        call(26_000, Side::Buy, LOT, dec!(300)),
        put(26_000, Side::Buy, LOT, dec!(280)),
    ];
    let analysis = analyze(&legs, &scenario(), POINTS);
    assert_eq!(analysis.net_premium, dec!(37700));
    assert_eq!(analysis.breakevens, vec![dec!(25420), dec!(26580)]);
    assert_eq!(analysis.max_loss, finite(dec!(37700)));
    assert_eq!(analysis.max_profit, Extreme::Unlimited);
}

#[test]
fn a_long_straddle_profits_with_the_lognormal_mass_outside_its_breakevens() {
    // P&L > 0 below 25,420 and above 26,580, so POP = Φ(d(25,420)) + 1 − Φ(d(26,580)) with
    // d(x) = (ln(x / 26,000) + σ²T/2) / (σ√T), σ√T = 0.14 × √(30/365) = 0.040137, σ²T/2 = 0.000805:
    // d(25,420) = (−0.022560 + 0.000805) / 0.040137 = −0.5420, Φ = 0.2939;
    // d(26,580) = (0.022062 + 0.000805) / 0.040137 = 0.5698, 1 − Φ = 0.2844; POP ≈ 0.5783.
    let legs = [
        call(26_000, Side::Buy, LOT, dec!(300)),
        put(26_000, Side::Buy, LOT, dec!(280)),
    ];
    let pop = analyze(&legs, &scenario(), POINTS).probability_of_profit;
    let expected = below(25_420.0) + 1.0 - below(26_580.0);
    assert!((pop - expected).abs() < 1e-9, "{pop} vs {expected}");
    assert!((pop - 0.5783).abs() < 1e-4, "{pop}");
    assert!((0.0..=1.0).contains(&pop));
}

#[test]
fn a_short_strangle_keeps_its_credit_at_best_and_can_lose_without_limit() {
    // Sell the 25,800 put at 150 and the 26,200 call at 170: 320 received a unit, 65 × 320 = 20,800.
    // Between the strikes both expire worthless: +20,800, the best. Above 26,200 the short call loses one
    // for one: unlimited loss. Breakevens 25,800 − 320 = 25,480 and 26,200 + 320 = 26,520.
    let legs = [
        put(25_800, Side::Sell, LOT, dec!(150)),
        call(26_200, Side::Sell, LOT, dec!(170)),
    ];
    let analysis = analyze(&legs, &scenario(), POINTS);
    assert_eq!(analysis.net_premium, dec!(-20800));
    assert_eq!(analysis.max_profit, finite(dec!(20800)));
    assert_eq!(analysis.max_loss, Extreme::Unlimited);
    assert_eq!(analysis.breakevens, vec![dec!(25480), dec!(26520)]);
}

#[test]
fn a_bull_call_spread_risks_its_debit_for_the_width_less_the_debit() {
    // Buy the 26,000 call at 300, sell the 26,200 call at 200: 100 paid a unit, 65 × 100 = 6,500, all lost
    // below 26,000. Above 26,200 the spread is worth its width, 200: (200 − 100) × 65 = 6,500. In between
    // the P&L is 65 × (S − 26,000 − 100): zero at 26,100.
    let legs = [
        call(26_000, Side::Buy, LOT, dec!(300)),
        call(26_200, Side::Sell, LOT, dec!(200)),
    ];
    let analysis = analyze(&legs, &scenario(), POINTS);
    assert_eq!(analysis.net_premium, dec!(6500));
    assert_eq!(analysis.max_loss, finite(dec!(6500)));
    assert_eq!(analysis.max_profit, finite(dec!(6500)));
    assert_eq!(analysis.breakevens, vec![dec!(26100)]);
}

#[test]
fn a_bull_put_spread_breaks_even_at_its_short_strike_less_the_credit() {
    // Sell the 26,000 put at 250, buy the 25,800 put at 170: 80 received a unit (65 × 80 = 5,200), kept
    // above 26,000. Below 25,800 the spread costs its width: (200 − 80) × 65 = 7,800. Between, the P&L is
    // 65 × (80 − (26,000 − S)): zero at 26,000 − 80 = 25,920.
    let legs = [
        put(26_000, Side::Sell, LOT, dec!(250)),
        put(25_800, Side::Buy, LOT, dec!(170)),
    ];
    let analysis = analyze(&legs, &scenario(), POINTS);
    assert_eq!(analysis.net_premium, dec!(-5200));
    assert_eq!(analysis.breakevens, vec![dec!(25920)]);
    assert_eq!(analysis.max_profit, finite(dec!(5200)));
    assert_eq!(analysis.max_loss, finite(dec!(7800)));
}

/// Buy the 25,600 put at 60, sell the 25,800 put at 110, sell the 26,200 call at 120, buy the 26,400 call
/// at 65: a 200-wide iron condor for 110 + 120 − 60 − 65 = 105 a unit.
fn iron_condor() -> [PricedLeg; 4] {
    [
        put(25_600, Side::Buy, LOT, dec!(60)),
        put(25_800, Side::Sell, LOT, dec!(110)),
        call(26_200, Side::Sell, LOT, dec!(120)),
        call(26_400, Side::Buy, LOT, dec!(65)),
    ]
}

#[test]
fn an_iron_condor_keeps_its_credit_between_its_short_strikes_and_risks_the_width_less_the_credit() {
    // Credit 105 × 65 = 6,825, all kept between 25,800 and 26,200. Beyond a wing the loss is the width less
    // the credit: (200 − 105) × 65 = 6,175. Breakevens at the short strikes ∓ the credit: 25,695, 26,305.
    // The long call caps the short one: the calls' signed quantity is 0, no unlimited side.
    let analysis = analyze(&iron_condor(), &scenario(), POINTS);
    assert_eq!(analysis.net_premium, dec!(-6825));
    assert_eq!(analysis.breakevens, vec![dec!(25695), dec!(26305)]);
    assert_eq!(analysis.max_profit, finite(dec!(6825)));
    assert_eq!(analysis.max_loss, finite(dec!(6175)));
    // Profitable between the breakevens only: POP = Φ(d(26,305)) − Φ(d(25,695)) ≈ Φ(0.3106) − Φ(−0.2739)
    // = 0.6220 − 0.3921 = 0.2299.
    let expected = below(26_305.0) - below(25_695.0);
    assert!((analysis.probability_of_profit - expected).abs() < 1e-9);
    assert!((analysis.probability_of_profit - 0.2299).abs() < 1e-4);
}

#[test]
fn the_net_greeks_are_each_legs_greeks_times_its_signed_quantity() {
    let legs = iron_condor();
    let g = |i: usize| legs[i].greeks;
    // Long the wings (+65), short the bodies (−65).
    let expected = |f: fn(&Valuation) -> f64| 65.0 * (f(&g(0)) - f(&g(1)) - f(&g(2)) + f(&g(3)));
    let net = analyze(&legs, &scenario(), POINTS).net_greeks;
    assert!((net.delta - expected(|v| v.delta)).abs() < 1e-9);
    assert!((net.gamma - expected(|v| v.gamma)).abs() < 1e-12);
    assert!((net.theta - expected(|v| v.theta)).abs() < 1e-9);
    assert!((net.vega - expected(|v| v.vega)).abs() < 1e-9);
    // Short the middle of the distribution: short gamma and vega, long theta.
    assert!(net.gamma < 0.0 && net.vega < 0.0 && net.theta > 0.0, "{net:?}");
}

#[test]
fn a_butterfly_earns_its_most_at_the_middle_strike() {
    // Buy the 25,800 call at 380, sell two 26,000 calls at 260, buy the 26,200 call at 170: 380 + 170 − 520
    // = 30 paid a unit, 65 × 30 = 1,950, lost below 25,800 and above 26,200 (calls: +65 − 130 + 65 = 0).
    // At 26,000 only the lower call pays, 200: (200 − 30) × 65 = 11,050. Breakevens 25,800 + 30 = 25,830
    // and 26,200 − 30 = 26,170.
    let legs = [
        call(25_800, Side::Buy, LOT, dec!(380)),
        call(26_000, Side::Sell, 2 * LOT, dec!(260)),
        call(26_200, Side::Buy, LOT, dec!(170)),
    ];
    let analysis = analyze(&legs, &scenario(), POINTS);
    assert_eq!(analysis.net_premium, dec!(1950));
    assert_eq!(analysis.max_profit, finite(dec!(11050)));
    assert_eq!(analysis.max_loss, finite(dec!(1950)));
    assert_eq!(analysis.breakevens, vec![dec!(25830), dec!(26170)]);
}

#[test]
fn a_protective_put_bounds_a_long_futures_loss_and_leaves_its_upside() {
    // Buy the future at 26,000 and the 25,800 put at 150. Below 25,800: (S − 26,000) + (25,800 − S) − 150
    // = −350 a unit, 65 × 350 = 22,750 at most. Above, 65 × (S − 26,150): breakeven 26,150, unlimited
    // profit. Premium (the put's only: a future is margined, not paid for): 65 × 150 = 9,750.
    let legs = [future(Side::Buy, LOT), put(25_800, Side::Buy, LOT, dec!(150))];
    let analysis = analyze(&legs, &scenario(), POINTS);
    assert_eq!(analysis.net_premium, dec!(9750));
    assert_eq!(analysis.max_loss, finite(dec!(22750)));
    assert_eq!(analysis.max_profit, Extreme::Unlimited);
    assert_eq!(analysis.breakevens, vec![dec!(26150)]);
    // Delta: the future's 1 and the put's own, 65 units each.
    let delta = 65.0 * (1.0 + legs[1].greeks.delta);
    assert!((analysis.net_greeks.delta - delta).abs() < 1e-9);
}

/// The calendar: sell the 14-day 26,000 call at 283.70 and buy the 42-day one at 557.30 (their Black-76
/// values at 14% rounded to 0.05: 283.68 on the 26,000 forward, 557.30 on the far forward
/// 26,000 × e^(0.065 × 28/365) = 26,129.97). 273.60 paid a unit.
fn calendar() -> ([PricedLeg; 2], f64) {
    let far_forward = FORWARD * (RATE * years(28.0)).exp();
    let legs = [
        option_on(
            OptionType::Call,
            26_000,
            Side::Sell,
            LOT,
            dec!(283.70),
            FORWARD,
            14.0,
        ),
        option_on(
            OptionType::Call,
            26_000,
            Side::Buy,
            LOT,
            dec!(557.30),
            far_forward,
            42.0,
        ),
    ];
    (legs, far_forward)
}

/// The calendar's P&L at the near expiry, written out: the near call's intrinsic value, the far call's
/// Black-76 value with 28 days left on the forward the chains' carry implies, `S × F2 / F1`.
fn calendar_pnl(s: f64, far_forward: f64) -> f64 {
    let far = OptionSpec {
        model: Model::Black76,
        option_type: OptionType::Call,
        underlying: s * far_forward / FORWARD,
        strike: 26_000.0,
        time_years: years(28.0),
        rate: RATE,
        dividend_yield: 0.0,
    }
    .price(IV);
    65.0 * (283.70 - (s - 26_000.0).max(0.0) + far - 557.30)
}

#[test]
fn a_calendar_is_valued_at_the_near_expiry_with_its_far_leg_alive() {
    let (legs, far_forward) = calendar();
    let analysis = analyze(&legs, &scenario(), POINTS);
    assert_eq!(analysis.net_premium, dec!(17784)); // 65 × 273.60

    // Two breakevens, found numerically: the P&L written out above is zero there (within a rupee, the
    // breakeven being rounded to paise and the slope under 65 a point). They straddle the strike: the
    // P&L at 26,000 is positive (below), 0 at the ends of the tent. By bisection on paper's formula they
    // are near 25,591 and 26,587.
    assert_eq!(analysis.breakevens.len(), 2, "{:?}", analysis.breakevens);
    for breakeven in &analysis.breakevens {
        let s = breakeven.to_f64().unwrap();
        assert!(calendar_pnl(s, far_forward).abs() < 1.0, "{s}");
    }
    let [low, high] = [0, 1].map(|i| analysis.breakevens[i].to_f64().unwrap());
    assert!(
        (low - 25_591.0).abs() < 1.0 && (high - 26_587.0).abs() < 1.0,
        "{low} {high}"
    );

    // The most at the strike, where the near call dies worthless and the far one has the most time value:
    // 65 × (283.70 + C(26,129.97, 26,000, 28 days) − 557.30). The far call's value there, ≈ 0.4 × F × σ√τ
    // + the half moneyness ≈ 0.4 × 26,130 × 0.14 × √(28/365) + 65 ≈ 405 + 65 ≈ 470 (exactly 469.15):
    // ≈ 65 × 195.55 = 12,710.7.
    let at_strike = calendar_pnl(26_000.0, far_forward);
    assert!((at_strike - 12_710.7).abs() < 0.1, "{at_strike}");
    let Extreme::Finite(max_profit) = analysis.max_profit else {
        panic!("{:?}", analysis.max_profit)
    };
    assert!(
        (max_profit.to_f64().unwrap() - at_strike).abs() < 0.01,
        "{max_profit}"
    );

    // The worst at S → 0, where both calls are worthless: the debit, 17,784. (Far above the strike the
    // spread tends to 65 × (K (1 − e^(−rτ)) − 273.60) = 65 × (129.3 − 273.6), a smaller loss.)
    assert_eq!(analysis.max_loss, finite(dec!(17784)));
    // Long the far leg's vega, short the near one's smaller vega.
    assert!(analysis.net_greeks.vega > 0.0);
    assert!((0.0..=1.0).contains(&analysis.probability_of_profit));
}

#[test]
fn the_payoff_vectors_span_the_strikes_and_breakevens_in_ascending_levels() {
    let analysis = analyze(&iron_condor(), &scenario(), POINTS);
    for payoff in [&analysis.payoff_at_expiry, &analysis.payoff_today] {
        assert_eq!(payoff.len(), POINTS);
        assert!(payoff.windows(2).all(|w| w[0].0 < w[1].0));
        // 0.85 × the lowest strike and 1.15 × the highest, at least.
        assert!(payoff[0].0 <= dec!(21760) && payoff[POINTS - 1].0 >= dec!(30360));
    }
    assert_eq!(
        analysis.payoff_at_expiry.iter().map(|p| p.0).collect::<Vec<_>>(),
        analysis.payoff_today.iter().map(|p| p.0).collect::<Vec<_>>()
    );
    // Between the short strikes the condor keeps its credit at expiry; beyond the wings it loses 6,175.
    for (s, pnl) in &analysis.payoff_at_expiry {
        if (dec!(25800)..=dec!(26200)).contains(s) {
            assert_eq!(*pnl, dec!(6825));
        }
        if *s <= dec!(25600) || *s >= dec!(26400) {
            assert_eq!(*pnl, dec!(-6175));
        }
    }
}

#[test]
fn a_long_call_is_worth_at_least_its_payoff_at_expiry_today() {
    // Today's value e^(−rT) E[(F_T − K)⁺] ≥ (S e^(rT) − K)⁺ e^(−rT) = (S − K e^(−rT))⁺ ≥ (S − K)⁺ for a
    // forward carried at the rate: today's P&L is never below the expiry P&L.
    let analysis = analyze(&[call(26_000, Side::Buy, LOT, dec!(300))], &scenario(), POINTS);
    assert_eq!(analysis.max_loss, finite(dec!(19500)));
    for (today, at_expiry) in analysis.payoff_today.iter().zip(&analysis.payoff_at_expiry) {
        assert!(today.1 >= at_expiry.1 - dec!(0.01), "{today:?} {at_expiry:?}");
    }
    // At the money today: 65 × (Black-76 at 14% for 30 days − 300), the call worth ≈ 0.4 × 26,000 ×
    // 0.040137 ≈ 417, ≈ 414 discounted by e^(−0.065 × 30/365): ≈ 65 × 114.
    let spot = dec!(26000) * Decimal::from_f64((-RATE * years(DAYS)).exp()).unwrap();
    let (_, near) = analysis
        .payoff_today
        .iter()
        .min_by_key(|(s, _)| (*s - spot).abs())
        .unwrap();
    assert!(
        (near.to_f64().unwrap() - 65.0 * 114.0).abs() < 65.0 * 25.0,
        "{near}"
    );
}

#[test]
fn no_legs_have_nothing_to_analyse() {
    let analysis = analyze(&[], &scenario(), POINTS);
    assert_eq!(analysis.net_premium, Decimal::ZERO);
    assert!(analysis.payoff_at_expiry.is_empty() && analysis.breakevens.is_empty());
    assert_eq!(analysis.max_profit, finite(Decimal::ZERO));
}

#[test]
fn a_degenerate_scenario_still_gives_finite_answers() {
    let bad = Scenario {
        spot: f64::NAN,
        atm_iv: 0.0,
        rate: RATE,
    };
    let analysis = analyze(&iron_condor(), &bad, 3);
    assert_eq!(analysis.breakevens, vec![dec!(25695), dec!(26305)]);
    assert_eq!(analysis.payoff_at_expiry.len(), 3);
    assert!((0.0..=1.0).contains(&analysis.probability_of_profit));
    // With no volatility the underlying ends at the forward, 26,000: inside the profit zone.
    assert!((analysis.probability_of_profit - 1.0).abs() < 1e-12);
}

#[test]
fn brent_and_golden_section_find_what_they_are_asked() {
    // cos has its root at π/2 in [1, 2]; −(x − 2)² + 3 its maximum 3 at 2.
    let root = brent(f64::cos, (1.0, 1.0f64.cos()), (2.0, 2.0f64.cos()));
    assert!((root - std::f64::consts::FRAC_PI_2).abs() < 1e-9);
    let max = golden_section_max(|x| 3.0 - (x - 2.0) * (x - 2.0), 0.0, 5.0);
    assert!((max - 3.0).abs() < 1e-12);
}

#[test]
fn money_is_paise_at_scale_two_with_half_paise_to_even() {
    for (x, expected) in [
        (25_419.999_999_999_996, "25420.00"),
        (0.125, "0.12"),  // a half paisa: to even, down
        (0.135, "0.14"),  // up to even (0.135 is stored a hair above, the decimal conversion says 0.135)
        (-0.001, "0.00"), // no negative zero
        (-6_175.0, "-6175.00"),
        (f64::NAN, "0.00"),
        (1e20, "100000000000000000000.00"),
    ] {
        assert_eq!(money(x).to_string(), expected, "{x}");
    }
}

/// A strategy's P&L at its (single) expiry, written out.
fn pnl_at_expiry(legs: &[PricedLeg], s: f64) -> f64 {
    legs.iter()
        .map(|leg| {
            let value = match leg.contract {
                LegContract::Option {
                    option_type: OptionType::Call,
                    strike,
                    ..
                } => (s - strike.to_f64().unwrap()).max(0.0),
                LegContract::Option { strike, .. } => (strike.to_f64().unwrap() - s).max(0.0),
                LegContract::Future { .. } => s,
            };
            leg.sign() * leg.quantity as f64 * (value - leg.price.to_f64().unwrap())
        })
        .sum()
}

proptest! {
    /// Any strategy on one expiry: the extremes bound the payoff; a breakeven is a root; the P&L changes
    /// sign only across a breakeven.
    #[test]
    fn breakevens_are_roots_and_the_extremes_bound_the_payoff(
        specs in proptest::collection::vec(
            (proptest::bool::ANY, proptest::bool::ANY, 0i64..9, 1i64..4, 1u32..12_000), 1..5),
    ) {
        let legs: Vec<PricedLeg> = specs
            .iter()
            .map(|&(is_call, buy, strike, lots, price)| {
                let option_type = if is_call { OptionType::Call } else { OptionType::Put };
                let side = if buy { Side::Buy } else { Side::Sell };
                let price = Decimal::from(price) / dec!(20);
                option(option_type, 25_600 + 100 * strike, side, lots * LOT, price)
            })
            .collect();
        let analysis = analyze(&legs, &scenario(), POINTS);
        let steepness: f64 = legs.iter().map(|l| l.quantity as f64).sum();
        for breakeven in &analysis.breakevens {
            let pnl = pnl_at_expiry(&legs, breakeven.to_f64().unwrap());
            prop_assert!(pnl.abs() <= 0.005 * steepness + 1e-6, "{breakeven}: {pnl}");
        }
        prop_assert!(analysis.breakevens.windows(2).all(|w| w[0] < w[1]));
        for (s, pnl) in &analysis.payoff_at_expiry {
            if let Extreme::Finite(max) = analysis.max_profit {
                prop_assert!(*pnl <= max + dec!(0.01), "{s}: {pnl} > {max}");
            }
            if let Extreme::Finite(max) = analysis.max_loss {
                prop_assert!(-*pnl <= max + dec!(0.01), "{s}: {pnl} < -{max}");
            }
        }
        for pair in analysis.payoff_at_expiry.windows(2) {
            let [(a, fa), (b, fb)] = [pair[0], pair[1]];
            if (fa > dec!(1) && fb < dec!(-1)) || (fa < dec!(-1) && fb > dec!(1)) {
                prop_assert!(analysis.breakevens.iter().any(|x| *x >= a && *x <= b), "{a} {b}");
            }
        }
        prop_assert!((0.0..=1.0).contains(&analysis.probability_of_profit));
    }

    /// The fast rounding to paise is the decimal conversion's, `Decimal::from_f64(x)?.round_dp(2)`.
    #[test]
    fn money_rounds_as_the_decimal_conversion_does(x in -1e10f64..1e10, half_paise in -2_000_000_000i64..2_000_000_000) {
        for x in [x, half_paise as f64 / 200.0] {
            prop_assert!(money(x) == Decimal::from_f64(x).unwrap().round_dp(2), "{x}");
        }
    }
}
