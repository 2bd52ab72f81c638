//! The result model of a run and the folder it is written to, as the run goes.
//!
//! `results/<run-id>/` holds `scenario.toml` (the scenario as run), `env.json`, the CSV files
//! (appended and flushed row by row, so an interrupted run keeps what it measured) and
//! `summary.json` (rewritten atomically after every stack). Every exporter reads this model.

use std::fmt::Display;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::env::Environment;
use crate::model::{SCHEMA_VERSION, Summary};

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
