//! The Prometheus server that scrapes a `metrics` rung during its repeat, as production would:
//! Debian's `prometheus`, started by the harness on 127.0.0.1 with a generated configuration
//! (one job, the service's published address, every second), asked at the end for what it
//! recorded of each scrape (`up`, `scrape_duration_seconds`, `scrape_samples_scraped`), then
//! stopped and its folder removed. Behind [`Scraper`], so the run loop is tested with a fake.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use footprint_contract::client::fetch;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use rustix::process::{Pid, Signal, kill_process};
use serde::Deserialize;

use crate::backend::local::Local;
use crate::model::Scrape;

/// The program, found on `PATH`.
pub const PROGRAM: &str = crate::stacks::PROMETHEUS_PROGRAM;

/// The Debian package that installs it.
pub const PACKAGE: &str = crate::stacks::PROMETHEUS_PACKAGE;

/// How often it scrapes; also its scrape timeout.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// The job's name in the generated configuration.
const JOB: &str = "footprint";

/// How long it may take to answer `/-/ready`.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// How long it may take to exit after `SIGTERM`.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts a scraper against a service.
pub trait Scraper: Sync {
    /// Starts scraping `target` (`host:port`) every [`INTERVAL`], for the service `stack`.
    fn start(&self, target: SocketAddr, stack: &str) -> Result<Box<dyn Scraping>, String>;
}

/// A scraper at work.
pub trait Scraping: Send {
    /// Every scrape so far (times as Unix seconds), and the scraper stopped and removed.
    fn finish(self: Box<Self>) -> Result<Vec<Scrape>, String>;

    /// What scrapes: the server and its version.
    fn server(&self) -> String;
}

/// The real one: a `prometheus` process per rung and repeat.
pub struct Prometheus {
    marks: Local,
    scratch: PathBuf,
}

impl Prometheus {
    /// For the run `run_id`: its process carries the run's marker (so `harness clean` finds
    /// one a killed harness left), its folders go under `scratch`.
    pub fn new(run_id: &str, scratch: &Path) -> Self {
        Self {
            marks: Local::new(run_id),
            scratch: scratch.to_owned(),
        }
    }
}

/// The configuration for one target: one job, scraped every [`INTERVAL`].
pub fn config(target: SocketAddr) -> String {
    let seconds = INTERVAL.as_secs().max(1);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# Written by the footprint harness for one measured service; removed after its run."
    );
    let _ = writeln!(text, "global:");
    let _ = writeln!(text, "  scrape_interval: {seconds}s");
    let _ = writeln!(text, "  scrape_timeout: {seconds}s");
    let _ = writeln!(text, "scrape_configs:");
    let _ = writeln!(text, "  - job_name: {JOB}");
    let _ = writeln!(text, "    static_configs:");
    let _ = writeln!(text, "      - targets: [\"{target}\"]");
    text
}

impl Scraper for Prometheus {
    fn start(&self, target: SocketAddr, stack: &str) -> Result<Box<dyn Scraping>, String> {
        let version = Command::new(PROGRAM)
            .arg("--version")
            .output()
            .map_err(|e| {
                format!(
                    "cannot run `{PROGRAM}` ({e}): the metrics rung is scraped by a Prometheus \
                     server; install Debian's `{PACKAGE}` (`cargo run -p harness -- setup`)"
                )
            })?;
        let version = String::from_utf8_lossy(&version.stdout)
            .lines()
            .next()
            .unwrap_or(PROGRAM)
            .to_owned();
        let dir = self.scratch.join(format!(
            "prometheus-{}-{}",
            stack.replace(['@', '+'], "-"),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let config_file = dir.join("prometheus.yml");
        std::fs::write(&config_file, config(target))
            .map_err(|e| format!("{}: {e}", config_file.display()))?;
        let api = free_port().map_err(|e| format!("no free port for Prometheus: {e}"))?;
        let log = std::fs::File::create(dir.join("prometheus.log"))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let child = Command::new(PROGRAM)
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={api}"))
            .arg("--log.level=warn")
            .envs(self.marks.marks("prometheus"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            // Its own process group: a Ctrl-C reaches the harness, which stops it in order.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start `{PROGRAM}`: {e}"))?;
        let mut running = Running {
            child,
            dir,
            api,
            started: Instant::now(),
            version,
        };
        running.wait_ready()?;
        Ok(Box::new(running))
    }
}

/// A free port of 127.0.0.1 (the kernel's choice, released for the server to take).
fn free_port() -> std::io::Result<SocketAddr> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()
}

/// A running server, stopped and removed on [`Scraping::finish`] or when dropped.
struct Running {
    child: Child,
    dir: PathBuf,
    api: SocketAddr,
    started: Instant,
    version: String,
}

impl Running {
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "`{PROGRAM}` exited before it was ready ({status}): {}",
                    self.log_tail()
                ));
            }
            if fetch(self.api, "GET", "/-/ready").is_ok_and(|r| r.status == 200) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "`{PROGRAM}` not ready on {} within {READY_TIMEOUT:?}: {}",
                    self.api,
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().rev().take(5).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
    }

    /// The raw samples of `metric` over the last `window`, as (Unix seconds, value).
    fn range(&self, metric: &str, window: Duration) -> Result<Vec<(f64, f64)>, String> {
        let query = format!("{metric}{{job=\"{JOB}\"}}[{}s]", window.as_secs() + 1);
        let target = format!(
            "/api/v1/query?query={}",
            utf8_percent_encode(&query, NON_ALPHANUMERIC)
        );
        let response = fetch(self.api, "GET", &target)
            .map_err(|e| format!("Prometheus at {}: {e}", self.api))?;
        let answer: Answer = serde_json::from_slice(&response.body).map_err(|e| {
            format!(
                "Prometheus's answer to {query}: {e}: {}",
                response.text().chars().take(200).collect::<String>()
            )
        })?;
        if answer.status != "success" {
            return Err(format!(
                "Prometheus refused {query}: {}",
                answer.error.unwrap_or_default()
            ));
        }
        let series = answer.data.map(|d| d.result).unwrap_or_default();
        Ok(series
            .into_iter()
            .flat_map(|s| s.values)
            .filter_map(|(at, value)| Some((at, value.parse().ok()?)))
            .collect())
    }

    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            if let Some(pid) = i32::try_from(self.child.id()).ok().and_then(Pid::from_raw) {
                let _ = kill_process(pid, Signal::TERM);
            }
            let deadline = Instant::now() + STOP_TIMEOUT;
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Scraping for Running {
    fn finish(mut self: Box<Self>) -> Result<Vec<Scrape>, String> {
        let window = self.started.elapsed();
        let scrapes = self.range("up", window).and_then(|up| {
            let duration = self.range("scrape_duration_seconds", window)?;
            let samples = self.range("scrape_samples_scraped", window)?;
            Ok(join(&up, &duration, &samples))
        });
        self.stop();
        scrapes
    }

    fn server(&self) -> String {
        self.version.clone()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The three series of each scrape, joined by their timestamp (Prometheus writes them at
/// the same instant).
fn join(up: &[(f64, f64)], duration: &[(f64, f64)], samples: &[(f64, f64)]) -> Vec<Scrape> {
    let at = |series: &[(f64, f64)], t: f64| {
        series
            .iter()
            .find(|(when, _)| (when - t).abs() < 1e-6)
            .map(|(_, v)| *v)
    };
    up.iter()
        .map(|&(t, value)| Scrape {
            at_s: t,
            up: value == 1.0,
            duration_ms: at(duration, t).map(|s| s * 1000.0),
            samples: at(samples, t).map(|n| n as u64),
        })
        .collect()
}

/// Prometheus's answer to an instant query.
#[derive(Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    result: Vec<Series>,
}

/// A range vector's series: its samples as `[seconds, "value"]`.
#[derive(Deserialize)]
struct Series {
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// A scraper that records what it is given, for tests of the run loop.
pub mod fake {
    use std::sync::{Arc, Mutex};

    use super::{Scrape, Scraper, Scraping, SocketAddr};

    /// Answers every start with `scrapes` up scrapes, and remembers the targets.
    #[derive(Default)]
    pub struct FakeScraper {
        /// How many scrapes each finish returns.
        pub scrapes: usize,
        /// The targets started, with their stack.
        pub started: Arc<Mutex<Vec<(SocketAddr, String)>>>,
    }

    impl Scraper for FakeScraper {
        fn start(&self, target: SocketAddr, stack: &str) -> Result<Box<dyn Scraping>, String> {
            self.started
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((target, stack.to_owned()));
            Ok(Box::new(FakeScraping(self.scrapes)))
        }
    }

    struct FakeScraping(usize);

    impl Scraping for FakeScraping {
        fn finish(self: Box<Self>) -> Result<Vec<Scrape>, String> {
            Ok((0..self.0)
                .map(|i| Scrape {
                    at_s: i as f64,
                    up: true,
                    duration_ms: Some(1.0),
                    samples: Some(40),
                })
                .collect())
        }

        fn server(&self) -> String {
            "fake".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_scrapes_one_target_every_second() {
        let text = config("127.0.0.1:4242".parse().unwrap());
        assert!(text.contains("scrape_interval: 1s"), "{text}");
        assert!(text.contains("scrape_timeout: 1s"), "{text}");
        assert!(text.contains("- targets: [\"127.0.0.1:4242\"]"), "{text}");
    }

    #[test]
    fn the_series_are_joined_by_their_time() {
        let up = [(10.0, 1.0), (11.0, 0.0)];
        let duration = [(10.0, 0.002), (11.0, 0.5)];
        let samples = [(10.0, 40.0)];
        let got = join(&up, &duration, &samples);
        assert_eq!(got.len(), 2);
        assert!(got[0].up && !got[1].up);
        assert_eq!(got[0].duration_ms, Some(2.0));
        assert_eq!(got[1].samples, None, "no sample at 11 s");
    }

    #[test]
    fn an_answer_is_read() {
        let answer: Answer = serde_json::from_str(
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up"},"values":[[1700000000.5,"1"],[1700000001.5,"1"]]}]}}"#,
        )
        .unwrap();
        let values = &answer.data.unwrap().result[0].values;
        assert_eq!(values[1], (1_700_000_001.5, "1".to_owned()));
    }
}
