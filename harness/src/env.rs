//! The environment of a run, recorded with its results (`env.json`).

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Utc};

use crate::placement::Resolved;
use crate::stacks::version_of;

/// What the machine and the toolchain were when a run was made.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Environment {
    /// When the run started.
    pub started: DateTime<Utc>,
    /// CPU model (`/proc/cpuinfo`).
    pub cpu_model: String,
    /// CPUs online.
    pub cpus_online: usize,
    /// CPUs this harness was allowed to use at start.
    pub cpus_available: Vec<usize>,
    /// Kernel release.
    pub kernel: String,
    /// Operating system (`/etc/os-release`).
    pub os: String,
    /// Total memory, KiB.
    pub memory_kb: u64,
    /// Load average (1, 5, 15 minutes) at start.
    pub load_average: Vec<f64>,
    /// Host name.
    pub hostname: String,
    /// `rustc --version`.
    pub rustc: String,
    /// `cargo --version`.
    pub cargo: String,
    /// The harness's own version.
    pub harness_version: String,
    /// The load generator.
    pub load_generator: String,
    /// Git commit of the project, with `-dirty` when the work tree had changes.
    pub project_commit: String,
    /// Backend the services ran on.
    pub backend: String,
    /// Why that backend (asked for, or what `auto` found).
    #[serde(default)]
    pub backend_reason: String,
    /// The Docker daemon used (version and API version), for the container backends.
    #[serde(default)]
    pub docker: Option<String>,
    /// Limits of each service's container (container backends).
    #[serde(default)]
    pub container: Option<crate::scenario::ContainerLimits>,
    /// CPU placement used.
    pub placement: Resolved,
    /// `WORKERS` given to the services (`None`: each service's default, the CPUs it may use).
    pub workers: Option<usize>,
    /// Sampling interval, milliseconds.
    pub sample_interval_ms: u64,
    /// Coordinated-omission mitigation of the load generator.
    pub coordinated_omission: String,
    /// What the samplers and the harness cost, written when the run ends.
    #[serde(default)]
    pub harness_cost: Option<crate::model::HarnessCost>,
    /// The cargo profile the Rust stacks were built with: `release`, the measured
    /// configuration, unless `FOOTPRINT_PROFILE` said otherwise ([`crate::stacks::build_profile`]).
    #[serde(default = "release")]
    pub build_profile: String,
    /// The open-file limits (`RLIMIT_NOFILE`) the harness ran with, its soft limit raised to
    /// the hard one; the `local` backend's services inherit them.
    #[serde(default)]
    pub open_files: Option<OpenFiles>,
}

fn release() -> String {
    "release".to_owned()
}

impl Environment {
    /// Reads the machine now.
    pub fn capture(root: &Path, backend: &str, placement: Resolved) -> Self {
        let cpuinfo = read("/proc/cpuinfo");
        let meminfo = read("/proc/meminfo");
        let os_release = read("/etc/os-release");
        Self {
            started: Utc::now(),
            cpu_model: field(&cpuinfo, "model name", ':').unwrap_or_else(|| "unknown".into()),
            cpus_online: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpus_available: crate::placement::allowed_cpus().unwrap_or_default(),
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            os: field(&os_release, "PRETTY_NAME", '=')
                .map(|s| s.trim_matches('"').to_owned())
                .unwrap_or_else(|| "unknown".into()),
            memory_kb: crate::sample::kib_field(&meminfo, "MemTotal:").unwrap_or(0),
            load_average: load_average(),
            hostname: read("/proc/sys/kernel/hostname").trim().to_owned(),
            rustc: version_of(
                &std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()),
                "--version",
            )
            .unwrap_or_else(|| "not found".into()),
            cargo: version_of(
                &std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
                "--version",
            )
            .unwrap_or_else(|| "not found".into()),
            harness_version: env!("CARGO_PKG_VERSION").to_owned(),
            build_profile: crate::stacks::build_profile(),
            load_generator: "goose 0.19".to_owned(),
            project_commit: git_commit(root),
            backend: backend.to_owned(),
            backend_reason: String::new(),
            docker: None,
            container: None,
            placement,
            workers: None,
            sample_interval_ms: 100,
            coordinated_omission: "disabled".into(),
            harness_cost: None,
            open_files: None,
        }
    }
}

/// A process's open-file limits (`RLIMIT_NOFILE`); `None` is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OpenFiles {
    /// The soft limit, which `open` and `accept` meet (`EMFILE`).
    pub soft: Option<u64>,
    /// The hard limit, up to which a process may raise its soft one.
    pub hard: Option<u64>,
    /// The soft limit before the harness raised it.
    pub soft_before: Option<u64>,
}

/// The machine's load average now (1, 5, 15 minutes); empty where `/proc` has none.
pub fn load_average() -> Vec<f64> {
    read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .filter_map(|v| v.parse().ok())
        .collect()
}

/// The machine's CPU time counters (all CPUs, `/proc/stat`), in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTicks {
    /// Time stolen by the hypervisor for other guests.
    pub steal: u64,
    /// Every state together (user to steal; guest time is already inside user).
    pub total: u64,
}

impl CpuTicks {
    /// Reads them now; `None` where `/proc/stat` cannot be read.
    pub fn now() -> Option<Self> {
        Self::parse(&read("/proc/stat"))
    }

    /// From the text of `/proc/stat`: the first line, `cpu user nice system idle iowait irq
    /// softirq steal guest guest_nice` (proc(5)).
    pub fn parse(stat: &str) -> Option<Self> {
        let line = stat.lines().find(|l| l.starts_with("cpu "))?;
        let fields: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map(|v| v.parse().ok())
            .collect::<Option<_>>()?;
        let steal = *fields.get(7).unwrap_or(&0);
        Some(Self {
            steal,
            total: fields.iter().take(8).sum(),
        })
    }

    /// Share of the CPU time between `earlier` and `self` that was stolen, percent.
    pub fn steal_pct_since(&self, earlier: &CpuTicks) -> Option<f64> {
        let total = self.total.checked_sub(earlier.total)?;
        let steal = self.steal.checked_sub(earlier.steal)?;
        (total > 0).then(|| steal as f64 / total as f64 * 100.0)
    }
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The value of the first `name<sep>value` line.
fn field(text: &str, name: &str, sep: char) -> Option<String> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(sep)?;
        (key.trim() == name).then(|| value.trim().to_owned())
    })
}

fn git_commit(root: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "HEAD"]) {
        Some(commit) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{commit}-dirty")
            } else {
                commit
            }
        }
        None => "unknown (not a git checkout)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_machine() {
        let env = Environment::capture(
            Path::new("."),
            "local",
            crate::placement::resolve(&[], &[], &[]),
        );
        assert!(env.cpus_online >= 1);
        assert!(env.memory_kb > 0);
        assert!(!env.kernel.is_empty());
        assert_eq!(env.load_average.len(), 3);
        assert!(env.rustc.starts_with("rustc "), "{}", env.rustc);
    }

    #[test]
    fn steal_from_proc_stat() {
        let before = CpuTicks::parse("cpu  100 0 50 800 10 0 0 40 0 0\ncpu0 1 2 3\n").unwrap();
        assert_eq!(
            before,
            CpuTicks {
                steal: 40,
                total: 1000
            }
        );
        let after = CpuTicks::parse("cpu  200 0 100 1600 20 0 0 80 0 0\n").unwrap();
        assert_eq!(after.steal_pct_since(&before), Some(4.0));
        assert_eq!(before.steal_pct_since(&before), None);
        assert_eq!(CpuTicks::parse("intr 1 2\n"), None);
        assert!(CpuTicks::now().is_some());
    }

    #[test]
    fn reads_key_value_lines() {
        assert_eq!(
            field("a : 1\nmodel name\t: Xeon\n", "model name", ':').as_deref(),
            Some("Xeon")
        );
        assert_eq!(
            field("PRETTY_NAME=\"Debian\"", "PRETTY_NAME", '=').as_deref(),
            Some("\"Debian\"")
        );
    }
}
