//! Statistics of the figures: pure functions, each with its method named.

/// The `q`-quantile (0 to 1) of `values` by linear interpolation between closest ranks
/// (Hyndman and Fan 1996, definition 7; the default of R and NumPy). `None` when empty.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// The median of `values`.
pub fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}

/// The median of whole numbers, as a whole number (rounded half away from zero).
pub fn median_u64(values: &[u64]) -> Option<u64> {
    let as_f64: Vec<f64> = values.iter().map(|&v| v as f64).collect();
    median(&as_f64).map(|m| m.round() as u64)
}

/// Spread of a set of figures: smallest, median and largest.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Spread {
    /// Smallest value.
    pub min: f64,
    /// Median.
    pub median: f64,
    /// Largest value.
    pub max: f64,
    /// How many values.
    pub n: usize,
}

/// The spread of `values`; `None` when empty.
pub fn spread(values: &[f64]) -> Option<Spread> {
    Some(Spread {
        min: quantile(values, 0.0)?,
        median: median(values)?,
        max: quantile(values, 1.0)?,
        n: values.len(),
    })
}

/// Confidence level asked of every interval for a median: 95 %.
pub const CONFIDENCE: f64 = 0.95;

/// Coefficient of variation above which the repeats of a figure disagree: 10 %.
pub const NOISY_CV: f64 = 0.10;

/// A distribution-free confidence interval for the median: two order statistics and the
/// exact coverage they give.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    /// Lower bound (an order statistic of the values).
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// The probability that `[low, high]` holds the true median, whatever the distribution.
    pub coverage: f64,
}

/// `P(X <= k)` for `X ~ Binomial(n, 1/2)`, exactly (summed in floating point; `n` is small).
fn binomial_half_cdf(n: usize, k: usize) -> f64 {
    let mut term = 0.5_f64.powi(n as i32); // C(n, 0) / 2^n
    let mut sum = term;
    for i in 1..=k.min(n) {
        term *= (n - i + 1) as f64 / i as f64;
        sum += term;
    }
    sum.min(1.0)
}

/// Coverage of `[x_(k), x_(n-k+1)]` (1-based order statistics) as an interval for the median:
/// `1 - 2 P(Bin(n, 1/2) <= k - 1)`.
fn order_coverage(n: usize, k: usize) -> f64 {
    if k == 0 || 2 * k > n + 1 {
        return 0.0;
    }
    1.0 - 2.0 * binomial_half_cdf(n, k - 1)
}

/// The shortest order-statistic interval for the median whose coverage is at least `level`,
/// or `None` when even `[min, max]` falls short (with 5 values or fewer at 95 %: `[min, max]`
/// then covers the median only with `1 - 2^(1-n)`, 75 % for 3 values).
///
/// Method: the interval `[x_(k), x_(n-k+1)]` holds the population median with probability
/// `1 - 2 P(Bin(n, 1/2) <= k - 1)` for any continuous distribution; the largest `k` that keeps
/// it at `level` or above is taken (W. J. Conover, *Practical Nonparametric Statistics*, 3rd
/// ed., 1999, section 3.2, the confidence interval for a quantile).
pub fn median_interval(values: &[f64], level: f64) -> Option<Interval> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let k = (1..=n.div_ceil(2))
        .take_while(|&k| order_coverage(n, k) >= level)
        .last()?;
    Some(Interval {
        low: sorted[k - 1],
        high: sorted[n - k],
        coverage: order_coverage(n, k),
    })
}

/// Sample coefficient of variation: standard deviation (`n - 1` in the denominator) over the
/// mean. `None` with fewer than two values or a mean of zero.
pub fn coefficient_of_variation(values: &[f64]) -> Option<f64> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if mean == 0.0 || !mean.is_finite() {
        return None;
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Some(var.sqrt() / mean.abs())
}

/// A figure measured once per repeat: median, spread, a 95 % interval for the median when the
/// number of repeats allows one, and whether the repeats disagree.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Estimate {
    /// Median over the repeats.
    pub median: f64,
    /// Smallest repeat.
    pub min: f64,
    /// Largest repeat.
    pub max: f64,
    /// Repeats it is made of.
    pub n: usize,
    /// 95 % confidence interval for the median ([`median_interval`]); `None` when `n` is too
    /// small for one (fewer than 6 values).
    pub ci95: Option<Interval>,
    /// How sure `[min, max]` is to hold the median (`1 - 2^(1-n)`): what the repeats can say
    /// when there is no 95 % interval.
    pub range_coverage: f64,
    /// Coefficient of variation over the repeats; `None` for a single repeat.
    pub cv: Option<f64>,
    /// The repeats disagree: `cv` above [`NOISY_CV`].
    pub noisy: bool,
}

/// The estimate of a figure from one value per repeat; `None` when there is none.
pub fn estimate(values: &[f64]) -> Option<Estimate> {
    let values: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let s = spread(&values)?;
    let cv = coefficient_of_variation(&values);
    Some(Estimate {
        median: s.median,
        min: s.min,
        max: s.max,
        n: s.n,
        ci95: median_interval(&values, CONFIDENCE),
        range_coverage: order_coverage(s.n, 1),
        cv,
        noisy: cv.is_some_and(|cv| cv > NOISY_CV),
    })
}

/// Rate of change of a cumulative counter over samples `(seconds, value)`: the change between
/// the first and last sample divided by the time between them. `None` with fewer than two
/// samples or no time between them.
pub fn rate(samples: &[(f64, f64)]) -> Option<f64> {
    let (first, last) = (samples.first()?, samples.last()?);
    let dt = last.0 - first.0;
    (dt > 0.0).then(|| (last.1 - first.1) / dt)
}

/// The least-squares slope of `samples` `(x, y)`: how much y changes per unit of x along the
/// line that fits them best. `None` with fewer than two samples or all at one x.
pub fn slope(samples: &[(f64, f64)]) -> Option<f64> {
    let n = samples.len() as f64;
    if samples.len() < 2 {
        return None;
    }
    let mean_x = samples.iter().map(|s| s.0).sum::<f64>() / n;
    let mean_y = samples.iter().map(|s| s.1).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in samples {
        sxy += (x - mean_x) * (y - mean_y);
        sxx += (x - mean_x) * (x - mean_x);
    }
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slope_is_the_least_squares_line() {
        // y = 3x + 1 exactly, then four points R's lm(y ~ x) fits with slope 2.8.
        let line: Vec<(f64, f64)> = (0..5).map(|x| (x as f64, 3.0 * x as f64 + 1.0)).collect();
        assert!((slope(&line).unwrap() - 3.0).abs() < 1e-12);
        let noisy = [(0.0, 1.5), (1.0, 3.5), (2.0, 7.5), (3.0, 9.5)];
        // x̄ = 1.5, ȳ = 5.5: Sxy = (−1.5)(−4) + (−0.5)(−2) + 0.5·2 + 1.5·4 = 14, Sxx = 5.
        assert!((slope(&noisy).unwrap() - 2.8).abs() < 1e-12);
        assert_eq!(slope(&[(1.0, 2.0)]), None);
        assert_eq!(slope(&[(1.0, 2.0), (1.0, 5.0)]), None);
    }

    #[test]
    fn quantiles_match_type_7() {
        // R: quantile(c(1, 2, 3, 4), c(0.25, 0.5, 0.9), type = 7) -> 1.75 2.50 3.70
        let v = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(quantile(&v, 0.25), Some(1.75));
        assert_eq!(quantile(&v, 0.5), Some(2.5));
        assert!((quantile(&v, 0.9).unwrap() - 3.7).abs() < 1e-12);
        assert_eq!(median(&[5.0]), Some(5.0));
        assert_eq!(median(&[]), None);
        assert_eq!(quantile(&v, 1.5), None);
    }

    #[test]
    fn medians_of_counts_round() {
        assert_eq!(median_u64(&[1, 2]), Some(2));
        assert_eq!(median_u64(&[1, 2, 10]), Some(2));
        assert_eq!(median_u64(&[]), None);
    }

    #[test]
    fn spread_and_rate() {
        let s = spread(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.min, s.median, s.max, s.n), (1.0, 2.0, 3.0, 3));
        assert_eq!(rate(&[(0.0, 10.0), (1.0, 15.0), (2.0, 30.0)]), Some(10.0));
        assert_eq!(rate(&[(1.0, 1.0)]), None);
        assert_eq!(rate(&[(1.0, 1.0), (1.0, 2.0)]), None);
    }

    #[test]
    fn binomial_tail_is_exact() {
        // 1/8 + 3/8 for n = 3; R: pbinom(1, 3, 0.5) = 0.5, pbinom(5, 10, 0.5) = 0.623046875
        assert_eq!(binomial_half_cdf(3, 0), 0.125);
        assert_eq!(binomial_half_cdf(3, 1), 0.5);
        assert!((binomial_half_cdf(10, 5) - 0.623_046_875).abs() < 1e-12);
        assert_eq!(binomial_half_cdf(4, 9), 1.0);
    }

    #[test]
    fn no_95_interval_from_five_values_or_fewer() {
        for n in 1..=5 {
            let v: Vec<f64> = (1..=n).map(f64::from).collect();
            assert_eq!(median_interval(&v, CONFIDENCE), None, "n = {n}");
        }
        // [min, max] of 3 values covers the median with 1 - 2/8 = 75 %.
        let e = estimate(&[10.0, 12.0, 11.0]).unwrap();
        assert_eq!(e.ci95, None);
        assert_eq!(e.range_coverage, 0.75);
        assert_eq!((e.min, e.median, e.max, e.n), (10.0, 11.0, 12.0, 3));
    }

    #[test]
    fn order_statistic_intervals_match_conover_tables() {
        // n = 6: [x(1), x(6)], 1 - 2/64 = 0.96875.
        let six = median_interval(&[6.0, 1.0, 5.0, 2.0, 4.0, 3.0], CONFIDENCE).unwrap();
        assert_eq!((six.low, six.high), (1.0, 6.0));
        assert!((six.coverage - 0.968_75).abs() < 1e-12);
        // n = 10: k = 2, [x(2), x(9)], 1 - 2 * 11/1024 = 0.978515625 (k = 3 gives 0.890625).
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        let i = median_interval(&ten, CONFIDENCE).unwrap();
        assert_eq!((i.low, i.high), (2.0, 9.0));
        assert!((i.coverage - 0.978_515_625).abs() < 1e-12);
        // n = 20: k = 6, [x(6), x(15)], coverage 0.9586 (R: 1 - 2 * pbinom(5, 20, 0.5)).
        let twenty: Vec<f64> = (1..=20).map(f64::from).collect();
        let i = median_interval(&twenty, CONFIDENCE).unwrap();
        assert_eq!((i.low, i.high), (6.0, 15.0));
        assert!((i.coverage - 0.958_610_5).abs() < 1e-6);
    }

    #[test]
    fn coefficient_of_variation_and_the_noisy_flag() {
        // mean 10, sd 1 (R: sd(c(9, 10, 11))): cv 0.1, not above the threshold.
        let cv = coefficient_of_variation(&[9.0, 10.0, 11.0]).unwrap();
        assert!((cv - 0.1).abs() < 1e-12);
        assert!(!estimate(&[9.0, 10.0, 11.0]).unwrap().noisy);
        // mean 10, sd 2: cv 0.2, noisy.
        let e = estimate(&[8.0, 10.0, 12.0]).unwrap();
        assert!((e.cv.unwrap() - 0.2).abs() < 1e-12);
        assert!(e.noisy);
        // One repeat: no spread to judge, never noisy.
        let one = estimate(&[5.0]).unwrap();
        assert_eq!((one.cv, one.noisy, one.range_coverage), (None, false, 0.0));
        assert_eq!(estimate(&[]), None);
        assert_eq!(coefficient_of_variation(&[0.0, 0.0]), None);
    }
}
