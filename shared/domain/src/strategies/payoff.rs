//! The analysis of a strategy: its P&L at the first expiry and today over a grid of underlying levels, its
//! breakevens, best and worst outcomes, net Greeks and probability of profit. Pure maths on floats; amounts
//! are rounded to paise (2 dp) at the boundary, where they become [`Decimal`]s.
//!
//! Conventions. `S` is the underlying (index) level. `T1` is the first expiry: the smallest `time_years`
//! among the legs. At `T1` a leg expiring then is worth its intrinsic value (a future: `S`); a leg expiring
//! later (a calendar's or diagonal's far leg) is priced with Black-76 for its remaining time on its forward
//! at `T1`, which is `S × forward / F1` (`F1` the forward of the first-expiring leg: the carry between the
//! two expiries, which the chains' forwards imply). Today every option is priced with Black-76 at its own
//! IV and time on its forward `forward × S / spot` (the chain's carry from now), a future at that forward.
//! A leg's P&L is `side × quantity × (value − entry price)`.
//!
//! When every leg expires at `T1` the P&L at expiry is piecewise linear with its kinks at the strikes, and
//! the breakevens and extremes are exact: a root per linear piece, the extremes at zero or a strike. With a
//! later leg the P&L is smooth between the strikes: its roots are bracketed on a dense grid (the strikes
//! among its nodes) and refined by Brent's method to 1e-9 relative; its extremes are the grid's, refined by
//! a golden-section search between the best node's neighbours. Either way a side is unlimited when the
//! P&L's slope as `S → ∞` — the signed quantity of the calls and futures, puts adding nothing — points
//! that way.
//!
//! The probability of profit is the lognormal mass, at the at-the-money IV to `T1` around `F1`, of the
//! intervals between breakevens where the P&L at `T1` is positive.

use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive as _, ToPrimitive as _};

use crate::market::options::{Model, OptionSpec, OptionType, norm_cdf};
use crate::strategies::leg::{LegContract, PricedLeg};
use crate::trading::request::Side;

/// The market a strategy is analysed in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scenario {
    /// The underlying's price now (the grid is centred here).
    pub spot: f64,
    /// The at-the-money implied volatility (decimal) of the nearest expiry: the probability of profit's.
    pub atm_iv: f64,
    /// The risk-free rate (continuously compounded, decimal).
    pub rate: f64,
}

/// A strategy's best or worst outcome at expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extreme {
    /// A finite amount (rupees).
    Finite(Decimal),
    /// No bound: the payoff keeps growing (profit) or falling (loss) as the underlying rises.
    Unlimited,
}

/// The strategy's position Greeks: each leg's per-unit Greeks × its signed quantity, summed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct NetGreeks {
    /// Rupees per 1 point of the underlying.
    pub delta: f64,
    /// Delta change per 1 point.
    pub gamma: f64,
    /// Rupees per calendar day.
    pub theta: f64,
    /// Rupees per volatility point.
    pub vega: f64,
}

/// What [`analyze`] finds.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// Σ side × quantity × price over the option legs (a future has no premium: it is margined):
    /// positive is a debit paid, negative a credit received.
    pub net_premium: Decimal,
    /// `(underlying, P&L)` at the first expiry.
    pub payoff_at_expiry: Vec<(Decimal, Decimal)>,
    /// `(underlying, P&L)` now, every leg at its own IV and time.
    pub payoff_today: Vec<(Decimal, Decimal)>,
    /// The largest P&L at the first expiry.
    pub max_profit: Extreme,
    /// The largest loss at the first expiry, as a positive amount.
    pub max_loss: Extreme,
    /// Underlying levels where the P&L at the first expiry crosses zero, ascending.
    pub breakevens: Vec<Decimal>,
    /// Net Greeks now.
    pub net_greeks: NetGreeks,
    /// Probability (0 to 1) that the P&L at the first expiry is positive.
    pub probability_of_profit: f64,
}

/// Analyses `legs` in `scenario` on a grid of `points` underlying levels.
pub fn analyze(legs: &[PricedLeg], scenario: &Scenario, points: usize) -> Analysis {
    let net_premium = legs
        .iter()
        .filter(|leg| matches!(leg.contract, LegContract::Option { .. }))
        .map(|leg| match leg.side {
            Side::Buy => Decimal::from(leg.quantity) * leg.price,
            Side::Sell => -Decimal::from(leg.quantity) * leg.price,
        })
        .sum();
    let net_greeks = legs.iter().fold(NetGreeks::default(), |net, leg| {
        let units = leg.sign() * leg.quantity as f64;
        NetGreeks {
            delta: net.delta + units * leg.greeks.delta,
            gamma: net.gamma + units * leg.greeks.gamma,
            theta: net.theta + units * leg.greeks.theta,
            vega: net.vega + units * leg.greeks.vega,
        }
    });
    let Some(strategy) = Strategy::new(legs, scenario) else {
        return Analysis {
            net_premium,
            payoff_at_expiry: Vec::new(),
            payoff_today: Vec::new(),
            max_profit: Extreme::Finite(Decimal::ZERO),
            max_loss: Extreme::Finite(Decimal::ZERO),
            breakevens: Vec::new(),
            net_greeks,
            probability_of_profit: 0.0,
        };
    };
    let expiry = if strategy.is_piecewise_linear() {
        strategy.exact_expiry()
    } else {
        strategy.sampled_expiry()
    };
    let tail = strategy.tail_slope();
    let max_profit = if tail > 0.0 {
        Extreme::Unlimited
    } else {
        Extreme::Finite(money(expiry.highest.max(0.0)))
    };
    let max_loss = if tail < 0.0 {
        Extreme::Unlimited
    } else {
        Extreme::Finite(money((-expiry.lowest).max(0.0)))
    };
    let grid = strategy.grid(points, &expiry.breakevens);
    let mut breakevens: Vec<Decimal> = expiry.breakevens.iter().map(|&s| money(s)).collect();
    breakevens.dedup();
    Analysis {
        net_premium,
        payoff_at_expiry: grid
            .iter()
            .map(|&s| (money(s), money(strategy.pnl_at_first_expiry(s))))
            .collect(),
        payoff_today: grid
            .iter()
            .map(|&s| (money(s), money(strategy.pnl_today(s))))
            .collect(),
        max_profit,
        max_loss,
        probability_of_profit: strategy.probability_of_profit(&expiry.breakevens),
        breakevens,
        net_greeks,
    }
}

/// Legs whose expiry is within this many years of the first are taken to expire with it.
const SAME_EXPIRY_YEARS: f64 = 1e-9;
/// The smallest and largest total volatility `σ√T1` the grid's range is built with.
const GRID_TOTAL_VOL: (f64, f64) = (0.02, 1.0);
/// Standard deviations of `ln S` either side of the spot the grid covers at least.
const GRID_DEVIATIONS: f64 = 4.0;
/// How far beyond the lowest and highest strike (and breakeven) the grid reaches.
const GRID_MARGIN: (f64, f64) = (0.85, 1.15);
/// Cells of the dense grid the P&L of a strategy with a later leg is searched on.
const SEARCH_CELLS: usize = 2_000;
/// The search reaches this multiple of the highest strike, forward or spot.
const SEARCH_REACH: f64 = 3.0;
/// Relative tolerance of a numerical root or extreme.
const RELATIVE_TOLERANCE: f64 = 1e-9;

/// `x` rounded to paise (2 dp, always at scale 2; zero for what no decimal holds).
///
/// The same amount as `Decimal::from_f64(x)?.round_dp(2)`, a hundred times faster (that conversion costs
/// ~300 ns, most of an analysis): `x × 100` rounded to an integer, unless it lies within a relative 1e-12
/// (thousands of ulps) of a half paisa — where the float product and the decimal conversion might round
/// differently, or the midpoint rule (to even) matters — or is too large; those take the exact path.
fn money(x: f64) -> Decimal {
    let paise = x * 100.0;
    let fraction = paise - paise.floor();
    let near_half = (fraction - 0.5).abs() <= 1e-12 * paise.abs().max(1.0);
    if paise.is_finite() && paise.abs() < 1e15 && !near_half {
        return Decimal::new(paise.round() as i64, 2);
    }
    match Decimal::from_f64(x) {
        Some(d) => {
            let mut rounded = d.round_dp(2);
            rounded.rescale(2);
            if rounded.is_zero() {
                Decimal::new(0, 2)
            } else {
                rounded
            }
        }
        None => Decimal::new(0, 2),
    }
}

/// What a leg pays.
#[derive(Debug, Clone, Copy)]
enum Payoff {
    Option { option_type: OptionType, strike: f64 },
    Future,
}

/// A leg, as floats.
#[derive(Debug, Clone, Copy)]
struct Leg {
    payoff: Payoff,
    /// Side × quantity.
    units: f64,
    /// Entry price per unit.
    price: f64,
    /// Years to expiry from now.
    time_years: f64,
    /// The volatility it is priced at.
    vol: f64,
    /// Expires at the first expiry.
    expires_first: bool,
    /// Its forward per point of the underlying now: `forward / spot`.
    carry_now: f64,
    /// Its forward at the first expiry per point of the underlying then: `forward / F1`.
    carry_first: f64,
}

/// The P&L at the first expiry, as [`Strategy::exact_expiry`] or [`Strategy::sampled_expiry`] find it.
#[derive(Debug, Clone)]
struct AtExpiry {
    /// Roots, ascending, unrounded.
    breakevens: Vec<f64>,
    /// The largest P&L over the bounded range searched.
    highest: f64,
    /// The smallest.
    lowest: f64,
}

/// The legs and the market, ready to value.
#[derive(Debug, Clone)]
struct Strategy {
    legs: Vec<Leg>,
    /// Distinct strikes, ascending.
    strikes: Vec<f64>,
    /// Years to the first expiry.
    first_expiry: f64,
    /// The forward of the first-expiring leg.
    first_forward: f64,
    spot: f64,
    atm_iv: f64,
    rate: f64,
}

impl Strategy {
    /// The strategy of `legs`, or `None` without legs.
    fn new(legs: &[PricedLeg], scenario: &Scenario) -> Option<Self> {
        let first = legs.iter().min_by(|a, b| a.time_years.total_cmp(&b.time_years))?;
        let first_expiry = first.time_years.max(0.0);
        let positive = |x: f64| x.is_finite() && x > 0.0;
        let spot = if positive(scenario.spot) {
            scenario.spot
        } else {
            first.forward
        };
        let first_forward = if positive(first.forward) {
            first.forward
        } else {
            spot
        };
        let ratio = |forward: f64, base: f64| {
            if positive(forward) && positive(base) {
                forward / base
            } else {
                1.0
            }
        };
        let fallback_vol = if positive(scenario.atm_iv) {
            scenario.atm_iv
        } else {
            0.0
        };
        let legs: Vec<Leg> = legs
            .iter()
            .map(|leg| Leg {
                payoff: match leg.contract {
                    LegContract::Option {
                        option_type, strike, ..
                    } => Payoff::Option {
                        option_type,
                        strike: strike.to_f64().unwrap_or(0.0),
                    },
                    LegContract::Future { .. } => Payoff::Future,
                },
                units: leg.sign() * leg.quantity as f64,
                price: leg.price.to_f64().unwrap_or(0.0),
                time_years: leg.time_years,
                vol: leg.iv.filter(|v| positive(*v)).unwrap_or(fallback_vol),
                expires_first: (leg.time_years - first.time_years).abs() <= SAME_EXPIRY_YEARS,
                carry_now: ratio(leg.forward, spot),
                carry_first: ratio(leg.forward, first_forward),
            })
            .collect();
        let mut strikes: Vec<f64> = legs
            .iter()
            .filter_map(|leg| match leg.payoff {
                Payoff::Option { strike, .. } if strike.is_finite() => Some(strike.max(0.0)),
                _ => None,
            })
            .collect();
        strikes.sort_by(f64::total_cmp);
        strikes.dedup();
        Some(Self {
            legs,
            strikes,
            first_expiry,
            first_forward,
            spot,
            atm_iv: scenario.atm_iv,
            rate: scenario.rate,
        })
    }

    /// Every leg expires at the first expiry: the P&L then is piecewise linear.
    fn is_piecewise_linear(&self) -> bool {
        self.legs.iter().all(|leg| leg.expires_first)
    }

    /// The P&L's slope as the underlying grows without bound, as the contracts go: the signed quantity of
    /// the calls and futures (a call's payoff grows one for one beyond its strike, a put's is nil there).
    fn tail_slope(&self) -> f64 {
        self.legs
            .iter()
            .filter(|leg| {
                matches!(
                    leg.payoff,
                    Payoff::Future
                        | Payoff::Option {
                            option_type: OptionType::Call,
                            ..
                        }
                )
            })
            .map(|leg| leg.units)
            .sum()
    }

    /// The total volatility `σ√T1` the grid's range and the search's reach are built with.
    fn total_vol(&self) -> f64 {
        let total = self.atm_iv * self.first_expiry.sqrt();
        if total.is_finite() {
            total.clamp(GRID_TOTAL_VOL.0, GRID_TOTAL_VOL.1)
        } else {
            GRID_TOTAL_VOL.0
        }
    }

    /// The P&L at the first expiry with the underlying at `s`.
    fn pnl_at_first_expiry(&self, s: f64) -> f64 {
        self.legs
            .iter()
            .map(|leg| {
                let value = match (leg.payoff, leg.expires_first) {
                    (Payoff::Future, true) => s,
                    (Payoff::Future, false) => leg.carry_first * s,
                    (Payoff::Option { option_type, strike }, true) => intrinsic(option_type, s, strike),
                    (Payoff::Option { option_type, strike }, false) => black76(
                        option_type,
                        leg.carry_first * s,
                        strike,
                        leg.time_years - self.first_expiry,
                        self.rate,
                        leg.vol,
                    ),
                };
                leg.units * (value - leg.price)
            })
            .sum()
    }

    /// The P&L now with the underlying at `s`.
    fn pnl_today(&self, s: f64) -> f64 {
        self.legs
            .iter()
            .map(|leg| {
                let forward = leg.carry_now * s;
                let value = match leg.payoff {
                    Payoff::Future => forward,
                    Payoff::Option { option_type, strike } => {
                        black76(option_type, forward, strike, leg.time_years, self.rate, leg.vol)
                    }
                };
                leg.units * (value - leg.price)
            })
            .sum()
    }

    /// Breakevens and extremes of a piecewise-linear P&L, exactly: it is linear on `[0, K1]`, each
    /// `[Ki, Ki+1]` and the ray beyond the highest strike, so each piece has at most one root (or is zero
    /// throughout: its ends are then the roots), and the extremes of the bounded range are at its knots.
    fn exact_expiry(&self) -> AtExpiry {
        let knots: Vec<(f64, f64)> = std::iter::once(0.0)
            .chain(self.strikes.iter().copied().filter(|k| *k > 0.0))
            .map(|s| (s, self.pnl_at_first_expiry(s)))
            .collect();
        let mut roots = Vec::new();
        for pair in knots.windows(2) {
            let [(a, fa), (b, fb)] = [pair[0], pair[1]];
            if fa == 0.0 {
                roots.push(a);
            }
            if fa * fb < 0.0 {
                roots.push(a + (b - a) * fa / (fa - fb));
            }
        }
        let (last, f_last) = knots.last().copied().unwrap_or((0.0, 0.0));
        let slope = self.tail_slope();
        if f_last == 0.0 {
            roots.push(last);
        } else if f_last * slope < 0.0 {
            roots.push(last - f_last / slope);
        }
        let (lowest, highest) = knots
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, f)| {
                (lo.min(f), hi.max(f))
            });
        AtExpiry {
            breakevens: distinct(roots),
            highest,
            lowest,
        }
    }

    /// Breakevens and extremes of a P&L with a later leg in it, numerically: on a dense grid from zero to
    /// well beyond the strikes, with the strikes (the kinks of the legs that expire) among its nodes.
    fn sampled_expiry(&self) -> AtExpiry {
        let reach = SEARCH_REACH
            * self
                .strikes
                .last()
                .copied()
                .unwrap_or(0.0)
                .max(self.first_forward)
                .max(self.spot);
        let upper = reach.max(self.spot * (GRID_DEVIATIONS * self.total_vol()).exp());
        let mut nodes: Vec<f64> = (0..=SEARCH_CELLS)
            .map(|i| upper * i as f64 / SEARCH_CELLS as f64)
            .chain(self.strikes.iter().copied())
            .filter(|s| s.is_finite())
            .collect();
        nodes.sort_by(f64::total_cmp);
        nodes.dedup();
        let samples: Vec<(f64, f64)> = nodes.iter().map(|&s| (s, self.pnl_at_first_expiry(s))).collect();
        let pnl = |s: f64| self.pnl_at_first_expiry(s);
        let mut roots = Vec::new();
        for pair in samples.windows(2) {
            let [(a, fa), (b, fb)] = [pair[0], pair[1]];
            if fa == 0.0 {
                roots.push(a);
            } else if fa * fb < 0.0 {
                roots.push(brent(pnl, (a, fa), (b, fb)));
            }
        }
        if let Some(&(last, 0.0)) = samples.last() {
            roots.push(last);
        }
        let extreme = |sign: f64| {
            let best = (0..samples.len())
                .max_by(|&i, &j| (sign * samples[i].1).total_cmp(&(sign * samples[j].1)))
                .unwrap_or(0);
            let Some(&(_, at_node)) = samples.get(best) else {
                return 0.0;
            };
            let lo = samples[best.saturating_sub(1)].0;
            let hi = samples[(best + 1).min(samples.len() - 1)].0;
            let refined = sign * golden_section_max(|s| sign * pnl(s), lo, hi);
            if sign * refined > sign * at_node {
                refined
            } else {
                at_node
            }
        };
        AtExpiry {
            breakevens: distinct(roots),
            highest: extreme(1.0),
            lowest: extreme(-1.0),
        }
    }

    /// `points` evenly spaced levels covering the spot ± 4 standard deviations to the first expiry, every
    /// strike and every breakeven, with room either side.
    fn grid(&self, points: usize, breakevens: &[f64]) -> Vec<f64> {
        let spread = (GRID_DEVIATIONS * self.total_vol()).exp();
        let (mut lo, mut hi) = (self.spot / spread, self.spot * spread);
        for &level in self.strikes.iter().chain(breakevens) {
            lo = lo.min(GRID_MARGIN.0 * level);
            hi = hi.max(GRID_MARGIN.1 * level);
        }
        let lo = lo.max(0.0);
        match points {
            0 => Vec::new(),
            1 => vec![self.spot],
            _ => (0..points)
                .map(|i| lo + (hi - lo) * i as f64 / (points - 1) as f64)
                .collect(),
        }
    }

    /// The lognormal probability, at the at-the-money IV to the first expiry around the first forward, of
    /// the intervals between `breakevens` on which the P&L at the first expiry is positive.
    fn probability_of_profit(&self, breakevens: &[f64]) -> f64 {
        let total = self.atm_iv * self.first_expiry.sqrt();
        if !(total.is_finite() && total > 0.0) {
            // No spread: the underlying ends at the forward.
            return if self.pnl_at_first_expiry(self.first_forward) > 0.0 {
                1.0
            } else {
                0.0
            };
        }
        let below = |x: f64| {
            if x <= 0.0 {
                0.0
            } else if x.is_infinite() {
                1.0
            } else {
                norm_cdf(((x / self.first_forward).ln() + 0.5 * total * total) / total)
            }
        };
        let bounds: Vec<f64> = std::iter::once(0.0)
            .chain(breakevens.iter().copied())
            .chain(std::iter::once(f64::INFINITY))
            .collect();
        let probability: f64 = bounds
            .windows(2)
            .map(|pair| {
                let (lo, hi) = (pair[0], pair[1]);
                let inside = match (lo > 0.0, hi.is_finite()) {
                    (false, false) => self.first_forward,
                    (true, false) => 2.0 * lo,
                    (false, true) => 0.5 * hi,
                    (true, true) => 0.5 * (lo + hi),
                };
                if self.pnl_at_first_expiry(inside) > 0.0 {
                    below(hi) - below(lo)
                } else {
                    0.0
                }
            })
            .sum();
        if probability.is_finite() {
            probability.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// An option's value at expiry.
fn intrinsic(option_type: OptionType, underlying: f64, strike: f64) -> f64 {
    match option_type {
        OptionType::Call => (underlying - strike).max(0.0),
        OptionType::Put => (strike - underlying).max(0.0),
    }
}

/// The Black-76 price, with the limits where the formula divides by zero: no time or volatility left (the
/// intrinsic value), a nil forward or strike.
fn black76(option_type: OptionType, forward: f64, strike: f64, time_years: f64, rate: f64, vol: f64) -> f64 {
    if !(time_years > 0.0 && vol > 0.0) {
        return intrinsic(option_type, forward, strike);
    }
    if forward <= 0.0 || strike <= 0.0 {
        return (-rate * time_years).exp() * intrinsic(option_type, forward.max(0.0), strike.max(0.0));
    }
    OptionSpec {
        model: Model::Black76,
        option_type,
        underlying: forward,
        strike,
        time_years,
        rate,
        dividend_yield: 0.0,
    }
    .price(vol)
}

/// `roots` ascending, those within the tolerance of the previous one dropped.
fn distinct(mut roots: Vec<f64>) -> Vec<f64> {
    roots.sort_by(f64::total_cmp);
    roots.dedup_by(|b, a| (*b - *a).abs() <= RELATIVE_TOLERANCE * a.abs().max(1.0));
    roots
}

/// The root of `f` between `a` and `b`, where `f` takes the values `fa` and `fb` of opposite signs: Brent's
/// method (inverse quadratic interpolation or secant steps inside the bracket, else bisection), to the
/// relative tolerance.
fn brent(f: impl Fn(f64) -> f64, (mut a, mut fa): (f64, f64), (mut b, mut fb): (f64, f64)) -> f64 {
    let (mut c, mut fc) = (b, fb);
    let (mut d, mut e) = (b - a, b - a);
    for _ in 0..200 {
        if (fb > 0.0) == (fc > 0.0) {
            (c, fc) = (a, fa);
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            (a, fa) = (b, fb);
            (b, fb) = (c, fc);
            (c, fc) = (a, fa);
        }
        let tolerance = 2.0 * f64::EPSILON * b.abs() + 0.5 * RELATIVE_TOLERANCE * b.abs().max(1.0);
        let half = 0.5 * (c - b);
        if half.abs() <= tolerance || fb == 0.0 {
            return b;
        }
        if e.abs() >= tolerance && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q) = if c - a == 0.0 {
                (2.0 * half * s, 1.0 - s)
            } else {
                let (qa, r) = (fa / fc, fb / fc);
                (
                    s * (2.0 * half * qa * (qa - r) - (b - a) * (r - 1.0)),
                    (qa - 1.0) * (r - 1.0) * (s - 1.0),
                )
            };
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * half * q - (tolerance * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = half;
                e = d;
            }
        } else {
            d = half;
            e = d;
        }
        (a, fa) = (b, fb);
        b += if d.abs() > tolerance {
            d
        } else {
            tolerance.copysign(half)
        };
        fb = f(b);
    }
    b
}

/// The largest value of `f` on `[lo, hi]`, where it is unimodal: a golden-section search to the relative
/// tolerance.
fn golden_section_max(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    const INVERSE_PHI: f64 = 0.618_033_988_749_894_8;
    let mut x1 = hi - INVERSE_PHI * (hi - lo);
    let mut x2 = lo + INVERSE_PHI * (hi - lo);
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..200 {
        if hi - lo <= RELATIVE_TOLERANCE * hi.abs().max(1.0) {
            break;
        }
        if f1 < f2 {
            lo = x1;
            (x1, f1) = (x2, f2);
            x2 = lo + INVERSE_PHI * (hi - lo);
            f2 = f(x2);
        } else {
            hi = x2;
            (x2, f2) = (x1, f1);
            x1 = hi - INVERSE_PHI * (hi - lo);
            f1 = f(x1);
        }
    }
    f1.max(f2)
}

#[cfg(test)]
mod tests;
