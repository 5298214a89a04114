//! The indicators the strategies read, over a series of bars, each value at bar t computed from bars ≤ t
//! only (nothing before the series: the first bars warm the indicator up and have no value).
//!
//! Prices that are compared for equality-sensitive rules (moving-average crossings, channel breaks, the
//! Bollinger mean) are exact: they work on integer price units ([`Units`]), so a tie is a tie. EMA, RSI and
//! the standard deviation are floats (analytics maths).

use rust_decimal::Decimal;

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
        let factor = Decimal::from(10_i64.pow(scale));
        let values = prices
            .iter()
            .map(|p| {
                let scaled = (*p * factor).round();
                i64::try_from(scaled.mantissa()).unwrap_or(i64::MAX)
            })
            .collect();
        Units { scale, values }
    }
}

/// Rolling sums of the last `n` values, exact: `None` until `n` values were seen.
pub fn rolling_sums(values: &[i64], n: usize) -> Vec<Option<i128>> {
    let mut out = Vec::with_capacity(values.len());
    let mut sum: i128 = 0;
    for (t, v) in values.iter().enumerate() {
        sum += i128::from(*v);
        if t >= n {
            sum -= i128::from(values[t - n]);
        }
        out.push((t + 1 >= n).then_some(sum));
    }
    out
}

/// The sign of the simple moving average of length `fast` minus the one of length `slow` at every bar
/// (both means compared exactly, by cross-multiplying the sums); `None` until both exist.
pub fn sma_spread_signs(units: &[i64], fast: usize, slow: usize) -> Vec<Option<i8>> {
    let (f, s) = (rolling_sums(units, fast), rolling_sums(units, slow));
    let (fast_n, slow_n) = (fast as i128, slow as i128);
    f.iter()
        .zip(&s)
        .map(|(f, s)| Some(((*f)? * slow_n).cmp(&((*s)? * fast_n)) as i8))
        .collect()
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
pub fn spread_signs(fast: &[f64], slow: &[f64]) -> Vec<Option<i8>> {
    fast.iter()
        .zip(slow)
        .map(|(f, s)| {
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
        .collect()
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
    window_before(values, n, |a, b| a.max(b))
}

/// The lowest of the `n` values before each bar (the bar itself excluded); `None` for the first `n` bars.
pub fn lowest_before(values: &[i64], n: usize) -> Vec<Option<i64>> {
    window_before(values, n, |a, b| a.min(b))
}

/// `pick` over the `n` values before each bar, by a monotonic deque (O(length)).
fn window_before(values: &[i64], n: usize, pick: fn(i64, i64) -> i64) -> Vec<Option<i64>> {
    let mut out = Vec::with_capacity(values.len());
    let mut window: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    for t in 0..values.len() {
        // The window holds indices t−n .. t−1, best first.
        out.push(
            (t >= n && n > 0)
                .then(|| window.front().map(|i| values[*i]))
                .flatten(),
        );
        while window
            .back()
            .is_some_and(|&i| pick(values[i], values[t]) == values[t])
        {
            window.pop_back();
        }
        window.push_back(t);
        while window.front().is_some_and(|&i| i + n <= t) {
            window.pop_front();
        }
    }
    out
}

/// The population standard deviation of the last `n` values at every bar; NaN before bar n−1.
pub fn rolling_stddev(values: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; values.len()];
    if n == 0 {
        return out;
    }
    for t in (n - 1)..values.len() {
        let window = &values[t + 1 - n..=t];
        let mean = window.iter().sum::<f64>() / n as f64;
        let variance = window.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        out[t] = variance.sqrt();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn prices_become_exact_integers_at_the_finest_scale() {
        let u = Units::of(&[dec!(100), dec!(100.05), dec!(99.5)]);
        assert_eq!((u.scale, u.values), (2, vec![10000, 10005, 9950]));
    }

    #[test]
    fn moving_averages_by_hand() {
        // SMA(2) of 1,2,3,4 = -, 1.5, 2.5, 3.5; SMA(3) = -, -, 2, 3: fast above slow where both exist.
        assert_eq!(
            sma_spread_signs(&[1, 2, 3, 4], 2, 3),
            [None, None, Some(1), Some(1)]
        );
        // A tie is a tie: SMA(2) of 3,1 = 2 = SMA(3) of 2,3,1.
        assert_eq!(sma_spread_signs(&[2, 3, 1], 2, 3), [None, None, Some(0)]);
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
        // Population σ of 2, 4, 4, 4, 5, 5, 7, 9 = 2.
        let s = rolling_stddev(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 8);
        assert!((s[7] - 2.0).abs() < 1e-12);
    }
}
