//! What the harness itself cost over a run: the sampler's CPU, its peak memory, its CPU while
//! the services sat idle.

use std::collections::BTreeMap;

use crate::model::{HarnessCost, Phase, Sample};
use crate::stats::{median, rate};

/// What the harness itself cost over a run, from every sample it took: the sampler's CPU per
/// sample, the harness's peak memory, and its CPU while services sat idle. A run folds its
/// samples in repeat by repeat instead ([`HarnessFold`]); the figures are the same.
pub fn harness_cost(samples: &[Sample], interval: std::time::Duration) -> HarnessCost {
    let mut fold = HarnessFold::default();
    fold.add(samples);
    fold.cost(interval)
}

/// The harness's own cost over a run, folded in as each repeat's samples come (in the order
/// they were taken), so a run keeps what its figures need and not its samples: the count of
/// samples, a count per distinct sampler cost in µs (an exact median from at most a few
/// thousand distinct values, however long the run), the peak, one idle rate per stretch of
/// idle samples, and the first and last point of the stretch still open (a rate needs only
/// those). [`HarnessFold::cost`] equals [`harness_cost`] over all the samples at once.
#[derive(Debug, Clone, Default)]
pub struct HarnessFold {
    /// Samples folded in.
    pub(super) samples: u64,
    costs: BTreeMap<u64, u64>,
    peak_kb: u64,
    idle_cores: Vec<f64>,
    /// The open stretch of idle samples: its first and last (seconds, harness CPU seconds).
    stretch: Option<((f64, f64), (f64, f64))>,
}

impl HarnessFold {
    /// Folds in `samples`, which follow the ones already folded in.
    pub fn add(&mut self, samples: &[Sample]) {
        for s in samples {
            self.samples += 1;
            *self.costs.entry(s.cost_us).or_insert(0) += 1;
            self.peak_kb = self.peak_kb.max(s.harness.hwm_kb.max(s.harness.rss_kb));
            // Idle CPU per stretch of idle samples (a rate needs one process's samples in a
            // row: a sample earlier than the last one begins another stretch).
            if s.phase == Phase::Idle {
                let point = (s.at.as_secs_f64(), s.harness.cpu_us as f64 / 1e6);
                self.stretch = match self.stretch {
                    Some((first, last)) if point.0 >= last.0 => Some((first, point)),
                    Some(_) => {
                        self.close_stretch();
                        Some((point, point))
                    }
                    None => Some((point, point)),
                };
            } else {
                self.close_stretch();
            }
        }
    }

    fn close_stretch(&mut self) {
        if let Some((first, last)) = self.stretch.take() {
            self.idle_cores.extend(rate(&[first, last]));
        }
    }

    /// The median sampler cost, as [`median`] gives it over every sample's (type 7: the two
    /// middle values interpolated).
    fn median_cost(&self) -> Option<f64> {
        if self.samples == 0 {
            return None;
        }
        let h = (self.samples - 1) as f64 * 0.5;
        let (lo, hi) = (h.floor() as u64, h.ceil() as u64);
        // The value at a 0-based rank of the sorted costs.
        let at = |rank: u64| {
            let mut below = 0;
            for (&cost, &n) in &self.costs {
                below += n;
                if rank < below {
                    return cost as f64;
                }
            }
            0.0
        };
        let (low, high) = (at(lo), at(hi));
        Some(low + (h - lo as f64) * (high - low))
    }

    /// The run's figures so far, sampled every `interval`.
    pub fn cost(&self, interval: std::time::Duration) -> HarnessCost {
        let per_sample = self.median_cost();
        let interval_us = interval.as_secs_f64() * 1e6;
        let mut idle_cores = self.idle_cores.clone();
        if let Some((first, last)) = self.stretch {
            idle_cores.extend(rate(&[first, last]));
        }
        HarnessCost {
            samples: self.samples,
            sampler_cpu_us_per_sample: per_sample,
            sampler_core_pct: per_sample.map(|c| c / interval_us * 100.0),
            harness_peak_kb: (self.peak_kb > 0).then_some(self.peak_kb),
            idle_core_pct: median(&idle_cores).map(|c| c * 100.0),
        }
    }
}
