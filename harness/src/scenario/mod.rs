//! Scenario files (`scenarios/*.toml`) parsed, validated and turned into one typed plan.
//!
//! A bad file is refused before anything starts, with the file, the key and what was expected.
//!
//! The format, every key optional unless said (defaults in brackets):
//!
//! - `description` (required): one sentence.
//! - `stacks` (`[]`, every known stack): names matching `^[a-z0-9][a-z0-9-]*$`, each once.
//! - `repeat` (1, 1..=100), `sample_interval_ms` (100, 10..=10000), `workers` (unset,
//!   1..=1024), `idle_seconds` (3, 0..=3600), `load` (`"closed"`: Goose's users each wait for
//!   a response before the next request; or `"constant-rate"`: requests sent on a fixed
//!   schedule and latency also counted from when each was due, which needs a `rate` on every
//!   step and on the warm-up, and ignores pauses).
//! - `[placement]`: `service_cpus` (`[1]`) and `harness_cpus` (`[0]`), non-empty, CPUs 0..=1023,
//!   each once, no CPU in both.
//! - `[ids]`: shares `seeded` (1), `unknown` (0), `malformed` (0), each 0..=1, summing to 1.
//! - `[boot]`: `starts` (1, 1..=1000), `timeout_seconds` (the stack's own: 30, 90 for a JVM;
//!   1..=3600).
//! - `[container]` (the docker and swarm backends): `memory_mb` (512, 6..=1048576),
//!   `millicpus` (the service CPUs' count x 1000, 10..=1024000), `pids` (512, 16..=1000000),
//!   `replicas` (1, 1..=100; swarm only).
//! - `[warmup]`: `seconds` (5, 0..=3600; 0 means no warm-up), `users` (the first step's),
//!   `rate` (unthrottled), `pause_ms` (the first step's). Without a `[warmup]` table the warm-up
//!   is 5 s of the first step's users, rate and pause. The warm-up ramps over 1 s.
//! - `[battery]`: run the bad-input battery after the idle phase, then sample memory while
//!   the service settles. Only in a scenario without steps (memory after the battery is
//!   compared with the idle level measured just before it). `pipelined` (50, 1..=10000
//!   requests in one write), `stalled` (12, 3..=1000 connections), `burst` (500, 1..=10000
//!   connections), `settle_seconds` (10, 1..=3600).
//! - `[capacity]`: instead of fixed steps, search for the highest constant rate whose p99
//!   counted from when each request was due stays under `slo_p99_ms` (10, 1..=60000) with
//!   errors at most `max_error_ratio` (0.001, 0..=1): probes of `probe_seconds` (10, 1..=3600)
//!   from `start_rps` (500, 1..=1000000) up to `max_rps` (200000, `start_rps`..=1000000), to a
//!   `resolution` (0.05, 0.001..=0.5), over `users` connections (32, 1..=100000). Not with
//!   `[[step]]` or `[battery]`; `load` is then `"constant-rate"` (its default with the table).
//!   The warm-up defaults to the first probe's users and rate.
//! - `[fit]`: per stack, the smallest memory limit under which the service starts, is not
//!   killed, serves the one `[[step]]` with errors at most `max_error_ratio` (0.001, 0..=1) and
//!   a p99 at most `latency_factor` (2, 1..=100) times the largest limit's (or at most
//!   `latency_floor_ms`, 10, 0..=60000): searched from `max_mib` (512, 1..=1048576) down to
//!   `min_mib` (1, 1..=`max_mib`) by halving, then bisection to `resolution_mib` (1,
//!   1..=1024) or 5 %; each probe (a start, the warm-up, the step) ends within
//!   `probe_timeout_seconds` (120, 5..=3600). Exactly one `[[step]]`; not with `[battery]` or
//!   `[capacity]`.
//! - `[density]` (swarm): per stack, replicas limited and reserved at the stack's fit (from the
//!   `[fit]` it needs, or `limit_mib`, 6..=1048576, for every stack) up to `node_mib` (2048,
//!   6..=1048576) or `max_replicas` (400, 1..=10000), all given the step at once, its rate and
//!   users shared between them.
//! - `[downstream]`: deploy the quotes service beside each landscape variant (a stack named
//!   `<stack>+quotes`) and point the variant at it (`QUOTES_URL`); its memory and CPU are
//!   sampled apart. `service` (`"quotes"`, the only one), `replicas` (1, 1..=20; more than one
//!   on swarm only, and then no step may set a fault), `slow_ms` (400, 1..=60000: the delay a
//!   `"slow"` step gives it), `probe_ms` (100, 10..=10000: how often the breaker probe asks the
//!   variant for a seeded account and notes whether its answer carried a quote), `bases`
//!   (true: a variant's base stack is measured beside it when the run does not name it). Only with
//!   `[[step]]` tables (not with `[battery]`, `[capacity]`, `[fit]` or `[density]`).
//! - `[[step]]`, zero or more: `name` (`step-<n>`), `users` (required, 1..=100000), `rate`
//!   (unthrottled, 1..=1000000 requests per second), `seconds` (required hold, 1..=86400),
//!   `ramp_seconds` (1, 0..=3600), `pause_ms` (`[0, 0]`: `[min, max]`, each 0..=600000),
//!   `downstream` (with `[downstream]`: what the downstream does from the step's start,
//!   `"healthy"`, `"slow"`, `"error"` (a 500), `"garbage"` (a 200 that is not a quote) or
//!   `"down"` (stopped; the next `"healthy"` starts it again under the same name and port);
//!   unset: as the step before left it).
//!
//! Keys in error messages are dotted paths; `step[n]` counts the `[[step]]` tables from 1, as
//! the default step names do, and so do the indices into arrays (`stacks[2]`).
//!
//! The plan's types and its TOML form are here; `files` finds and reads scenario files,
//! `parse` turns one file's tables into the plan, `fields` reads and checks single values and
//! finds where in the file they are, and `error` says what is wrong and where.

mod error;
mod fields;
mod files;
mod parse;
mod write;

use std::path::PathBuf;
use std::time::Duration;

use toml::Value;

pub use error::ScenarioError;
pub use files::{available, load, resolve};
pub use parse::parse;

/// A validated scenario: everything a run needs to know about the load shape.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Scenario {
    /// Short name (the file stem: `ramp`, `steady`, ...).
    pub name: String,
    /// One sentence saying what the scenario shows.
    pub description: String,
    /// The file it came from.
    pub source: PathBuf,
    /// Stacks to run, in order; empty means every known stack.
    pub stacks: Vec<String>,
    /// Whether each stack named brings the feature ladder's rungs built on it (`axum` then
    /// `axum@log`, `axum@metrics`), whether named in the file or by `--stacks`.
    pub rungs: bool,
    /// How often memory and CPU are sampled.
    pub sample_interval: Duration,
    /// How many times the whole set of stacks is run (order interleaved between repeats).
    pub repeat: u32,
    /// `WORKERS` given to every service; `None` leaves each service its default.
    pub workers: Option<usize>,
    /// Which CPUs the service and the harness run on.
    pub placement: Placement,
    /// Which ids the load asks for.
    pub ids: IdMix,
    /// Cold starts measured per stack before the load (at least 1: the start that serves it).
    pub boot_starts: u32,
    /// How long a start may take to its first `200` from `/health` before the stack fails;
    /// `None`: the stack's own (30 s, 90 s for a JVM).
    pub boot_timeout: Option<Duration>,
    /// Time after start, before any load, over which idle memory is measured.
    pub idle: Duration,
    /// Load before the measured steps, recorded but kept out of step figures.
    pub warmup: Option<Step>,
    /// The measured load steps, in order; may be empty (`idle`, `boot`).
    pub steps: Vec<Step>,
    /// Limits of a service in a container (docker and swarm backends).
    pub container: ContainerLimits,
    /// Closed-loop (Goose) or constant-rate (the harness's own schedule) load.
    pub load: LoadMode,
    /// The bad-input battery after the idle phase, when the scenario has a `[battery]`.
    pub battery: Option<Battery>,
    /// A search for the highest rate that holds an SLO, instead of fixed steps, when the
    /// scenario has a `[capacity]`.
    pub capacity: Option<CapacityPlan>,
    /// A search for the smallest memory limit the service serves its step under, when the
    /// scenario has a `[fit]`.
    pub fit: Option<FitPlan>,
    /// Replicas at the fit limit up to a node's budget, loaded at once, when the scenario has a
    /// `[density]`.
    pub density: Option<DensityPlan>,
    /// The quotes service deployed beside each landscape variant, and its faults by step, when
    /// the scenario has a `[downstream]`.
    pub downstream: Option<DownstreamPlan>,
}

/// The downstream a landscape variant calls, and what it does during each step.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DownstreamPlan {
    /// The service (`quotes`).
    pub service: String,
    /// Its replicas (swarm: one service with that many tasks behind its name).
    pub replicas: u32,
    /// The delay a [`Fault::Slow`] step gives each answer.
    pub slow: Duration,
    /// How often the breaker probe asks the variant for one account.
    pub probe: Duration,
    /// Whether each variant's base stack is measured beside it when the run does not name it
    /// (the landscape section sets the two side by side).
    pub bases: bool,
    /// The steps that change what the downstream does, by step name, in step order.
    pub faults: Vec<(String, Fault)>,
}

impl Default for DownstreamPlan {
    fn default() -> Self {
        Self {
            service: "quotes".to_owned(),
            replicas: 1,
            slow: Duration::from_millis(400),
            probe: Duration::from_millis(100),
            bases: true,
            faults: Vec::new(),
        }
    }
}

impl DownstreamPlan {
    /// What the downstream is to do from the start of step `name`, if the step says.
    pub fn fault_at(&self, name: &str) -> Option<Fault> {
        self.faults
            .iter()
            .find(|(step, _)| step == name)
            .map(|(_, fault)| *fault)
    }
}

/// What a step makes the downstream do (contract Q3: its fault control, or a stop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Answers quotes at once (started again if it was down).
    Healthy,
    /// Answers quotes after the plan's `slow` delay.
    Slow,
    /// Answers `500`.
    Error,
    /// Answers `200` with a body that is not a quote.
    Garbage,
    /// Stopped: its name no longer answers.
    Down,
}

impl Fault {
    /// Every fault, in the order the file format lists them.
    pub const ALL: [Fault; 5] = [
        Fault::Healthy,
        Fault::Slow,
        Fault::Error,
        Fault::Garbage,
        Fault::Down,
    ];

    /// The name used in scenario files and results.
    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Healthy => "healthy",
            Fault::Slow => "slow",
            Fault::Error => "error",
            Fault::Garbage => "garbage",
            Fault::Down => "down",
        }
    }
}

/// A fit search: each probe starts the service under one memory limit and gives it the
/// scenario's step; the limit is searched from `max_mib` down by halving, then bisection (see
/// [`crate::fit`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FitPlan {
    /// The largest limit, MiB: the first probe, whose p99 is the reference.
    pub max_mib: u32,
    /// The smallest limit probed, MiB.
    pub min_mib: u32,
    /// The search ends when the gap between the smallest limit that held and the largest that
    /// did not is at most this many MiB (or 5 % of the former).
    pub resolution_mib: u32,
    /// A probe's p99 may be at most this factor of the reference's.
    pub latency_factor: f64,
    /// A p99 at or under this holds whatever the factor says: below it, run-to-run noise
    /// exceeds any factor.
    pub latency_floor: Duration,
    /// Most errors a probe may have and hold, as a share of its requests.
    pub max_error_ratio: f64,
    /// Longest a probe may take, start to stop; one that takes longer failed.
    pub probe_timeout: Duration,
}

impl Default for FitPlan {
    fn default() -> Self {
        Self {
            max_mib: 512,
            min_mib: 1,
            resolution_mib: 1,
            latency_factor: 2.0,
            latency_floor: Duration::from_millis(10),
            max_error_ratio: 0.001,
            probe_timeout: Duration::from_secs(120),
        }
    }
}

/// A density run: per stack, replicas limited (and reserved) at its fit, as many as the node's
/// budget holds, loaded at once with the scenario's step shared between them.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DensityPlan {
    /// The node's memory budget, MiB.
    pub node_mib: u32,
    /// Most replicas deployed, whatever the budget says.
    pub max_replicas: u32,
    /// Each replica's limit, MiB, instead of a fit measured in the run.
    pub limit_mib: Option<u32>,
}

impl Default for DensityPlan {
    fn default() -> Self {
        Self {
            node_mib: 2048,
            max_replicas: 400,
            limit_mib: None,
        }
    }
}

/// A capacity search: constant-rate probes, doubling from `start_rps` until one does not
/// hold, then halving the gap down to `resolution` (see [`crate::capacity`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CapacityPlan {
    /// The latency objective: 99th percentile counted from when each request was due.
    pub slo_p99: Duration,
    /// Most errors a probe may have and hold, as a share of its requests.
    pub max_error_ratio: f64,
    /// The first probe's rate, requests per second.
    pub start_rps: u32,
    /// No probe goes above this rate.
    pub max_rps: u32,
    /// How long each probe holds its rate.
    pub probe: Duration,
    /// The search ends when the gap between the highest rate that held and the lowest that did
    /// not is at most this share of the former.
    pub resolution: f64,
    /// Connections sharing the rate.
    pub users: usize,
}

impl Default for CapacityPlan {
    fn default() -> Self {
        Self {
            slo_p99: Duration::from_millis(10),
            max_error_ratio: 0.001,
            start_rps: 500,
            max_rps: 200_000,
            probe: Duration::from_secs(10),
            resolution: 0.05,
            users: 32,
        }
    }
}

impl CapacityPlan {
    /// The load step of a probe at `rate`, named `name`: no ramp (the constant-rate driver has
    /// none), no pause.
    pub fn step(&self, name: String, rate: u32) -> Step {
        Step {
            name,
            users: self.users,
            rate: Some(rate),
            ramp: Duration::ZERO,
            hold: self.probe,
            pause: (Duration::ZERO, Duration::ZERO),
        }
    }
}

/// The bad-input battery's sizes and how long memory is watched afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Battery {
    /// Requests written at once on one connection.
    pub pipelined: usize,
    /// Connections that stall at once.
    pub stalled: usize,
    /// Connections opened at once.
    pub burst: usize,
    /// How long memory is sampled after the battery; its median is "after".
    pub settle: Duration,
}

impl Battery {
    /// The sizes as the battery takes them.
    pub fn sizes(&self) -> footprint_contract::bad_input::Sizes {
        footprint_contract::bad_input::Sizes {
            pipelined: self.pipelined,
            stalled: self.stalled,
            burst: self.burst,
        }
    }
}

impl Default for Battery {
    fn default() -> Self {
        let sizes = footprint_contract::bad_input::Sizes::default();
        Self {
            pipelined: sizes.pipelined,
            stalled: sizes.stalled,
            burst: sizes.burst,
            settle: Duration::from_secs(10),
        }
    }
}

/// Limits of a service in a container, and its replicas in a swarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContainerLimits {
    /// Memory limit, MiB.
    pub memory_mb: u64,
    /// CPU limit in thousandths of a CPU; `None`: as many CPUs as the service is placed on.
    pub millicpus: Option<u64>,
    /// Most tasks (threads) in the container.
    pub pids: u64,
    /// Replicas of a swarm service.
    pub replicas: u32,
}

impl Default for ContainerLimits {
    fn default() -> Self {
        Self {
            memory_mb: 512,
            millicpus: None,
            pids: 512,
            replicas: 1,
        }
    }
}

/// How load is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoadMode {
    /// Goose: each user sends its next request when the previous one is answered (and the
    /// throttle allows).
    Closed,
    /// Open loop: requests sent on a fixed schedule per connection, latency counted both
    /// from the actual send and from the scheduled time (as wrk2 does).
    ConstantRate,
}

impl LoadMode {
    /// The name used in scenario files.
    pub fn as_str(self) -> &'static str {
        match self {
            LoadMode::Closed => "closed",
            LoadMode::ConstantRate => "constant-rate",
        }
    }
}

/// CPU placement of the service and of the harness with its load generator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Placement {
    /// CPUs the service may run on.
    pub service_cpus: Vec<usize>,
    /// CPUs the harness and its load generator may run on.
    pub harness_cpus: Vec<usize>,
}

/// Shares of the requests that ask for seeded, unknown and malformed ids; they sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IdMix {
    /// Share of seeded ids (`200`).
    pub seeded: f64,
    /// Share of well-formed but unknown ids (`404`).
    pub unknown: f64,
    /// Share of malformed ids (`400`).
    pub malformed: f64,
}

/// One load phase.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Step {
    /// Name shown in results (`warmup`, `step-1`, or the file's own).
    pub name: String,
    /// Concurrent users (each its own connection).
    pub users: usize,
    /// Target requests per second over all users; `None`: as fast as the users go.
    pub rate: Option<u32>,
    /// How long the users are launched over.
    pub ramp: Duration,
    /// How long the step is measured once all users run.
    pub hold: Duration,
    /// Pause of each user after each request, drawn uniformly from `[min, max]`.
    pub pause: (Duration, Duration),
}

const SECOND: Duration = Duration::from_secs(1);
/// `--quick` holds the steps of a scenario that gives its downstream faults this long at most:
/// the variants' default breaker open period (5 s) and a second, so a smoke run still sees the
/// breaker close again.
const QUICK_FAULT_HOLD: Duration = Duration::from_secs(6);
/// `--quick` leaves a fit search a resolution of at least its largest limit over this.
const QUICK_FIT_SHARE: u32 = 64;
/// The coarsest resolution `--quick` leaves a capacity search, so a smoke run takes few probes.
const QUICK_RESOLUTION: f64 = 0.25;

impl Scenario {
    /// The smoke-run version of this plan: idle and warm-up at most 1 s, every step held at
    /// most 1 s (6 s with downstream faults) with its users started at once, the warm-up's ramp at most 1 s, at most 3 cold
    /// starts, the battery's settling at most 3 s, a capacity search's probes at most 1 s with
    /// a resolution of at least 25 %, a fit search's resolution at least 1/64 of its largest
    /// limit, one repeat; pauses unchanged.
    pub fn quick(mut self) -> Scenario {
        self.idle = self.idle.min(SECOND);
        if let Some(warmup) = &mut self.warmup {
            warmup.hold = warmup.hold.min(SECOND);
            warmup.ramp = warmup.ramp.min(SECOND);
        }
        let faults = self
            .downstream
            .as_ref()
            .is_some_and(|d| !d.faults.is_empty());
        for step in &mut self.steps {
            step.hold = step
                .hold
                .min(if faults { QUICK_FAULT_HOLD } else { SECOND });
            step.ramp = Duration::ZERO;
        }
        self.boot_starts = self.boot_starts.min(3);
        if let Some(battery) = &mut self.battery {
            battery.settle = battery.settle.min(3 * SECOND);
        }
        if let Some(fit) = &mut self.fit {
            fit.resolution_mib = fit.resolution_mib.max(fit.max_mib / QUICK_FIT_SHARE);
        }
        if let Some(capacity) = &mut self.capacity {
            capacity.probe = capacity.probe.min(SECOND);
            capacity.resolution = capacity.resolution.max(QUICK_RESOLUTION);
        }
        self.repeat = 1;
        self
    }
}

fn quote(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// What the tests of the scenario module's files share: the shipped scenarios, a parse of
/// test text, and its error.
#[cfg(test)]
mod test_support {
    use std::path::{Path, PathBuf};

    use super::{Scenario, ScenarioError, files, parse};

    pub(super) fn scenarios_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
    }

    pub(super) fn shipped() -> Vec<Scenario> {
        let dir = scenarios_dir();
        let names = files::names(&dir);
        assert!(!names.is_empty(), "no scenarios in {}", dir.display());
        names
            .iter()
            .map(|name| {
                files::load(&dir.join(format!("{name}.toml")))
                    .unwrap_or_else(|error| panic!("{error}"))
            })
            .collect()
    }

    pub(super) fn parse_test(text: &str) -> Result<Scenario, ScenarioError> {
        parse(text, Path::new("scenarios/test.toml"))
    }

    pub(super) fn error(text: &str) -> ScenarioError {
        match parse_test(text) {
            Ok(scenario) => panic!("accepted: {scenario:?}"),
            Err(error) => error,
        }
    }

    pub(super) const ONE_STEP: &str = "description = \"d\"\n[[step]]\nusers = 8\nseconds = 20\n";
}

#[cfg(test)]
mod tests {
    use super::test_support::{ONE_STEP, parse_test, shipped};
    use super::*;

    #[test]
    fn quick_shortens() {
        let s = parse_test(
            "description = \"d\"\nrepeat = 5\nidle_seconds = 30\n[boot]\nstarts = 10\n\
             [warmup]\nseconds = 5\n\
             [[step]]\nusers = 8\nseconds = 20\nramp_seconds = 10\npause_ms = [100, 200]\n\
             [[step]]\nusers = 8\nseconds = 1\nramp_seconds = 0\n",
        )
        .unwrap();
        let q = s.clone().quick();
        assert_eq!(q.idle, SECOND);
        assert_eq!(q.repeat, 1);
        assert_eq!(q.boot_starts, 3);
        let warmup = q.warmup.as_ref().unwrap();
        assert_eq!((warmup.hold, warmup.ramp), (SECOND, SECOND));
        assert_eq!(q.steps[0].hold, SECOND);
        assert_eq!(q.steps[0].ramp, Duration::ZERO);
        assert_eq!(q.steps[0].pause, s.steps[0].pause);
        assert_eq!(q.steps[1].hold, SECOND);
        assert_eq!(q.steps[1].ramp, Duration::ZERO);
        // Already short values are kept.
        let s = parse_test("description = \"d\"\nidle_seconds = 0\n[boot]\nstarts = 2\n").unwrap();
        let q = s.clone().quick();
        assert_eq!((q.idle, q.boot_starts), (Duration::ZERO, 2));
        assert_eq!(q.sample_interval, s.sample_interval);
    }

    fn round_trip(scenario: &Scenario) {
        let text = scenario.to_toml();
        let back = parse(&text, &scenario.source)
            .unwrap_or_else(|error| panic!("{error}\n--- written:\n{text}"));
        assert_eq!(&back, scenario, "--- written:\n{text}");
    }

    #[test]
    fn to_toml_round_trips() {
        for scenario in shipped() {
            round_trip(&scenario);
            round_trip(&scenario.clone().quick());
        }
        round_trip(
            &parse_test(
                "description = \"Quotes \\\" and \\\\ and ünïcode.\"\nstacks = [\"floor\"]\n\
                 repeat = 3\nsample_interval_ms = 250\nworkers = 2\nidle_seconds = 0\n\
                 [placement]\nservice_cpus = [2, 3]\nharness_cpus = [0]\n\
                 [ids]\nseeded = 0.7\nunknown = 0.2\nmalformed = 0.1\n\
                 [boot]\nstarts = 2\ntimeout_seconds = 12\n\
                 [warmup]\nseconds = 0\n\
                 [[step]]\nusers = 3\nseconds = 9\nramp_seconds = 0\n",
            )
            .unwrap(),
        );
    }

    #[test]
    fn to_toml_writes_the_file_format() {
        let s = parse_test(ONE_STEP).unwrap();
        let text = s.to_toml();
        assert!(text.starts_with("# The \"test\" scenario as run"), "{text}");
        assert!(
            text.contains("\n[[step]]\nname = \"step-1\"\nusers = 8\n"),
            "{text}"
        );
        assert!(
            text.contains("\n[warmup]\nseconds = 5\nusers = 8\npause_ms = [0, 0]\n"),
            "{text}"
        );
        assert!(!text.contains("workers"), "{text}");
    }
}
