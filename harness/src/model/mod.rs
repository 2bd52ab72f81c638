//! The types every layer of the harness shares: phases, samples, what a load step measured,
//! and the records of a run (per step, per repeat, per stack). Drivers, backends, the recorder,
//! the aggregator and the renderers all speak these types; none of them owns one.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::stats::Estimate;

mod capacity;
mod fit;
mod ladder;
mod landscape;
mod summary;
mod workers;

pub use capacity::*;
pub use fit::{
    Density, Fit, FitLimit, FitProbe, FitSummary, FitVerdict, LimitBy, LimitFrom, ReplicaRecord,
};
pub use ladder::{Scrape, ScrapeRun, SpanRun};
pub use landscape::{
    BreakerChange, BreakerProbe, DownstreamInfo, DownstreamStep, FaultRecord, LandscapeRun,
    Observed,
};
pub use summary::*;
pub use workers::{LoadWorkersInfo, WorkerInfo, WorkerLoad, WorkerStep};

/// Where a stack's measurement is: every sample carries the phase it was taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Started and healthy, no load.
    Idle,
    /// The warm-up step (not measured).
    Warmup,
    /// The scenario's measured step of this index.
    Step(usize),
    /// The bad-input battery.
    Battery,
    /// The quiet time after the battery, or after a capacity probe that did not hold.
    Settle,
    /// Stopping.
    Stop,
}

impl Phase {
    /// The phase's name in the results files: `idle`, `warmup`, the step's name, `battery`,
    /// `settle`, `stop`.
    pub fn name(self, steps: &[String]) -> String {
        match self {
            Phase::Idle => "idle".to_owned(),
            Phase::Warmup => "warmup".to_owned(),
            Phase::Step(i) => steps
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("step {}", i + 1)),
            Phase::Battery => "battery".to_owned(),
            Phase::Settle => "settle".to_owned(),
            Phase::Stop => "stop".to_owned(),
        }
    }

    /// Whether the phase is one of the measured steps.
    pub fn is_step(self) -> bool {
        matches!(self, Phase::Step(_))
    }

    fn code(self) -> u64 {
        match self {
            Phase::Idle => 0,
            Phase::Warmup => 1,
            Phase::Battery => 2,
            Phase::Settle => 3,
            Phase::Stop => 4,
            Phase::Step(i) => 5 + i as u64,
        }
    }

    fn from_code(code: u64) -> Phase {
        match code {
            0 => Phase::Idle,
            1 => Phase::Warmup,
            2 => Phase::Battery,
            3 => Phase::Settle,
            4 => Phase::Stop,
            n => Phase::Step(usize::try_from(n - 5).unwrap_or(usize::MAX)),
        }
    }
}

/// The current phase, shared between the run loop (which sets it) and the sampler (which
/// stamps it on every sample).
#[derive(Debug, Default)]
pub struct PhaseCell(std::sync::atomic::AtomicU64);

impl PhaseCell {
    /// A cell in `phase`.
    pub fn new(phase: Phase) -> Self {
        Self(std::sync::atomic::AtomicU64::new(phase.code()))
    }

    /// Moves to `phase`.
    pub fn set(&self, phase: Phase) {
        self.0
            .store(phase.code(), std::sync::atomic::Ordering::Relaxed);
    }

    /// The phase now.
    pub fn get(&self) -> Phase {
        Phase::from_code(self.0.load(std::sync::atomic::Ordering::Relaxed))
    }
}

/// One reading of a process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reading {
    /// Resident set size (`VmRSS`), KiB.
    pub rss_kb: u64,
    /// Proportional set size (`Pss` of `smaps_rollup`), KiB; shared pages split among sharers.
    pub pss_kb: Option<u64>,
    /// Peak resident set size so far (`VmHWM`), KiB.
    pub hwm_kb: u64,
    /// User plus system CPU time so far, microseconds: per-thread nanosecond clocks where
    /// they are read, else the kernel's clock ticks.
    pub cpu_us: u64,
    /// The same from the kernel's tick counts (`utime + stime`, 10 ms steps here): coarse, but
    /// it includes threads that came and went between two samples.
    pub cpu_tick_us: u64,
    /// Threads in the process.
    pub threads: u64,
}

/// A timestamped pair of readings: the service and the harness itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Time since the run started.
    pub at: Duration,
    /// The phase the run was in.
    pub phase: Phase,
    /// The service.
    pub service: Reading,
    /// The harness with its load generator.
    pub harness: Reading,
    /// What one pass of reading both cost the sampler thread, in CPU microseconds.
    pub cost_us: u64,
}

/// The kinds of id the load asks for, with the status each must get.
pub const KINDS: [(&str, u16); 3] = [("seeded", 200), ("unknown", 404), ("malformed", 400)];

/// Latency and statuses of one kind of request in one step.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KindResult {
    /// `seeded`, `unknown` or `malformed`.
    pub kind: String,
    /// Requests sent, plus (constant-rate steps) the slots that fell due but were never sent
    /// by the end of the step ([`KindResult::not_sent`]).
    pub requests: u64,
    /// Responses by status; `0` counts requests that got no response, and slots not sent.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests whose status was not the one the contract gives this kind.
    pub errors: u64,
    /// Percentiles of the response time, microseconds: for both in-process drivers from the
    /// request's first byte to the response's last (a reconnect timed apart, see
    /// `reconnects`), read from HdrHistograms (within 0.1 %); `wrk` and `oha` their own.
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
    /// Percentiles corrected for coordinated omission, µs: in constant-rate steps counted from
    /// when each request was due by the schedule; `None` when nothing corrected them (Goose's
    /// closed loop, `wrk`).
    #[serde(default)]
    pub intended: Option<Percentiles>,
    /// Constant-rate steps: slots that fell due but were still waiting for their connection
    /// when the step ended, counted as failures (status 0) and in `intended` from their slot
    /// to the end of the step; not in the raw percentiles.
    #[serde(default)]
    pub not_sent: u64,
    /// Requests that had to open a new connection first (the service had closed the last
    /// one, or it was a user's first request). The time to connect is not in their latency: it is here.
    #[serde(default)]
    pub reconnects: u64,
    /// Mean time those new connections took to open, µs; 0 without any.
    #[serde(default)]
    pub connect_mean_us: u64,
    /// Longest time a new connection took to open, µs; 0 without any.
    #[serde(default)]
    pub connect_max_us: u64,
    /// The full distributions behind the percentiles, from the in-process drivers (`None`
    /// from an external tool). Not in summary.json: the results folder keeps them in
    /// `histograms.csv`.
    #[serde(skip)]
    pub histograms: Option<KindHistograms>,
}

/// A kind's latency histograms in one step (HdrHistogram, µs, 3 significant digits).
#[derive(Debug, Clone, PartialEq)]
pub struct KindHistograms {
    /// From each request's first byte to its response's last.
    pub raw: hdrhistogram::Histogram<u64>,
    /// From each request's slot in the schedule (constant-rate steps).
    pub intended: Option<hdrhistogram::Histogram<u64>>,
}

/// Latency percentiles of one kind of request, µs.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Percentiles {
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Slowest.
    pub max_us: u64,
}

/// How late a load generator's clock handed out the slots of its schedule, µs: for each
/// slot, from when it fell due to when the clock handed it to its connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lateness {
    /// Median.
    pub p50_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Latest.
    pub max_us: u64,
}

/// What one step's attack measured.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepLoad {
    /// Per kind of id.
    pub kinds: Vec<KindResult>,
    /// When all users were running (metrics count from here).
    pub window_start: DateTime<Utc>,
    /// When the users began to stop.
    pub window_end: DateTime<Utc>,
    /// How the driver dealt with coordinated omission, as recorded with the step.
    #[serde(default)]
    pub coordinated_omission: String,
    /// How late the generator's own clock handed out the slots (constant-rate steps); `None`
    /// for drivers without a schedule.
    #[serde(default)]
    pub generator_late_us: Option<Lateness>,
    /// Requests answered over the whole step, the unmeasured ramp included, where the driver
    /// sends outside its window (Goose); `None` where every request is in `kinds`.
    #[serde(default)]
    pub answered: Option<u64>,
    /// The generator's lateness as a histogram (constant-rate steps), µs: what load workers
    /// send so the coordinator merges it exactly. Not in summary.json.
    #[serde(skip)]
    pub late_histogram: Option<hdrhistogram::Histogram<u64>>,
    /// Each load worker's part, when load workers sent the step (the figures above are then
    /// their merge).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workers: Vec<WorkerLoad>,
    /// Why the figures are partial: a load worker's part is missing (named, with why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<String>,
}

impl StepLoad {
    /// Requests over every kind.
    pub fn requests(&self) -> u64 {
        self.kinds.iter().map(|k| k.requests).sum()
    }

    /// Seconds in the measured window.
    pub fn seconds(&self) -> f64 {
        (self.window_end - self.window_start)
            .num_microseconds()
            .unwrap_or(0) as f64
            / 1e6
    }
}

/// A stack's image, as built for the container backends.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImageRecord {
    /// Its tag.
    pub tag: String,
    /// Its size as the daemon reports it, bytes.
    pub bytes: u64,
    /// Time to assemble its context and build it, ms.
    pub build_ms: f64,
    /// JVM modules of its runtime (JVM stacks).
    #[serde(default)]
    pub modules: Vec<String>,
}

/// One repeat of one stack.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StackRun {
    /// Which repeat (from 1).
    pub repeat: u32,
    /// Position of the stack in this repeat's order (from 1).
    pub position: usize,
    /// `WORKERS` the service was given, or its own default.
    pub workers: String,
    /// Every cold start.
    pub boots: Vec<BootRecord>,
    /// Idle memory: median over the idle phase, KiB.
    pub idle_kb: Option<u64>,
    /// Idle PSS, KiB.
    pub idle_pss_kb: Option<u64>,
    /// Memory under load: median over the measured steps, KiB.
    pub load_kb: Option<u64>,
    /// PSS under load, KiB.
    pub load_pss_kb: Option<u64>,
    /// Peak (`VmHWM`), KiB.
    pub peak_kb: Option<u64>,
    /// How fast memory moved through the last measured step, KiB per minute
    /// ([`crate::aggregate::drift`]); `None` for a step too short to tell, and in results
    /// written before it was recorded.
    #[serde(default)]
    pub drift_kb_per_min: Option<f64>,
    /// Threads of the service at the end of the load.
    pub threads: Option<u64>,
    /// The warm-up, then each measured step.
    pub steps: Vec<StepSummary>,
    /// How the service ended (exit status).
    pub ended: Option<String>,
    /// Why this repeat failed, if it did.
    pub failure: Option<String>,
    /// The phase it was in when the run was interrupted, if it was.
    pub interrupted: Option<String>,
    /// Share of the machine's CPU time the hypervisor stole while this repeat ran, percent
    /// (`/proc/stat`, before and after).
    #[serde(default)]
    pub steal_pct: Option<f64>,
    /// The machine's load average (1, 5, 15 minutes) as this repeat started.
    #[serde(default)]
    pub load_average: Vec<f64>,
    /// The bad-input battery and the memory around it, when the scenario ran it.
    #[serde(default)]
    pub battery: Option<BatteryRun>,
    /// The service's CPU over the idle phase, cores.
    #[serde(default)]
    pub idle_cores: Option<f64>,
    /// The capacity search, when the scenario ran one instead of fixed steps.
    #[serde(default)]
    pub capacity: Option<Capacity>,
    /// The fit search, when the scenario ran one.
    #[serde(default)]
    pub fit: Option<Fit>,
    /// The density run, when the scenario ran one.
    #[serde(default)]
    pub density: Option<Density>,
    /// The downstream deployed beside a landscape variant, and the breaker as probed.
    #[serde(default)]
    pub landscape: Option<LandscapeRun>,
    /// A `metrics` rung's scrapes by the run's Prometheus.
    #[serde(default)]
    pub scrapes: Option<ScrapeRun>,
    /// A `tracing` rung's spans as the run's OTLP receiver got them.
    #[serde(default)]
    pub spans: Option<SpanRun>,
}

/// The bad-input battery against one repeat of a stack, and the service's memory around it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatteryRun {
    /// Every case, in the order run.
    pub cases: Vec<BatteryCase>,
    /// Memory at idle just before the battery (the idle phase's median), KiB.
    pub before_kb: Option<u64>,
    /// Highest memory sampled from the battery's start to the end of the settling, KiB.
    pub during_kb: Option<u64>,
    /// Memory sampled right after each group, in the order run: which group made it grow.
    #[serde(default)]
    pub after_group_kb: Vec<(String, u64)>,
    /// Median memory over the settling time after the battery, KiB.
    pub after_kb: Option<u64>,
    /// How long memory was sampled after the battery, seconds.
    pub settle_seconds: f64,
}

/// One case of the battery and what the service did.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatteryCase {
    /// Its group (`malformed`, `smuggling`, `burst`, ...).
    pub group: String,
    /// What was sent, in a few words.
    pub case: String,
    /// What the service did.
    pub outcome: String,
    /// Whether that meets the group's rule.
    pub passed: bool,
    /// What it did that the rule allows but a careful server would not.
    #[serde(default)]
    pub concern: Option<String>,
    /// How long the case took, ms.
    pub millis: f64,
    /// Why the service did not answer `/health` after the case; `None` when it did.
    pub down_after: Option<String>,
}

impl StackRun {
    /// A repeat with nothing measured yet.
    pub fn new(repeat: u32, position: usize, workers: String) -> Self {
        Self {
            repeat,
            position,
            workers,
            boots: Vec::new(),
            idle_kb: None,
            idle_pss_kb: None,
            load_kb: None,
            load_pss_kb: None,
            peak_kb: None,
            drift_kb_per_min: None,
            threads: None,
            steps: Vec::new(),
            ended: None,
            failure: None,
            interrupted: None,
            steal_pct: None,
            load_average: Vec::new(),
            battery: None,
            idle_cores: None,
            capacity: None,
            fit: None,
            density: None,
            landscape: None,
            scrapes: None,
            spans: None,
        }
    }
}

/// One cold start.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BootRecord {
    /// Which start (from 1).
    pub start: u32,
    /// From the start call to the first `200` from `/health`, ms (µs resolution).
    pub boot_ms: f64,
    /// The service's own `boot_us` from its ready line.
    pub self_boot_us: Option<u64>,
    /// From its container's start, by the daemon's clock, to the first `200`, ms (container
    /// backends; the swarm backend's `boot_ms` counts from the service's creation).
    #[serde(default)]
    pub from_container_start_ms: Option<f64>,
}

/// One load step of one repeat.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepSummary {
    /// Step name (`warmup` for the warm-up).
    pub name: String,
    /// Whether this is the warm-up (kept out of the stack's figures).
    pub warmup: bool,
    /// Concurrent users.
    pub users: usize,
    /// Target rate, requests per second; `None` for unthrottled.
    pub target_rps: Option<u32>,
    /// Seconds the figures cover (all users running).
    pub seconds: f64,
    /// Requests in that window.
    pub requests: u64,
    /// Requests answered over the whole step, its unmeasured ramp included, where the driver
    /// sends outside the window (Goose); `None` where `requests` are all of them.
    #[serde(default)]
    pub answered: Option<u64>,
    /// Served requests (those that got the status the contract gives their kind) per second;
    /// failed and timed-out requests are not counted.
    pub achieved_rps: f64,
    /// Requests whose status was not the contract's answer for their id.
    pub errors: u64,
    /// Per kind of id.
    pub kinds: Vec<KindResult>,
    /// Memory in the window: median, KiB.
    pub rss_kb: Option<u64>,
    /// Service CPU per 1000 served requests in the window, ms.
    pub cpu_ms_per_1000: Option<f64>,
    /// Service CPU used, in cores (1.0 = one core busy).
    pub service_cores: Option<f64>,
    /// Harness (load generator) CPU used, in cores.
    pub harness_cores: Option<f64>,
    /// The load generator was saturated: throughput says nothing about the service.
    pub load_generator_bound: bool,
    /// The coordinated-omission setting of this step.
    pub coordinated_omission: String,
    /// How late the generator's clock handed out the slots (constant-rate steps), µs.
    #[serde(default)]
    pub generator_late_us: Option<Lateness>,
    /// The generator fell behind its own schedule (see
    /// [`crate::aggregate::GENERATOR_LATE_US`]): part of the intended latencies is its own.
    #[serde(default)]
    pub generator_late: bool,
    /// What the downstream used during the step, for a landscape variant.
    #[serde(default)]
    pub downstream: Option<DownstreamStep>,
    /// Each load worker's figures, when load workers sent the step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workers: Vec<WorkerStep>,
    /// Why the step's figures are partial (a load worker's part missing, named), if they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<String>,
}

/// What the harness itself cost over the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HarnessCost {
    /// Samples taken.
    pub samples: u64,
    /// CPU one sample cost the sampler (service and harness read), median, µs.
    pub sampler_cpu_us_per_sample: Option<f64>,
    /// Share of one core the sampler used at the scenario's interval, percent.
    pub sampler_core_pct: Option<f64>,
    /// Highest RSS of the harness process, KiB.
    pub harness_peak_kb: Option<u64>,
    /// CPU the whole harness used while services sat idle (sampler, runtime, nothing else),
    /// percent of one core: median over the repeats' idle phases.
    #[serde(default)]
    pub idle_core_pct: Option<f64>,
}
