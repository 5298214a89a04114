//! The indicators the strategies read, over a series of bars, each value at bar t computed from bars ≤ t
//! only (nothing before the series: the first bars warm the indicator up and have no value).
//!
//! Prices that are compared for equality-sensitive rules (moving-average crossings, channel breaks, the
//! Bollinger mean) are exact: they work on integer price units ([`Units`]), so a tie is a tie. EMA, RSI and
//! the standard deviation are floats (analytics maths).

use rust_decimal::{Decimal, RoundingStrategy};

/// Prices as exact integers: each price × 10^`scale`, with `scale` the most decimal places of any price in
/// the series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Units {
    /// Decimal places kept.
    pub scale: u32,
    /// The prices, scaled.
    pub values: Vec<i64>,
}

/// The most decimal places a price may carry here (NSE ticks are 0.05 or 0.01; imported CSVs rarely carry
/// more than 4).
pub const MAX_SCALE: u32 = 6;

impl Units {
    /// `prices` as integers at the largest scale among them (at most [`MAX_SCALE`]; finer digits are
    /// rounded, half away from zero).
    pub fn of(prices: &[Decimal]) -> Units {
        let scale = prices
            .iter()
            .map(Decimal::scale)
            .max()
            .unwrap_or(0)
            .min(MAX_SCALE);
        let values = prices
            .iter()
            .map(|p| {
                // The mantissa at `scale`: finer prices rounded first, coarser ones scaled up.
                let p = p.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
                p.mantissa()
                    .checked_mul(10_i128.pow(scale - p.scale()))
                    .and_then(|m| i64::try_from(m).ok())
                    .unwrap_or(i64::MAX)
            })
            .collect();
        Units { scale, values }
    }

    /// The prices as floats (each integer ÷ 10^scale).
    pub fn to_f64(&self) -> Vec<f64> {
        let factor = 10_f64.powi(i32::try_from(self.scale).unwrap_or(0));
        self.values.iter().map(|v| *v as f64 / factor).collect()
    }
}

/// Running sums of the last `n` values, exact, at every bar: `None` until `n` values were seen. An
/// iterator, so a million bars need no buffer.
pub fn rolling_sums(values: &[i64], n: usize) -> impl Iterator<Item = Option<i128>> + '_ {
    let mut sum = 0_i128;
    values.iter().enumerate().map(move |(t, v)| {
        sum += i128::from(*v);
        if t >= n {
            sum -= i128::from(values[t - n]);
        }
        (t + 1 >= n && n > 0).then_some(sum)
    })
}

/// Running sums of the last `n` values and of their squares, exact, at every bar: `None` until `n`
/// values were seen. An iterator, so a million bars need no buffer.
pub fn rolling_moments(values: &[i64], n: usize) -> impl Iterator<Item = Option<Moments>> + '_ {
    let mut moments = Moments::default();
    values.iter().enumerate().map(move |(t, v)| {
        moments.add(*v);
        if t >= n {
            moments.remove(values[t - n]);
        }
        (t + 1 >= n && n > 0).then_some(moments)
    })
}

/// The sum and the sum of squares of a window of integer prices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moments {
    /// Σx.
    pub sum: i128,
    /// Σx².
    pub sum_sq: i128,
}

impl Moments {
    fn add(&mut self, v: i64) {
        let v = i128::from(v);
        self.sum += v;
        self.sum_sq += v * v;
    }

    fn remove(&mut self, v: i64) {
        let v = i128::from(v);
        self.sum -= v;
        self.sum_sq -= v * v;
    }

    /// The population standard deviation of the `n` values, from the exact n·Σx² − (Σx)² (no float
    /// cancellation), in the values' units.
    pub fn stddev(&self, n: usize) -> f64 {
        let n = n as i128;
        let spread = (n * self.sum_sq - self.sum * self.sum).max(0);
        (spread as f64).sqrt() / n as f64
    }
}

/// The sign of the simple moving average of length `fast` minus the one of length `slow` at every bar
/// (both means compared exactly, by cross-multiplying the sums); `None` until both exist.
pub fn sma_spread_signs(units: &[i64], fast: usize, slow: usize) -> impl Iterator<Item = Option<i8>> + '_ {
    let (fast_n, slow_n) = (fast as i128, slow as i128);
    rolling_sums(units, fast)
        .zip(rolling_sums(units, slow))
        .map(move |(f, s)| Some((f? * slow_n).cmp(&(s? * fast_n)) as i8))
}

/// The exponential moving average of length `n`: seeded with the simple mean of the first `n` values (the
/// value at bar n−1), then `α = 2/(n+1)`. NaN before bar n−1.
pub fn ema(values: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; values.len()];
    if n == 0 || values.len() < n {
        return out;
    }
    let alpha = 2.0 / (n as f64 + 1.0);
    let mut current = values[..n].iter().sum::<f64>() / n as f64;
    out[n - 1] = current;
    for t in n..values.len() {
        current += alpha * (values[t] - current);
        out[t] = current;
    }
    out
}

/// The sign of `fast` − `slow` where both exist.
pub fn spread_signs<'a>(fast: &'a [f64], slow: &'a [f64]) -> impl Iterator<Item = Option<i8>> + 'a {
    fast.iter().zip(slow).map(|(f, s)| {
        if f.is_nan() || s.is_nan() {
            None
        } else {
            Some(if f > s {
                1
            } else if f < s {
                -1
            } else {
                0
            })
        }
    })
}

/// Wilder's relative strength index of length `n` over closes: the first average gain and loss are the
/// simple means of the first `n` moves, then each is smoothed as `(previous × (n−1) + move) / n`. 100 when
/// there were no losses (and no gains either: the RSI of a flat series is 50). NaN before bar n.
pub fn rsi(closes: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; closes.len()];
    if n == 0 || closes.len() <= n {
        return out;
    }
    let moves = |t: usize| {
        let change = closes[t] - closes[t - 1];
        (change.max(0.0), (-change).max(0.0))
    };
    let (mut gain, mut loss) = (1..=n)
        .map(moves)
        .fold((0.0, 0.0), |(g, l), (mg, ml)| (g + mg, l + ml));
    gain /= n as f64;
    loss /= n as f64;
    let value = |gain: f64, loss: f64| {
        if loss == 0.0 {
            if gain == 0.0 { 50.0 } else { 100.0 }
        } else {
            100.0 - 100.0 / (1.0 + gain / loss)
        }
    };
    out[n] = value(gain, loss);
    let k = n as f64;
    for (t, slot) in out.iter_mut().enumerate().skip(n + 1) {
        let (g, l) = moves(t);
        gain = (gain * (k - 1.0) + g) / k;
        loss = (loss * (k - 1.0) + l) / k;
        *slot = value(gain, loss);
    }
    out
}

/// The highest of the `n` values before each bar (the bar itself excluded); `None` for the first `n` bars.
pub fn highest_before(values: &[i64], n: usize) -> Vec<Option<i64>> {
    window_before(values, n, i64::max)
}

/// The lowest of the `n` values before each bar (the bar itself excluded); `None` for the first `n` bars.
pub fn lowest_before(values: &[i64], n: usize) -> Vec<Option<i64>> {
    window_before(values, n, i64::min)
}

/// `pick` over the `n` values before each bar, in O(length) with no branches on the data (van Herk /
/// Gil–Werman): within blocks of `n`, running picks from each block's start and from its end; a window
/// `[i, i + n − 1]` spans at most two blocks, so it is the pick of the suffix at `i` and the prefix at
/// `i + n − 1`.
fn window_before(values: &[i64], n: usize, pick: impl Fn(i64, i64) -> i64 + Copy) -> Vec<Option<i64>> {
    let len = values.len();
    if n == 0 || len <= n {
        return vec![None; len];
    }
    let mut prefix = values.to_vec();
    let mut suffix = values.to_vec();
    for start in (0..len).step_by(n) {
        let end = (start + n).min(len);
        for i in start + 1..end {
            prefix[i] = pick(prefix[i - 1], values[i]);
        }
        for i in (start..end - 1).rev() {
            suffix[i] = pick(suffix[i + 1], values[i]);
        }
    }
    (0..len)
        .map(|t| (t >= n).then(|| pick(suffix[t - n], prefix[t - 1])))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn prices_become_exact_integers_at_the_finest_scale() {
        let u = Units::of(&[dec!(100), dec!(100.05), dec!(99.5)]);
        assert_eq!((u.scale, u.values.clone()), (2, vec![10000, 10005, 9950]));
        assert_eq!(u.to_f64(), [100.0, 100.05, 99.5]);
        let fine = Units::of(&[dec!(1.23456789), dec!(2)]);
        assert_eq!((fine.scale, fine.values), (MAX_SCALE, vec![1_234_568, 2_000_000]));
        assert_eq!(Units::of(&[dec!(0.0000005)]).values, [1], "half away from zero");
    }

    #[test]
    fn moving_averages_by_hand() {
        // SMA(2) of 1,2,3,4 = -, 1.5, 2.5, 3.5; SMA(3) = -, -, 2, 3: fast above slow where both exist.
        assert_eq!(
            sma_spread_signs(&[1, 2, 3, 4], 2, 3).collect::<Vec<_>>(),
            [None, None, Some(1), Some(1)]
        );
        // A tie is a tie: SMA(2) of 3,1 = 2 = SMA(3) of 2,3,1.
        assert_eq!(
            sma_spread_signs(&[2, 3, 1], 2, 3).collect::<Vec<_>>(),
            [None, None, Some(0)]
        );
        // EMA(3) of 1,2,3,4,5: seed mean(1,2,3) = 2 at bar 2; α = 0.5: 3, then 4.
        let e = ema(&[1.0, 2.0, 3.0, 4.0, 5.0], 3);
        assert!(e[1].is_nan());
        assert_eq!(&e[2..], [2.0, 3.0, 4.0]);
    }

    #[test]
    fn wilders_rsi_by_hand() {
        // Moves +1, -1, +2, then +1. RSI(3) at bar 3: gain (1+0+2)/3 = 1, loss 1/3: RS 3, RSI 75. Bar 4: gain
        // (1×2+1)/3 = 1, loss (1/3×2+0)/3 = 2/9: RS 4.5, RSI 100 − 100/5.5 = 81.8181…
        let r = rsi(&[10.0, 11.0, 10.0, 12.0, 13.0], 3);
        assert!(r[2].is_nan());
        assert!((r[3] - 75.0).abs() < 1e-12);
        assert!((r[4] - (100.0 - 100.0 / 5.5)).abs() < 1e-12);
        assert!(
            (rsi(&[5.0, 5.0, 5.0], 2)[2] - 50.0).abs() < 1e-12,
            "a flat series' RSI is 50"
        );
    }

    #[test]
    fn channels_and_bands_by_hand() {
        let v = [5, 3, 8, 6, 2];
        assert_eq!(highest_before(&v, 2), [None, None, Some(5), Some(8), Some(8)]);
        assert_eq!(lowest_before(&v, 2), [None, None, Some(3), Some(3), Some(6)]);
        assert_eq!(highest_before(&v, 5), [None; 5]);
        assert_eq!(highest_before(&v, 0), [None; 5]);
        // Population σ of 2, 4, 4, 4, 5, 5, 7, 9 = 2 (mean 5); of 4, 4, 4, 5, 5, 7, 9, 1 = 2.2913… (mean 4.875,
        // Σx² = 229, 8·229 − 39² = 311, √311 / 8).
        let m: Vec<_> = rolling_moments(&[2, 4, 4, 4, 5, 5, 7, 9, 1], 8).collect();
        assert_eq!(m[6], None);
        assert_eq!(m[7].unwrap().sum, 40);
        assert!((m[7].unwrap().stddev(8) - 2.0).abs() < 1e-12);
        assert!((m[8].unwrap().stddev(8) - 311_f64.sqrt() / 8.0).abs() < 1e-12);
    }

    proptest::proptest! {
        #[test]
        fn channels_are_the_extremes_of_the_bars_before(
            values in proptest::collection::vec(-1_000_i64..1_000, 0..80),
            n in 1_usize..12,
        ) {
            let (highs, lows) = (highest_before(&values, n), lowest_before(&values, n));
            for t in 0..values.len() {
                let window = t.checked_sub(n).map(|from| &values[from..t]);
                proptest::prop_assert_eq!(highs[t], window.and_then(|w| w.iter().copied().max()));
                proptest::prop_assert_eq!(lows[t], window.and_then(|w| w.iter().copied().min()));
            }
        }
    }
}
