//! The recorder: the folder of a run and the files in it, written as the run goes and read
//! back, all through this module.
//!
//! `results/<run-id>/` holds `scenario.toml` (the scenario as run), `env.json`, the CSV files
//! (appended and flushed row by row, so an interrupted run keeps what it measured) and
//! `summary.json` (rewritten atomically after every stack). Each CSV file has one row type in
//! [`rows`]; rows are written with a [`RowWriter`] and read back with [`read_rows`], so no other
//! code knows a column's position.

pub mod rows;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::env::Environment;
use crate::model::{SCHEMA_VERSION, Summary};

pub use rows::calibrate::CalibrateRow;
pub use rows::companions::{BreakerRow, DownstreamRow, ScrapeRow};
pub use rows::experiments::{BatteryRow, BootRow, CapacityRow, DensityRow, FitRow};
pub use rows::samples::{CpuRow, MemoryRow};
pub use rows::steps::{HistogramRow, LatencyRow};
pub use rows::{Fixed, Row};

/// The oldest `summary.json` schema this harness reads.
pub const OLDEST_SCHEMA_VERSION: u32 = 1;

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

fn csv_err(path: &Path) -> impl FnOnce(csv::Error) -> ResultsError + '_ {
    move |source| ResultsError {
        path: path.to_owned(),
        source: source.into(),
    }
}

/// Why a results file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A CSV file's header or a row is not what its row type says.
    #[error("{path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// What was wrong, and where.
        source: csv::Error,
    },
    /// A JSON file is not what it should be.
    #[error("{path}: not a {what}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What it should be (`summary`).
        what: &'static str,
        /// What was wrong.
        source: serde_json::Error,
    },
    /// `summary.json` was written by a harness with a schema this one does not read.
    #[error(
        "{path}: schema version {found}, {}; this harness reads versions {OLDEST_SCHEMA_VERSION} to {reads}",
        if *found > *reads { "written by a newer harness" } else { "unknown" }
    )]
    SchemaVersion {
        /// The file.
        path: PathBuf,
        /// The version it holds.
        found: u32,
        /// The newest version this harness reads ([`SCHEMA_VERSION`]).
        reads: u32,
    },
    /// `summary.json`'s `run_id` is not a plain name (it names the report's file).
    #[error(
        "{path}: run_id {run_id:?} is not a plain name (letters, digits, `-_.+@`): a run id names \
         files, never a path; fix the key or the folder"
    )]
    RunId {
        /// The file.
        path: PathBuf,
        /// What it holds.
        run_id: String,
    },
}

/// A CSV file of rows of type `R`, appended row by row and flushed after each; its header
/// (the row type's field names) is written when it is created.
pub struct RowWriter<R> {
    path: PathBuf,
    out: csv::Writer<File>,
    row: PhantomData<fn(&R)>,
    /// The first write that failed: every later write fails too (a file with a hole would
    /// read as whole), and the run reports it ([`RowWriter::take_failure`]).
    failed: Option<String>,
    /// Whether [`RowWriter::take_failure`] has given it.
    reported: bool,
}

impl<R: Row> RowWriter<R> {
    /// Opens `path` for appending and writes the header.
    pub fn create(path: PathBuf) -> Result<Self, ResultsError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        let mut out = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(file);
        out.write_record(&header::<R>())
            .and_then(|()| out.flush().map_err(csv::Error::from))
            .map_err(csv_err(&path))?;
        Ok(Self {
            path,
            out,
            row: PhantomData,
            failed: None,
            reported: false,
        })
    }

    /// Appends one row and flushes it. Once a write has failed, every later one fails too
    /// (without writing), and the first failure waits in [`RowWriter::take_failure`].
    pub fn write(&mut self, row: &R) -> Result<(), ResultsError> {
        if let Some(first) = &self.failed {
            return Err(ResultsError {
                path: self.path.clone(),
                source: std::io::Error::other(format!("an earlier write failed: {first}")),
            });
        }
        let written = self
            .out
            .serialize(row)
            .and_then(|()| self.out.flush().map_err(csv::Error::from))
            .map_err(csv_err(&self.path));
        if let Err(e) = &written {
            self.failed = Some(e.source.to_string());
        }
        written
    }

    /// Appends one row where the caller goes on whatever happens (a sampler's, a probe's, a
    /// step's rows): a failure is kept, and the run reports it with the stack being measured
    /// ([`RunDir::take_failures`]), so nothing is dropped in silence.
    pub fn append(&mut self, row: &R) {
        // A failure stays in `self.failed`, for `take_failure`.
        self.write(row).ok();
    }

    /// The first failed write (`cannot write <file>: <why>`), once: the caller records it
    /// with the stack being measured.
    pub fn take_failure(&mut self) -> Option<String> {
        if self.reported {
            return None;
        }
        let first = self.failed.as_ref()?;
        self.reported = true;
        Some(format!("cannot write {}: {first}", self.path.display()))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The header of `R`'s file: its field names, in order.
fn header<R: Row>() -> csv::StringRecord {
    let mut probe = csv::WriterBuilder::new()
        .has_headers(true)
        .from_writer(Vec::new());
    let bytes = probe
        .serialize(R::default())
        .ok()
        .and_then(|()| probe.into_inner().ok())
        .unwrap_or_default();
    csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes.as_slice())
        .headers()
        .cloned()
        .unwrap_or_default()
}

/// Writes `path` afresh: the header, then `rows`.
pub fn write_rows<R: Row>(path: &Path, rows: &[R]) -> Result<(), ResultsError> {
    // Truncate, then append through the writer.
    File::create(path).map_err(io_err(path))?;
    let mut out = RowWriter::create(path.to_owned())?;
    rows.iter().try_for_each(|row| out.write(row))
}

/// Reads every row of the CSV file `path`, by the header's names. A last line without its line
/// break (a write cut short by a kill) is left out; anything else that does not fit `R` fails
/// the read, naming the file, the line and the field.
pub fn read_rows<R: DeserializeOwned>(path: &Path) -> Result<Vec<R>, RecordError> {
    let mut bytes = fs::read(path).map_err(|source| RecordError::Read {
        path: path.to_owned(),
        source,
    })?;
    if !bytes.ends_with(b"\n") {
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(complete);
    }
    csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes.as_slice())
        .deserialize()
        .collect::<Result<Vec<R>, _>>()
        .map_err(|source| RecordError::Csv {
            path: path.to_owned(),
            source,
        })
}

/// Reads the rows of `R`'s file in the results folder `dir`.
pub fn read_run<R: Row>(dir: &Path) -> Result<Vec<R>, RecordError> {
    read_rows(&dir.join(R::FILE))
}

/// The folder of one run, open for appending.
pub struct RunDir {
    /// Its path.
    pub path: PathBuf,
    /// `memory.csv`: one row per sample.
    pub memory: RowWriter<MemoryRow>,
    /// `cpu.csv`: one row per sample.
    pub cpu: RowWriter<CpuRow>,
    /// `latency.csv`: one row per step and kind of id.
    pub latency: RowWriter<LatencyRow>,
    /// `histograms.csv`: each step's latency distributions.
    pub histograms: RowWriter<HistogramRow>,
    /// `boot.csv`: one row per cold start.
    pub boot: RowWriter<BootRow>,
    /// `battery.csv`: one row per case of the bad-input battery, when the scenario runs it.
    pub battery: Option<RowWriter<BatteryRow>>,
    /// `capacity.csv`: one row per probe of a capacity search, once [`RunDir::add_capacity`]
    /// made it.
    pub capacity: Option<RowWriter<CapacityRow>>,
    /// `fit.csv`: one row per probe of a fit search, once [`RunDir::add_fit`] made it.
    pub fit: Option<RowWriter<FitRow>>,
    /// `density.csv`: one row per replica of a density run, once [`RunDir::add_fit`] made it.
    pub density: Option<RowWriter<DensityRow>>,
    /// `downstream.csv`, the downstream's samples, once [`RunDir::add_landscape`] made it.
    pub downstream: Option<RowWriter<DownstreamRow>>,
    /// `breaker.csv`, the landscape variants' probes and faults, once
    /// [`RunDir::add_landscape`] made it.
    pub breaker: Option<RowWriter<BreakerRow>>,
    /// `scrapes.csv`, the `metrics` rungs' scrapes, once [`RunDir::add_scrapes`] made it.
    pub scrapes: Option<RowWriter<ScrapeRow>>,
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
        if !crate::lock::plain_name(run_id) {
            return Err(ResultsError {
                path,
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "a run id is a plain name (letters, digits, `-_.+@`), never a path",
                ),
            });
        }
        fs::create_dir_all(root).map_err(io_err(root))?;
        // Made here and only here: a folder already there is another run's, never shared.
        fs::create_dir(&path).map_err(io_err(&path))?;
        write_file(&path.join("scenario.toml"), scenario_toml.as_bytes())?;
        let env_json = serde_json::to_vec_pretty(env).unwrap_or_default();
        write_file(&path.join("env.json"), &env_json)?;
        Ok(Self {
            memory: RowWriter::create(path.join(MemoryRow::FILE))?,
            cpu: RowWriter::create(path.join(CpuRow::FILE))?,
            latency: RowWriter::create(path.join(LatencyRow::FILE))?,
            histograms: RowWriter::create(path.join(HistogramRow::FILE))?,
            boot: RowWriter::create(path.join(BootRow::FILE))?,
            battery: if battery {
                Some(RowWriter::create(path.join(BatteryRow::FILE))?)
            } else {
                None
            },
            capacity: None,
            fit: None,
            density: None,
            downstream: None,
            breaker: None,
            scrapes: None,
            path,
        })
    }

    /// Creates `capacity.csv`, for a scenario that searches for capacity.
    pub fn add_capacity(&mut self) -> Result<(), ResultsError> {
        self.capacity = Some(RowWriter::create(self.path.join(CapacityRow::FILE))?);
        Ok(())
    }

    /// Creates `downstream.csv` and `breaker.csv`, for a scenario with a downstream.
    pub fn add_landscape(&mut self) -> Result<(), ResultsError> {
        self.downstream = Some(RowWriter::create(self.path.join(DownstreamRow::FILE))?);
        self.breaker = Some(RowWriter::create(self.path.join(BreakerRow::FILE))?);
        Ok(())
    }

    /// Creates `scrapes.csv`, for a run that measures a `metrics` rung.
    pub fn add_scrapes(&mut self) -> Result<(), ResultsError> {
        self.scrapes = Some(RowWriter::create(self.path.join(ScrapeRow::FILE))?);
        Ok(())
    }

    /// Creates `fit.csv`, and `density.csv` when `density`, for a scenario that searches for a
    /// fit (and packs replicas).
    pub fn add_fit(&mut self, density: bool) -> Result<(), ResultsError> {
        self.fit = Some(RowWriter::create(self.path.join(FitRow::FILE))?);
        if density {
            self.density = Some(RowWriter::create(self.path.join(DensityRow::FILE))?);
        }
        Ok(())
    }

    /// The writes that failed since the last call, one line each naming the file: what was
    /// measured meanwhile is not all on disk, and the stack being measured says so.
    pub fn take_failures(&mut self) -> Vec<String> {
        let mut failures = vec![
            self.memory.take_failure(),
            self.cpu.take_failure(),
            self.latency.take_failure(),
            self.histograms.take_failure(),
            self.boot.take_failure(),
        ];
        failures.extend([
            self.battery.as_mut().and_then(RowWriter::take_failure),
            self.capacity.as_mut().and_then(RowWriter::take_failure),
            self.fit.as_mut().and_then(RowWriter::take_failure),
            self.density.as_mut().and_then(RowWriter::take_failure),
            self.downstream.as_mut().and_then(RowWriter::take_failure),
            self.breaker.as_mut().and_then(RowWriter::take_failure),
            self.scrapes.as_mut().and_then(RowWriter::take_failure),
        ]);
        failures.into_iter().flatten().collect()
    }

    /// Rewrites `env.json` (at the end of a run, with what the harness cost).
    pub fn write_env(&self, env: &Environment) -> Result<(), ResultsError> {
        let json = serde_json::to_vec_pretty(env).unwrap_or_default();
        write_atomically(&self.path.join("env.json"), &json)
    }

    /// Rewrites `summary.json` atomically (write, then rename).
    pub fn write_summary(&self, summary: &Summary) -> Result<(), ResultsError> {
        let json = serde_json::to_vec_pretty(summary).unwrap_or_default();
        write_atomically(&self.path.join("summary.json"), &json)
    }
}

/// Replaces `path` with `bytes` at once (written beside it, synced, then renamed over it): a
/// reader, or a run killed meanwhile, sees the old file or the new one, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ResultsError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    // A failure names the file being replaced, not its temporary twin.
    write_file(&tmp, bytes)
        .and_then(|()| fs::rename(&tmp, path).map_err(io_err(path)))
        .map_err(|e| {
            let _ = fs::remove_file(&tmp);
            ResultsError {
                path: path.to_owned(),
                source: e.source,
            }
        })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ResultsError> {
    let mut file = File::create(path).map_err(io_err(path))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io_err(path))
}

/// Reads a results folder's `summary.json`: any schema version from
/// [`OLDEST_SCHEMA_VERSION`] to [`SCHEMA_VERSION`]; a newer (or unknown) one is refused with
/// the version found, before the rest of the file is read.
pub fn load_summary(dir: &Path) -> Result<Summary, RecordError> {
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: u32,
    }
    let path = dir.join("summary.json");
    let text = fs::read_to_string(&path).map_err(|source| RecordError::Read {
        path: path.clone(),
        source,
    })?;
    let json = |source| RecordError::Json {
        path: path.clone(),
        what: "summary",
        source,
    };
    let found = serde_json::from_str::<Version>(&text)
        .map_err(json)?
        .schema_version;
    match found {
        // Version 1 is today's schema: fields added since are optional.
        OLDEST_SCHEMA_VERSION..=SCHEMA_VERSION => {
            let mut summary: Summary = serde_json::from_str(&text).map_err(json)?;
            if found < 2 {
                // Version 1 did not record what each stack is: its declaration says.
                for stack in &mut summary.stacks {
                    if let Some(declared) = crate::stacks::lookup(&stack.stack) {
                        stack.family = declared.family();
                        stack.role = declared.role();
                        stack.base = (declared.base_name() != declared.name)
                            .then(|| declared.base_name().to_owned());
                        stack.rung = declared.rung().map(str::to_owned);
                    }
                }
            }
            if crate::lock::plain_name(&summary.run_id) {
                Ok(summary)
            } else {
                Err(RecordError::RunId {
                    path,
                    run_id: summary.run_id,
                })
            }
        }
        _ => Err(RecordError::SchemaVersion {
            path,
            found,
            reads: SCHEMA_VERSION,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BatteryCase, BootRecord, Reading, Sample};

    /// The header of each file, as every results folder since the first has it.
    #[test]
    fn a_steps_histograms_are_kept_whole_and_read_back() {
        use crate::driver::record::Recorder;
        let mut recorder = Recorder::new(true);
        for us in 1..=5000 {
            recorder.sent(0, 200, us, Some(us * 2), None);
        }
        let kind = &recorder.results()[0];
        let step = crate::model::StepSummary {
            name: "users-4".into(),
            ..Default::default()
        };
        let rows = HistogramRow::of("axum", 2, &step, kind);
        assert_eq!(
            rows.iter().map(|r| r.series.as_str()).collect::<Vec<_>>(),
            ["raw", "intended"]
        );
        let dir = tempfile::tempdir().unwrap();
        let mut writer = RowWriter::create(dir.path().join(HistogramRow::FILE)).unwrap();
        for row in &rows {
            writer.write(row).unwrap();
        }
        drop(writer);
        let back: Vec<HistogramRow> = read_run(dir.path()).unwrap();
        assert_eq!(back, rows);
        let raw = back[0].decode().unwrap();
        assert_eq!(raw, kind.histograms.as_ref().unwrap().raw);
        assert_eq!(raw.len(), 5000);
        let broken = HistogramRow {
            histogram: "not base64!".into(),
            ..back[0].clone()
        };
        assert!(broken.decode().unwrap_err().contains("base64"));
    }

    #[test]
    fn headers_are_the_files_columns() {
        let names = |h: csv::StringRecord| h.iter().collect::<Vec<_>>().join(",");
        assert_eq!(
            names(header::<MemoryRow>()),
            "stack,repeat,t_ms,phase,rss_kb,pss_kb,hwm_kb,threads,harness_rss_kb"
        );
        assert_eq!(
            names(header::<CpuRow>()),
            "stack,repeat,t_ms,phase,service_cpu_ms,service_cpu_ticks_ms,harness_cpu_ms,sampler_cost_us"
        );
        assert_eq!(
            names(header::<LatencyRow>()),
            "stack,repeat,step,warmup,users,target_rps,kind,requests,seconds,achieved_rps,errors,\
             statuses,p50_us,p90_us,p99_us,p999_us,max_us,mean_us,load_generator_bound,\
             coordinated_omission,intended_p50_us,intended_p90_us,intended_p99_us,\
             intended_p999_us,intended_max_us,not_sent,reconnects,connect_mean_us,connect_max_us"
        );
        assert_eq!(
            names(header::<HistogramRow>()),
            "stack,repeat,step,warmup,kind,series,count,histogram"
        );
        assert_eq!(
            names(header::<BootRow>()),
            "stack,repeat,start,boot_ms,self_boot_us,from_container_start_ms"
        );
        assert_eq!(
            names(header::<BatteryRow>()),
            "stack,repeat,group,case,outcome,passed,concern,ms,down_after"
        );
        assert_eq!(
            names(header::<CapacityRow>()),
            "stack,repeat,probe,rate,achieved_rps,requests,errors,p50_us,p99_us,intended_p50_us,\
             intended_p99_us,generator_late_p99_us,generator_cpu_share,service_cores,\
             cpu_ms_per_request,verdict"
        );
        assert_eq!(
            names(header::<CalibrateRow>()),
            "tool,round,stack,backend,connections,seconds,requests,rps,p50_us,p99_us,errors,tool_cores"
        );
    }

    #[test]
    fn rows_are_on_disk_as_soon_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(BootRow::FILE);
        let mut csv = RowWriter::<BootRow>::create(path.clone()).unwrap();
        let boot = BootRecord {
            start: 1,
            boot_ms: 12.3456,
            self_boot_us: Some(800),
            from_container_start_ms: None,
        };
        csv.write(&BootRow::new("axum", 2, &boot)).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "stack,repeat,start,boot_ms,self_boot_us,from_container_start_ms\naxum,2,1,12.346,800,\n"
        );
        let back: Vec<BootRow> = read_rows(&path).unwrap();
        assert_eq!(
            back,
            vec![BootRow {
                stack: "axum".into(),
                repeat: 2,
                start: 1,
                boot_ms: Fixed(12.346),
                self_boot_us: Some(800),
                from_container_start_ms: None,
            }]
        );
    }

    /// Fields are quoted only when they hold a comma, a quote or a line break, as before the
    /// rows had types, and read back whole.
    #[test]
    fn quotes_only_what_needs_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(BatteryRow::FILE);
        let mut csv = RowWriter::<BatteryRow>::create(path.clone()).unwrap();
        let case = BatteryCase {
            group: "malformed".into(),
            case: "say \"hi\", twice".into(),
            outcome: "400 in 3 ms".into(),
            passed: true,
            concern: None,
            millis: 2.25,
            down_after: Some("line one\nline two".into()),
        };
        let row = BatteryRow::new("go", 1, &case);
        csv.write(&row).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.ends_with(
                "go,1,malformed,\"say \"\"hi\"\", twice\",400 in 3 ms,true,,2.2,\"line one\nline two\"\n"
            ),
            "{text}"
        );
        let back: Vec<BatteryRow> = read_rows(&path).unwrap();
        assert_eq!(back[0].case, case.case);
        assert_eq!(back[0].down_after, case.down_after);
        assert_eq!(back[0].concern, None);
        assert_eq!(back[0].ms, Fixed(2.2));
    }

    /// The bytes of each sample's rows are those the positional writer wrote.
    #[test]
    fn samples_are_written_as_before() {
        let dir = tempfile::tempdir().unwrap();
        let reading = |rss_kb, cpu_us| Reading {
            rss_kb,
            pss_kb: None,
            hwm_kb: rss_kb + 1,
            cpu_us,
            cpu_tick_us: 10_000,
            threads: 3,
        };
        let sample = Sample {
            at: std::time::Duration::from_micros(1_234_567),
            phase: crate::model::Phase::Idle,
            service: reading(2048, 1_500),
            harness: reading(9000, 123_456_789),
            cost_us: 42,
        };
        let mut memory = RowWriter::create(dir.path().join(MemoryRow::FILE)).unwrap();
        let mut cpu = RowWriter::create(dir.path().join(CpuRow::FILE)).unwrap();
        memory
            .write(&MemoryRow::from_sample("a,b", 1, "step one", &sample))
            .unwrap();
        cpu.write(&CpuRow::from_sample("a", 1, "idle", &sample))
            .unwrap();
        let body = |file: &str| {
            let text = fs::read_to_string(dir.path().join(file)).unwrap();
            text.lines().nth(1).unwrap().to_owned()
        };
        assert_eq!(
            body("memory.csv"),
            "\"a,b\",1,1234,step one,2048,,2049,3,9000"
        );
        assert_eq!(body("cpu.csv"), "a,1,1234,idle,1.500,10.000,123456.789,42");
        let back: Vec<MemoryRow> = read_run(dir.path()).unwrap();
        assert_eq!(back[0].stack, "a,b");
        assert_eq!(back[0].pss_kb, None);
    }

    #[test]
    fn a_row_cut_short_by_a_kill_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory.csv");
        fs::write(
            &path,
            "stack,repeat,t_ms,phase,rss_kb,pss_kb,hwm_kb,threads,harness_rss_kb\n\
             axum,1,100,idle,2048,,2048,2,1\naxum,1,200,id",
        )
        .unwrap();
        let rows: Vec<MemoryRow> = read_rows(&path).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].rss_kb, 2048);
    }

    #[test]
    fn a_broken_row_names_the_file_and_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("boot.csv");
        fs::write(
            &path,
            "stack,repeat,start,boot_ms,self_boot_us,from_container_start_ms\naxum,1,1,fast,,\n",
        )
        .unwrap();
        let e = read_rows::<BootRow>(&path).unwrap_err().to_string();
        assert!(e.contains("boot.csv") && e.contains("line: 2"), "{e}");
    }

    fn summary_with_version(dir: &Path, version: u32) {
        let summary = Summary {
            schema_version: version,
            run_id: "r".into(),
            scenario: "idle".into(),
            backend: "local".into(),
            memory_counter: "RSS".into(),
            started: chrono::DateTime::UNIX_EPOCH,
            finished: None,
            complete: true,
            interrupted: false,
            stacks: Vec::new(),
            harness: crate::model::HarnessCost::default(),
            cleanup: Vec::new(),
            left_behind: Vec::new(),
            backend_traits: None,
            downstream: None,
            load_workers: None,
        };
        fs::write(
            dir.join("summary.json"),
            serde_json::to_vec_pretty(&summary).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn a_summary_of_a_newer_schema_is_refused_with_its_version() {
        let dir = tempfile::tempdir().unwrap();
        summary_with_version(dir.path(), 99);
        let e = load_summary(dir.path()).unwrap_err();
        assert!(
            matches!(e, RecordError::SchemaVersion { found: 99, .. }),
            "{e:?}"
        );
        let message = e.to_string();
        assert!(
            message.contains("summary.json")
                && message.contains("schema version 99")
                && message.contains(&format!("reads versions 1 to {SCHEMA_VERSION}")),
            "{message}"
        );
        // Refused on the version alone, whatever else the file holds.
        fs::write(
            dir.path().join("summary.json"),
            r#"{"schema_version": 99, "x": 1}"#,
        )
        .unwrap();
        assert!(
            load_summary(dir.path())
                .unwrap_err()
                .to_string()
                .contains("schema version 99")
        );
    }

    #[test]
    fn a_summary_of_version_1_loads() {
        let dir = tempfile::tempdir().unwrap();
        summary_with_version(dir.path(), 1);
        assert_eq!(load_summary(dir.path()).unwrap().run_id, "r");
    }

    #[test]
    fn a_failed_write_is_kept_and_reported_once() {
        // /dev/full: every write fails with "No space left on device", as a full disk does.
        let Ok(file) = OpenOptions::new().append(true).open("/dev/full") else {
            return;
        };
        let mut writer = RowWriter::<BootRow> {
            path: PathBuf::from("/dev/full"),
            out: csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(file),
            row: PhantomData,
            failed: None,
            reported: false,
        };
        assert!(writer.write(&BootRow::default()).is_err());
        assert!(writer.write(&BootRow::default()).is_err(), "sticky");
        let failure = writer.take_failure().unwrap();
        assert!(failure.starts_with("cannot write /dev/full: "), "{failure}");
        assert_eq!(writer.take_failure(), None, "reported once");
    }

    #[test]
    fn a_summary_whose_run_id_is_a_path_is_refused() {
        // Its report would be written at `<reports>/../../x.html`, outside the folder.
        let dir = tempfile::tempdir().unwrap();
        summary_with_version(dir.path(), SCHEMA_VERSION);
        let text = fs::read_to_string(dir.path().join("summary.json")).unwrap();
        let mut summary: serde_json::Value = serde_json::from_str(&text).unwrap();
        summary["run_id"] = "../../x".into();
        fs::write(dir.path().join("summary.json"), summary.to_string()).unwrap();
        let err = load_summary(dir.path()).unwrap_err();
        assert!(matches!(&err, RecordError::RunId { run_id, .. } if run_id == "../../x"));
        assert!(err.to_string().contains("summary.json"), "{err}");
    }

    #[test]
    fn a_missing_or_broken_summary_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = load_summary(dir.path()).unwrap_err().to_string();
        assert!(
            e.starts_with("cannot read ") && e.contains("summary.json"),
            "{e}"
        );
        fs::write(dir.path().join("summary.json"), "{").unwrap();
        let e = load_summary(dir.path()).unwrap_err().to_string();
        assert!(e.contains("summary.json: not a summary"), "{e}");
    }
}
