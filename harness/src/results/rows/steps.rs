//! The steps' files: `latency.csv`, one row per step and kind of id, and `histograms.csv`,
//! its latency histograms.

use serde::{Deserialize, Serialize};

use super::{Fixed, Row};
use crate::model::{KindResult, StepSummary};

/// `latency.csv`: one row per step and kind of id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyRow {
    /// The stack.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// The step's name (`warmup` for the warm-up).
    pub step: String,
    /// Whether it is the warm-up.
    pub warmup: bool,
    /// Concurrent users.
    pub users: u64,
    /// Target rate, requests per second; empty for unthrottled.
    pub target_rps: Option<u32>,
    /// `seeded`, `unknown` or `malformed`.
    pub kind: String,
    /// Requests of this kind.
    pub requests: u64,
    /// Seconds the figures cover.
    pub seconds: Fixed<3>,
    /// Requests of this kind per second.
    pub achieved_rps: Fixed<1>,
    /// Requests that did not get the contract's status.
    pub errors: u64,
    /// Responses by status, `status:count` separated by spaces (`0` for no response).
    pub statuses: String,
    /// Median, µs.
    pub p50_us: u64,
    /// 90th percentile, µs.
    pub p90_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// 99.9th percentile, µs.
    pub p999_us: u64,
    /// Slowest, µs.
    pub max_us: u64,
    /// Mean, µs.
    pub mean_us: u64,
    /// The load generator was saturated.
    pub load_generator_bound: bool,
    /// The step's coordinated-omission setting.
    pub coordinated_omission: String,
    /// Median from when each request was due (constant-rate steps), µs.
    pub intended_p50_us: Option<u64>,
    /// 90th percentile from when each request was due, µs.
    pub intended_p90_us: Option<u64>,
    /// 99th percentile from when each request was due, µs.
    pub intended_p99_us: Option<u64>,
    /// 99.9th percentile from when each request was due, µs.
    pub intended_p999_us: Option<u64>,
    /// Slowest from when it was due, µs.
    pub intended_max_us: Option<u64>,
    /// Slots that fell due but were never sent (constant-rate steps; counted in `errors`).
    #[serde(default)]
    pub not_sent: u64,
    /// Requests that had to open a new connection first.
    #[serde(default)]
    pub reconnects: u64,
    /// Mean time those connections took to open, µs (not in the latencies).
    #[serde(default)]
    pub connect_mean_us: u64,
    /// Longest time one took to open, µs.
    #[serde(default)]
    pub connect_max_us: u64,
}

impl Row for LatencyRow {
    const FILE: &'static str = "latency.csv";
}

impl LatencyRow {
    /// The row of one kind of id in one step.
    pub fn new(stack: &str, repeat: u32, step: &StepSummary, kind: &KindResult) -> Self {
        let statuses: Vec<String> = kind
            .statuses
            .iter()
            .map(|(s, n)| format!("{s}:{n}"))
            .collect();
        Self {
            stack: stack.to_owned(),
            repeat,
            step: step.name.clone(),
            warmup: step.warmup,
            users: step.users as u64,
            target_rps: step.target_rps,
            kind: kind.kind.clone(),
            requests: kind.requests,
            seconds: Fixed(step.seconds),
            achieved_rps: Fixed(kind.requests as f64 / step.seconds.max(1e-9)),
            errors: kind.errors,
            statuses: statuses.join(" "),
            p50_us: kind.p50_us,
            p90_us: kind.p90_us,
            p99_us: kind.p99_us,
            p999_us: kind.p999_us,
            max_us: kind.max_us,
            mean_us: kind.mean_us,
            load_generator_bound: step.load_generator_bound,
            coordinated_omission: step.coordinated_omission.clone(),
            intended_p50_us: kind.intended.map(|p| p.p50_us),
            intended_p90_us: kind.intended.map(|p| p.p90_us),
            intended_p99_us: kind.intended.map(|p| p.p99_us),
            intended_p999_us: kind.intended.map(|p| p.p999_us),
            intended_max_us: kind.intended.map(|p| p.max_us),
            not_sent: kind.not_sent,
            reconnects: kind.reconnects,
            connect_mean_us: kind.connect_mean_us,
            connect_max_us: kind.connect_max_us,
        }
    }

    /// The responses by status, read back from [`LatencyRow::statuses`]; what does not parse
    /// is left out.
    pub fn status_counts(&self) -> std::collections::BTreeMap<u16, u64> {
        self.statuses
            .split_whitespace()
            .filter_map(|pair| {
                let (status, count) = pair.split_once(':')?;
                Some((status.parse().ok()?, count.parse().ok()?))
            })
            .collect()
    }
}

/// `histograms.csv`: one row per step, kind of id and series, holding the whole latency
/// distribution the percentiles of `latency.csv` were read from.
///
/// `histogram` is HdrHistogram's V2 serialisation with DEFLATE (the format every HdrHistogram
/// library reads: Java, C, Go, Python, Rust), in base64; values in µs, 3 significant digits.
/// Histograms of the same stack and step add exactly across repeats (or across load workers),
/// which percentiles do not.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistogramRow {
    /// The stack.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// The step's name (`warmup` for the warm-up).
    pub step: String,
    /// Whether it is the warm-up.
    pub warmup: bool,
    /// `seeded`, `unknown` or `malformed`.
    pub kind: String,
    /// `raw` (from each request's send) or `intended` (from its slot in the schedule).
    pub series: String,
    /// Values recorded.
    pub count: u64,
    /// The distribution, V2 + DEFLATE, base64.
    pub histogram: String,
}

impl Row for HistogramRow {
    const FILE: &'static str = "histograms.csv";
}

impl HistogramRow {
    /// The rows of one kind of id in one step: its raw series, and its intended one when the
    /// driver had a schedule; none when the driver kept no histograms (an external tool).
    pub fn of(stack: &str, repeat: u32, step: &StepSummary, kind: &KindResult) -> Vec<Self> {
        let Some(h) = &kind.histograms else {
            return Vec::new();
        };
        [("raw", Some(&h.raw)), ("intended", h.intended.as_ref())]
            .into_iter()
            .filter_map(|(series, histogram)| {
                let histogram = histogram?;
                Some(Self {
                    stack: stack.to_owned(),
                    repeat,
                    step: step.name.clone(),
                    warmup: step.warmup,
                    kind: kind.kind.clone(),
                    series: series.to_owned(),
                    count: histogram.len(),
                    histogram: crate::driver::record::encode(histogram),
                })
            })
            .collect()
    }

    /// The distribution, decoded; an error names what is wrong with the column.
    pub fn decode(&self) -> Result<hdrhistogram::Histogram<u64>, String> {
        crate::driver::record::decode(&self.histogram)
    }
}
