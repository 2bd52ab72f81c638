//! Scenario files (`scenarios/*.toml`) parsed, validated and turned into one typed plan.
//!
//! A bad file is refused before anything starts, with the file, the key and what was expected.
//!
//! The format, every key optional unless said (defaults in brackets):
//!
//! - `description` (required): one sentence.
//! - `stacks` (`[]`, every known stack): names matching `^[a-z0-9][a-z0-9-]*$`, each once.
//! - `repeat` (1, 1..=100), `sample_interval_ms` (100, 10..=10000), `workers` (unset,
//!   1..=1024), `idle_seconds` (3, 0..=3600), `coordinated_omission` (`"disabled"`, or
//!   `"average"`, `"maximum"`, `"minimum"`), `load` (`"closed"`: Goose's users each wait for
//!   a response before the next request; or `"constant-rate"`: requests sent on a fixed
//!   schedule and latency also counted from when each was due, which needs a `rate` on every
//!   step and on the warm-up, and ignores pauses).
//! - `[placement]`: `service_cpus` (`[1]`) and `harness_cpus` (`[0]`), non-empty, CPUs 0..=1023,
//!   each once, no CPU in both.
//! - `[ids]`: shares `seeded` (1), `unknown` (0), `malformed` (0), each 0..=1, summing to 1.
//! - `[boot]`: `starts` (1, 1..=1000).
//! - `[container]` (the docker and swarm backends): `memory_mb` (512, 16..=1048576),
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
//! - `[[step]]`, zero or more: `name` (`step-<n>`), `users` (required, 1..=100000), `rate`
//!   (unthrottled, 1..=1000000 requests per second), `seconds` (required hold, 1..=86400),
//!   `ramp_seconds` (1, 0..=3600), `pause_ms` (`[0, 0]`: `[min, max]`, each 0..=600000).
//!
//! Keys in error messages are dotted paths; `step[n]` counts the `[[step]]` tables from 1, as
//! the default step names do, and so do the indices into arrays (`stacks[2]`).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::{Spanned, Value};

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
    /// Time after start, before any load, over which idle memory is measured.
    pub idle: Duration,
    /// Load before the measured steps, recorded but kept out of step figures.
    pub warmup: Option<Step>,
    /// The measured load steps, in order; may be empty (`idle`, `boot`).
    pub steps: Vec<Step>,
    /// Goose's coordinated-omission mitigation for every step.
    pub coordinated_omission: CoMitigation,
    /// Limits of a service in a container (docker and swarm backends).
    pub container: ContainerLimits,
    /// Closed-loop (Goose) or constant-rate (the harness's own schedule) load.
    pub load: LoadMode,
    /// The bad-input battery after the idle phase, when the scenario has a `[battery]`.
    pub battery: Option<Battery>,
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
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
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

/// Goose's coordinated-omission mitigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoMitigation {
    /// Raw response times only.
    Disabled,
    /// Back-fill using the average response time.
    Average,
    /// Back-fill using the maximum response time.
    Maximum,
    /// Back-fill using the minimum response time.
    Minimum,
}

impl CoMitigation {
    /// Every mitigation, in the order the file format lists them.
    pub const ALL: [CoMitigation; 4] = [
        CoMitigation::Disabled,
        CoMitigation::Average,
        CoMitigation::Maximum,
        CoMitigation::Minimum,
    ];

    /// The name used in scenario files (`disabled`, `average`, `maximum`, `minimum`).
    pub fn as_str(self) -> &'static str {
        match self {
            CoMitigation::Disabled => "disabled",
            CoMitigation::Average => "average",
            CoMitigation::Maximum => "maximum",
            CoMitigation::Minimum => "minimum",
        }
    }
}

/// Why a scenario could not be found, read or accepted.
///
/// Every message starts with the file; the line, when known, closes it as `(line N)`.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// No scenario file where the name or path leads.
    #[error("{}: no such scenario; available: {}", .file.display(), list(.available))]
    NotFound {
        /// Where the scenario was looked for.
        file: PathBuf,
        /// Names of the scenarios in the scenarios directory, sorted.
        available: Vec<String>,
    },
    /// The file could not be read.
    #[error("{}: cannot read: {source}", .file.display())]
    Read {
        /// The scenario file.
        file: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The text is not TOML.
    #[error("{}: invalid TOML: {message}{}", .file.display(), at(*.line))]
    Syntax {
        /// The scenario file.
        file: PathBuf,
        /// Line of the error, from 1.
        line: Option<usize>,
        /// What the TOML parser expected.
        message: String,
    },
    /// A key the format does not have.
    #[error("{}: {key}: unknown key, {expected}{}", .file.display(), at(*.line))]
    UnknownKey {
        /// The scenario file.
        file: PathBuf,
        /// Dotted path of the unknown key (`step[2].user`).
        key: String,
        /// Line of the key, from 1.
        line: Option<usize>,
        /// The keys allowed there (`expected one of ...`).
        expected: String,
    },
    /// A value of a shape the format does not have, such as a number where a table belongs.
    #[error("{}: {}{message}{}", .file.display(), key_prefix(.key.as_deref()), at(*.line))]
    Shape {
        /// The scenario file.
        file: PathBuf,
        /// Dotted path of the key, when it could be found.
        key: Option<String>,
        /// Line of the value, from 1.
        line: Option<usize>,
        /// What was expected and found, as the TOML deserializer says it.
        message: String,
    },
    /// A required key is absent.
    #[error("{}: {key}: missing; expected {expected}{}", .file.display(), at(*.line))]
    Missing {
        /// The scenario file.
        file: PathBuf,
        /// Dotted path of the missing key.
        key: String,
        /// Line of the table it belongs in, from 1.
        line: Option<usize>,
        /// What the key must hold.
        expected: String,
    },
    /// A value of the wrong type or out of its range.
    #[error("{}: {key}: expected {expected}, found {found}{}", .file.display(), at(*.line))]
    Invalid {
        /// The scenario file.
        file: PathBuf,
        /// Dotted path of the key (`step[2].users`, `ids.seeded`).
        key: String,
        /// Line of the value, from 1.
        line: Option<usize>,
        /// What the key must hold.
        expected: String,
        /// What it holds.
        found: String,
    },
    /// Values that are each fine but do not go together.
    #[error("{}: {key}: {message}{}", .file.display(), at(*.line))]
    Rule {
        /// The scenario file.
        file: PathBuf,
        /// Dotted path of the key or table at fault.
        key: String,
        /// Line of the key or table, from 1.
        line: Option<usize>,
        /// The rule that is broken.
        message: String,
    },
}

impl ScenarioError {
    /// The file the error is about.
    pub fn file(&self) -> &Path {
        match self {
            ScenarioError::NotFound { file, .. }
            | ScenarioError::Read { file, .. }
            | ScenarioError::Syntax { file, .. }
            | ScenarioError::UnknownKey { file, .. }
            | ScenarioError::Shape { file, .. }
            | ScenarioError::Missing { file, .. }
            | ScenarioError::Invalid { file, .. }
            | ScenarioError::Rule { file, .. } => file,
        }
    }

    /// Dotted path of the key at fault, when the error is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ScenarioError::NotFound { .. }
            | ScenarioError::Read { .. }
            | ScenarioError::Syntax { .. } => None,
            ScenarioError::Shape { key, .. } => key.as_deref(),
            ScenarioError::UnknownKey { key, .. }
            | ScenarioError::Missing { key, .. }
            | ScenarioError::Invalid { key, .. }
            | ScenarioError::Rule { key, .. } => Some(key),
        }
    }

    /// Line of the error in the file, from 1, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            ScenarioError::NotFound { .. } | ScenarioError::Read { .. } => None,
            ScenarioError::Syntax { line, .. }
            | ScenarioError::UnknownKey { line, .. }
            | ScenarioError::Shape { line, .. }
            | ScenarioError::Missing { line, .. }
            | ScenarioError::Invalid { line, .. }
            | ScenarioError::Rule { line, .. } => *line,
        }
    }
}

fn at(line: Option<usize>) -> String {
    line.map(|line| format!(" (line {line})"))
        .unwrap_or_default()
}

fn key_prefix(key: Option<&str>) -> String {
    key.map(|key| format!("{key}: ")).unwrap_or_default()
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// Reads and parses the scenario file at `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Parses and validates scenario text; `source` names the file in errors and gives the name.
pub fn parse(text: &str, source: &Path) -> Result<Scenario, ScenarioError> {
    let check = Check { file: source, text };
    let document = DeTable::parse(text).map_err(|error| ScenarioError::Syntax {
        file: source.to_path_buf(),
        line: error.span().map(|span| check.line(&span)),
        message: error.message().to_owned(),
    })?;
    let raw: RawScenario =
        toml::from_str(text).map_err(|error| check.serde_error(document.get_ref(), &error))?;
    check.scenario(raw)
}

/// Finds a scenario: a bare name (`ramp`) is `<scenarios_dir>/ramp.toml`; anything containing
/// `/` or ending in `.toml` is a path. A missing file is an error listing the available names.
pub fn resolve(name_or_path: &str, scenarios_dir: &Path) -> Result<PathBuf, ScenarioError> {
    let path = if name_or_path.contains('/') || name_or_path.ends_with(".toml") {
        PathBuf::from(name_or_path)
    } else {
        scenarios_dir.join(format!("{name_or_path}.toml"))
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(ScenarioError::NotFound {
            file: path,
            available: names(scenarios_dir),
        })
    }
}

/// The scenarios in `scenarios_dir` as (name, description), sorted by name.
///
/// A file that does not load is still listed, with the reason in place of its description.
pub fn available(scenarios_dir: &Path) -> Vec<(String, String)> {
    names(scenarios_dir)
        .into_iter()
        .map(|name| {
            let description = match load(&scenarios_dir.join(format!("{name}.toml"))) {
                Ok(scenario) => scenario.description,
                Err(error) => format!("(cannot be used: {error})"),
            };
            (name, description)
        })
        .collect()
}

/// Stems of the `*.toml` files in `dir`, sorted; none if the directory cannot be read.
fn names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "toml"))
        .filter_map(|path| path.file_stem()?.to_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

const SECOND: Duration = Duration::from_secs(1);
const NAME_RULE: &str = "^[a-z0-9][a-z0-9-]*$";

impl Scenario {
    /// The smoke-run version of this plan: idle and warm-up at most 1 s, every step held at
    /// most 1 s with its users started at once, the warm-up's ramp at most 1 s, at most 3 cold
    /// starts, the battery's settling at most 3 s, one repeat; pauses unchanged.
    pub fn quick(mut self) -> Scenario {
        self.idle = self.idle.min(SECOND);
        if let Some(warmup) = &mut self.warmup {
            warmup.hold = warmup.hold.min(SECOND);
            warmup.ramp = warmup.ramp.min(SECOND);
        }
        for step in &mut self.steps {
            step.hold = step.hold.min(SECOND);
            step.ramp = Duration::ZERO;
        }
        self.boot_starts = self.boot_starts.min(3);
        if let Some(battery) = &mut self.battery {
            battery.settle = battery.settle.min(3 * SECOND);
        }
        self.repeat = 1;
        self
    }

    /// The plan in the scenario file format, every default written out, so that a results
    /// folder can keep the scenario as run. Parsing it under the same file name gives this plan
    /// back. Durations are written in the file's units (seconds, or milliseconds for
    /// `sample_interval_ms` and `pause_ms`), rounded up; the warm-up always ramps over 1 s.
    pub fn to_toml(&self) -> String {
        let mut lines = vec![
            format!(
                "# The {} scenario as run, every default written out.",
                quote(&self.name)
            ),
            format!("description = {}", quote(&self.description)),
            format!(
                "stacks = [{}]",
                self.stacks
                    .iter()
                    .map(|stack| quote(stack))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!("repeat = {}", self.repeat),
            format!("sample_interval_ms = {}", millis(self.sample_interval)),
        ];
        if let Some(workers) = self.workers {
            lines.push(format!("workers = {workers}"));
        }
        lines.extend([
            format!("idle_seconds = {}", seconds(self.idle)),
            format!(
                "coordinated_omission = {}",
                quote(self.coordinated_omission.as_str())
            ),
            format!("load = {}", quote(self.load.as_str())),
            String::new(),
            "[placement]".to_owned(),
            format!("service_cpus = {}", numbers(&self.placement.service_cpus)),
            format!("harness_cpus = {}", numbers(&self.placement.harness_cpus)),
            String::new(),
            "[ids]".to_owned(),
            format!("seeded = {:?}", self.ids.seeded),
            format!("unknown = {:?}", self.ids.unknown),
            format!("malformed = {:?}", self.ids.malformed),
            String::new(),
            "[boot]".to_owned(),
            format!("starts = {}", self.boot_starts),
            String::new(),
            "[container]".to_owned(),
            format!("memory_mb = {}", self.container.memory_mb),
        ]);
        if let Some(millicpus) = self.container.millicpus {
            lines.push(format!("millicpus = {millicpus}"));
        }
        lines.extend([
            format!("pids = {}", self.container.pids),
            format!("replicas = {}", self.container.replicas),
            String::new(),
            "[warmup]".to_owned(),
        ]);
        match &self.warmup {
            None => lines.push("seconds = 0".to_owned()),
            Some(warmup) => {
                lines.push(format!("seconds = {}", seconds(warmup.hold)));
                lines.push(format!("users = {}", warmup.users));
                if let Some(rate) = warmup.rate {
                    lines.push(format!("rate = {rate}"));
                }
                lines.push(format!("pause_ms = {}", pause(warmup.pause)));
            }
        }
        if let Some(battery) = &self.battery {
            lines.extend([
                String::new(),
                "[battery]".to_owned(),
                format!("pipelined = {}", battery.pipelined),
                format!("stalled = {}", battery.stalled),
                format!("burst = {}", battery.burst),
                format!("settle_seconds = {}", seconds(battery.settle)),
            ]);
        }
        for step in &self.steps {
            lines.extend([
                String::new(),
                "[[step]]".to_owned(),
                format!("name = {}", quote(&step.name)),
                format!("users = {}", step.users),
            ]);
            if let Some(rate) = step.rate {
                lines.push(format!("rate = {rate}"));
            }
            lines.extend([
                format!("seconds = {}", seconds(step.hold)),
                format!("ramp_seconds = {}", seconds(step.ramp)),
                format!("pause_ms = {}", pause(step.pause)),
            ]);
        }
        let mut text = lines.join("\n");
        text.push('\n');
        text
    }
}

fn quote(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

fn numbers(values: &[usize]) -> String {
    let values: Vec<String> = values.iter().map(usize::to_string).collect();
    format!("[{}]", values.join(", "))
}

fn seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

fn millis(duration: Duration) -> u128 {
    let whole = duration.as_millis();
    whole + u128::from(Duration::from_millis(whole as u64) < duration)
}

fn pause((min, max): (Duration, Duration)) -> String {
    format!("[{}, {}]", millis(min), millis(max))
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A value straight from the file, with where it was.
type Field = Option<Spanned<Value>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a scenario table")]
struct RawScenario {
    description: Field,
    stacks: Field,
    repeat: Field,
    sample_interval_ms: Field,
    workers: Field,
    idle_seconds: Field,
    coordinated_omission: Field,
    load: Field,
    placement: Option<Spanned<RawPlacement>>,
    ids: Option<Spanned<RawIds>>,
    boot: Option<Spanned<RawBoot>>,
    container: Option<Spanned<RawContainer>>,
    warmup: Option<Spanned<RawWarmup>>,
    battery: Option<Spanned<RawBattery>>,
    #[serde(default)]
    step: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [battery] table")]
struct RawBattery {
    pipelined: Field,
    stalled: Field,
    burst: Field,
    settle_seconds: Field,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [placement] table")]
struct RawPlacement {
    service_cpus: Field,
    harness_cpus: Field,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an [ids] table")]
struct RawIds {
    seeded: Field,
    unknown: Field,
    malformed: Field,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [boot] table")]
struct RawBoot {
    starts: Field,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [container] table")]
struct RawContainer {
    memory_mb: Field,
    millicpus: Field,
    pids: Field,
    replicas: Field,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [warmup] table")]
struct RawWarmup {
    seconds: Field,
    users: Field,
    rate: Field,
    pause_ms: Field,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[step]] table")]
struct RawStep {
    name: Field,
    users: Field,
    rate: Field,
    seconds: Field,
    ramp_seconds: Field,
    pause_ms: Field,
}

const USERS: Bounds = Bounds {
    what: "a whole number of users",
    min: 1,
    max: 100_000,
};
const RATE: Bounds = Bounds {
    what: "a whole number of requests per second",
    min: 1,
    max: 1_000_000,
};
const HOLD: Bounds = Bounds {
    what: "a whole number of seconds",
    min: 1,
    max: 86_400,
};
const SECONDS: Bounds = Bounds {
    what: "a whole number of seconds",
    min: 0,
    max: 3_600,
};
const PAUSE_MAX_MS: i64 = 600_000;

/// An integer key's range and what it counts.
struct Bounds {
    what: &'static str,
    min: i64,
    max: i64,
}

impl Bounds {
    fn expected(&self) -> String {
        format!("{} from {} to {}", self.what, self.min, self.max)
    }
}

/// Validation of one file's raw keys, knowing the file and its text for errors.
struct Check<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Check<'_> {
    fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&byte| byte == b'\n')
            .count()
            + 1
    }

    /// A `toml`/serde error (unknown key, a value where a table belongs) with its key found
    /// from the error's span in the parsed document.
    fn serde_error(&self, document: &DeTable<'_>, error: &toml::de::Error) -> ScenarioError {
        let span = error.span();
        let key = span.as_ref().and_then(|span| key_at(document, span, ""));
        let line = span.map(|span| self.line(&span));
        let message = error.message();
        let unknown = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split_once("`, "));
        if let Some((name, expected)) = unknown {
            return ScenarioError::UnknownKey {
                file: self.file.to_path_buf(),
                key: key.unwrap_or_else(|| name.to_owned()),
                line,
                expected: expected.to_owned(),
            };
        }
        // `[step]` instead of `[[step]]` is the likely slip behind a sequence expected there.
        let message = if key.as_deref() == Some("step") {
            message.replace("expected a sequence", "expected [[step]] tables")
        } else {
            message.to_owned()
        };
        ScenarioError::Shape {
            file: self.file.to_path_buf(),
            key,
            line,
            message,
        }
    }

    fn invalid(
        &self,
        key: &str,
        value: &Spanned<Value>,
        expected: impl Into<String>,
    ) -> ScenarioError {
        self.invalid_found(key, value.span(), expected, value.get_ref().to_string())
    }

    fn invalid_found(
        &self,
        key: &str,
        span: Range<usize>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> ScenarioError {
        ScenarioError::Invalid {
            file: self.file.to_path_buf(),
            key: key.to_owned(),
            line: Some(self.line(&span)),
            expected: expected.into(),
            found: found.into(),
        }
    }

    fn missing(&self, key: &str, table: Option<Range<usize>>, expected: String) -> ScenarioError {
        ScenarioError::Missing {
            file: self.file.to_path_buf(),
            key: key.to_owned(),
            line: table.map(|span| self.line(&span)),
            expected,
        }
    }

    fn int(
        &self,
        key: &str,
        value: &Spanned<Value>,
        bounds: &Bounds,
    ) -> Result<i64, ScenarioError> {
        match value.get_ref() {
            Value::Integer(n) if (bounds.min..=bounds.max).contains(n) => Ok(*n),
            _ => Err(self.invalid(key, value, bounds.expected())),
        }
    }

    fn int_or(
        &self,
        key: &str,
        value: &Field,
        bounds: &Bounds,
        default: i64,
    ) -> Result<i64, ScenarioError> {
        value
            .as_ref()
            .map_or(Ok(default), |value| self.int(key, value, bounds))
    }

    fn int_opt(
        &self,
        key: &str,
        value: &Field,
        bounds: &Bounds,
    ) -> Result<Option<i64>, ScenarioError> {
        value
            .as_ref()
            .map(|value| self.int(key, value, bounds))
            .transpose()
    }

    fn int_required(
        &self,
        key: &str,
        value: &Field,
        bounds: &Bounds,
        table: Range<usize>,
    ) -> Result<i64, ScenarioError> {
        match value {
            Some(value) => self.int(key, value, bounds),
            None => Err(self.missing(key, Some(table), bounds.expected())),
        }
    }

    fn share(&self, key: &str, value: &Field, default: f64) -> Result<f64, ScenarioError> {
        let Some(value) = value else {
            return Ok(default);
        };
        let share = match value.get_ref() {
            Value::Integer(n) => *n as f64,
            Value::Float(x) => *x,
            _ => f64::NAN,
        };
        if (0.0..=1.0).contains(&share) {
            Ok(share)
        } else {
            Err(self.invalid(key, value, "a share from 0 to 1"))
        }
    }

    fn name(&self, key: &str, value: &Spanned<Value>, what: &str) -> Result<String, ScenarioError> {
        match value.get_ref() {
            Value::String(text) if is_name(text) => Ok(text.clone()),
            _ => Err(self.invalid(key, value, format!("{what} matching {NAME_RULE}"))),
        }
    }

    fn pause(
        &self,
        key: &str,
        value: &Field,
    ) -> Result<Option<(Duration, Duration)>, ScenarioError> {
        let Some(value) = value else {
            return Ok(None);
        };
        let pair = match value.get_ref() {
            Value::Array(items) => match items.as_slice() {
                [Value::Integer(min), Value::Integer(max)] => Some((*min, *max)),
                _ => None,
            },
            _ => None,
        };
        match pair {
            Some((min, max)) if 0 <= min && min <= max && max <= PAUSE_MAX_MS => Ok(Some((
                Duration::from_millis(min as u64),
                Duration::from_millis(max as u64),
            ))),
            _ => Err(self.invalid(
                key,
                value,
                format!(
                    "[min, max] in whole milliseconds from 0 to {PAUSE_MAX_MS} with min <= max"
                ),
            )),
        }
    }

    fn cpus(&self, key: &str, value: &Field, default: usize) -> Result<Vec<usize>, ScenarioError> {
        let Some(value) = value else {
            return Ok(vec![default]);
        };
        let items = match value.get_ref() {
            Value::Array(items) if !items.is_empty() => items,
            _ => return Err(self.invalid(key, value, "a non-empty array of CPU numbers")),
        };
        let mut cpus = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_key = format!("{key}[{}]", i + 1);
            let cpu = match item {
                Value::Integer(n) if (0..=1023).contains(n) => *n as usize,
                _ => {
                    return Err(self.invalid_found(
                        &item_key,
                        value.span(),
                        "a CPU number from 0 to 1023",
                        item.to_string(),
                    ));
                }
            };
            if cpus.contains(&cpu) {
                return Err(self.invalid_found(
                    &item_key,
                    value.span(),
                    "each CPU once",
                    format!("{cpu} again"),
                ));
            }
            cpus.push(cpu);
        }
        Ok(cpus)
    }

    fn stacks(&self, value: &Field) -> Result<Vec<String>, ScenarioError> {
        let Some(value) = value else {
            return Ok(Vec::new());
        };
        let Value::Array(items) = value.get_ref() else {
            return Err(self.invalid("stacks", value, "an array of stack names"));
        };
        let mut stacks: Vec<String> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let key = format!("stacks[{}]", i + 1);
            let name = match item {
                Value::String(name) if is_name(name) => name,
                _ => {
                    return Err(self.invalid_found(
                        &key,
                        value.span(),
                        format!("a stack name matching {NAME_RULE}"),
                        item.to_string(),
                    ));
                }
            };
            if stacks.contains(name) {
                return Err(self.invalid_found(
                    &key,
                    value.span(),
                    "each stack once",
                    format!("{} again", quote(name)),
                ));
            }
            stacks.push(name.clone());
        }
        Ok(stacks)
    }

    fn scenario(&self, raw: RawScenario) -> Result<Scenario, ScenarioError> {
        let description = match &raw.description {
            None => {
                return Err(self.missing(
                    "description",
                    None,
                    "one sentence saying what the scenario shows".to_owned(),
                ));
            }
            Some(value) => match value.get_ref() {
                Value::String(text) if !text.trim().is_empty() => text.trim().to_owned(),
                _ => {
                    return Err(self.invalid(
                        "description",
                        value,
                        "one sentence saying what the scenario shows",
                    ));
                }
            },
        };
        let stacks = self.stacks(&raw.stacks)?;
        let repeat = self.int_or(
            "repeat",
            &raw.repeat,
            &Bounds {
                what: "a whole number of repeats",
                min: 1,
                max: 100,
            },
            1,
        )?;
        let sample_interval_ms = self.int_or(
            "sample_interval_ms",
            &raw.sample_interval_ms,
            &Bounds {
                what: "a whole number of milliseconds",
                min: 10,
                max: 10_000,
            },
            100,
        )?;
        let workers = self.int_opt(
            "workers",
            &raw.workers,
            &Bounds {
                what: "a whole number of workers",
                min: 1,
                max: 1024,
            },
        )?;
        let idle_seconds = self.int_or("idle_seconds", &raw.idle_seconds, &SECONDS, 3)?;
        let coordinated_omission = match &raw.coordinated_omission {
            None => CoMitigation::Disabled,
            Some(value) => CoMitigation::ALL
                .into_iter()
                .find(|mitigation| {
                    matches!(value.get_ref(), Value::String(text) if text == mitigation.as_str())
                })
                .ok_or_else(|| {
                    let names: Vec<String> = CoMitigation::ALL
                        .iter()
                        .map(|mitigation| quote(mitigation.as_str()))
                        .collect();
                    self.invalid(
                        "coordinated_omission",
                        value,
                        format!("one of {}", names.join(", ")),
                    )
                })?,
        };
        let load = match &raw.load {
            None => LoadMode::Closed,
            Some(value) => [LoadMode::Closed, LoadMode::ConstantRate]
                .into_iter()
                .find(
                    |mode| matches!(value.get_ref(), Value::String(text) if text == mode.as_str()),
                )
                .ok_or_else(|| {
                    self.invalid("load", value, "one of \"closed\", \"constant-rate\"")
                })?,
        };
        let placement = self.placement(raw.placement.as_ref())?;
        let ids = self.ids(raw.ids.as_ref())?;
        let boot_starts = match &raw.boot {
            None => 1,
            Some(boot) => self.int_or(
                "boot.starts",
                &boot.get_ref().starts,
                &Bounds {
                    what: "a whole number of starts",
                    min: 1,
                    max: 1000,
                },
                1,
            )?,
        };
        let container = self.container(raw.container.as_ref())?;
        let battery = self.battery(raw.battery.as_ref())?;
        let steps = self.steps(&raw.step)?;
        if let (Some(table), Some(step)) = (&raw.battery, raw.step.first()) {
            return Err(self.invalid_found(
                "battery",
                table.span(),
                "a scenario without steps: memory after the battery is compared with the idle \
                 level just before it, so the battery runs on its own",
                format!("[[step]] at line {}", self.line(&step.span())),
            ));
        }
        let warmup = self.warmup(raw.warmup.as_ref(), steps.first())?;
        if load == LoadMode::ConstantRate {
            let unrated = steps
                .iter()
                .position(|step| step.rate.is_none())
                .map(|i| (format!("step[{}].rate", i + 1), raw.step[i].span()))
                .or_else(|| {
                    warmup.as_ref().filter(|w| w.rate.is_none()).map(|_| {
                        (
                            "warmup.rate".to_owned(),
                            raw.warmup.as_ref().map_or(0..0, |w| w.span()),
                        )
                    })
                });
            if let Some((key, span)) = unrated {
                return Err(self.missing(
                    &key,
                    Some(span),
                    "a rate in requests per second: a constant-rate load sends on a schedule"
                        .to_owned(),
                ));
            }
        }
        Ok(Scenario {
            name: self
                .file
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default(),
            description,
            source: self.file.to_path_buf(),
            stacks,
            sample_interval: Duration::from_millis(sample_interval_ms as u64),
            repeat: repeat as u32,
            workers: workers.map(|workers| workers as usize),
            placement,
            ids,
            boot_starts: boot_starts as u32,
            idle: Duration::from_secs(idle_seconds as u64),
            warmup,
            steps,
            coordinated_omission,
            load,
            container,
            battery,
        })
    }

    fn battery(&self, raw: Option<&Spanned<RawBattery>>) -> Result<Option<Battery>, ScenarioError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let table = raw.get_ref();
        let defaults = Battery::default();
        let count = |key: &str, field: &Field, min: i64, max: i64, what, default: usize| {
            self.int_or(key, field, &Bounds { what, min, max }, default as i64)
                .map(|n| n as usize)
        };
        Ok(Some(Battery {
            pipelined: count(
                "battery.pipelined",
                &table.pipelined,
                1,
                10_000,
                "a whole number of requests",
                defaults.pipelined,
            )?,
            stalled: count(
                "battery.stalled",
                &table.stalled,
                3,
                1_000,
                "a whole number of connections",
                defaults.stalled,
            )?,
            burst: count(
                "battery.burst",
                &table.burst,
                1,
                10_000,
                "a whole number of connections",
                defaults.burst,
            )?,
            settle: Duration::from_secs(self.int_or(
                "battery.settle_seconds",
                &table.settle_seconds,
                &Bounds {
                    what: "a whole number of seconds",
                    min: 1,
                    max: 3_600,
                },
                defaults.settle.as_secs() as i64,
            )? as u64),
        }))
    }

    fn container(
        &self,
        raw: Option<&Spanned<RawContainer>>,
    ) -> Result<ContainerLimits, ScenarioError> {
        let defaults = ContainerLimits::default();
        let Some(raw) = raw else {
            return Ok(defaults);
        };
        let table = raw.get_ref();
        let memory_mb = self.int_or(
            "container.memory_mb",
            &table.memory_mb,
            &Bounds {
                what: "a whole number of MiB",
                min: 16,
                max: 1_048_576,
            },
            defaults.memory_mb as i64,
        )?;
        let millicpus = self.int_opt(
            "container.millicpus",
            &table.millicpus,
            &Bounds {
                what: "thousandths of a CPU",
                min: 10,
                max: 1_024_000,
            },
        )?;
        let pids = self.int_or(
            "container.pids",
            &table.pids,
            &Bounds {
                what: "a whole number of tasks",
                min: 16,
                max: 1_000_000,
            },
            defaults.pids as i64,
        )?;
        let replicas = self.int_or(
            "container.replicas",
            &table.replicas,
            &Bounds {
                what: "a whole number of replicas",
                min: 1,
                max: 100,
            },
            1,
        )?;
        Ok(ContainerLimits {
            memory_mb: memory_mb as u64,
            millicpus: millicpus.map(|m| m as u64),
            pids: pids as u64,
            replicas: replicas as u32,
        })
    }

    fn placement(&self, raw: Option<&Spanned<RawPlacement>>) -> Result<Placement, ScenarioError> {
        let Some(raw) = raw else {
            return Ok(Placement {
                service_cpus: vec![1],
                harness_cpus: vec![0],
            });
        };
        let table = raw.get_ref();
        let service_cpus = self.cpus("placement.service_cpus", &table.service_cpus, 1)?;
        let harness_cpus = self.cpus("placement.harness_cpus", &table.harness_cpus, 0)?;
        if let Some(cpu) = harness_cpus.iter().find(|cpu| service_cpus.contains(cpu)) {
            let span = table
                .harness_cpus
                .as_ref()
                .or(table.service_cpus.as_ref())
                .map_or_else(|| raw.span(), Spanned::span);
            return Err(self.invalid_found(
                "placement.harness_cpus",
                span,
                "CPUs apart from placement.service_cpus",
                format!("{cpu} in both"),
            ));
        }
        Ok(Placement {
            service_cpus,
            harness_cpus,
        })
    }

    fn ids(&self, raw: Option<&Spanned<RawIds>>) -> Result<IdMix, ScenarioError> {
        let Some(raw) = raw else {
            return Ok(IdMix {
                seeded: 1.0,
                unknown: 0.0,
                malformed: 0.0,
            });
        };
        let table = raw.get_ref();
        let ids = IdMix {
            seeded: self.share("ids.seeded", &table.seeded, 1.0)?,
            unknown: self.share("ids.unknown", &table.unknown, 0.0)?,
            malformed: self.share("ids.malformed", &table.malformed, 0.0)?,
        };
        let sum = ids.seeded + ids.unknown + ids.malformed;
        if (sum - 1.0).abs() > 1e-6 {
            return Err(self.invalid_found(
                "ids",
                raw.span(),
                "seeded + unknown + malformed = 1",
                format!(
                    "{} + {} + {} = {sum}",
                    ids.seeded, ids.unknown, ids.malformed
                ),
            ));
        }
        Ok(ids)
    }

    fn steps(&self, raw: &[Spanned<RawStep>]) -> Result<Vec<Step>, ScenarioError> {
        let mut steps: Vec<Step> = Vec::with_capacity(raw.len());
        for (i, spanned) in raw.iter().enumerate() {
            let table = spanned.get_ref();
            let key = |name: &str| format!("step[{}].{name}", i + 1);
            let name = match &table.name {
                None => format!("step-{}", i + 1),
                Some(value) => {
                    let name = self.name(&key("name"), value, "a step name")?;
                    if name == "warmup" {
                        return Err(self.invalid(
                            &key("name"),
                            value,
                            "a name other than \"warmup\", which is the warm-up's",
                        ));
                    }
                    name
                }
            };
            if steps.iter().any(|step| step.name == name) {
                let span = table
                    .name
                    .as_ref()
                    .map_or_else(|| spanned.span(), Spanned::span);
                return Err(self.invalid_found(
                    &key("name"),
                    span,
                    "a name no other step has",
                    format!("{} again", quote(&name)),
                ));
            }
            let users = self.int_required(&key("users"), &table.users, &USERS, spanned.span())?;
            let rate = self.int_opt(&key("rate"), &table.rate, &RATE)?;
            let hold = self.int_required(&key("seconds"), &table.seconds, &HOLD, spanned.span())?;
            let ramp = self.int_or(&key("ramp_seconds"), &table.ramp_seconds, &SECONDS, 1)?;
            let pause = self
                .pause(&key("pause_ms"), &table.pause_ms)?
                .unwrap_or((Duration::ZERO, Duration::ZERO));
            steps.push(Step {
                name,
                users: users as usize,
                rate: rate.map(|rate| rate as u32),
                ramp: Duration::from_secs(ramp as u64),
                hold: Duration::from_secs(hold as u64),
                pause,
            });
        }
        Ok(steps)
    }

    fn warmup(
        &self,
        raw: Option<&Spanned<RawWarmup>>,
        first: Option<&Step>,
    ) -> Result<Option<Step>, ScenarioError> {
        let warmup = |first: &Step, hold: u64| Step {
            name: "warmup".to_owned(),
            users: first.users,
            rate: first.rate,
            ramp: SECOND,
            hold: Duration::from_secs(hold),
            pause: first.pause,
        };
        let Some(raw) = raw else {
            return Ok(first.map(|first| warmup(first, 5)));
        };
        let table = raw.get_ref();
        let seconds = self.int_or("warmup.seconds", &table.seconds, &SECONDS, 5)?;
        let users = self.int_opt("warmup.users", &table.users, &USERS)?;
        let rate = self.int_opt("warmup.rate", &table.rate, &RATE)?;
        let pause = self.pause("warmup.pause_ms", &table.pause_ms)?;
        if seconds == 0 {
            return Ok(None);
        }
        let Some(first) = first else {
            return Err(ScenarioError::Rule {
                file: self.file.to_path_buf(),
                key: "warmup".to_owned(),
                line: Some(self.line(&raw.span())),
                message: "a warm-up needs at least one [[step]]".to_owned(),
            });
        };
        let mut step = warmup(first, seconds as u64);
        step.users = users.map_or(first.users, |users| users as usize);
        step.rate = rate.map(|rate| rate as u32);
        step.pause = pause.unwrap_or(first.pause);
        Ok(Some(step))
    }
}

/// Dotted path of the key or value at `span` in the parsed document.
fn key_at(table: &DeTable<'_>, span: &Range<usize>, prefix: &str) -> Option<String> {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        if contains(&key.span(), span) {
            return Some(path);
        }
        if let Some(found) = value_at(value, span, path) {
            return Some(found);
        }
    }
    None
}

fn value_at(value: &Spanned<DeValue<'_>>, span: &Range<usize>, path: String) -> Option<String> {
    match value.get_ref() {
        DeValue::Table(table) => {
            if let Some(found) = key_at(table, span, &path) {
                return Some(found);
            }
        }
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(found) = value_at(item, span, format!("{path}[{}]", i + 1)) {
                    return Some(found);
                }
            }
        }
        _ => {}
    }
    contains(&value.span(), span).then_some(path)
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenarios_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
    }

    fn shipped() -> Vec<Scenario> {
        let dir = scenarios_dir();
        let names = names(&dir);
        assert!(!names.is_empty(), "no scenarios in {}", dir.display());
        names
            .iter()
            .map(|name| {
                load(&dir.join(format!("{name}.toml"))).unwrap_or_else(|error| panic!("{error}"))
            })
            .collect()
    }

    fn parse_test(text: &str) -> Result<Scenario, ScenarioError> {
        parse(text, Path::new("scenarios/test.toml"))
    }

    fn error(text: &str) -> ScenarioError {
        match parse_test(text) {
            Ok(scenario) => panic!("accepted: {scenario:?}"),
            Err(error) => error,
        }
    }

    const ONE_STEP: &str = "description = \"d\"\n[[step]]\nusers = 8\nseconds = 20\n";

    #[test]
    fn every_shipped_scenario_parses() {
        let scenarios = shipped();
        let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
        for expected in [
            "boot",
            "idle",
            "ramp",
            "robustness",
            "seed",
            "soak",
            "spike",
            "steady",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        for scenario in &scenarios {
            assert!(!scenario.description.is_empty());
            assert_eq!(scenario.placement.service_cpus, [1]);
            assert_eq!(scenario.placement.harness_cpus, [0]);
        }
    }

    #[test]
    fn default_ramp_fits_in_four_minutes_for_four_stacks() {
        let ramp = load(&scenarios_dir().join("ramp.toml")).unwrap();
        let load_time: Duration = ramp.idle
            + ramp
                .warmup
                .iter()
                .chain(&ramp.steps)
                .map(|s| s.ramp + s.hold)
                .sum::<Duration>();
        assert!(load_time <= Duration::from_secs(55), "{load_time:?}");
        assert_eq!(ramp.ids.seeded, 0.9);
        assert_eq!(ramp.boot_starts, 1);
    }

    #[test]
    fn shipped_shapes() {
        let dir = scenarios_dir();
        let get = |name: &str| load(&dir.join(format!("{name}.toml"))).unwrap();

        let idle = get("idle");
        assert!(idle.steps.is_empty() && idle.warmup.is_none());
        assert_eq!(idle.idle, Duration::from_secs(30));

        let boot = get("boot");
        assert!(boot.steps.is_empty() && boot.warmup.is_none());
        assert_eq!((boot.idle, boot.boot_starts), (Duration::ZERO, 10));

        let seed = get("seed");
        let step = &seed.steps[0];
        assert_eq!((step.users, step.rate), (1000, None));
        assert_eq!(step.ramp, Duration::from_secs(10));
        assert_eq!(step.hold, Duration::from_secs(30));
        assert_eq!(step.pause, (SECOND, SECOND));
        assert_eq!(seed.ids.seeded, 1.0);
        let warmup = seed.warmup.unwrap();
        assert_eq!(
            (warmup.users, warmup.rate, warmup.pause),
            (100, None, (SECOND, SECOND))
        );

        let spike = get("spike");
        let users: Vec<usize> = spike.steps.iter().map(|s| s.users).collect();
        assert_eq!(users, [8, 128, 8]);
        assert_eq!(spike.steps[1].rate, None);

        let soak = get("soak");
        assert_eq!(soak.steps[0].hold, Duration::from_secs(600));
        let steady = get("steady");
        assert_eq!(
            (steady.steps[0].users, steady.steps[0].rate),
            (32, Some(2000))
        );
        assert_eq!(steady.load, LoadMode::ConstantRate);
        // Three repeats by default, except the ten-minute soak; `--quick` makes it one.
        for name in ["ramp", "steady", "spike", "idle", "boot", "seed"] {
            assert_eq!(get(name).repeat, 3, "{name}");
            assert_eq!(get(name).quick().repeat, 1, "{name}");
        }
        assert_eq!(soak.repeat, 1);
    }

    #[test]
    fn available_lists_sorted_names_with_descriptions() {
        let list = available(&scenarios_dir());
        let names: Vec<&str> = list.iter().map(|(name, _)| name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(names.contains(&"ramp"));
        assert!(
            list.iter()
                .all(|(_, description)| !description.starts_with("(cannot"))
        );
        assert!(available(Path::new("/nonexistent/scenarios")).is_empty());
    }

    #[test]
    fn resolve_names_and_paths() {
        let dir = scenarios_dir();
        assert_eq!(resolve("ramp", &dir).unwrap(), dir.join("ramp.toml"));
        let path = dir.join("steady.toml");
        let path = path.to_str().unwrap();
        assert_eq!(resolve(path, &dir).unwrap(), PathBuf::from(path));

        let error = resolve("rmap", &dir).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("rmap.toml: no such scenario; available: "),
            "{message}"
        );
        assert!(
            message.contains("backends, boot, idle, ramp, robustness, seed, soak, spike, steady"),
            "{message}"
        );

        let error = resolve("elsewhere.toml", &dir).unwrap_err();
        assert_eq!(error.file(), Path::new("elsewhere.toml"));
        assert!(
            error.to_string().contains("available: backends, boot"),
            "{error}"
        );
    }

    #[test]
    fn load_reports_unreadable_file() {
        let error = load(Path::new("/nonexistent/x.toml")).unwrap_err();
        assert!(matches!(error, ScenarioError::Read { .. }));
        assert!(
            error
                .to_string()
                .starts_with("/nonexistent/x.toml: cannot read: "),
            "{error}"
        );
    }

    #[test]
    fn defaults() {
        let s = parse_test("description = \"Only a description.\"").unwrap();
        assert_eq!(s.name, "test");
        assert_eq!(s.source, Path::new("scenarios/test.toml"));
        assert_eq!(s.description, "Only a description.");
        assert!(s.stacks.is_empty());
        assert_eq!(s.repeat, 1);
        assert_eq!(s.sample_interval, Duration::from_millis(100));
        assert_eq!(s.workers, None);
        assert_eq!(s.idle, Duration::from_secs(3));
        assert_eq!(s.coordinated_omission, CoMitigation::Disabled);
        assert_eq!(s.placement.service_cpus, [1]);
        assert_eq!(s.placement.harness_cpus, [0]);
        assert_eq!(
            s.ids,
            IdMix {
                seeded: 1.0,
                unknown: 0.0,
                malformed: 0.0
            }
        );
        assert_eq!(s.boot_starts, 1);
        assert_eq!(s.warmup, None);
        assert!(s.steps.is_empty());
    }

    #[test]
    fn step_and_warmup_defaults() {
        let s = parse_test(
            "description = \"d\"\n\
             [[step]]\nusers = 8\nrate = 1000\nseconds = 20\npause_ms = [5, 10]\n\
             [[step]]\nusers = 16\nseconds = 10\n",
        )
        .unwrap();
        let pause = (Duration::from_millis(5), Duration::from_millis(10));
        assert_eq!(
            s.steps[0],
            Step {
                name: "step-1".to_owned(),
                users: 8,
                rate: Some(1000),
                ramp: SECOND,
                hold: Duration::from_secs(20),
                pause,
            }
        );
        assert_eq!(s.steps[1].name, "step-2");
        assert_eq!(s.steps[1].pause, (Duration::ZERO, Duration::ZERO));
        assert_eq!(
            s.warmup,
            Some(Step {
                name: "warmup".to_owned(),
                users: 8,
                rate: Some(1000),
                ramp: SECOND,
                hold: Duration::from_secs(5),
                pause,
            })
        );
    }

    #[test]
    fn warmup_table_keys_default_one_by_one() {
        let s = parse_test(&format!("{ONE_STEP}[warmup]\nseconds = 7\n")).unwrap();
        let warmup = s.warmup.unwrap();
        assert_eq!((warmup.users, warmup.rate), (8, None));
        assert_eq!(warmup.hold, Duration::from_secs(7));

        let s = parse_test(&format!("{ONE_STEP}[warmup]\nusers = 2\nrate = 10\n")).unwrap();
        let warmup = s.warmup.unwrap();
        assert_eq!((warmup.users, warmup.rate), (2, Some(10)));
        assert_eq!(warmup.hold, Duration::from_secs(5));

        let s = parse_test(&format!("{ONE_STEP}[warmup]\nseconds = 0\n")).unwrap();
        assert_eq!(s.warmup, None);

        let s = parse_test("description = \"d\"\n[warmup]\nseconds = 0\n").unwrap();
        assert_eq!(s.warmup, None);
    }

    #[test]
    fn warmup_needs_a_step() {
        let e = error("description = \"d\"\n[warmup]\nseconds = 5\n");
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: warmup: a warm-up needs at least one [[step]] (line 2)"
        );
        let e = error("description = \"d\"\n[warmup]\nusers = 3\n");
        assert_eq!(e.key(), Some("warmup"));
    }

    #[test]
    fn all_keys_parse() {
        let s = parse_test(
            "description = \"d\"\nstacks = [\"floor\", \"axum\"]\nrepeat = 3\n\
             sample_interval_ms = 250\nworkers = 2\nidle_seconds = 0\n\
             coordinated_omission = \"maximum\"\n\
             [placement]\nservice_cpus = [2, 3]\nharness_cpus = [0, 1]\n\
             [ids]\nseeded = 0.5\nunknown = 0.5\n\
             [boot]\nstarts = 4\n",
        )
        .unwrap();
        assert_eq!(s.stacks, ["floor", "axum"]);
        assert_eq!((s.repeat, s.workers, s.boot_starts), (3, Some(2), 4));
        assert_eq!(s.sample_interval, Duration::from_millis(250));
        assert_eq!(s.idle, Duration::ZERO);
        assert_eq!(s.coordinated_omission, CoMitigation::Maximum);
        assert_eq!(s.placement.service_cpus, [2, 3]);
        assert_eq!(s.placement.harness_cpus, [0, 1]);
        assert_eq!(s.ids.malformed, 0.0);
    }

    #[test]
    fn users_zero_names_the_step() {
        let e = error(
            "description = \"d\"\n\
             [[step]]\nusers = 8\nseconds = 10\n\
             [[step]]\nusers = 0\nseconds = 10\n",
        );
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: step[2].users: expected a whole number of users from 1 to \
             100000, found 0 (line 6)"
        );
        assert_eq!((e.key(), e.line()), (Some("step[2].users"), Some(6)));
    }

    #[test]
    fn missing_keys() {
        let e = error("stacks = []");
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: description: missing; expected one sentence saying what the \
             scenario shows"
        );
        let e = error("description = \"d\"\n\n[[step]]\nseconds = 10\n");
        assert_eq!(e.key(), Some("step[1].users"));
        assert!(matches!(e, ScenarioError::Missing { .. }), "{e}");
        assert_eq!(e.line(), Some(3), "{e}");
        let e = error("description = \"d\"\n[[step]]\nusers = 1\n");
        assert_eq!(e.key(), Some("step[1].seconds"));
    }

    #[test]
    fn unknown_key_at_top_level() {
        let e = error("description = \"d\"\nusres = 8\n");
        assert!(matches!(e, ScenarioError::UnknownKey { .. }), "{e}");
        assert_eq!((e.key(), e.line()), (Some("usres"), Some(2)));
        let message = e.to_string();
        assert!(
            message.starts_with("scenarios/test.toml: usres: unknown key, expected one of "),
            "{message}"
        );
        assert!(message.contains("`description`"), "{message}");
        assert!(message.ends_with("(line 2)"), "{message}");
    }

    #[test]
    fn unknown_key_inside_a_step_and_a_table() {
        let e = error(&format!("{ONE_STEP}\n[[step]]\nusers = 8\nsecond = 20\n"));
        assert!(matches!(e, ScenarioError::UnknownKey { .. }), "{e}");
        assert_eq!((e.key(), e.line()), (Some("step[2].second"), Some(8)));
        assert!(e.to_string().contains("`seconds`"), "{e}");

        let e = error("description = \"d\"\n[ids]\nseeded = 1\nbogus = 0\n");
        assert_eq!((e.key(), e.line()), (Some("ids.bogus"), Some(4)));

        let e = error("description = \"d\"\nplacement = { service_cpus = [1], cpus = [0] }\n");
        assert_eq!((e.key(), e.line()), (Some("placement.cpus"), Some(2)));
    }

    #[test]
    fn wrong_shapes_name_the_key() {
        let e = error("description = \"d\"\nplacement = 3\n");
        assert!(matches!(e, ScenarioError::Shape { .. }), "{e}");
        assert_eq!((e.key(), e.line()), (Some("placement"), Some(2)));
        assert!(e.to_string().contains("a [placement] table"), "{e}");

        let e = error("description = \"d\"\n[step]\nusers = 1\n");
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: step: invalid type: map, expected [[step]] tables (line 2)"
        );

        let e = error("description = \"d\"\nrepeat = \"3\"\n");
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: repeat: expected a whole number of repeats from 1 to 100, \
             found \"3\" (line 2)"
        );
    }

    #[test]
    fn ids_must_sum_to_one() {
        let e = error("description = \"d\"\n[ids]\nseeded = 0.9\nunknown = 0.08\n");
        assert_eq!(e.key(), Some("ids"));
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: ids: expected seeded + unknown + malformed = 1, found 0.9 + \
             0.08 + 0 = 0.98 (line 2)"
        );
        let e = error("description = \"d\"\n[ids]\nseeded = 1.5\n");
        assert_eq!(e.key(), Some("ids.seeded"));
        assert!(
            e.to_string()
                .contains("expected a share from 0 to 1, found 1.5"),
            "{e}"
        );
        // Rounding within 1e-6 is accepted.
        parse_test("description = \"d\"\n[ids]\nseeded = 0.7\nunknown = 0.2\nmalformed = 0.1\n")
            .unwrap();
    }

    #[test]
    fn cpus_must_not_overlap() {
        let e =
            error("description = \"d\"\n[placement]\nservice_cpus = [1]\nharness_cpus = [0, 1]\n");
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: placement.harness_cpus: expected CPUs apart from \
             placement.service_cpus, found 1 in both (line 4)"
        );
        let e = error("description = \"d\"\n[placement]\nharness_cpus = [1]\n");
        assert_eq!(e.key(), Some("placement.harness_cpus"));
        let e = error("description = \"d\"\n[placement]\nservice_cpus = []\n");
        assert_eq!(e.key(), Some("placement.service_cpus"));
        let e = error("description = \"d\"\n[placement]\nservice_cpus = [2, 2]\n");
        assert_eq!(e.key(), Some("placement.service_cpus[2]"));
        let e = error("description = \"d\"\n[placement]\nservice_cpus = [1024]\n");
        assert!(
            e.to_string()
                .contains("expected a CPU number from 0 to 1023, found 1024"),
            "{e}"
        );
    }

    #[test]
    fn battery_table_defaults_bounds_and_no_steps() {
        let s = parse_test("description = \"x\"\n[battery]\n").unwrap();
        assert_eq!(s.battery, Some(Battery::default()));
        let s = parse_test(
            "description = \"x\"\n[battery]\npipelined = 5\nstalled = 3\nburst = 7\nsettle_seconds = 2\n",
        )
        .unwrap();
        let b = s.battery.unwrap();
        assert_eq!((b.pipelined, b.stalled, b.burst), (5, 3, 7));
        assert_eq!(b.settle, Duration::from_secs(2));
        assert_eq!(
            s.clone().quick().battery.unwrap().settle,
            Duration::from_secs(2)
        );
        assert!(
            parse_test("description = \"x\"\n")
                .unwrap()
                .battery
                .is_none()
        );

        let e = error("description = \"x\"\n[battery]\nburst = 0\n");
        assert_eq!((e.key(), e.line()), (Some("battery.burst"), Some(3)));
        let e = error("description = \"x\"\n[battery]\nretries = 2\n");
        assert_eq!(e.key(), Some("battery.retries"), "{e}");

        let e = error("description = \"x\"\n[battery]\n\n[[step]]\nusers = 1\nseconds = 1\n");
        assert_eq!((e.key(), e.line()), (Some("battery"), Some(2)));
        assert!(e.to_string().contains("without steps"), "{e}");
        assert!(e.to_string().contains("[[step]] at line 4"), "{e}");
    }

    #[test]
    fn constant_rate_needs_a_rate_everywhere() {
        let s = parse_test(
            "description = \"d\"\nload = \"constant-rate\"\n[[step]]\nusers = 2\nrate = 10\nseconds = 1\n",
        )
        .unwrap();
        assert_eq!(s.load, LoadMode::ConstantRate);
        assert_eq!(s.warmup.unwrap().rate, Some(10));
        let e = error(
            "description = \"d\"\nload = \"constant-rate\"\n[[step]]\nusers = 2\nrate = 10\nseconds = 1\n\
             [[step]]\nusers = 2\nseconds = 1\n",
        );
        assert_eq!(e.key(), Some("step[2].rate"));
        let e = error(
            "description = \"d\"\nload = \"constant-rate\"\n[warmup]\nusers = 2\n\
             [[step]]\nusers = 2\nrate = 10\nseconds = 1\n",
        );
        assert_eq!(e.key(), Some("warmup.rate"));
        let e = error("description = \"d\"\nload = \"open\"\n");
        assert_eq!(e.key(), Some("load"));
        assert_eq!(
            parse_test("description = \"d\"\n").unwrap().load,
            LoadMode::Closed
        );
    }

    #[test]
    fn coordinated_omission_must_be_known() {
        let e = error("description = \"d\"\ncoordinated_omission = \"mean\"\n");
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: coordinated_omission: expected one of \"disabled\", \
             \"average\", \"maximum\", \"minimum\", found \"mean\" (line 2)"
        );
    }

    #[test]
    fn names_are_checked() {
        let e = error(&format!("{ONE_STEP}name = \"Step One\"\n"));
        assert_eq!(
            e.to_string(),
            "scenarios/test.toml: step[1].name: expected a step name matching \
             ^[a-z0-9][a-z0-9-]*$, found \"Step One\" (line 5)"
        );
        let e = error("description = \"d\"\nstacks = [\"axum\", \"-x\"]\n");
        assert_eq!(e.key(), Some("stacks[2]"));
        let e = error("description = \"d\"\nstacks = [\"axum\", \"axum\"]\n");
        assert!(
            e.to_string()
                .contains("expected each stack once, found \"axum\" again"),
            "{e}"
        );
        let e = error(&format!("{ONE_STEP}name = \"warmup\"\n"));
        assert_eq!(e.key(), Some("step[1].name"));
        // An explicit name may not take a later step's default name.
        let e = error(&format!(
            "{ONE_STEP}name = \"step-2\"\n[[step]]\nusers = 1\nseconds = 1\n"
        ));
        assert_eq!(e.key(), Some("step[2].name"));
        assert!(e.to_string().contains("found \"step-2\" again"), "{e}");
    }

    #[test]
    fn ranges_are_checked() {
        for (text, key) in [
            ("repeat = 0", "repeat"),
            ("repeat = 101", "repeat"),
            ("sample_interval_ms = 9", "sample_interval_ms"),
            ("workers = 0", "workers"),
            ("idle_seconds = 3601", "idle_seconds"),
            ("idle_seconds = 1.5", "idle_seconds"),
            ("description = \"  \"", "description"),
            ("stacks = \"axum\"", "stacks"),
            ("[boot]\nstarts = 1001", "boot.starts"),
        ] {
            let text = if text.starts_with("description") {
                text.to_owned()
            } else {
                format!("description = \"d\"\n{text}\n")
            };
            assert_eq!(error(&text).key(), Some(key), "{text}");
        }
        for (step, key) in [
            ("rate = 0", "step[1].rate"),
            ("rate = 1000001", "step[1].rate"),
            ("seconds = 0", "step[1].seconds"),
            ("ramp_seconds = -1", "step[1].ramp_seconds"),
            ("pause_ms = [10, 5]", "step[1].pause_ms"),
            ("pause_ms = [0, 600001]", "step[1].pause_ms"),
            ("pause_ms = [5]", "step[1].pause_ms"),
        ] {
            let hold = if step.starts_with("seconds") {
                ""
            } else {
                "seconds = 10\n"
            };
            let text = format!("description = \"d\"\n[[step]]\nusers = 8\n{hold}{step}\n");
            assert_eq!(error(&text).key(), Some(key), "{text}");
        }
        let e = error(&format!("{ONE_STEP}[warmup]\nseconds = 3601\n"));
        assert_eq!(e.key(), Some("warmup.seconds"));
    }

    #[test]
    fn syntax_error_carries_a_line() {
        let e = error("description = \"d\"\nrepeat = 1\nstacks = [\"axum\"\n");
        assert!(matches!(e, ScenarioError::Syntax { .. }), "{e}");
        assert_eq!(e.line(), Some(3), "{e}");
        let message = e.to_string();
        assert!(
            message.starts_with("scenarios/test.toml: invalid TOML: "),
            "{message}"
        );
        assert!(message.ends_with(" (line 3)"), "{message}");

        let e = error("description = \"d\"\nrepeat = 1\nrepeat = 2\n");
        assert!(matches!(e, ScenarioError::Syntax { .. }), "{e}");
        assert_eq!(e.line(), Some(3), "{e}");
    }

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
                 coordinated_omission = \"average\"\n\
                 [placement]\nservice_cpus = [2, 3]\nharness_cpus = [0]\n\
                 [ids]\nseeded = 0.7\nunknown = 0.2\nmalformed = 0.1\n\
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
