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
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::backend::local::Local;
use crate::backend::{Backend, ServiceSpec};
use crate::boot;
use crate::env::CpuTicks;
use crate::load;
use crate::placement::{self, Resolved};
use crate::sample::{ProcSource, Source};
use crate::scenario::{CoMitigation, IdMix, Step};
use crate::stacks::{self, Availability};

/// Version of `calibrate.json`.
pub const SCHEMA_VERSION: u32 = 1;

/// The Lua script wrk runs: seeded ids at random (as the Goose driver asks for them), and the
/// figures printed once, exactly, in one parseable line.
pub const WRK_SCRIPT: &str = r#"-- Seeded ids at random, as the harness's Goose driver asks for them.
math.randomseed(7)
request = function()
  return wrk.format("GET", "/accounts/" .. math.random(10000, 10099))
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "footprint-calibrate requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"#;

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

/// wrk's version line, or why it cannot be run.
pub fn wrk_version() -> Result<String, CalibrateError> {
    // `wrk -v` prints its version and usage, and exits 1.
    let output = Command::new("wrk").arg("-v").output().map_err(|e| {
        CalibrateError::Setup(format!(
            "wrk cannot be run ({e}); install it with: sudo apt-get install wrk"
        ))
    })?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    Ok(text
        .lines()
        .find(|l| l.starts_with("wrk "))
        .unwrap_or("wrk (version unknown)")
        .trim()
        .to_owned())
}

/// Parses the line [`WRK_SCRIPT`] prints.
pub fn parse_wrk(stdout: &str) -> Option<ToolFigures> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("footprint-calibrate "))?;
    let get = |key: &str| -> Option<u64> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))?
            .parse()
            .ok()
    };
    let requests = get("requests")?;
    let seconds = get("duration_us")? as f64 / 1e6;
    Some(ToolFigures {
        tool: "wrk".into(),
        requests,
        seconds,
        rps: if seconds > 0.0 {
            requests as f64 / seconds
        } else {
            0.0
        },
        p50_us: get("p50_us")?,
        p99_us: get("p99_us")?,
        errors: get("errors")?,
        harness_cores: None,
        tool_cores: None,
    })
}

/// CPU time of the harness process, seconds.
fn harness_cpu() -> Option<f64> {
    ProcSource::current()
        .read()
        .ok()
        .map(|r| r.cpu_us as f64 / 1e6)
}

/// Runs the calibration and writes `<out>/<time>-calibrate-<stack>/calibrate.json` and
/// `calibrate.csv`; returns the folder and the figures.
pub fn run(options: &Options) -> Result<(PathBuf, Calibration), CalibrateError> {
    let say = |line: &str| {
        if !options.quiet {
            eprintln!("{line}");
        }
    };
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
    let wrk_version = wrk_version()?;
    let available = placement::allowed_cpus().unwrap_or_default();
    let placement = placement::resolve(&options.service_cpus, &options.harness_cpus, &available);
    if let Some(note) = &placement.note {
        say(&format!("warning: {note}"));
    }
    let started = Utc::now();
    // The results folder's name is the run id, as for a scenario run.
    let run_id = format!(
        "{}-calibrate-{}",
        started.format("%Y%m%dT%H%M%SZ"),
        stack.name
    );
    let dir = options.out.join(&run_id);
    fs::create_dir_all(&dir).map_err(|source| CalibrateError::Write {
        path: dir.clone(),
        source,
    })?;
    let script = dir.join("calibrate.lua");
    fs::write(&script, WRK_SCRIPT).map_err(|source| CalibrateError::Write {
        path: script.clone(),
        source,
    })?;
    say(&format!("building {} ...", stack.name));
    let launch = stacks::prepare(stack, &options.root, options.quiet)
        .map_err(|e| CalibrateError::Run(format!("{}: build failed: {e}", stack.name)))?;
    if !placement.harness_cpus.is_empty() {
        // The runtime's threads and wrk (spawned from here) inherit the mask.
        placement::pin_current_thread(&placement.harness_cpus).map_err(|e| {
            CalibrateError::Setup(format!(
                "cannot pin the harness to {:?}: {e}",
                placement.harness_cpus
            ))
        })?;
    }
    let spec = ServiceSpec {
        stack: stack.name.to_owned(),
        program: launch.program.clone(),
        args: launch.args_for_workers(stack, None),
        env: launch.env.clone(),
        cpus: placement.service_cpus.clone(),
        image: None,
    };
    let load_average = crate::env::load_average();
    let ticks_before = CpuTicks::now();
    let mut instance = Local::new(&run_id)
        .start(&spec)
        .map_err(|e| CalibrateError::Run(e.to_string()))?;
    let measured = (|| {
        boot::wait_healthy(instance.as_mut(), stack.boot_timeout())
            .map_err(|e| CalibrateError::Run(format!("{}: {e}", stack.name)))?;
        let addr = instance.addr();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(placement.harness_cpus.len().max(1))
            .enable_all()
            .build()
            .map_err(|e| CalibrateError::Run(format!("cannot start a runtime: {e}")))?;
        let seeded = IdMix {
            seeded: 1.0,
            unknown: 0.0,
            malformed: 0.0,
        };
        let step = |name: &str, seconds: u64| Step {
            name: name.to_owned(),
            users: options.users,
            rate: None,
            ramp: Duration::ZERO,
            hold: Duration::from_secs(seconds.max(1)),
            pause: (Duration::ZERO, Duration::ZERO),
        };
        if options.warmup > 0 {
            say(&format!(
                "warm-up: {} s of Goose, not measured",
                options.warmup
            ));
            runtime
                .block_on(load::run_step(
                    addr,
                    &step("warmup", options.warmup),
                    seeded,
                    CoMitigation::Disabled,
                ))
                .map_err(|e| CalibrateError::Run(format!("warm-up: {e}")))?;
        }
        let (mut goose_rounds, mut wrk_rounds) = (Vec::new(), Vec::new());
        for round in 0..options.rounds.max(1) {
            // Alternate which tool goes first, so a service still warming up (a JVM's JIT)
            // favours neither.
            let goose_first = round % 2 == 0;
            for goose_now in [goose_first, !goose_first] {
                if crate::load::ABORT.load(std::sync::atomic::Ordering::Relaxed) {
                    return Err(CalibrateError::Run("interrupted".into()));
                }
                if goose_now {
                    say(&format!(
                        "round {}: goose, {} users, unthrottled, {} s",
                        round + 1,
                        options.users,
                        options.seconds
                    ));
                    goose_rounds.push(run_goose(&runtime, addr, &step("goose", options.seconds))?);
                } else {
                    say(&format!(
                        "round {}: wrk, {} connections, 1 thread, {} s",
                        round + 1,
                        options.users,
                        options.seconds
                    ));
                    wrk_rounds.push(run_wrk(&script, addr, options.users, options.seconds)?);
                }
            }
        }
        Ok((goose_rounds, wrk_rounds))
    })();
    let ended = instance.stop();
    let steal_pct = ticks_before
        .zip(CpuTicks::now())
        .and_then(|(before, after)| after.steal_pct_since(&before));
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
        placement,
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

/// One measured Goose attack, unthrottled, seeded ids only.
fn run_goose(
    runtime: &tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
    step: &Step,
) -> Result<ToolFigures, CalibrateError> {
    let seeded = IdMix {
        seeded: 1.0,
        unknown: 0.0,
        malformed: 0.0,
    };
    let cpu_before = harness_cpu();
    let wall = Instant::now();
    let goose = runtime
        .block_on(load::run_step(addr, step, seeded, CoMitigation::Disabled))
        .map_err(|e| CalibrateError::Run(format!("goose: {e}")))?;
    let cores = cpu_before
        .zip(harness_cpu())
        .map(|(a, b)| (b - a) / wall.elapsed().as_secs_f64());
    let kind = goose
        .kinds
        .iter()
        .find(|k| k.kind == "seeded")
        .ok_or_else(|| CalibrateError::Run("goose: no request was measured".into()))?;
    let seconds = goose.seconds();
    Ok(ToolFigures {
        tool: "goose".into(),
        requests: goose.requests(),
        seconds,
        rps: if seconds > 0.0 {
            goose.requests() as f64 / seconds
        } else {
            0.0
        },
        p50_us: kind.p50_us,
        p99_us: kind.p99_us,
        errors: kind.errors,
        harness_cores: cores,
        tool_cores: cores,
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

/// Runs wrk with [`WRK_SCRIPT`] (from this thread, so it inherits the harness's CPUs) and
/// reads its figures; its CPU is the change in the harness's children's resource usage.
fn run_wrk(
    script: &Path,
    addr: std::net::SocketAddr,
    connections: usize,
    seconds: u64,
) -> Result<ToolFigures, CalibrateError> {
    let children_before = children_cpu();
    let wall = Instant::now();
    let output = Command::new("wrk")
        .arg("-t1")
        .arg(format!("-c{}", connections.max(1)))
        .arg(format!("-d{}s", seconds.max(1)))
        .arg("--latency")
        .arg("-s")
        .arg(script)
        .arg(format!("http://{addr}/"))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| CalibrateError::Run(format!("wrk cannot be run: {e}")))?;
    let elapsed = wall.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(CalibrateError::Run(format!(
            "wrk failed ({}): {}{}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let mut figures = parse_wrk(&stdout)
        .ok_or_else(|| CalibrateError::Run(format!("wrk printed no figures: {stdout}")))?;
    figures.tool_cores = children_before
        .zip(children_cpu())
        .map(|(a, b)| (b - a) / elapsed);
    Ok(figures)
}

/// CPU time of the harness's waited-for children, seconds: `cutime + cstime` of
/// `/proc/self/stat` (fields 16 and 17, proc(5)).
fn children_cpu() -> Option<f64> {
    let stat = fs::read_to_string("/proc/self/stat").ok()?;
    children_ticks(&stat).map(|t| t as f64 / rustix::param::clock_ticks_per_second().max(1) as f64)
}

/// `cutime + cstime` from a `/proc/<pid>/stat` line, in clock ticks.
fn children_ticks(stat: &str) -> Option<u64> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace();
    // After ")": state is field 3, so cutime (16) is the 14th and cstime (17) the 15th.
    let cutime: u64 = fields.nth(13)?.parse().ok()?;
    let cstime: u64 = fields.next()?.parse().ok()?;
    Some(cutime + cstime)
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
    fn reads_the_line_the_script_prints() {
        let out = "Running 2s test @ http://127.0.0.1:1/\n  1 threads and 4 connections\n\
                   footprint-calibrate requests=2000 duration_us=2000000 p50_us=150 p99_us=900 errors=3\n";
        let f = parse_wrk(out).unwrap();
        assert_eq!(
            (f.requests, f.p50_us, f.p99_us, f.errors),
            (2000, 150, 900, 3)
        );
        assert_eq!((f.seconds, f.rps), (2.0, 1000.0));
        assert_eq!(parse_wrk("no figures"), None);
    }

    #[test]
    fn children_cpu_from_proc_stat() {
        let stat = "42 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16";
        // utime 11, stime 12, cutime 13, cstime 14.
        assert_eq!(children_ticks(stat), Some(27));
        assert!(children_cpu().is_some());
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
