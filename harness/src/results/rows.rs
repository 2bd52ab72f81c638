//! One row type per CSV file: its fields are the file's columns, by name and in order. Rows are
//! written and read only through these types (see [`super::RowWriter`] and
//! [`super::read_rows`]); nothing else knows where a column is.
//!
//! Figures the files give with a fixed number of decimals are [`Fixed`]: on disk as today
//! (`12.345`), in memory as `f64`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{
    BatteryCase, BootRecord, BreakerProbe, FaultRecord, FitProbe, KindResult, ProbeRecord,
    ReplicaRecord, Sample, StepSummary,
};

/// A row of one of the CSV files: the file it goes in, and what it is made of.
pub trait Row: Serialize + serde::de::DeserializeOwned + Default {
    /// The file's name in its folder (`memory.csv`).
    const FILE: &'static str;
}

/// A number written with `PLACES` decimals (`{:.PLACES}`), read back as any decimal number.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd)]
pub struct Fixed<const PLACES: usize>(pub f64);

impl<const PLACES: usize> Serialize for Fixed<PLACES> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:.*}", PLACES, self.0))
    }
}

impl<'de, const PLACES: usize> Deserialize<'de> for Fixed<PLACES> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        f64::deserialize(deserializer).map(Fixed)
    }
}

impl<const PLACES: usize> fmt::Display for Fixed<PLACES> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.*}", PLACES, self.0)
    }
}

/// Microseconds as milliseconds with three decimals.
fn ms(us: u64) -> Fixed<3> {
    Fixed(us as f64 / 1000.0)
}

/// `memory.csv`: one row per sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryRow {
    /// The stack.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// Time since the run started, ms.
    pub t_ms: u64,
    /// The phase's name (`idle`, `warmup`, a step's name, `battery`, `settle`, `stop`).
    pub phase: String,
    /// The service's resident set, KiB.
    pub rss_kb: u64,
    /// The service's proportional set, KiB, where it is read.
    pub pss_kb: Option<u64>,
    /// The service's peak resident set so far, KiB.
    pub hwm_kb: u64,
    /// The service's threads.
    pub threads: u64,
    /// The harness's resident set, KiB.
    pub harness_rss_kb: u64,
}

impl Row for MemoryRow {
    const FILE: &'static str = "memory.csv";
}

impl MemoryRow {
    /// The row of `sample`, taken in the phase named `phase`.
    pub fn from_sample(stack: &str, repeat: u32, phase: &str, sample: &Sample) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            t_ms: u64::try_from(sample.at.as_millis()).unwrap_or(u64::MAX),
            phase: phase.to_owned(),
            rss_kb: sample.service.rss_kb,
            pss_kb: sample.service.pss_kb,
            hwm_kb: sample.service.hwm_kb,
            threads: sample.service.threads,
            harness_rss_kb: sample.harness.rss_kb,
        }
    }
}

/// `cpu.csv`: one row per sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuRow {
    /// The stack.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// Time since the run started, ms.
    pub t_ms: u64,
    /// The phase's name.
    pub phase: String,
    /// The service's CPU time so far, ms.
    pub service_cpu_ms: Fixed<3>,
    /// The same from the kernel's tick counts, ms.
    pub service_cpu_ticks_ms: Fixed<3>,
    /// The harness's CPU time so far, ms.
    pub harness_cpu_ms: Fixed<3>,
    /// What taking this sample cost the sampler, CPU µs.
    pub sampler_cost_us: u64,
}

impl Row for CpuRow {
    const FILE: &'static str = "cpu.csv";
}

impl CpuRow {
    /// The row of `sample`, taken in the phase named `phase`.
    pub fn from_sample(stack: &str, repeat: u32, phase: &str, sample: &Sample) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            t_ms: u64::try_from(sample.at.as_millis()).unwrap_or(u64::MAX),
            phase: phase.to_owned(),
            service_cpu_ms: ms(sample.service.cpu_us),
            service_cpu_ticks_ms: ms(sample.service.cpu_tick_us),
            harness_cpu_ms: ms(sample.harness.cpu_us),
            sampler_cost_us: sample.cost_us,
        }
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

/// `calibrate.csv`: one row per tool and round, then one per tool over every round.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalibrateRow {
    /// `goose` or `wrk`.
    pub tool: String,
    /// The round (from 1), or `all`.
    pub round: String,
    /// The stack driven.
    pub stack: String,
    /// Where it ran (`local`, `docker`, `swarm`); rows written before the column existed
    /// were all `local`.
    #[serde(default)]
    pub backend: String,
    /// Connections.
    pub connections: u64,
    /// Seconds of the measured window.
    pub seconds: Fixed<3>,
    /// Requests answered.
    pub requests: u64,
    /// Requests per second.
    pub rps: Fixed<1>,
    /// Median, µs.
    pub p50_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// Requests that failed.
    pub errors: u64,
    /// CPU the tool itself used, cores, where it can be told apart.
    pub tool_cores: Option<Fixed<3>>,
}

impl Row for CalibrateRow {
    const FILE: &'static str = "calibrate.csv";
}

/// `downstream.csv`: one row per sample of the downstream deployed beside a landscape variant
/// (the variant's own samples are in `memory.csv` and `cpu.csv`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DownstreamRow {
    /// The variant it served.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// The downstream (`quotes`).
    pub service: String,
    /// Milliseconds since the run started.
    pub t_ms: u64,
    /// The variant's phase (`idle`, `warmup`, a step's name).
    pub phase: String,
    /// The downstream's memory, KiB (RSS, or container memory).
    pub rss_kb: u64,
    /// Its CPU time so far, ms.
    pub cpu_ms: Fixed<3>,
    /// Its threads.
    pub threads: u64,
}

impl Row for DownstreamRow {
    const FILE: &'static str = "downstream.csv";
}

impl DownstreamRow {
    /// The row of one sample.
    pub fn from_sample(
        stack: &str,
        repeat: u32,
        service: &str,
        phase: &str,
        sample: &Sample,
    ) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            service: service.to_owned(),
            t_ms: u64::try_from(sample.at.as_millis()).unwrap_or(u64::MAX),
            phase: phase.to_owned(),
            rss_kb: sample.service.rss_kb,
            cpu_ms: Fixed(sample.service.cpu_us as f64 / 1000.0),
            threads: sample.service.threads,
        }
    }
}

/// `breaker.csv`: one row per probe of a landscape variant, and one per fault given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BreakerRow {
    /// The variant.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// Milliseconds since the run started.
    pub t_ms: u64,
    /// The step it fell in.
    pub step: String,
    /// `probe` or `fault`.
    pub event: String,
    /// A probe's `closed`, `failing`, `open` or `broken`; a fault's name.
    pub what: String,
    /// A probe's latency, connect to last byte, µs.
    pub latency_us: Option<u64>,
    /// What giving a fault did.
    pub outcome: Option<String>,
}

impl Row for BreakerRow {
    const FILE: &'static str = "breaker.csv";
}

impl BreakerRow {
    /// The row of a probe.
    pub fn probe(stack: &str, repeat: u32, probe: &BreakerProbe) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            t_ms: (probe.at_s * 1000.0).round() as u64,
            step: probe.step.clone(),
            event: "probe".into(),
            what: probe.observed.as_str().into(),
            latency_us: probe.latency_us,
            outcome: None,
        }
    }

    /// The row of a fault.
    pub fn fault(stack: &str, repeat: u32, fault: &FaultRecord) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            t_ms: (fault.at_s * 1000.0).round() as u64,
            step: fault.step.clone(),
            event: "fault".into(),
            what: fault.fault.clone(),
            latency_us: None,
            outcome: Some(fault.outcome.clone()),
        }
    }
}

/// `scrapes.csv`: one row per scrape of a `metrics` rung by the run's Prometheus, as
/// Prometheus recorded it (`up`, `scrape_duration_seconds`, `scrape_samples_scraped`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScrapeRow {
    /// The rung scraped.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// Milliseconds since the run started.
    pub t_ms: i64,
    /// 1 when the scrape succeeded.
    pub up: u8,
    /// How long it took, ms; empty when Prometheus recorded none.
    pub duration_ms: Option<Fixed<3>>,
    /// The samples it read.
    pub samples: Option<u64>,
}

impl Row for ScrapeRow {
    const FILE: &'static str = "scrapes.csv";
}

impl ScrapeRow {
    /// The row of one scrape (its time already since the run's start).
    pub fn new(stack: &str, repeat: u32, scrape: &crate::model::Scrape) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            t_ms: (scrape.at_s * 1000.0).round() as i64,
            up: u8::from(scrape.up),
            duration_ms: scrape.duration_ms.map(Fixed),
            samples: scrape.samples,
        }
    }
}
