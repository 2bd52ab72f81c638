//! The experiments' own files: `boot.csv` (the cold starts), `battery.csv`, `capacity.csv`
//! (the capacity search's probes), `fit.csv` (the fit search's) and `density.csv` (the
//! density run's replicas).

use serde::{Deserialize, Serialize};

use super::{Fixed, Row};
use crate::model::{BatteryCase, BootRecord, FitProbe, ProbeRecord, ReplicaRecord};

/// `boot.csv`: one row per cold start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BootRow {
    /// The stack.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// Which start (from 1).
    pub start: u32,
    /// From the start call to the first `200` from `/health`, ms.
    pub boot_ms: Fixed<3>,
    /// The service's own `boot_us`.
    pub self_boot_us: Option<u64>,
    /// From its container's start to the first `200`, ms (container backends).
    pub from_container_start_ms: Option<Fixed<3>>,
}

impl Row for BootRow {
    const FILE: &'static str = "boot.csv";
}

impl BootRow {
    /// The row of one cold start.
    pub fn new(stack: &str, repeat: u32, boot: &BootRecord) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            start: boot.start,
            boot_ms: Fixed(boot.boot_ms),
            self_boot_us: boot.self_boot_us,
            from_container_start_ms: boot.from_container_start_ms.map(Fixed),
        }
    }
}

/// `battery.csv`: one row per case of the bad-input battery.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatteryRow {
    /// The stack.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// The case's group.
    pub group: String,
    /// What was sent.
    pub case: String,
    /// What the service did.
    pub outcome: String,
    /// Whether that meets the group's rule.
    pub passed: bool,
    /// What it did that the rule allows but a careful server would not.
    pub concern: Option<String>,
    /// How long the case took, ms.
    pub ms: Fixed<1>,
    /// Why the service did not answer `/health` after the case; empty when it did.
    pub down_after: Option<String>,
}

impl Row for BatteryRow {
    const FILE: &'static str = "battery.csv";
}

impl BatteryRow {
    /// The row of one case.
    pub fn new(stack: &str, repeat: u32, case: &BatteryCase) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            group: case.group.clone(),
            case: case.case.clone(),
            outcome: case.outcome.clone(),
            passed: case.passed,
            concern: case.concern.clone(),
            ms: Fixed(case.millis),
            down_after: case.down_after.clone(),
        }
    }
}

/// `capacity.csv`: one row per probe of a capacity search.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CapacityRow {
    /// The stack.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// The probe, in the order run (from 1): its phase in `memory.csv` and `cpu.csv` is
    /// `probe-<n>`.
    pub probe: usize,
    /// Target rate, requests per second.
    pub rate: u32,
    /// Served requests per second.
    pub achieved_rps: Fixed<1>,
    /// Requests (slots not sent included).
    pub requests: u64,
    /// Requests that did not get their kind's status.
    pub errors: u64,
    /// Median from the actual send, µs.
    pub p50_us: u64,
    /// 99th percentile from the actual send, µs.
    pub p99_us: u64,
    /// Median from when each request was due, µs.
    pub intended_p50_us: Option<u64>,
    /// 99th percentile from when each request was due, µs: what the SLO is judged on.
    pub intended_p99_us: Option<u64>,
    /// 99th percentile of the generator's clock lateness, µs.
    pub generator_late_p99_us: Option<u64>,
    /// Share of its CPUs the load generator used.
    pub generator_cpu_share: Option<Fixed<3>>,
    /// Service CPU used, cores.
    pub service_cores: Option<Fixed<3>>,
    /// Service CPU per served request, ms.
    pub cpu_ms_per_request: Option<Fixed<4>>,
    /// `holds`, `slo`, `errors` or `generator-limit`.
    pub verdict: String,
}

impl Row for CapacityRow {
    const FILE: &'static str = "capacity.csv";
}

impl CapacityRow {
    /// The row of the `index`-th probe (from 0), once judged.
    pub fn new(stack: &str, repeat: u32, index: usize, probe: &ProbeRecord) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            probe: index + 1,
            rate: probe.rate,
            achieved_rps: Fixed(probe.achieved_rps),
            requests: probe.requests,
            errors: probe.errors,
            p50_us: probe.p50_us,
            p99_us: probe.p99_us,
            intended_p50_us: probe.intended_p50_us,
            intended_p99_us: probe.intended_p99_us,
            generator_late_p99_us: probe.generator_late_p99_us,
            generator_cpu_share: probe.generator_cpu_share.map(Fixed),
            service_cores: probe.service_cores.map(Fixed),
            cpu_ms_per_request: probe.cpu_ms_per_request.map(Fixed),
            verdict: probe.verdict.map_or("", |v| v.word()).to_owned(),
        }
    }
}

/// `fit.csv`: one row per probe of a fit search.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FitRow {
    /// The stack.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// The probe, in the order run (from 1): its phase in `memory.csv` and `cpu.csv` is
    /// `probe-<n>`.
    pub probe: usize,
    /// The memory limit, MiB.
    pub limit_mib: u32,
    /// `engine` or `cgroup`: who enforced it (empty when it could not be set).
    pub limit_by: String,
    /// `holds`, `refused`, `oom-killed`, `exited`, `errors`, `latency` or `timeout`.
    pub verdict: String,
    /// Why it did not hold.
    pub reason: String,
    /// Start call to the first `200` from `/health`, ms.
    pub boot_ms: Option<Fixed<3>>,
    /// Requests of the step.
    pub requests: u64,
    /// Requests that did not get their kind's status.
    pub errors: u64,
    /// Served requests per second.
    pub achieved_rps: Fixed<1>,
    /// Median, µs (from when each request was due under a constant rate).
    pub p50_us: Option<u64>,
    /// 99th percentile, µs, counted as `p50_us`.
    pub p99_us: Option<u64>,
    /// Highest memory used during the probe, KiB (the backend's counter).
    pub peak_kb: Option<u64>,
    /// Highest usage its memory cgroup was charged, page cache included, KiB.
    pub charged_max_kb: Option<u64>,
    /// The daemon's or the cgroup's word that it was killed for memory.
    pub oom_killed: bool,
    /// OOM kills the harness's own cgroup counted.
    pub oom_kills: Option<u64>,
    /// Times usage hit the limit of the harness's own cgroup.
    pub failcnt: Option<u64>,
    /// The heap the JVM chose, MiB.
    pub jvm_heap_max_mib: Option<u64>,
    /// Start to stop, seconds.
    pub seconds: Fixed<3>,
}

impl Row for FitRow {
    const FILE: &'static str = "fit.csv";
}

impl FitRow {
    /// The row of the `index`-th probe (from 0), once judged.
    pub fn new(stack: &str, repeat: u32, index: usize, probe: &FitProbe) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            probe: index + 1,
            limit_mib: probe.limit_mib,
            limit_by: probe.limit_by.map_or("", |b| b.word()).to_owned(),
            verdict: probe.verdict.map_or("", |v| v.word()).to_owned(),
            reason: probe.reason.clone().unwrap_or_default(),
            boot_ms: probe.boot_ms.map(Fixed),
            requests: probe.requests,
            errors: probe.errors,
            achieved_rps: Fixed(probe.achieved_rps),
            p50_us: probe.p50_us,
            p99_us: probe.p99_us,
            peak_kb: probe.peak_kb,
            charged_max_kb: probe.charged_max_kb,
            oom_killed: probe.oom_killed,
            oom_kills: probe.oom_kills,
            failcnt: probe.failcnt,
            jvm_heap_max_mib: probe.jvm_heap_max_mib,
            seconds: Fixed(probe.seconds),
        }
    }
}

/// `density.csv`: one row per replica of a density run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DensityRow {
    /// The stack.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// The replica's name.
    pub replica: String,
    /// Its limit and reservation, MiB.
    pub limit_mib: u32,
    /// Requests it was sent.
    pub requests: u64,
    /// Requests that did not get their kind's status.
    pub errors: u64,
    /// Served requests per second.
    pub achieved_rps: Fixed<1>,
    /// Median, µs.
    pub p50_us: Option<u64>,
    /// 99th percentile, µs.
    pub p99_us: Option<u64>,
    /// Memory its cgroup used at the end of the load, KiB.
    pub used_kb: Option<u64>,
    /// What it showed, judged as a fit probe is.
    pub verdict: String,
    /// Why it did not hold.
    pub reason: String,
    /// 99th percentile from each request's actual send, µs (absent in files of before it).
    #[serde(default)]
    pub sent_p99_us: Option<u64>,
    /// 99th percentile of the load generator's lateness in handing out its slots, µs.
    #[serde(default)]
    pub generator_late_p99_us: Option<u64>,
}

impl Row for DensityRow {
    const FILE: &'static str = "density.csv";
}

impl DensityRow {
    /// The row of one replica.
    pub fn new(stack: &str, repeat: u32, limit_mib: u32, replica: &ReplicaRecord) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            replica: replica.name.clone(),
            limit_mib,
            requests: replica.requests,
            errors: replica.errors,
            achieved_rps: Fixed(replica.achieved_rps),
            p50_us: replica.p50_us,
            p99_us: replica.p99_us,
            used_kb: replica.used_kb,
            verdict: replica.verdict.map_or("", |v| v.word()).to_owned(),
            reason: replica.reason.clone().unwrap_or_default(),
            sent_p99_us: replica.sent_p99_us,
            generator_late_p99_us: replica.generator_late_p99_us,
        }
    }
}
