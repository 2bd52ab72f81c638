//! `harness calibrate`: the Goose driver against an independent load tool (`wrk`), at the same
//! concurrency and duration, one after the other against the same running service.
//!
//! Both run unthrottled, closed-loop, with the same number of connections, asking for seeded
//! ids at random, from the harness's CPUs while the service keeps its own. The ratios
//! Goose / wrk of p50, p99 and throughput say how far the harness's figures are the load
//! generator's rather than the service's; against a fast stack (`hyper`) the throughput of
//! each tool is its ceiling on those CPUs.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use std::sync::Arc;

use crate::backend::local::Local;
use crate::backend::{Backend, ServiceSpec};
use crate::boot::{self, HttpHealth};
use crate::cancel::Cancel;
use crate::driver::goose::Goose;
use crate::driver::wrk::{self, Wrk};
use crate::driver::{self, LoadDriver, LoadError, SEEDED_ONLY};
use crate::placement::Resolved;
use crate::prepare::{self, Builder, NotBuilt, Toolchains};
use crate::progress::Reporter;
use crate::sample::{ProcSource, Source};
use crate::scenario::Step;
use crate::stacks::{self, Availability};

/// Version of `calibrate.json`.
pub const SCHEMA_VERSION: u32 = 1;

/// What to calibrate.
#[derive(Debug, Clone)]
pub struct Options {
    /// The stack to drive.
    pub stack: String,
    /// Concurrent connections (Goose users, wrk connections).
    pub users: usize,
    /// Seconds each tool runs.
    pub seconds: u64,
    /// Seconds of load before either is measured (JIT, caches), from Goose, not measured.
    pub warmup: u64,
    /// Rounds of both tools, the first tool alternating (Goose first in odd rounds).
    pub rounds: u32,
    /// Where the results folder goes.
    pub out: PathBuf,
    /// The project's root (for building).
    pub root: PathBuf,
    /// CPUs for the service and for the load tools.
    pub service_cpus: Vec<usize>,
    /// CPUs for the harness and the load tools.
    pub harness_cpus: Vec<usize>,
    /// No progress output.
    pub quiet: bool,
    /// Cancelled by Ctrl-C.
    pub cancel: Cancel,
}

/// One tool's figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ToolFigures {
    /// `goose` or `wrk`.
    pub tool: String,
    /// Requests answered in the measured window.
    pub requests: u64,
    /// Seconds of the measured window.
    pub seconds: f64,
    /// Requests per second.
    pub rps: f64,
    /// Median latency, µs.
    pub p50_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// Requests that failed (no response, or not a `200`).
    pub errors: u64,
    /// CPU the harness process used while this tool ran, in cores (Goose runs inside it; wrk
    /// is a child, counted in `tool_cores`).
    pub harness_cores: Option<f64>,
    /// CPU the tool itself used, in cores, where it can be told apart.
    pub tool_cores: Option<f64>,
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
    /// Connections of each tool.
    pub users: usize,
    /// Seconds each tool ran.
    pub seconds: u64,
    /// CPU placement.
    pub placement: Resolved,
    /// wrk's version line.
    pub wrk_version: String,
    /// The Goose driver's figures over every round ([`combine`]).
    pub goose: ToolFigures,
    /// wrk's figures over every round.
    pub wrk: ToolFigures,
    /// The Goose driver's figures per round.
    pub goose_rounds: Vec<ToolFigures>,
    /// wrk's figures per round.
    pub wrk_rounds: Vec<ToolFigures>,
    /// Goose / wrk: p50, p99 and throughput.
    pub ratios: Ratios,
    /// The machine's load average (1, 5, 15 minutes) as the calibration started.
    pub load_average: Vec<f64>,
    /// Share of the machine's CPU time stolen by the hypervisor during it, percent.
    pub steal_pct: Option<f64>,
}

/// Goose's figure over wrk's.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ratios {
    /// p50 Goose / wrk.
    pub p50: Option<f64>,
    /// p99 Goose / wrk.
    pub p99: Option<f64>,
    /// Throughput Goose / wrk.
    pub rps: Option<f64>,
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

/// `a / b`, when `b` is not zero.
fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

impl Ratios {
    /// Goose over wrk.
    pub fn of(goose: &ToolFigures, wrk: &ToolFigures) -> Self {
        Self {
            p50: ratio(goose.p50_us as f64, wrk.p50_us as f64),
            p99: ratio(goose.p99_us as f64, wrk.p99_us as f64),
            rps: ratio(goose.rps, wrk.rps),
        }
    }
}

/// Runs the calibration and writes `<out>/<time>-calibrate-<stack>/calibrate.json` and
/// `calibrate.csv`; returns the folder and the figures. The set-up (placement, pinning, the
/// stack's check and build, the run id) is the scenario run's own.
pub fn run(options: &Options) -> Result<(PathBuf, Calibration), CalibrateError> {
    let reporter = Reporter::new(options.quiet);
    let stack = stacks::find(&options.stack).ok_or_else(|| {
        let known: Vec<&str> = stacks::STACKS.iter().map(|s| s.name).collect();
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
    let wrk_version = wrk::version().map_err(|e| CalibrateError::Setup(e.to_string()))?;
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
    let dir = options.out.join(&setup.run_id);
    fs::create_dir_all(&dir).map_err(|source| CalibrateError::Write {
        path: dir.clone(),
        source,
    })?;
    let wrk = Wrk::new(&dir).map_err(|e| CalibrateError::Setup(e.to_string()))?;
    let local = Local::new(&setup.run_id);
    let builder = Toolchains {
        root: options.root.clone(),
        reporter: &reporter,
    };
    let built = builder.build(stack, &local, None).map_err(|e| match e {
        NotBuilt::Skipped(why) | NotBuilt::Failed(why) => {
            CalibrateError::Run(format!("{}: {why}", stack.name))
        }
    })?;
    let launch = built.prepared.launch;
    let spec = ServiceSpec {
        stack: stack.name.to_owned(),
        program: launch.program.clone(),
        args: launch.args_for_workers(stack, None),
        env: launch.env.clone(),
        cpus: setup.placement.service_cpus.clone(),
        image: None,
    };
    let goose = Goose::new(
        Arc::new(driver::runtime(setup.placement.harness_cpus.len()).map_err(run_err)?),
        SEEDED_ONLY,
    );
    let cancel = &options.cancel;
    let load_average = crate::env::load_average();
    let mut instance = local
        .start(&spec)
        .map_err(|e| CalibrateError::Run(e.to_string()))?;
    let measured = (|| {
        boot::wait_healthy(instance.as_mut(), stack.boot_timeout(), &HttpHealth, cancel)
            .map_err(|e| CalibrateError::Run(format!("{}: {e}", stack.name)))?;
        let addr = instance.addr();
        let step = |name: &str, seconds: u64| Step {
            name: name.to_owned(),
            users: options.users,
            rate: None,
            ramp: Duration::ZERO,
            hold: Duration::from_secs(seconds.max(1)),
            pause: (Duration::ZERO, Duration::ZERO),
        };
        if options.warmup > 0 {
            reporter.say(&format!(
                "warm-up: {} s of Goose, not measured",
                options.warmup
            ));
            goose
                .run_step(addr, &step("warmup", options.warmup), cancel)
                .map_err(|e| CalibrateError::Run(format!("warm-up: {e}")))?;
        }
        let (mut goose_rounds, mut wrk_rounds) = (Vec::new(), Vec::new());
        for round in 0..options.rounds.max(1) {
            // Alternate which tool goes first, so a service still warming up (a JVM's JIT)
            // favours neither.
            let goose_first = round % 2 == 0;
            for goose_now in [goose_first, !goose_first] {
                if cancel.is_cancelled() {
                    return Err(CalibrateError::Run("interrupted".into()));
                }
                let (tool, driver, rounds): (&str, &dyn LoadDriver, &mut Vec<ToolFigures>) =
                    if goose_now {
                        ("goose", &goose, &mut goose_rounds)
                    } else {
                        ("wrk", &wrk, &mut wrk_rounds)
                    };
                reporter.say(&format!(
                    "round {}: {} ({}), {} connections, unthrottled, {} s",
                    round + 1,
                    tool,
                    driver.describe(),
                    options.users,
                    options.seconds
                ));
                rounds.push(measure_tool(
                    tool,
                    driver,
                    addr,
                    &step(tool, options.seconds),
                    cancel,
                )?);
            }
        }
        Ok((goose_rounds, wrk_rounds))
    })();
    let ended = instance.stop();
    let steal_pct = prepare::steal_since(setup.ticks);
    let (goose_rounds, wrk_rounds) = measured.map_err(|e: CalibrateError| match e {
        CalibrateError::Run(m) => CalibrateError::Run(format!(
            "{m} (service ended: {ended}; stderr: {})",
            instance.stderr_tail()
        )),
        other => other,
    })?;
    let goose = combine("goose", &goose_rounds);
    let wrk = combine("wrk", &wrk_rounds);
    let calibration = Calibration {
        schema_version: SCHEMA_VERSION,
        started,
        stack: stack.name.to_owned(),
        users: options.users,
        seconds: options.seconds,
        placement: setup.placement,
        wrk_version,
        ratios: Ratios::of(&goose, &wrk),
        goose,
        wrk,
        goose_rounds,
        wrk_rounds,
        load_average,
        steal_pct,
    };
    write(&dir, &calibration)?;
    Ok((dir, calibration))
}

fn run_err(e: LoadError) -> CalibrateError {
    CalibrateError::Run(e.to_string())
}

/// One measured step of a driver, unthrottled, seeded ids only: its figures and the CPU it
/// used (the driver's own: the harness process for Goose, the child for wrk).
fn measure_tool(
    tool: &str,
    driver: &dyn LoadDriver,
    addr: std::net::SocketAddr,
    step: &Step,
    cancel: &Cancel,
) -> Result<ToolFigures, CalibrateError> {
    let harness = || {
        ProcSource::current()
            .read()
            .ok()
            .map(|r| r.cpu_us as f64 / 1e6)
    };
    let (tool_before, harness_before) = (driver.cpu_seconds(), harness());
    let wall = Instant::now();
    let load = driver
        .run_step(addr, step, cancel)
        .map_err(|e| CalibrateError::Run(format!("{tool}: {e}")))?;
    let elapsed = wall.elapsed().as_secs_f64();
    let cores =
        |before: Option<f64>, after: Option<f64>| before.zip(after).map(|(a, b)| (b - a) / elapsed);
    let kind = load
        .kinds
        .iter()
        .find(|k| k.kind == "seeded")
        .ok_or_else(|| CalibrateError::Run(format!("{tool}: no request was measured")))?;
    let seconds = load.seconds();
    Ok(ToolFigures {
        tool: tool.into(),
        requests: load.requests(),
        seconds,
        rps: if seconds > 0.0 {
            load.requests() as f64 / seconds
        } else {
            0.0
        },
        p50_us: kind.p50_us,
        p99_us: kind.p99_us,
        errors: kind.errors,
        harness_cores: cores(harness_before, harness()),
        tool_cores: cores(tool_before, driver.cpu_seconds()),
    })
}

/// A tool's figures over its rounds: requests and seconds summed (so rps is over all of
/// them), p50 and p99 the median of the rounds', CPU the mean.
pub fn combine(tool: &str, rounds: &[ToolFigures]) -> ToolFigures {
    let requests = rounds.iter().map(|r| r.requests).sum();
    let seconds: f64 = rounds.iter().map(|r| r.seconds).sum();
    let median = |pick: fn(&ToolFigures) -> u64| {
        let values: Vec<u64> = rounds.iter().map(pick).collect();
        crate::stats::median_u64(&values).unwrap_or(0)
    };
    let mean = |pick: fn(&ToolFigures) -> Option<f64>| {
        let values: Vec<f64> = rounds.iter().filter_map(pick).collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    ToolFigures {
        tool: tool.to_owned(),
        requests,
        seconds,
        rps: if seconds > 0.0 {
            requests as f64 / seconds
        } else {
            0.0
        },
        p50_us: median(|r| r.p50_us),
        p99_us: median(|r| r.p99_us),
        errors: rounds.iter().map(|r| r.errors).sum(),
        harness_cores: mean(|r| r.harness_cores),
        tool_cores: mean(|r| r.tool_cores),
    }
}

/// Writes `calibrate.json` and `calibrate.csv` into `dir`.
pub fn write(dir: &Path, calibration: &Calibration) -> Result<(), CalibrateError> {
    let err = |path: &Path| {
        let path = path.to_owned();
        move |source| CalibrateError::Write { path, source }
    };
    let json_path = dir.join("calibrate.json");
    let json = serde_json::to_vec_pretty(calibration).unwrap_or_default();
    fs::write(&json_path, json).map_err(err(&json_path))?;
    let rounds = calibration
        .goose_rounds
        .iter()
        .enumerate()
        .chain(calibration.wrk_rounds.iter().enumerate())
        .map(|(i, t)| ((i + 1).to_string(), t));
    let all = [&calibration.goose, &calibration.wrk]
        .into_iter()
        .map(|t| ("all".to_owned(), t));
    use crate::results::{CalibrateRow, Row as _};
    let rows: Vec<CalibrateRow> = rounds
        .chain(all)
        .map(|(round, t)| CalibrateRow::new(calibration, &round, t))
        .collect();
    let csv_path = dir.join(CalibrateRow::FILE);
    crate::results::write_rows(&csv_path, &rows).map_err(|e| CalibrateError::Write {
        path: e.path,
        source: e.source,
    })
}

/// The figures as a table, the ratios below.
pub fn render(c: &Calibration) -> String {
    let ratio = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{r:.2}"));
    let cores = |c: Option<f64>| c.map_or("-".to_owned(), |c| format!("{c:.2}"));
    let mut out = format!(
        "calibration: {} at {} connections, {} s per tool and round, {} round(s), the first tool alternating, unthrottled (service on CPUs {:?}, load on CPUs {:?})\n",
        c.stack,
        c.users,
        c.seconds,
        c.goose_rounds.len(),
        c.placement.service_cpus,
        c.placement.harness_cpus
    );
    out.push_str(&format!(
        "{:<9} {:>10} {:>10} {:>8} {:>8} {:>7} {:>10}\n",
        "tool", "requests", "rps", "p50 µs", "p99 µs", "errors", "tool cores"
    ));
    let rounds = c
        .goose_rounds
        .iter()
        .enumerate()
        .chain(c.wrk_rounds.iter().enumerate())
        .map(|(i, t)| (format!("{} #{}", t.tool, i + 1), t));
    let all = [&c.goose, &c.wrk]
        .into_iter()
        .map(|t| (format!("{} all", t.tool), t));
    for (label, t) in rounds.chain(all) {
        out.push_str(&format!(
            "{:<9} {:>10} {:>10.0} {:>8} {:>8} {:>7} {:>10}\n",
            label,
            t.requests,
            t.rps,
            t.p50_us,
            t.p99_us,
            t.errors,
            cores(t.tool_cores)
        ));
    }
    out.push_str(&format!(
        "Goose / wrk over all rounds: p50 {}, p99 {}, throughput {}\n",
        ratio(c.ratios.p50),
        ratio(c.ratios.p99),
        ratio(c.ratios.rps)
    ));
    out.push_str(&format!(
        "machine: load average {} at start, CPU steal {} during\n",
        c.load_average
            .iter()
            .map(|l| format!("{l:.2}"))
            .collect::<Vec<_>>()
            .join(" "),
        c.steal_pct.map_or("-".to_owned(), |s| format!("{s:.1} %"))
    ));
    out.push_str(&format!(
        "ceiling on these load CPUs: Goose {:.0} rps using {} cores, wrk {:.0} rps using {} cores ({})\n",
        c.goose.rps,
        cores(c.goose.tool_cores),
        c.wrk.rps,
        cores(c.wrk.tool_cores),
        c.wrk_version
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(tool: &str, rps: f64, p50: u64, p99: u64) -> ToolFigures {
        ToolFigures {
            tool: tool.into(),
            requests: 100,
            seconds: 1.0,
            rps,
            p50_us: p50,
            p99_us: p99,
            errors: 0,
            harness_cores: None,
            tool_cores: None,
        }
    }

    #[test]
    fn rounds_combine_into_one_figure() {
        let mut a = figures("wrk", 1000.0, 100, 1000);
        let mut b = figures("wrk", 3000.0, 300, 3000);
        (a.seconds, a.requests, a.tool_cores) = (1.0, 1000, Some(0.2));
        (b.seconds, b.requests, b.tool_cores) = (1.0, 3000, Some(0.4));
        let all = combine("wrk", &[a, b]);
        assert_eq!((all.requests, all.seconds, all.rps), (4000, 2.0, 2000.0));
        assert_eq!((all.p50_us, all.p99_us), (200, 2000));
        assert!((all.tool_cores.unwrap() - 0.3).abs() < 1e-12);
    }

    #[test]
    fn ratios_are_goose_over_wrk() {
        let r = Ratios::of(
            &figures("goose", 500.0, 300, 2000),
            &figures("wrk", 1000.0, 100, 1000),
        );
        assert_eq!((r.p50, r.p99, r.rps), (Some(3.0), Some(2.0), Some(0.5)));
        let zero = Ratios::of(&figures("goose", 1.0, 1, 1), &figures("wrk", 0.0, 0, 0));
        assert_eq!((zero.p50, zero.rps), (None, None));
    }
}
