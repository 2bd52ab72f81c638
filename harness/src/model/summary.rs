//! `summary.json`: the run, each stack's figures over its repeats, and what each stack is.

use chrono::{DateTime, Utc};

use super::*;
use crate::stats::{Estimate, Spread};

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
