//! The types every layer of the harness shares: phases, samples, what a load step measured,
//! and the records of a run (per step, per repeat, per stack). Drivers, backends, the recorder,
//! the aggregator and the renderers all speak these types; none of them owns one.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::stats::{Estimate, Spread};

mod fit;
mod ladder;
mod landscape;
mod workers;

pub use fit::{
    Density, Fit, FitLimit, FitProbe, FitSummary, FitVerdict, LimitBy, LimitFrom, ReplicaRecord,
};
pub use ladder::{Scrape, ScrapeRun, SpanRun};
pub use landscape::{
    BreakerChange, BreakerProbe, DownstreamInfo, DownstreamStep, FaultRecord, LandscapeRun,
    Observed,
};
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

/// Version of the `summary.json` schema; bumped on any incompatible change.
/// Version 2 added each stack's `family` and `role` (read from its declaration in `stacks/`);
/// a version 1 summary is read with them filled from the bundled declarations by name.
pub const SCHEMA_VERSION: u32 = 2;

/// The kind of stack, for grouping and for the blog's claims (which speak of Rust and Go
/// against the JVM): declared with each stack in `stacks/`, recorded in `summary.json`.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum Family {
    /// Rust.
    Rust,
    /// Go.
    Go,
    /// A JVM language.
    #[serde(rename = "JVM")]
    Jvm,
    /// Anything else (a user's stack of another kind, or results of another version).
    #[default]
    Other,
}

impl Family {
    /// Its name in reports and in the stack files.
    pub fn word(self) -> &'static str {
        match self {
            Family::Rust => "Rust",
            Family::Go => "Go",
            Family::Jvm => "JVM",
            Family::Other => "Other",
        }
    }
}

/// What a stack stands for in a comparison, beside being measured: declared in `stacks/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The stack the blog's claims are measured against (Spring on Tomcat).
    Baseline,
    /// The reference line: the least a service can cost (standard library only).
    Floor,
}

/// `summary.json`: everything a run measured, per stack.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// Schema version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The run's id (its folder's name).
    pub run_id: String,
    /// The scenario's name.
    pub scenario: String,
    /// Backend the services ran on.
    pub backend: String,
    /// The memory counter every memory figure uses (`RSS` on the local backend).
    pub memory_counter: String,
    /// When the run started.
    pub started: DateTime<Utc>,
    /// When it ended; `None` while running or if it was killed.
    pub finished: Option<DateTime<Utc>>,
    /// Whether every planned stack and repeat was run.
    pub complete: bool,
    /// Whether the run was stopped by Ctrl-C.
    pub interrupted: bool,
    /// Per stack, in the scenario's order.
    pub stacks: Vec<StackSummary>,
    /// What the harness itself cost.
    pub harness: HarnessCost,
    /// What the backend removed (or kept) at the end: containers, services, images, a swarm.
    #[serde(default)]
    pub cleanup: Vec<String>,
    /// What the backend could not remove at the end, and why (a daemon that stopped
    /// answering, say): `harness clean` removes it later.
    #[serde(default)]
    pub left_behind: Vec<String>,
    /// What the backend is and how its figures are to be read; `None` in results written
    /// before summaries carried it (`backend::traits_of` then looks it up by name).
    #[serde(default)]
    pub backend_traits: Option<BackendTraits>,
    /// The downstream deployed beside the landscape variants, when the scenario had one.
    #[serde(default)]
    pub downstream: Option<DownstreamInfo>,
    /// The load workers, when the load was sent by workers rather than the harness itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_workers: Option<LoadWorkersInfo>,
}

/// What a backend says about itself: how its memory and boot figures are counted, what it can
/// and cannot do, and what a reader of its results should know.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct BackendTraits {
    /// The backend's name (`local`, `docker`, `swarm`).
    pub name: String,
    /// Name of the memory counter its samples use (`RSS` for processes).
    pub memory_counter: String,
    /// What that counter counts.
    pub memory_explained: String,
    /// What a service's peak memory is.
    pub peak_counter: String,
    /// The moment boot is counted from.
    pub boot_from: String,
    /// Whether services run in containers (they then have an image, and a container start).
    pub containers: bool,
    /// Whether a service can be pinned to CPUs.
    pub can_pin_cpus: bool,
    /// Whether a service's port is published on every interface of the machine, whatever
    /// address was asked for.
    pub publishes_on_all_interfaces: bool,
    /// What a reader of its figures should know, one sentence each.
    pub caveats: Vec<String>,
}

/// How a stack's part of the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Measured.
    Ok,
    /// Not run: it cannot run here (the reason says what is missing).
    Skipped,
    /// It was run and failed (did not build, did not start, died under load).
    Failed,
    /// Measured in part: the run was interrupted while this stack ran.
    Interrupted,
    /// Not reached: the run was interrupted first.
    Pending,
}

impl Status {
    /// The word tables and reports show.
    pub fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
            Status::Interrupted => "partial",
            Status::Pending => "not run",
        }
    }
}

/// One stack's figures: medians over its repeats, and every repeat.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StackSummary {
    /// The stack.
    pub stack: String,
    /// Its family, as its declaration says.
    #[serde(default)]
    pub family: Family,
    /// Its role in the comparison, if any, as its declaration says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The stack a landscape variant or a ladder rung is built from (`axum` for
    /// `axum+quotes` and `axum@log`); `None` for a stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// The ladder's rung it is (`log` for `axum@log`); `None` for a stack or a variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rung: Option<String>,
    /// How its part ended.
    pub status: Status,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// Size of what it deploys besides a runtime, bytes: the static binary, or the jar with
    /// the jars on its class path (the JDK not counted).
    pub binary_bytes: Option<u64>,
    /// Size of the runtime those need on a machine without containers, bytes: the JDK's
    /// installation folder for the JVM stacks; `None` for a static binary, and in results
    /// written before it was recorded.
    #[serde(default)]
    pub runtime_bytes: Option<u64>,
    /// The command line it was started with (JVM options included).
    pub command: Option<String>,
    /// Its image, for the container backends.
    #[serde(default)]
    pub image: Option<ImageRecord>,
    /// Idle memory (median over repeats), KiB.
    pub idle_kb: Option<u64>,
    /// Memory under load: median over the samples of every measured step, KiB.
    pub load_kb: Option<u64>,
    /// Peak memory (the kernel's high-water mark), KiB.
    pub peak_kb: Option<u64>,
    /// Memory's drift through the last measured step (median over repeats), KiB per minute.
    #[serde(default)]
    pub drift_kb_per_min: Option<f64>,
    /// Idle PSS, KiB.
    pub idle_pss_kb: Option<u64>,
    /// Boot time from start to the first `200` from `/health`, ms, over every cold start.
    pub boot_ms: Option<Spread>,
    /// The service's own `boot_us`, as ms, over every cold start.
    pub self_boot_ms: Option<Spread>,
    /// Boot from its container's start (by the daemon's clock) to the first `200`, ms, over
    /// every cold start (container backends).
    #[serde(default)]
    pub container_boot_ms: Option<Spread>,
    /// Latency of seeded ids in the last measured step: median, µs.
    pub p50_us: Option<u64>,
    /// Latency of seeded ids in the last measured step: 99th percentile, µs.
    pub p99_us: Option<u64>,
    /// Served requests (those that got their kind's status) per second in the last measured
    /// step.
    pub achieved_rps: Option<f64>,
    /// Service CPU per 1000 served requests over every measured step, ms.
    pub cpu_ms_per_1000: Option<f64>,
    /// Every headline figure over the repeats: median, spread, 95 % interval where the number
    /// of repeats allows one, and the noisy flag. Absent in results written before it existed.
    #[serde(default)]
    pub estimates: Option<Estimates>,
    /// Every repeat.
    pub runs: Vec<StackRun>,
    /// The service's CPU while it sat idle (median over the repeats), cores: JIT, GC and
    /// timer threads at work with no request.
    #[serde(default)]
    pub idle_cores: Option<f64>,
    /// A capacity search's figures over the repeats, when the scenario ran one.
    #[serde(default)]
    pub capacity: Option<CapacitySummary>,
    /// A fit search's figure over the repeats, when the scenario ran one.
    #[serde(default)]
    pub fit: Option<FitSummary>,
    /// The density run of the repeat that held the fewest replicas, when the scenario ran one.
    #[serde(default)]
    pub density: Option<Density>,
}

/// A stack's headline figures over its repeats (see [`crate::stats::estimate`]).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Estimates {
    /// Idle memory, KiB.
    pub idle_kb: Option<Estimate>,
    /// Memory under load, KiB.
    pub load_kb: Option<Estimate>,
    /// Peak memory, KiB.
    pub peak_kb: Option<Estimate>,
    /// Boot time, ms, over every cold start.
    pub boot_ms: Option<Estimate>,
    /// Service CPU per 1000 requests, ms.
    pub cpu_ms_per_1000: Option<Estimate>,
    /// Per measured step, in the scenario's order.
    pub steps: Vec<StepEstimate>,
    /// Names of the figures whose repeats disagree (coefficient of variation above 10 %).
    pub noisy: Vec<String>,
    /// What the run can tell about why, when something is noisy.
    pub causes: Vec<String>,
}

/// One step's latency and throughput over the repeats.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepEstimate {
    /// Step name.
    pub name: String,
    /// Median latency of seeded ids, µs, as measured from when each request was sent.
    pub p50_us: Option<Estimate>,
    /// 99th percentile of seeded ids, µs, from when each request was sent.
    pub p99_us: Option<Estimate>,
    /// Median latency of seeded ids from when each request was due (constant-rate steps).
    #[serde(default)]
    pub intended_p50_us: Option<Estimate>,
    /// 99th percentile from when each request was due (constant-rate steps).
    #[serde(default)]
    pub intended_p99_us: Option<Estimate>,
    /// Requests per second achieved.
    pub achieved_rps: Option<Estimate>,
}

impl StackSummary {
    /// Whether it is a landscape variant (built on a base, calling the downstream).
    pub fn is_variant(&self) -> bool {
        self.base.is_some() && self.rung.is_none()
    }

    /// A stack with no figures yet.
    pub fn new(stack: &str, status: Status, reason: Option<String>) -> Self {
        Self {
            stack: stack.to_owned(),
            family: Family::Other,
            role: None,
            base: None,
            rung: None,
            status,
            reason,
            binary_bytes: None,
            runtime_bytes: None,
            command: None,
            image: None,
            idle_kb: None,
            load_kb: None,
            peak_kb: None,
            drift_kb_per_min: None,
            idle_pss_kb: None,
            boot_ms: None,
            self_boot_ms: None,
            container_boot_ms: None,
            p50_us: None,
            p99_us: None,
            achieved_rps: None,
            cpu_ms_per_1000: None,
            estimates: None,
            runs: Vec::new(),
            idle_cores: None,
            capacity: None,
            fit: None,
            density: None,
        }
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
