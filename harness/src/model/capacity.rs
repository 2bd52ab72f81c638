//! A capacity search's records: each probe's verdict and figures, and the capacity found.

use super::*;

/// What a capacity search judged a probe (see [`crate::capacity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Corrected p99 under the SLO and errors under their limit.
    Holds,
    /// Corrected p99 above the SLO.
    Slo,
    /// Errors above their limit.
    Errors,
    /// The load generator was late or saturated: the probe says nothing about the service.
    GeneratorLimit,
}

impl Verdict {
    /// The word tables, reports and `capacity.csv` show.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Slo => "slo",
            Verdict::Errors => "errors",
            Verdict::GeneratorLimit => "generator-limit",
        }
    }
}

/// Why a capacity search stopped where it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapacityLimit {
    /// The service: the rate above the capacity broke the SLO.
    Slo,
    /// The service: the rate above the capacity gave too many errors.
    Errors,
    /// The load generator was late or saturated first: the capacity is at least the figure.
    Generator,
    /// The highest rate allowed held: the capacity is at least the figure.
    MaxRate,
    /// Ctrl-C stopped the search: the capacity is at least the figure.
    Interrupted,
    /// A probe could not run (the service died, the driver failed).
    Failed,
}

impl CapacityLimit {
    /// The word tables, reports and summaries show.
    pub fn word(self) -> &'static str {
        match self {
            CapacityLimit::Slo => "slo",
            CapacityLimit::Errors => "errors",
            CapacityLimit::Generator => "generator",
            CapacityLimit::MaxRate => "max-rate",
            CapacityLimit::Interrupted => "interrupted",
            CapacityLimit::Failed => "failed",
        }
    }

    /// Whether the service itself set the limit, so the capacity is its figure rather than a
    /// lower bound.
    pub fn is_service(self) -> bool {
        matches!(self, CapacityLimit::Slo | CapacityLimit::Errors)
    }
}

/// One probe of a capacity search: a constant rate held for the probe's time.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProbeRecord {
    /// Target rate, requests per second over all connections.
    pub rate: u32,
    /// Served requests per second.
    pub achieved_rps: f64,
    /// Requests over every kind (slots not sent included).
    pub requests: u64,
    /// Requests that did not get their kind's status.
    pub errors: u64,
    /// Median from the actual send, µs (the slowest kind's).
    pub p50_us: u64,
    /// 99th percentile from the actual send, µs (the slowest kind's).
    pub p99_us: u64,
    /// Median from when each request was due, µs (the slowest kind's); `None` without a
    /// schedule.
    pub intended_p50_us: Option<u64>,
    /// 99th percentile from when each request was due, µs: what the SLO is judged on.
    pub intended_p99_us: Option<u64>,
    /// 99th percentile of the generator's clock lateness, µs.
    pub generator_late_p99_us: Option<u64>,
    /// The generator was behind its schedule (see [`crate::aggregate::GENERATOR_LATE_US`]).
    pub generator_late: bool,
    /// Share of its CPUs the load generator (the harness) used.
    pub generator_cpu_share: Option<f64>,
    /// The generator was saturated (see [`crate::aggregate::SATURATED`]).
    pub generator_saturated: bool,
    /// Service CPU used, cores.
    pub service_cores: Option<f64>,
    /// Service CPU per served request, ms.
    pub cpu_ms_per_request: Option<f64>,
    /// What the search made of it.
    pub verdict: Option<Verdict>,
}

/// One repeat's capacity search: the highest rate that held, why the search stopped, and
/// every probe.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Capacity {
    /// The latency objective: corrected p99, ms.
    pub slo_p99_ms: f64,
    /// Most errors allowed, as a share of requests.
    pub max_error_ratio: f64,
    /// CPUs the service could use.
    pub service_cpus: usize,
    /// The highest rate that held, requests per second; `None` when none did.
    pub rps: Option<u32>,
    /// That rate per CPU of the service.
    pub rps_per_core: Option<f64>,
    /// Why the search stopped; only [`CapacityLimit::Slo`] and [`CapacityLimit::Errors`] make
    /// the figure the service's own, the others a lower bound.
    pub limit: CapacityLimit,
    /// Service CPU per served request at the capacity's probe, ms.
    pub cpu_ms_per_request: Option<f64>,
    /// The probe at the capacity (just below the limit).
    pub below: Option<ProbeRecord>,
    /// The lowest probe that did not hold (just above the capacity).
    pub above: Option<ProbeRecord>,
    /// Every probe, in the order run.
    pub probes: Vec<ProbeRecord>,
    /// Why a probe could not run, when the search failed.
    #[serde(default)]
    pub failure: Option<String>,
}

/// A stack's capacity over its repeats.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CapacitySummary {
    /// The latency objective: corrected p99, ms.
    pub slo_p99_ms: f64,
    /// Most errors allowed, as a share of requests.
    pub max_error_ratio: f64,
    /// Requests per second per service CPU at the SLO, over the repeats that found one.
    pub rps_per_core: Option<Estimate>,
    /// Service CPU per request at that rate, ms, over the repeats.
    pub cpu_ms_per_request: Option<Estimate>,
    /// Why the searches stopped: a lower bound ([`CapacityLimit::Generator`], then
    /// [`CapacityLimit::MaxRate`], [`CapacityLimit::Interrupted`]) in any repeat wins, so the
    /// figure is never claimed as the service's limit when one repeat did not reach it.
    pub limit: CapacityLimit,
    /// Whether the figure is a lower bound (the search stopped before the service's limit).
    pub at_least: bool,
}
