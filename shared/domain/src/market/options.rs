//! European option pricing: Black-Scholes(-Merton) on a spot with a continuous dividend yield, and Black-76
//! on a forward (how NSE index options are priced off the synthetic future), with Greeks and a robust
//! implied-volatility solver. Floats are right here (analytics, not money); callers round at the boundary.
//!
//! Conventions: time in years = calendar days / 365; rates and yields continuously compounded, as decimals
//! (0.065 for 6.5%); theta per calendar day; vega per 1 volatility point; rho per 1 rate point.

use serde::{Deserialize, Serialize};

/// Days per year in the time-to-expiry convention.
pub const DAYS_PER_YEAR: f64 = 365.0;
/// The volatility range the IV solver searches (0.01% to 1000%).
pub const IV_BOUNDS: (f64, f64) = (1e-4, 10.0);

/// Call or put, as NSE names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OptionType {
    /// Call.
    #[serde(rename = "CE")]
    Call,
    /// Put.
    #[serde(rename = "PE")]
    Put,
}

/// Which model prices the option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// Black-Scholes-Merton: `underlying` is the spot, with a continuous dividend yield.
    BlackScholes,
    /// Black-76: `underlying` is the forward (futures) price for the option's expiry.
    Black76,
}

/// One option to price. `underlying` is a spot (Black-Scholes) or a forward (Black-76).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionSpec {
    /// The model.
    pub model: Model,
    /// Call or put.
    pub option_type: OptionType,
    /// Spot or forward price.
    pub underlying: f64,
    /// Strike.
    pub strike: f64,
    /// Time to expiry in years (calendar days / 365).
    pub time_years: f64,
    /// Risk-free rate, continuously compounded, as a decimal.
    pub rate: f64,
    /// Dividend yield, continuously compounded, as a decimal (ignored by Black-76).
    pub dividend_yield: f64,
}

/// Price and Greeks at one volatility.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Valuation {
    /// Option price.
    pub price: f64,
    /// ∂price/∂underlying.
    pub delta: f64,
    /// ∂²price/∂underlying².
    pub gamma: f64,
    /// Price change per calendar day passing.
    pub theta: f64,
    /// Price change per 1 volatility point.
    pub vega: f64,
    /// Price change per 1 rate point.
    pub rho: f64,
}

/// The standard normal cumulative distribution.
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// The standard normal density.
pub fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

impl OptionSpec {
    /// The cost-of-carry yield: the dividend yield for a spot, the rate itself for a forward (a forward
    /// discounted at `r` behaves as a spot paying `r`).
    fn carry_yield(&self) -> f64 {
        match self.model {
            Model::BlackScholes => self.dividend_yield,
            Model::Black76 => self.rate,
        }
    }

    /// The terms of the closed form at volatility `vol`.
    fn terms(&self, vol: f64) -> Terms {
        let (s, k, t, r, q) = (
            self.underlying,
            self.strike,
            self.time_years,
            self.rate,
            self.carry_yield(),
        );
        let sqrt_t = t.sqrt();
        let d1 = ((s / k).ln() + (r - q + 0.5 * vol * vol) * t) / (vol * sqrt_t);
        let d2 = d1 - vol * sqrt_t;
        let disc_r = (-r * t).exp();
        // Black-76 carries at the rate itself: one exponential, not two.
        let disc_q = match self.model {
            Model::Black76 => disc_r,
            Model::BlackScholes => (-q * t).exp(),
        };
        Terms {
            s,
            k,
            t,
            r,
            q,
            sqrt_t,
            d1,
            d2,
            disc_r,
            disc_q,
        }
    }

    /// The price at volatility `vol` (a decimal: 0.2 for 20%): [`value`](Self::value)'s price without the
    /// Greeks (no density, one exponential fewer), for curves that price many points.
    pub fn price(&self, vol: f64) -> f64 {
        let Terms {
            s,
            k,
            d1,
            d2,
            disc_r,
            disc_q,
            ..
        } = self.terms(vol);
        match self.option_type {
            OptionType::Call => s * disc_q * norm_cdf(d1) - k * disc_r * norm_cdf(d2),
            OptionType::Put => k * disc_r * norm_cdf(-d2) - s * disc_q * norm_cdf(-d1),
        }
    }

    /// Price and Greeks at volatility `vol` (a decimal).
    pub fn value(&self, vol: f64) -> Valuation {
        let Terms {
            s,
            k,
            t,
            r,
            q,
            sqrt_t,
            d1,
            d2,
            disc_r,
            disc_q,
        } = self.terms(vol);
        let pdf = norm_pdf(d1);
        let gamma = disc_q * pdf / (s * vol * sqrt_t);
        let vega = s * disc_q * pdf * sqrt_t / 100.0;
        let decay = -s * disc_q * pdf * vol / (2.0 * sqrt_t);
        // The side's own N(±d1), N(±d2), one normal CDF each.
        let (sign, n1, n2) = match self.option_type {
            OptionType::Call => (1.0, norm_cdf(d1), norm_cdf(d2)),
            OptionType::Put => (-1.0, norm_cdf(-d1), norm_cdf(-d2)),
        };
        let price = sign * (s * disc_q * n1 - k * disc_r * n2);
        let delta = sign * disc_q * n1;
        let theta_year = decay - sign * (r * k * disc_r * n2 - q * s * disc_q * n1);
        let rho_bs = sign * k * t * disc_r * n2;
        // A forward does not move with the rate: only the discounting does.
        let rho = match self.model {
            Model::BlackScholes => rho_bs,
            Model::Black76 => -t * price,
        } / 100.0;
        Valuation {
            price,
            delta,
            gamma,
            theta: theta_year / DAYS_PER_YEAR,
            vega,
            rho,
        }
    }

    /// The no-arbitrage price range: below the discounted intrinsic value or above the discounted
    /// underlying (call) / strike (put), no volatility fits.
    pub fn price_bounds(&self) -> (f64, f64) {
        let t = self.time_years;
        let underlying = self.underlying * (-self.carry_yield() * t).exp();
        let strike = self.strike * (-self.rate * t).exp();
        match self.option_type {
            OptionType::Call => ((underlying - strike).max(0.0), underlying),
            OptionType::Put => ((strike - underlying).max(0.0), strike),
        }
    }

    /// The volatility (decimal) at which the model price equals `target`, or `None` when no volatility in
    /// [`IV_BOUNDS`] fits (price outside the no-arbitrage range, or too close to intrinsic value to tell).
    ///
    /// Solved on the out-of-the-money side (the option's time value, by put-call parity: a deep
    /// in-the-money price is mostly intrinsic value, which says nothing about volatility), in total
    /// volatility `σ√t` on the undiscounted Black formula, from the Corrado–Miller estimate. Halley steps on
    /// the log of the price stay inside a shrinking bisection bracket, so it always terminates; a solution
    /// takes two to four steps.
    pub fn implied_volatility(&self, target: f64) -> Option<f64> {
        let valid = [self.underlying, self.strike, self.time_years, target]
            .iter()
            .all(|x| x.is_finite() && *x > 0.0);
        if !valid {
            return None;
        }
        let t = self.time_years;
        let discount = (-self.rate * t).exp();
        let forward = match self.model {
            Model::Black76 => self.underlying,
            Model::BlackScholes => self.underlying * ((self.rate - self.dividend_yield) * t).exp(),
        };
        let strike = self.strike;
        let undiscounted = target / discount;
        // The no-arbitrage range (`price_bounds`), undiscounted: above intrinsic value, below the forward
        // (call) or the strike (put), with room for the rounding of undiscounting.
        let (intrinsic, ceiling) = match self.option_type {
            OptionType::Call => ((forward - strike).max(0.0), forward),
            OptionType::Put => ((strike - forward).max(0.0), strike),
        };
        let time_value = undiscounted - intrinsic;
        if time_value <= 1e-12 * undiscounted || undiscounted >= ceiling * (1.0 - 1e-12) {
            return None;
        }
        let otm = OutOfTheMoney::new(forward, strike);
        let sqrt_t = t.sqrt();
        let (mut lo, mut hi) = (IV_BOUNDS.0 * sqrt_t, IV_BOUNDS.1 * sqrt_t);
        let tolerance = 1e-10 * undiscounted.max(1e-6);
        let guess = corrado_miller(forward, strike, time_value + (forward - strike).max(0.0));
        let mut v = if guess.is_finite() && guess > lo && guess < hi {
            guess
        } else {
            0.3 * sqrt_t
        };
        let log_time_value = time_value.ln();
        for _ in 0..200 {
            let (price, vega, volga) = otm.price_and_derivatives(v);
            let diff = price - time_value;
            if diff.abs() <= tolerance {
                return Some(v / sqrt_t);
            }
            if diff > 0.0 {
                hi = v;
            } else {
                lo = v;
            }
            // Halley on the logarithm of the price: in the wings the price is nearly exponential in `v`,
            // where plain Newton overshoots; the second derivative makes each step cubic.
            let g = price.ln() - log_time_value;
            let g1 = vega / price;
            let g2 = volga / price - g1 * g1;
            let step = g / g1 / (1.0 - g * g2 / (2.0 * g1 * g1));
            let halley = v - step;
            let in_bracket = halley.is_finite() && halley > lo && halley < hi;
            // A cubic step this small leaves an error far below the tolerance: done without evaluating.
            if in_bracket && step.abs() <= 1e-5 * halley {
                return Some(halley / sqrt_t);
            }
            v = if in_bracket { halley } else { 0.5 * (lo + hi) };
            if hi - lo < 1e-12 * sqrt_t {
                break;
            }
        }
        // A bracket that closed on one of its ends has no solution inside it.
        let inside = v > IV_BOUNDS.0 * sqrt_t * (1.0 + 1e-9) && v < IV_BOUNDS.1 * sqrt_t * (1.0 - 1e-9);
        inside.then_some(v / sqrt_t)
    }
}

/// The closed form's terms at one volatility: the inputs, √t, d1, d2 and the two discount factors.
struct Terms {
    s: f64,
    k: f64,
    t: f64,
    r: f64,
    q: f64,
    sqrt_t: f64,
    d1: f64,
    d2: f64,
    disc_r: f64,
    disc_q: f64,
}

/// The out-of-the-money option at a strike (the call at or above the forward, else the put), undiscounted,
/// as a function of total volatility `v = σ√t`.
struct OutOfTheMoney {
    forward: f64,
    strike: f64,
    log_moneyness: f64,
    is_call: bool,
}

impl OutOfTheMoney {
    fn new(forward: f64, strike: f64) -> Self {
        Self {
            forward,
            strike,
            log_moneyness: (forward / strike).ln(),
            is_call: strike >= forward,
        }
    }

    /// Undiscounted price and its first and second derivatives in `v`.
    fn price_and_derivatives(&self, v: f64) -> (f64, f64, f64) {
        let d1 = self.log_moneyness / v + 0.5 * v;
        let d2 = d1 - v;
        let price = if self.is_call {
            self.forward * norm_cdf(d1) - self.strike * norm_cdf(d2)
        } else {
            self.strike * norm_cdf(-d2) - self.forward * norm_cdf(-d1)
        };
        let vega = self.forward * norm_pdf(d1);
        (price, vega, vega * d1 * d2 / v)
    }
}

/// Corrado and Miller's (1996) estimate of total volatility `σ√t` from an undiscounted call price.
fn corrado_miller(forward: f64, strike: f64, call: f64) -> f64 {
    let half_gap = 0.5 * (forward - strike);
    let a = call - half_gap;
    let root = (a * a - (forward - strike).powi(2) / std::f64::consts::PI)
        .max(0.0)
        .sqrt();
    (2.0 * std::f64::consts::PI).sqrt() / (forward + strike) * (a + root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reference values computed independently (Python `math.erfc`, the closed forms written out by hand).
    fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
        (actual - expected).abs() <= tolerance
    }

    fn bs(option_type: OptionType, s: f64, k: f64, t: f64, r: f64, q: f64) -> OptionSpec {
        OptionSpec {
            model: Model::BlackScholes,
            option_type,
            underlying: s,
            strike: k,
            time_years: t,
            rate: r,
            dividend_yield: q,
        }
    }

    #[test]
    fn black_scholes_at_the_money_one_year_matches_the_textbook_values() {
        // S = K = 100, T = 1, r = 5%, σ = 20%: d1 = 0.35, d2 = 0.15.
        let call = bs(OptionType::Call, 100.0, 100.0, 1.0, 0.05, 0.0).value(0.2);
        let put = bs(OptionType::Put, 100.0, 100.0, 1.0, 0.05, 0.0).value(0.2);
        assert!(close(call.price, 10.450_583_572_185_565, 1e-9), "{}", call.price);
        assert!(close(put.price, 5.573_526_022_256_971, 1e-9), "{}", put.price);
        assert!(close(call.delta, 0.636_830_651_175_619, 1e-9));
        assert!(close(call.gamma, 0.018_762_017_345_847, 1e-9));
        assert!(close(call.theta, -0.017_572_678_209_420, 1e-9));
        assert!(close(call.vega, 0.375_240_346_916_938, 1e-9));
        assert!(close(call.rho, 0.532_324_815_453_763, 1e-9));
        assert!(close(put.delta, call.delta - 1.0, 1e-12));
        assert!(close(put.gamma, call.gamma, 1e-12));
    }

    #[test]
    fn black_scholes_with_a_dividend_yield_matches_the_reference() {
        // S = 100, K = 95, T = 0.25, r = 10%, q = 3%, σ = 50%.
        let call = bs(OptionType::Call, 100.0, 95.0, 0.25, 0.10, 0.03).value(0.5);
        let put = bs(OptionType::Put, 100.0, 95.0, 0.25, 0.10, 0.03).value(0.5);
        assert!(close(call.price, 13.201_381_945_751_045, 1e-9));
        assert!(close(put.price, 6.603_018_106_528_786, 1e-9));
        assert!(close(call.delta, 0.650_587_763_683_020, 1e-9));
        assert!(close(call.theta, -0.058_927_759_532_607, 1e-9));
    }

    #[test]
    fn black_76_matches_the_reference_and_discounts_the_forward() {
        let spec = |option_type, f, k, t, r| OptionSpec {
            model: Model::Black76,
            option_type,
            underlying: f,
            strike: k,
            time_years: t,
            rate: r,
            dividend_yield: 0.99, // ignored: a forward has no dividend yield of its own
        };
        let atm = spec(OptionType::Call, 100.0, 100.0, 1.0, 0.05).value(0.2);
        assert!(close(atm.price, 7.577_082_146_427_28, 1e-9));
        assert!(close(atm.delta, 0.513_500_122_982_493, 1e-9));
        assert!(
            close(atm.rho, -0.075_770_821_464_273, 1e-12),
            "rho = -T × price / 100"
        );
        // A weekly NIFTY put: F = 22,000, K = 22,500, 7 days, r = 6.5%, σ = 14%.
        let put = spec(OptionType::Put, 22_000.0, 22_500.0, 7.0 / 365.0, 0.065).value(0.14);
        assert!(close(put.price, 525.643_850_453_967_8, 1e-7));
    }

    #[test]
    fn implied_volatility_recovers_the_volatility_that_priced_the_option() {
        for (option_type, k, vol) in [
            (OptionType::Call, 100.0, 0.2),
            (OptionType::Put, 80.0, 0.65),
            (OptionType::Call, 150.0, 0.9),
            (OptionType::Put, 101.0, 0.05),
        ] {
            let spec = bs(option_type, 100.0, k, 0.5, 0.065, 0.0);
            let iv = spec.implied_volatility(spec.price(vol)).unwrap();
            assert!(close(iv, vol, 1e-7), "{option_type:?} {k}: {iv} vs {vol}");
        }
    }

    #[test]
    fn the_price_alone_is_the_valuations_price() {
        for model in [Model::BlackScholes, Model::Black76] {
            for option_type in [OptionType::Call, OptionType::Put] {
                for (k, t, vol) in [(90.0, 0.1, 0.2), (100.0, 0.5, 0.65), (130.0, 2.0, 0.05)] {
                    let spec = OptionSpec {
                        model,
                        option_type,
                        underlying: 100.0,
                        strike: k,
                        time_years: t,
                        rate: 0.065,
                        dividend_yield: 0.02,
                    };
                    let (alone, valued) = (spec.price(vol), spec.value(vol).price);
                    assert!(
                        close(alone, valued, 1e-12 * valued.abs().max(1.0)),
                        "{spec:?}: {alone} vs {valued}"
                    );
                }
            }
        }
    }

    #[test]
    fn unsolvable_prices_have_no_implied_volatility() {
        let call = bs(OptionType::Call, 100.0, 90.0, 0.1, 0.065, 0.0);
        let (lo, hi) = call.price_bounds();
        for target in [0.0, -1.0, lo - 0.01, lo, hi, hi + 1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(call.implied_volatility(target), None, "{target}");
        }
    }

    proptest! {
        /// Put-call parity: C − P = S·e^(−qT) − K·e^(−rT), for both models.
        #[test]
        fn put_call_parity_holds(
            s in 1.0f64..50_000.0, moneyness in 0.5f64..1.5, days in 1.0f64..730.0,
            r in 0.0f64..0.15, q in 0.0f64..0.05, vol in 0.02f64..2.0, forward in any::<bool>(),
        ) {
            let model = if forward { Model::Black76 } else { Model::BlackScholes };
            let spec = |option_type| OptionSpec {
                model, option_type, underlying: s, strike: s * moneyness,
                time_years: days / DAYS_PER_YEAR, rate: r, dividend_yield: q,
            };
            let (call, put) = (spec(OptionType::Call), spec(OptionType::Put));
            let carry = if forward { r } else { q };
            let t = days / DAYS_PER_YEAR;
            let parity = s * (-carry * t).exp() - s * moneyness * (-r * t).exp();
            prop_assert!((call.price(vol) - put.price(vol) - parity).abs() <= 1e-8 * s);
        }

        /// The solver never panics or returns NaN, whatever price it is given.
        #[test]
        fn the_solver_is_total(target in -10.0f64..200.0, k in 1.0f64..300.0, days in 0.01f64..1000.0) {
            let spec = bs(OptionType::Call, 100.0, k, days / DAYS_PER_YEAR, 0.065, 0.0);
            if let Some(iv) = spec.implied_volatility(target) {
                prop_assert!(iv.is_finite() && iv >= IV_BOUNDS.0 && iv <= IV_BOUNDS.1);
                prop_assert!((spec.price(iv) - target).abs() <= 1e-6 * target.max(1.0));
            }
        }
    }
}
