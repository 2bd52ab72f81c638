//! What a fit search and a density run measured: the smallest memory limit a stack serves its
//! load under, and how many replicas at that limit one node's budget holds.

use serde::{Deserialize, Serialize};

/// Who enforced a memory limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitBy {
    /// The container engine's own limit (memory and memory-with-swap both at the limit).
    Engine,
    /// A memory cgroup the harness made and wrote the limit into (below the engine's minimum,
    /// and for processes of the local backend).
    Cgroup,
}

impl LimitBy {
    /// The word tables, reports and `fit.csv` show.
    pub fn word(self) -> &'static str {
        match self {
            LimitBy::Engine => "engine",
            LimitBy::Cgroup => "cgroup",
        }
    }
}

/// What a probe at one memory limit showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FitVerdict {
    /// Started, was not killed, served with few errors and a p99 near the largest limit's.
    Holds,
    /// The engine or the kernel refused the limit, or the service never became ready.
    Refused,
    /// Killed by the kernel's OOM killer (the daemon's `OOMKilled`, the cgroup's `oom_kill`).
    OomKilled,
    /// Exited by itself (a runtime that gives up when it cannot get memory).
    Exited,
    /// Served, but with more errors than allowed.
    Errors,
    /// Served, but its p99 was above the factor of the largest limit's (a JVM that collects
    /// garbage without end).
    Latency,
    /// Did not finish within the probe's timeout.
    Timeout,
}

impl FitVerdict {
    /// The word tables, reports and `fit.csv` show.
    pub fn word(self) -> &'static str {
        match self {
            FitVerdict::Holds => "holds",
            FitVerdict::Refused => "refused",
            FitVerdict::OomKilled => "oom-killed",
            FitVerdict::Exited => "exited",
            FitVerdict::Errors => "errors",
            FitVerdict::Latency => "latency",
            FitVerdict::Timeout => "timeout",
        }
    }
}

/// One probe of a fit search: the service started under one memory limit and given the
/// scenario's load step.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FitProbe {
    /// The memory limit, MiB (memory plus swap: no swap).
    pub limit_mib: u32,
    /// Who enforced it; `None` when it could not be set.
    pub limit_by: Option<LimitBy>,
    /// What the probe showed; set by the runner for a service that did not serve (refused,
    /// killed, exited, timed out), by the search otherwise.
    pub verdict: Option<FitVerdict>,
    /// Why it did not hold, in words (exit status, the daemon's message, the last lines of
    /// stderr).
    pub reason: Option<String>,
    /// From the start call to the first `200` from `/health`, ms.
    pub boot_ms: Option<f64>,
    /// Requests of the measured step, over every kind (slots not sent included).
    pub requests: u64,
    /// Requests that did not get their kind's status.
    pub errors: u64,
    /// Served requests per second.
    pub achieved_rps: f64,
    /// Median latency, µs (the slowest kind's; from when each request was due under a
    /// constant rate).
    pub p50_us: Option<u64>,
    /// 99th percentile, µs, counted as `p50_us` is: what the latency criterion judges.
    pub p99_us: Option<u64>,
    /// Highest memory the service used during the probe, KiB (the backend's counter: for a
    /// container, usage minus inactive file cache, as `docker stats` counts it).
    pub peak_kb: Option<u64>,
    /// Highest usage its memory cgroup was charged, KiB: what the limit is held against, page
    /// cache included (the cgroup's high-water mark; `None` where it could not be read).
    #[serde(default)]
    pub charged_max_kb: Option<u64>,
    /// The daemon said the container was killed for memory.
    pub oom_killed: bool,
    /// The cgroup's count of OOM kills, where the harness made the cgroup.
    pub oom_kills: Option<u64>,
    /// How often the cgroup's usage hit its limit, where the harness made the cgroup.
    pub failcnt: Option<u64>,
    /// The maximum heap the JVM chose under this limit (its `-Xlog:gc+init` line), MiB.
    pub jvm_heap_max_mib: Option<u64>,
    /// Service CPU per served request, ms.
    #[serde(default)]
    pub cpu_ms_per_request: Option<f64>,
    /// How long the probe took, start to stop, seconds.
    pub seconds: f64,
}

/// Why a fit search stopped where it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FitLimit {
    /// The service: a limit held and the one just below it (within the resolution) did not.
    Service,
    /// The smallest limit the scenario allows held: the fit is at most that.
    Minimum,
    /// Not even the largest limit held: the service needs more than `max_mib`.
    AboveMaximum,
    /// Ctrl-C stopped the search: the fit is at most the smallest limit that held.
    Interrupted,
    /// A probe could not run for a reason of the harness's (not the service's).
    Failed,
}

impl FitLimit {
    /// The word tables, reports and summaries show.
    pub fn word(self) -> &'static str {
        match self {
            FitLimit::Service => "service",
            FitLimit::Minimum => "minimum",
            FitLimit::AboveMaximum => "above-maximum",
            FitLimit::Interrupted => "interrupted",
            FitLimit::Failed => "failed",
        }
    }
}

/// One repeat's fit search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    /// The largest limit, MiB: the first probe, and the latency reference.
    pub max_mib: u32,
    /// The smallest limit probed, MiB.
    pub min_mib: u32,
    /// How far above the largest limit's p99 a probe's may be and hold.
    pub latency_factor: f64,
    /// A p99 at or under this holds whatever the factor says, µs.
    pub latency_floor_us: u64,
    /// The p99 at the largest limit, µs.
    pub reference_p99_us: Option<u64>,
    /// The smallest limit that held, MiB.
    pub fit_mib: Option<u32>,
    /// Why the search stopped.
    pub limit: FitLimit,
    /// The probe at the fit.
    pub at: Option<FitProbe>,
    /// The largest limit that did not hold (just below the fit).
    pub below: Option<FitProbe>,
    /// Every probe, in the order run.
    pub probes: Vec<FitProbe>,
    /// Why the search failed, when it did.
    pub failure: Option<String>,
}

/// A stack's fit over its repeats: the largest of the repeats' fits (a limit every repeat
/// held), and the reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitSummary {
    /// The fit, MiB.
    pub fit_mib: Option<u32>,
    /// Why the search stopped in the repeat that gave the fit.
    pub limit: FitLimit,
    /// Memory used at the fit (the probe's peak), KiB.
    pub used_kb: Option<u64>,
    /// What the largest failing limit showed.
    pub below: Option<FitVerdict>,
    /// Its limit, MiB.
    pub below_mib: Option<u32>,
    /// The heap the JVM chose at the fit, MiB.
    pub jvm_heap_max_mib: Option<u64>,
    /// Service CPU per served request at the largest limit, ms.
    #[serde(default)]
    pub cpu_ms_per_request: Option<f64>,
}

/// Where a density run's per-replica limit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitFrom {
    /// The fit measured in the same run.
    Fit,
    /// The engine's minimum, above the stack's fit.
    EngineMinimum,
    /// Given in the scenario.
    Given,
}

impl LimitFrom {
    /// The words tables and reports show.
    pub fn words(self) -> &'static str {
        match self {
            LimitFrom::Fit => "the stack's fit",
            LimitFrom::EngineMinimum => "the engine's minimum (the stack fits in less)",
            LimitFrom::Given => "given in the scenario",
        }
    }
}

/// One replica of a density run under load.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReplicaRecord {
    /// Its name (the task's container name).
    pub name: String,
    /// Requests over every kind.
    pub requests: u64,
    /// Requests that did not get their kind's status.
    pub errors: u64,
    /// Served requests per second.
    pub achieved_rps: f64,
    /// Median latency, µs.
    pub p50_us: Option<u64>,
    /// 99th percentile, µs (from when each request was due).
    pub p99_us: Option<u64>,
    /// 99th percentile from each request's actual send, µs: beside `p99_us`, what of the
    /// tail was the replica's and what was the load generator's delay in sending.
    #[serde(default)]
    pub sent_p99_us: Option<u64>,
    /// 99th percentile of how late the load generator's clock handed out this replica's
    /// slots, µs.
    #[serde(default)]
    pub generator_late_p99_us: Option<u64>,
    /// Memory its cgroup used at the end of the load, KiB.
    pub used_kb: Option<u64>,
    /// What it showed, judged by the fit's criteria.
    pub verdict: Option<FitVerdict>,
    /// Why it did not hold.
    pub reason: Option<String>,
}

/// One repeat's density run: replicas at the fit limit up to the node's budget, loaded at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Density {
    /// The node's memory budget, MiB.
    pub node_mib: u32,
    /// Each replica's limit and reservation, MiB.
    pub limit_mib: u32,
    /// Where that limit came from.
    pub limit_from: LimitFrom,
    /// Replicas deployed (the budget over the limit).
    pub replicas: u32,
    /// Replicas that served under load by the fit's criteria.
    pub held: u32,
    /// Memory the replicas' cgroups used together at the end of the load, KiB.
    pub node_used_kb: Option<u64>,
    /// The rate each replica was given, requests per second.
    pub rate_per_replica: Option<u32>,
    /// Every replica.
    pub per_replica: Vec<ReplicaRecord>,
    /// Why the run failed, when it did.
    pub failure: Option<String>,
}

impl Density {
    /// Replicas per node the measurement supports: every replica deployed when all held,
    /// else none (a node that cannot serve them all is not that dense).
    pub fn replicas_per_node(&self) -> Option<u32> {
        (self.failure.is_none() && self.replicas > 0 && self.held == self.replicas)
            .then_some(self.replicas)
    }
}
