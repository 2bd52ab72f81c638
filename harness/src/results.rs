//! The result model of a run and the folder it is written to, as the run goes.
//!
//! `results/<run-id>/` holds `scenario.toml` (the scenario as run), `env.json`, the CSV files
//! (appended and flushed row by row, so an interrupted run keeps what it measured) and
//! `summary.json` (rewritten atomically after every stack). Every exporter reads this model.

use std::fmt::Display;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::env::Environment;
use crate::load::KindResult;
use crate::stats::{Estimate, Spread};

/// Version of the `summary.json` schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

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
    /// How its part ended.
    pub status: Status,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// Size of what it deploys besides a runtime, bytes: the static binary, or the jar with
    /// the jars on its class path (the JDK not counted).
    pub binary_bytes: Option<u64>,
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
    /// Requests per second achieved in the last measured step.
    pub achieved_rps: Option<f64>,
    /// Service CPU per 1000 requests over every measured step, ms.
    pub cpu_ms_per_1000: Option<f64>,
    /// Every headline figure over the repeats: median, spread, 95 % interval where the number
    /// of repeats allows one, and the noisy flag. Absent in results written before it existed.
    #[serde(default)]
    pub estimates: Option<Estimates>,
    /// Every repeat.
    pub runs: Vec<StackRun>,
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
    /// A stack with no figures yet.
    pub fn new(stack: &str, status: Status, reason: Option<String>) -> Self {
        Self {
            stack: stack.to_owned(),
            status,
            reason,
            binary_bytes: None,
            command: None,
            image: None,
            idle_kb: None,
            load_kb: None,
            peak_kb: None,
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
            threads: None,
            steps: Vec::new(),
            ended: None,
            failure: None,
            interrupted: None,
            steal_pct: None,
            load_average: Vec::new(),
            battery: None,
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
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// Requests per second achieved.
    pub achieved_rps: f64,
    /// Requests whose status was not the contract's answer for their id.
    pub errors: u64,
    /// Per kind of id.
    pub kinds: Vec<KindResult>,
    /// Memory in the window: median, KiB.
    pub rss_kb: Option<u64>,
    /// Service CPU per 1000 requests in the window, ms.
    pub cpu_ms_per_1000: Option<f64>,
    /// Service CPU used, in cores (1.0 = one core busy).
    pub service_cores: Option<f64>,
    /// Harness (load generator) CPU used, in cores.
    pub harness_cores: Option<f64>,
    /// The load generator was saturated: throughput says nothing about the service.
    pub load_generator_bound: bool,
    /// The coordinated-omission setting of this step.
    pub coordinated_omission: String,
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

/// Why results could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct ResultsError {
    /// The file or folder.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ResultsError + '_ {
    move |source| ResultsError {
        path: path.to_owned(),
        source,
    }
}

/// A CSV file appended row by row, flushed after each.
pub struct Csv {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Csv {
    fn create(path: PathBuf, header: &[&str]) -> Result<Self, ResultsError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        let mut csv = Self {
            out: BufWriter::new(file),
            path,
        };
        let header: Vec<&dyn Display> = header.iter().map(|h| h as &dyn Display).collect();
        csv.row(&header)?;
        Ok(csv)
    }

    /// Appends one row and flushes it.
    pub fn row(&mut self, fields: &[&dyn Display]) -> Result<(), ResultsError> {
        let line: Vec<String> = fields.iter().map(|f| csv_field(&f.to_string())).collect();
        writeln!(self.out, "{}", line.join(","))
            .and_then(|()| self.out.flush())
            .map_err(io_err(&self.path))
    }
}

/// Quotes a field when it holds a comma, a quote or a line break (RFC 4180).
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// An empty cell for `None`.
pub fn opt<T: Display>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The folder of one run, open for appending.
pub struct RunDir {
    /// Its path.
    pub path: PathBuf,
    /// `memory.csv`: one row per sample.
    pub memory: Csv,
    /// `cpu.csv`: one row per sample.
    pub cpu: Csv,
    /// `latency.csv`: one row per step and kind of id.
    pub latency: Csv,
    /// `boot.csv`: one row per cold start.
    pub boot: Csv,
    /// `battery.csv`: one row per case of the bad-input battery, when the scenario runs it.
    pub battery: Option<Csv>,
}

impl RunDir {
    /// Creates `root/run_id/` with the scenario and the environment (and `battery.csv` when
    /// `battery`); fails before anything is started if the folder cannot be written.
    pub fn create(
        root: &Path,
        run_id: &str,
        scenario_toml: &str,
        env: &Environment,
        battery: bool,
    ) -> Result<Self, ResultsError> {
        let path = root.join(run_id);
        fs::create_dir_all(&path).map_err(io_err(&path))?;
        write_file(&path.join("scenario.toml"), scenario_toml.as_bytes())?;
        let env_json = serde_json::to_vec_pretty(env).unwrap_or_default();
        write_file(&path.join("env.json"), &env_json)?;
        Ok(Self {
            memory: Csv::create(
                path.join("memory.csv"),
                &[
                    "stack",
                    "repeat",
                    "t_ms",
                    "phase",
                    "rss_kb",
                    "pss_kb",
                    "hwm_kb",
                    "threads",
                    "harness_rss_kb",
                ],
            )?,
            cpu: Csv::create(
                path.join("cpu.csv"),
                &[
                    "stack",
                    "repeat",
                    "t_ms",
                    "phase",
                    "service_cpu_ms",
                    "service_cpu_ticks_ms",
                    "harness_cpu_ms",
                    "sampler_cost_us",
                ],
            )?,
            latency: Csv::create(
                path.join("latency.csv"),
                &[
                    "stack",
                    "repeat",
                    "step",
                    "warmup",
                    "users",
                    "target_rps",
                    "kind",
                    "requests",
                    "seconds",
                    "achieved_rps",
                    "errors",
                    "statuses",
                    "p50_us",
                    "p90_us",
                    "p99_us",
                    "p999_us",
                    "max_us",
                    "mean_us",
                    "load_generator_bound",
                    "coordinated_omission",
                    "intended_p50_us",
                    "intended_p90_us",
                    "intended_p99_us",
                    "intended_p999_us",
                    "intended_max_us",
                ],
            )?,
            boot: Csv::create(
                path.join("boot.csv"),
                &[
                    "stack",
                    "repeat",
                    "start",
                    "boot_ms",
                    "self_boot_us",
                    "from_container_start_ms",
                ],
            )?,
            battery: if battery {
                Some(Csv::create(
                    path.join("battery.csv"),
                    &[
                        "stack",
                        "repeat",
                        "group",
                        "case",
                        "outcome",
                        "passed",
                        "concern",
                        "ms",
                        "down_after",
                    ],
                )?)
            } else {
                None
            },
            path,
        })
    }

    /// Rewrites `env.json` (at the end of a run, with what the harness cost).
    pub fn write_env(&self, env: &Environment) -> Result<(), ResultsError> {
        let json = serde_json::to_vec_pretty(env).unwrap_or_default();
        write_file(&self.path.join("env.json"), &json)
    }

    /// Rewrites `summary.json` atomically (write, then rename).
    pub fn write_summary(&self, summary: &Summary) -> Result<(), ResultsError> {
        let json = serde_json::to_vec_pretty(summary).unwrap_or_default();
        let tmp = self.path.join("summary.json.tmp");
        write_file(&tmp, &json)?;
        let target = self.path.join("summary.json");
        fs::rename(&tmp, &target).map_err(io_err(&target))
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ResultsError> {
    let mut file = File::create(path).map_err(io_err(path))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io_err(path))
}

/// Reads a results folder's `summary.json`.
pub fn load_summary(dir: &Path) -> Result<Summary, String> {
    let path = dir.join("summary.json");
    let text =
        fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let summary: Summary = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a summary: {e}", path.display()))?;
    if summary.schema_version != SCHEMA_VERSION {
        return Err(format!(
            "{}: schema version {} (this harness reads {SCHEMA_VERSION})",
            path.display(),
            summary.schema_version
        ));
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(csv_field("axum"), "axum");
        assert_eq!(csv_field("200:5 404:1"), "200:5 404:1");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn rows_are_on_disk_as_soon_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = Csv::create(dir.path().join("x.csv"), &["a", "b"]).unwrap();
        csv.row(&[&1, &"two"]).unwrap();
        let text = fs::read_to_string(dir.path().join("x.csv")).unwrap();
        assert_eq!(text, "a,b\n1,two\n");
    }
}
