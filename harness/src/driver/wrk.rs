//! `wrk` as a load driver: the independent tool the harness's own drivers are calibrated
//! against. It runs as a child process from the calling thread (so it inherits the harness's
//! CPUs), asks for seeded ids at random through a Lua script, and prints its figures in one
//! parseable line.

use std::collections::BTreeMap;
use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use chrono::Utc;

use super::{LoadDriver, LoadError};
use crate::cancel::Cancel;
use crate::model::{KindResult, StepLoad};
use crate::scenario::Step;

/// The Lua script wrk runs: seeded ids at random (as the harness's drivers ask for them), and
/// the figures printed once, exactly, in one parseable line.
pub const WRK_SCRIPT: &str = r#"-- Seeded ids at random, as the harness's Goose driver asks for them.
math.randomseed(7)
request = function()
  return wrk.format("GET", "/accounts/" .. math.random(10000, 10099))
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "footprint-calibrate requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d mean_us=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"#;

/// What wrk printed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WrkFigures {
    /// Requests completed.
    pub requests: u64,
    /// Seconds it ran.
    pub seconds: f64,
    /// Median latency, µs.
    pub p50_us: u64,
    /// 90th percentile, µs (0 when an older script did not print it).
    pub p90_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// 99.9th percentile, µs.
    pub p999_us: u64,
    /// Slowest, µs.
    pub max_us: u64,
    /// Mean, µs.
    pub mean_us: u64,
    /// Connect, read, write, status and timeout errors.
    pub errors: u64,
}

/// Parses the line [`WRK_SCRIPT`] prints.
pub fn parse(stdout: &str) -> Option<WrkFigures> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("footprint-calibrate "))?;
    let get = |key: &str| -> Option<u64> {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))?
            .parse()
            .ok()
    };
    Some(WrkFigures {
        requests: get("requests")?,
        seconds: get("duration_us")? as f64 / 1e6,
        p50_us: get("p50_us")?,
        p90_us: get("p90_us").unwrap_or(0),
        p99_us: get("p99_us")?,
        p999_us: get("p999_us").unwrap_or(0),
        max_us: get("max_us").unwrap_or(0),
        mean_us: get("mean_us").unwrap_or(0),
        errors: get("errors")?,
    })
}

/// wrk's version line, or why it cannot be run.
pub fn version() -> Result<String, LoadError> {
    // `wrk -v` prints its version and usage, and exits 1.
    let output = Command::new("wrk")
        .arg("-v")
        .output()
        .map_err(|e| LoadError::Tool {
            tool: "wrk",
            why: format!("cannot be run ({e}); install it with: sudo apt-get install wrk"),
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

/// wrk with one thread and [`WRK_SCRIPT`], the script written into `dir`.
pub struct Wrk {
    script: PathBuf,
}

impl Wrk {
    /// Writes the script into `dir` (the results folder, so the run can be repeated by hand).
    pub fn new(dir: &std::path::Path) -> Result<Self, LoadError> {
        let script = dir.join("calibrate.lua");
        fs::write(&script, WRK_SCRIPT).map_err(|e| LoadError::Tool {
            tool: "wrk",
            why: format!("cannot write {}: {e}", script.display()),
        })?;
        Ok(Self { script })
    }
}

impl LoadDriver for Wrk {
    fn describe(&self) -> String {
        "wrk (closed loop, 1 thread)".to_owned()
    }

    fn run_step(
        &self,
        addr: SocketAddr,
        step: &Step,
        _cancel: &Cancel,
    ) -> Result<StepLoad, LoadError> {
        let fail = |why: String| LoadError::Tool { tool: "wrk", why };
        let window_start = Utc::now();
        let output = Command::new("wrk")
            .arg("-t1")
            .arg(format!("-c{}", step.users.max(1)))
            .arg(format!("-d{}s", step.hold.as_secs().max(1)))
            .arg("--latency")
            .arg("-s")
            .arg(&self.script)
            .arg(format!("http://{addr}/"))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| fail(format!("cannot be run: {e}")))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(fail(format!(
                "failed ({}): {}{}",
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            )));
        }
        let f = parse(&stdout).ok_or_else(|| fail(format!("printed no figures: {stdout}")))?;
        Ok(step_load(&f, window_start))
    }

    fn cpu_seconds(&self) -> Option<f64> {
        children_cpu()
    }
}

/// wrk's figures as a step's load: one kind (`seeded`), its errors as status 0.
pub fn step_load(f: &WrkFigures, window_start: chrono::DateTime<Utc>) -> StepLoad {
    let good = f.requests.saturating_sub(f.errors);
    let statuses: BTreeMap<u16, u64> = [(200, good), (0, f.errors)]
        .into_iter()
        .filter(|&(_, n)| n > 0)
        .collect();
    StepLoad {
        kinds: vec![KindResult {
            kind: "seeded".to_owned(),
            requests: f.requests,
            statuses,
            errors: f.errors,
            p50_us: f.p50_us,
            p90_us: f.p90_us,
            p99_us: f.p99_us,
            p999_us: f.p999_us,
            max_us: f.max_us,
            mean_us: f.mean_us,
            intended: None,
            ..KindResult::default()
        }],
        window_start,
        window_end: window_start + chrono::Duration::microseconds((f.seconds * 1e6).round() as i64),
        coordinated_omission: "wrk: none (closed loop)".to_owned(),
        generator_late_us: None,
        answered: None,
        ..StepLoad::default()
    }
}

/// CPU time of the harness's waited-for children, seconds: `cutime + cstime` of
/// `/proc/self/stat` (fields 16 and 17, proc(5)).
pub fn children_cpu() -> Option<f64> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_line_the_script_prints() {
        let out = "Running 2s test @ http://127.0.0.1:1/\n  1 threads and 4 connections\n\
                   footprint-calibrate requests=2000 duration_us=2000000 p50_us=150 p90_us=400 p99_us=900 p999_us=1200 max_us=3000 mean_us=180 errors=3\n";
        let f = parse(out).unwrap();
        assert_eq!(
            (f.requests, f.p50_us, f.p90_us, f.p99_us, f.errors),
            (2000, 150, 400, 900, 3)
        );
        assert_eq!(f.seconds, 2.0);
        assert_eq!(parse("no figures"), None);
        let load = step_load(&f, Utc::now());
        assert_eq!(load.requests(), 2000);
        assert_eq!(
            load.kinds[0].statuses,
            BTreeMap::from([(200, 1997), (0, 3)])
        );
        assert!((load.seconds() - 2.0).abs() < 1e-6);
    }

    #[test]
    fn children_cpu_from_proc_stat() {
        let stat = "42 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16";
        // utime 11, stime 12, cutime 13, cstime 14.
        assert_eq!(children_ticks(stat), Some(27));
        assert!(children_cpu().is_some());
    }
}
