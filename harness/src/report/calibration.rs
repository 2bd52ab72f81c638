//! The page of a calibration (`harness calibrate`): every tool's figures per round and over all
//! rounds, the named ratios between tools, the terminal's own account, and the machine.

use std::fs;
use std::path::Path;

use serde::Serialize;

use super::{ReportError, environment_rows, render};
use crate::calibrate::{self, Calibration, ToolFigures};
use crate::env::Environment as RunEnvironment;

/// The file a calibration writes its figures to.
pub const FILE: &str = "calibrate.json";

/// The context of `calibration.html`.
#[derive(Debug, Serialize)]
pub struct CalibrationPage {
    /// The run's id (its folder's name).
    pub run_id: String,
    /// The stack driven.
    pub stack: String,
    /// Where it ran.
    pub backend: String,
    /// When it started, UTC, as shown.
    pub started: String,
    /// The rate every tool was asked for, in words.
    pub rate: String,
    /// Connections, seconds per tool and round, rounds, warm-up seconds.
    pub users: usize,
    /// Seconds each tool ran per round.
    pub seconds: u64,
    /// Rounds.
    pub rounds: u32,
    /// Seconds of unmeasured load first.
    pub warmup: u64,
    /// One row per tool and round, then one per tool over all rounds.
    pub rows: Vec<ToolRow>,
    /// The named ratios, each as `what value` pairs.
    pub ratios: Vec<(String, String)>,
    /// What the terminal printed for it.
    pub terminal: String,
    /// The environment, as label and value.
    pub environment: Vec<(String, String)>,
    /// Links to the raw files.
    pub files: Vec<(String, String)>,
    /// Files that could not be read, with why.
    pub unread: Vec<String>,
    /// The index of the site the page is published in, relative to the page.
    pub site_index: Option<String>,
}

/// One tool's figures in one round, or over all.
#[derive(Debug, Serialize)]
pub struct ToolRow {
    /// The tool's row name.
    pub tool: String,
    /// `1`, `2`, ... or `all`.
    pub round: String,
    /// Requests served.
    pub requests: u64,
    /// Served per second.
    pub rps: String,
    /// Asked per second, or `-`.
    pub target: String,
    /// Served over asked, or `-`.
    pub achieved: String,
    /// Median latency, µs.
    pub p50_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// Failed requests.
    pub errors: u64,
    /// The tool's own CPU, cores, or `-`.
    pub tool_cores: String,
}

fn row(round: String, t: &ToolFigures) -> ToolRow {
    ToolRow {
        tool: t.tool.clone(),
        round,
        requests: t.requests,
        rps: format!("{:.0}", t.rps),
        target: t.target_rps.map_or("-".into(), |r| format!("{r:.0}")),
        achieved: t.achieved_pct().map_or("-".into(), |p| format!("{p:.1} %")),
        p50_us: t.p50_us,
        p99_us: t.p99_us,
        errors: t.errors,
        tool_cores: t.tool_cores.map_or("-".into(), |c| format!("{c:.2}")),
    }
}

/// `calibrate.json` of the folder `dir`, when it holds one; an error names the file.
pub fn load(dir: &Path) -> Result<Calibration, String> {
    let path = dir.join(FILE);
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let calibration: Calibration =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if calibration.schema_version > calibrate::SCHEMA_VERSION {
        return Err(format!(
            "{}: schema version {} is newer than this harness reads ({}): update the harness",
            path.display(),
            calibration.schema_version,
            calibrate::SCHEMA_VERSION
        ));
    }
    Ok(calibration)
}

/// The page of the calibration `c` whose folder is `dir`, named `run_id`.
pub fn page(dir: &Path, run_id: &str, c: &Calibration) -> CalibrationPage {
    let mut unread = Vec::new();
    // Calibrations written before env.json was recorded for them have none.
    let env_path = dir.join("env.json");
    let env: Option<RunEnvironment> = env_path
        .exists()
        .then(|| {
            fs::read_to_string(&env_path)
                .map_err(|e| e.to_string())
                .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
                .map_err(|e| unread.push(format!("{}: {e}", env_path.display())))
                .ok()
        })
        .flatten();
    let mut rows = Vec::new();
    for t in &c.tools {
        rows.extend(
            t.rounds
                .iter()
                .enumerate()
                .map(|(i, f)| row((i + 1).to_string(), f)),
        );
    }
    rows.extend(c.tools.iter().map(|t| row("all".into(), &t.all)));
    let ratios = c
        .ratios
        .named()
        .into_iter()
        .map(|(name, figures)| {
            let figures: Vec<String> = figures
                .iter()
                .map(|(what, r)| format!("{what} {}", r.map_or("-".into(), |r| format!("{r:.2}"))))
                .collect();
            (name.to_string(), figures.join(", "))
        })
        .collect();
    let files = [FILE, "calibrate.csv", "env.json"]
        .iter()
        .filter(|f| dir.join(f).is_file())
        .map(|f| ((*f).to_owned(), (*f).to_owned()))
        .collect();
    CalibrationPage {
        run_id: run_id.to_owned(),
        stack: c.stack.clone(),
        backend: c.backend.clone(),
        started: c.started.format("%Y-%m-%d %H:%M UTC").to_string(),
        rate: c.rate.map_or("full speed (unthrottled)".into(), |r| {
            format!("{r} requests/s")
        }),
        users: c.users,
        seconds: c.seconds,
        rounds: c.rounds,
        warmup: c.warmup,
        rows,
        ratios,
        terminal: calibrate::render(c),
        environment: env.as_ref().map(environment_rows).unwrap_or_default(),
        files,
        unread,
        site_index: None,
    }
}

/// The page as HTML.
pub fn html(page: &CalibrationPage) -> Result<String, ReportError> {
    render("calibration.html", page)
}
