//! `harness calibrate`: the harness's two load drivers (Goose, closed loop; the constant-rate
//! driver, open loop) against independent tools at the same operating point, one after the
//! other against the same running service, asking for seeded ids at random, from the
//! harness's CPUs while the service keeps its own.
//!
//! Two modes, by whether `--rate` is given:
//!
//! - **Unthrottled** (the default): the Goose driver and `wrk` at the same connections, each as
//!   fast as it goes; then the constant-rate driver asked for twice the throughput wrk reached
//!   in that round, so that what it serves is its ceiling. Against a fast stack (`hyper`) each
//!   throughput is that tool's ceiling on the load CPUs.
//! - **At a rate** (`--rate R`): the Goose driver and the constant-rate driver at `R` requests
//!   per second, and `oha` at the same rate twice: latency from each request's send, and with
//!   `--latency-correction`, from when it was due, which is what the constant-rate driver's
//!   corrected (`intended`) figures count from.
//!
//! Each run's figures are kept per round and over all rounds; the ratios between tools
//! ([`ratios`]) say how far the harness's figures are its drivers' rather than the service's.
//! The rounds themselves are in [`rounds`], the terminal text in [`show`].

pub mod ratios;
pub mod rounds;
pub mod show;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::backend::select::{self, Choice, Kind};
use crate::backend::swarm::Publish;
use crate::backend::{Backend, Limits, ServiceSpec};
use crate::boot::{self, HttpHealth};
use crate::cancel::Cancel;
use crate::driver::constant_rate::ConstantRate;
use crate::driver::goose::Goose;
use crate::driver::oha::{self, Oha};
use crate::driver::wrk::{self, Wrk};
use crate::driver::{self, LoadDriver, SEEDED_ONLY};
use crate::placement::Resolved;
use crate::prepare::{self, Builder, NotBuilt, Toolchains};
use crate::progress::Reporter;
use crate::results::{CalibrateRow, Fixed, Row as _};
use crate::stacks::{self, Availability};

pub use ratios::{LatencyRatio, Ratio, Ratios, RpsRatio, combine};
pub use show::render;

/// Version of `calibrate.json`. 2: the constant-rate driver and oha, `--rate`, one entry per
/// tool in `tools`, named ratios.
pub const SCHEMA_VERSION: u32 = 2;

/// The names of the rows: one per tool, and one per way a tool's latency is counted.
pub mod tool {
    /// The Goose driver.
    pub const GOOSE: &str = "goose";
    /// wrk, unthrottled.
    pub const WRK: &str = "wrk";
    /// The constant-rate driver, latency from each request's send.
    pub const CONSTANT_RATE: &str = "constant-rate";
    /// The same runs of the constant-rate driver, latency from when each request was due.
    pub const CONSTANT_RATE_CORRECTED: &str = "constant-rate-corrected";
    /// oha, latency from each request's send.
    pub const OHA: &str = "oha";
    /// oha run with `--latency-correction`: latency from when each request was due.
    pub const OHA_CORRECTED: &str = "oha-corrected";
}

/// What to calibrate.
#[derive(Debug, Clone)]
pub struct Options {
    /// The stack to drive.
    pub stack: String,
    /// Concurrent connections (Goose users, the constant-rate driver's, wrk's and oha's).
    pub users: usize,
    /// Requests per second over all connections; `None`: unthrottled, against wrk.
    pub rate: Option<u32>,
    /// Seconds each tool runs.
    pub seconds: u64,
    /// Seconds of load before any is measured (JIT, caches), from Goose at the same rate.
    pub warmup: u64,
    /// Rounds of every tool, the order alternating between rounds.
    pub rounds: u32,
    /// Where the results folder goes.
    pub out: PathBuf,
    /// The project's root (for building).
    pub root: PathBuf,
    /// CPUs for the service.
    pub service_cpus: Vec<usize>,
    /// CPUs for the harness and the load tools.
    pub harness_cpus: Vec<usize>,
    /// Where the service runs: `local` (a process pinned to `service_cpus`), `docker` (a
    /// container of its image, pinned there too) or `swarm` (a swarm service, unpinned with
    /// a quota of as many CPUs), so the drivers are checked where a run measures.
    pub backend: Kind,
    /// With `swarm`: make a single-node swarm for the calibration and leave it afterwards.
    pub init_swarm: bool,
    /// No progress output.
    pub quiet: bool,
    /// When another run holds this host, waits for it to end instead of refusing.
    pub wait: bool,
    /// Cancelled by Ctrl-C.
    pub cancel: Cancel,
}

/// One row's figures: one tool's run in a round, or over all rounds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ToolFigures {
    /// The row ([`tool`]): `goose`, `wrk`, `constant-rate`, `constant-rate-corrected`,
    /// `oha` or `oha-corrected`.
    pub tool: String,
    /// Requests served (answered as the contract says) in the measured window.
    pub requests: u64,
    /// Seconds of the measured window.
    pub seconds: f64,
    /// Requests served per second.
    pub rps: f64,
    /// Requests per second the tool was asked for; `None` when unthrottled.
    #[serde(default)]
    pub target_rps: Option<f64>,
    /// Median latency, µs: from each request's send, or in a `-corrected` row from when it was
    /// due.
    pub p50_us: u64,
    /// 99th percentile, µs, counted as `p50_us`.
    pub p99_us: u64,
    /// Requests that failed (no response, or not a `200`); for the constant-rate driver also
    /// the slots it could not send before the end.
    pub errors: u64,
    /// CPU the harness process used while this tool ran, in cores (the in-process drivers run
    /// inside it; wrk and oha are children, counted in `tool_cores`).
    pub harness_cores: Option<f64>,
    /// CPU the tool itself used, in cores, where it can be told apart.
    pub tool_cores: Option<f64>,
}

impl ToolFigures {
    /// Requests per second over `seconds`; 0 for an empty window.
    pub fn per_second(requests: u64, seconds: f64) -> f64 {
        if seconds > 0.0 {
            requests as f64 / seconds
        } else {
            0.0
        }
    }
}

impl ToolFigures {
    /// Served over asked, percent, at a rate.
    pub fn achieved_pct(&self) -> Option<f64> {
        self.target_rps
            .filter(|t| *t > 0.0)
            .map(|t| self.rps / t * 100.0)
    }
}

/// One row of a calibration: a tool's figures per round and over all rounds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ToolRuns {
    /// The row ([`tool`]).
    pub tool: String,
    /// The driver, as it describes itself.
    pub driver: String,
    /// Whether the percentiles count from when each request was due (coordinated omission
    /// corrected) rather than from its send.
    pub corrected: bool,
    /// Per round, in round order.
    pub rounds: Vec<ToolFigures>,
    /// Over all rounds ([`combine`]).
    pub all: ToolFigures,
}

/// `calibrate.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Calibration {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// When it started.
    pub started: DateTime<Utc>,
    /// The stack driven.
    pub stack: String,
    /// Requests per second every tool was asked for; `None`: unthrottled.
    pub rate: Option<u32>,
    /// Connections of each tool.
    pub users: usize,
    /// Seconds each tool ran per round.
    pub seconds: u64,
    /// Seconds of unmeasured Goose load first.
    pub warmup: u64,
    /// Rounds.
    pub rounds: u32,
    /// CPU placement.
    pub placement: Resolved,
    /// Where the service ran (`local`, `docker`, `swarm`); files written before the field
    /// existed were all `local`.
    #[serde(default = "local")]
    pub backend: String,
    /// wrk's version line, when wrk ran (unthrottled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrk_version: Option<String>,
    /// oha's version line (`oha --version`), when oha ran (at a rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oha_version: Option<String>,
    /// One entry per row, in the order shown.
    pub tools: Vec<ToolRuns>,
    /// The ratios between tools, over all rounds ([`ratios`]).
    pub ratios: Ratios,
    /// The machine's load average (1, 5, 15 minutes) as the calibration started.
    pub load_average: Vec<f64>,
    /// Share of the machine's CPU time stolen by the hypervisor during it, percent.
    pub steal_pct: Option<f64>,
}

fn local() -> String {
    "local".to_owned()
}

impl Calibration {
    /// The row named `name` ([`tool`]), when it ran.
    pub fn tool(&self, name: &str) -> Option<&ToolRuns> {
        self.tools.iter().find(|t| t.tool == name)
    }
}

/// Why a calibration could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// Unknown stack, missing tool or toolchain: nothing was started.
    #[error("{0}")]
    Setup(String),
    /// The service or a tool failed.
    #[error("{0}")]
    Run(String),
    /// The results could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Runs the calibration and writes `<out>/<time>-calibrate-<stack>/calibrate.json`,
/// `calibrate.csv` and `env.json` (the machine and the project's commit); returns the folder and the figures. The set-up (placement, pinning, the
/// stack's check and build, the run id) is the scenario run's own. The external tool the mode
/// needs (wrk unthrottled, oha at a rate) is checked before anything starts.
pub fn run(options: &Options) -> Result<(PathBuf, Calibration), CalibrateError> {
    let reporter = Reporter::new(options.quiet);
    let stack = stacks::find(&options.stack).ok_or_else(|| {
        let known: Vec<&str> = stacks::stacks().iter().map(|s| s.name).collect();
        CalibrateError::Setup(format!(
            "unknown stack {:?}; known stacks: {}",
            options.stack,
            known.join(", ")
        ))
    })?;
    if let Availability::Missing { what, install } = stacks::check(stack) {
        return Err(CalibrateError::Setup(format!(
            "{} cannot run here: {what} is missing; {install}",
            stack.name
        )));
    }
    let setup_err = |e: driver::LoadError| CalibrateError::Setup(e.to_string());
    let (wrk_version, oha_version) = match options.rate {
        None => (Some(wrk::version().map_err(setup_err)?), None),
        Some(_) => (None, Some(oha::version().map_err(setup_err)?)),
    };
    let setup = prepare::setup(
        &options.root,
        &options.out,
        &format!("calibrate-{}", stack.name),
        &options.service_cpus,
        &options.harness_cpus,
    )
    .map_err(|e| CalibrateError::Setup(e.to_string()))?;
    if let Some(note) = &setup.placement.note {
        reporter.warn(note);
    }
    let started = setup.env.started;
    // One run at a time on the host (a calibration pins the same CPUs a scenario does).
    let _lock = crate::lock::acquire(&crate::lock::dir(), &setup.run_id, options.wait, |holder| {
        reporter.say(&format!("waiting for {holder} to end"))
    })
    .map_err(|e| CalibrateError::Run(e.to_string()))?;
    // Refusals (no daemon, no swarm) come before anything is written or built.
    let choice = Choice {
        kind: options.backend,
        init_swarm: options.init_swarm,
        registry: None,
        keep_images: false,
        publish: Publish::Host,
        replicas: 1,
        // A scenario's default limits, as a run without a [container] table has them.
        limits: Limits::of(&Default::default(), &setup.placement.service_cpus),
        scratch: options.root.join("target").join("footprint-images"),
        // A calibration's load comes from this host only.
        expose: false,
    };
    let selected = select::select(&choice, &setup.run_id)
        .map_err(|e| CalibrateError::Setup(format!("--backend: {e}")))?;
    reporter.say(&format!("backend: {}", selected.why));
    let backend = selected.backend.as_ref();
    let dir = options.out.join(&setup.run_id);
    let measured = calibrate_on(options, &setup, stack, backend, &dir, &reporter);
    // Whatever happened: the service's container or swarm service, its image and a swarm
    // made for the calibration go.
    let closed = backend.close();
    for line in &closed.done {
        reporter.say(line);
    }
    for line in &closed.left {
        reporter.warn(line);
    }
    let (tools, load_average) = measured?;
    let steal_pct = prepare::steal_since(setup.ticks);
    // The machine, the toolchain and the project's commit, as a scenario run records them.
    let env_json = serde_json::to_vec_pretty(&setup.env).unwrap_or_default();
    crate::results::write_atomically(&dir.join("env.json"), &env_json).map_err(|e| {
        CalibrateError::Write {
            path: e.path,
            source: e.source,
        }
    })?;
    let calibration = Calibration {
        schema_version: SCHEMA_VERSION,
        started,
        stack: stack.name.to_owned(),
        rate: options.rate,
        users: options.users,
        seconds: options.seconds,
        warmup: options.warmup,
        rounds: options.rounds.max(1),
        placement: setup.placement,
        backend: backend.name().to_owned(),
        wrk_version,
        oha_version,
        ratios: Ratios::of(&tools),
        tools,
        load_average,
        steal_pct,
    };
    write(&dir, &calibration)?;
    Ok((dir, calibration))
}

/// The calibration's part on `backend`: the stack built (and its image), the service started
/// and warmed, every round of every tool, the service stopped; the rows and the load average
/// at the start. The backend is closed by the caller.
fn calibrate_on(
    options: &Options,
    setup: &prepare::Setup,
    stack: &stacks::Stack,
    backend: &dyn Backend,
    dir: &Path,
    reporter: &Reporter,
) -> Result<(Vec<ToolRuns>, Vec<f64>), CalibrateError> {
    let setup_err = |e: driver::LoadError| CalibrateError::Setup(e.to_string());
    let made = dir
        .parent()
        .map_or(Ok(()), fs::create_dir_all)
        // Made here and only here: a folder already there is another run's, never shared.
        .and_then(|()| fs::create_dir(dir));
    made.map_err(|source| CalibrateError::Write {
        path: dir.to_owned(),
        source,
    })?;
    // wrk's script goes into the results folder (so the run can be repeated by hand); oha
    // takes everything on its command line.
    let wrk = match options.rate {
        None => Some(Wrk::new(dir).map_err(setup_err)?),
        Some(_) => None,
    };
    let (oha_raw, oha_corrected) = (Oha::raw(), Oha::corrected());
    let builder = Toolchains {
        root: options.root.clone(),
        reporter,
    };
    let built = builder.build(stack, backend, None).map_err(|e| match e {
        NotBuilt::Skipped(why) | NotBuilt::Failed(why) => {
            CalibrateError::Run(format!("{}: {why}", stack.name))
        }
    })?;
    let prepared = built.prepared;
    let launch = &prepared.launch;
    let mut env = launch.env.clone();
    env.extend(backend.runtime_env(stack, None, prepared.image.is_some()));
    let spec = ServiceSpec {
        stack: stack.name.to_owned(),
        program: launch.program.clone(),
        args: launch.args_for_workers(stack, None),
        env,
        cpus: setup.placement.service_cpus.clone(),
        image: prepared.image.clone(),
        memory_mib: None,
        landscape: Default::default(),
    };
    let runtime = Arc::new(
        driver::runtime(setup.placement.harness_cpus.len())
            .map_err(|e| CalibrateError::Run(e.to_string()))?,
    );
    let goose = Goose::new(Arc::clone(&runtime), SEEDED_ONLY);
    let constant_rate = ConstantRate::new(runtime, SEEDED_ONLY);
    let drivers = rounds::Drivers {
        goose: &goose,
        constant_rate: &constant_rate,
        wrk: wrk.as_ref().map(|w| w as &dyn LoadDriver),
        oha: options.rate.map(|_| &oha_raw as &dyn LoadDriver),
        oha_corrected: options.rate.map(|_| &oha_corrected as &dyn LoadDriver),
    };
    let plan = rounds::Plan {
        rate: options.rate,
        users: options.users,
        seconds: options.seconds,
        rounds: options.rounds.max(1),
    };
    let cancel = &options.cancel;
    let load_average = crate::env::load_average();
    let mut instance = backend
        .start(&spec)
        .map_err(|e| CalibrateError::Run(e.to_string()))?;
    let measured = (|| {
        boot::wait_healthy(instance.as_mut(), stack.boot_timeout(), &HttpHealth, cancel)
            .map_err(|e| CalibrateError::Run(format!("{}: {e}", stack.name)))?;
        let addr = instance.addr();
        if options.warmup > 0 {
            reporter.say(&format!(
                "warm-up: {} s of Goose, not measured",
                options.warmup
            ));
            let mut warmup = rounds::step(&plan, rounds::Run::Goose, None)?;
            warmup.name = "warmup".into();
            warmup.hold = std::time::Duration::from_secs(options.warmup);
            goose
                .run_step(addr, &warmup, cancel)
                .map_err(|e| CalibrateError::Run(format!("warm-up: {e}")))?;
        }
        rounds::run(&plan, &drivers, addr, cancel, &|line| reporter.say(line))
    })();
    let ended = instance.stop();
    let tools = measured.map_err(|e: CalibrateError| match e {
        CalibrateError::Run(m) => CalibrateError::Run(format!(
            "{m} (service ended: {ended}; stderr: {})",
            instance.stderr_tail()
        )),
        other => other,
    })?;
    Ok((tools, load_average))
}

/// Writes `calibrate.json` and `calibrate.csv` into `dir`: in the CSV every row's rounds, in
/// the order of `tools`, then every row over all rounds.
pub fn write(dir: &Path, calibration: &Calibration) -> Result<(), CalibrateError> {
    let err = |path: &Path| {
        let path = path.to_owned();
        move |source| CalibrateError::Write { path, source }
    };
    let json_path = dir.join("calibrate.json");
    let json = serde_json::to_vec_pretty(calibration).unwrap_or_default();
    crate::results::write_atomically(&json_path, &json).map_err(|e| err(&e.path)(e.source))?;
    let rounds = calibration.tools.iter().flat_map(|t| {
        t.rounds
            .iter()
            .enumerate()
            .map(|(i, f)| ((i + 1).to_string(), f))
    });
    let all = calibration.tools.iter().map(|t| ("all".to_owned(), &t.all));
    let rows: Vec<CalibrateRow> = rounds
        .chain(all)
        .map(|(round, t)| row(calibration, &round, t))
        .collect();
    let csv_path = dir.join(CalibrateRow::FILE);
    crate::results::write_rows(&csv_path, &rows).map_err(|e| CalibrateError::Write {
        path: e.path,
        source: e.source,
    })
}

/// The `calibrate.csv` row of one tool's figures in `round` (`1`, `2`, ... or `all`).
fn row(calibration: &Calibration, round: &str, figures: &ToolFigures) -> CalibrateRow {
    CalibrateRow {
        tool: figures.tool.clone(),
        round: round.to_owned(),
        stack: calibration.stack.clone(),
        backend: calibration.backend.clone(),
        connections: calibration.users as u64,
        seconds: Fixed(figures.seconds),
        requests: figures.requests,
        rps: Fixed(figures.rps),
        p50_us: figures.p50_us,
        p99_us: figures.p99_us,
        errors: figures.errors,
        tool_cores: figures.tool_cores.map(Fixed),
    }
}
