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

/// Rate of change of a cumulative counter over samples `(seconds, value)`: the change between
/// the first and last sample divided by the time between them. `None` with fewer than two
/// samples or no time between them.
pub fn rate(samples: &[(f64, f64)]) -> Option<f64> {
    let (first, last) = (samples.first()?, samples.last()?);
    let dt = last.0 - first.0;
    (dt > 0.0).then(|| (last.1 - first.1) / dt)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
