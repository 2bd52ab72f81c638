//! The set-up a scenario run and a calibration share: CPU placement and the harness pinned to
//! its CPUs, the environment record, the run id, and each stack checked and built (and its
//! image made, for the container backends).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::backend::Backend;
use crate::env::{CpuTicks, Environment};
use crate::model::ImageRecord;
use crate::placement::{self, Resolved};
use crate::progress::Reporter;
use crate::stacks::{self, Availability, Launch, Stack};

/// Why the harness could not set itself up; nothing has been started.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The harness could not be pinned to its CPUs.
    #[error("cannot pin the harness to CPUs {cpus:?}: {source}")]
    Pin {
        /// The CPUs asked for.
        cpus: Vec<usize>,
        /// Why.
        source: std::io::Error,
    },
}

/// Where the harness stands before anything starts.
#[derive(Debug)]
pub struct Setup {
    /// CPU placement of the services and of the harness.
    pub placement: Resolved,
    /// The environment record (the machine's CPUs read before the harness pinned itself).
    pub env: Environment,
    /// The run id, unique in the results folder.
    pub run_id: String,
    /// CPU ticks of the machine at the start, for the steal over the whole run.
    pub ticks: Option<CpuTicks>,
}

/// Resolves the placement, records the environment, pins the calling thread (and so every
/// thread it makes from here on: the Docker client, the load runtime, the sampler, wrk) to
/// the harness's CPUs, and picks a run id `<time>-<name>` unique in `out`.
pub fn setup(
    root: &Path,
    out: &Path,
    name: &str,
    service_cpus: &[usize],
    harness_cpus: &[usize],
) -> Result<Setup, SetupError> {
    let available = placement::allowed_cpus().unwrap_or_default();
    let placement = placement::resolve(service_cpus, harness_cpus, &available);
    // Read before the harness pins itself: the machine's CPUs, not the harness's mask.
    let mut env = Environment::capture(root, "", placement.clone());
    if !placement.harness_cpus.is_empty() {
        placement::pin_current_thread(&placement.harness_cpus).map_err(|source| {
            SetupError::Pin {
                cpus: placement.harness_cpus.clone(),
                source,
            }
        })?;
    }
    env.open_files = Some(raise_open_files());
    let run_id = new_run_id(out, name, env.started);
    Ok(Setup {
        placement,
        env,
        run_id,
        ticks: CpuTicks::now(),
    })
}

/// A run id: UTC time, name and a random suffix (`20261207T101010Z-steady-3f9a2c`), unique in
/// `out`. Two runs started in the same second get different ids: each run's objects are found
/// by its id (its label, its lock), so two runs must never share one. [`RunDir::create`] makes
/// the folder atomically, so a clash is refused rather than shared.
///
/// [`RunDir::create`]: crate::results::RunDir::create
pub fn new_run_id(out: &Path, name: &str, started: DateTime<Utc>) -> String {
    loop {
        let id = format!(
            "{}-{name}-{:06x}",
            started.format("%Y%m%dT%H%M%SZ"),
            rand::random::<u32>() & 0xff_ffff
        );
        if !out.join(&id).exists() {
            return id;
        }
    }
}

/// Raises the harness's soft limit of open files to its hard limit, so that the load's
/// connections never meet `EMFILE` first (a client out of descriptors would look like a
/// service refusing connections); the `local` backend's services inherit the raised limit
/// (the Rust stacks keep what they inherit; Go and the JVM raise their own). Returns the
/// limits, for `env.json`.
pub fn raise_open_files() -> crate::env::OpenFiles {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let before = getrlimit(Resource::Nofile);
    if before.current != before.maximum {
        let raised = Rlimit {
            current: before.maximum,
            maximum: before.maximum,
        };
        // Refused (a hard limit above the kernel's nr_open): the soft limit stays as it was.
        let _ = setrlimit(Resource::Nofile, raised);
    }
    let now = getrlimit(Resource::Nofile);
    crate::env::OpenFiles {
        soft: now.current,
        hard: now.maximum,
        soft_before: before.current,
    }
}

/// Share of the machine's CPU time stolen since `before`, percent.
pub fn steal_since(before: Option<CpuTicks>) -> Option<f64> {
    before
        .zip(CpuTicks::now())
        .and_then(|(before, after)| after.steal_pct_since(&before))
}

/// Why a stack will not be measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotBuilt {
    /// It cannot run here (a toolchain is missing): the reason says what and how to get it.
    Skipped(String),
    /// Its build or its image failed.
    Failed(String),
}

/// A stack ready to be started: how it was built, and its image for the container backends.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// How it was built and is launched.
    pub launch: Launch,
    /// Its image, for the container backends.
    pub image: Option<String>,
}

/// A stack built and ready to start, with what the record keeps of it.
#[derive(Debug, Clone)]
pub struct Built {
    /// What to start.
    pub prepared: Prepared,
    /// The deployed size besides a runtime, bytes.
    pub binary_bytes: Option<u64>,
    /// The runtime's size (the JDK of a JVM stack), bytes.
    pub runtime_bytes: Option<u64>,
    /// The command line it is started with.
    pub command: String,
    /// Its image, on the container backends.
    pub image: Option<ImageRecord>,
}

/// Makes a stack ready to run: the real one builds with cargo, go or javac; tests use a
/// double that builds nothing.
pub trait Builder {
    /// Checks and builds `stack` (and its image on `backend`), for services with `workers`.
    fn build(
        &self,
        stack: &Stack,
        backend: &dyn Backend,
        workers: Option<usize>,
    ) -> Result<Built, NotBuilt>;
}

/// The real builder: the stack's toolchain, from the project at `root`.
pub struct Toolchains<'a> {
    /// The project's root.
    pub root: PathBuf,
    /// Progress output.
    pub reporter: &'a Reporter,
}

impl Builder for Toolchains<'_> {
    fn build(
        &self,
        stack: &Stack,
        backend: &dyn Backend,
        workers: Option<usize>,
    ) -> Result<Built, NotBuilt> {
        if let Availability::Missing { what, install } = stacks::check(stack) {
            return Err(NotBuilt::Skipped(format!("{what} is missing; {install}")));
        }
        self.reporter.say(&format!("building {} ...", stack.name));
        let launch = stacks::prepare(stack, &self.root, self.reporter.quiet())
            .map_err(|e| NotBuilt::Failed(format!("build failed: {e}")))?;
        let command = crate::stacks::Launch {
            args: launch.args_for_workers(stack, workers),
            ..launch.clone()
        }
        .command_line();
        let command = within_project(&command, &self.root);
        let image = backend
            .image(stack, &launch)
            .map_err(|e| NotBuilt::Failed(format!("image build failed: {e}")))?;
        if let Some(built) = &image {
            self.reporter.say(&format!(
                "image {}: {:.1} MB, built in {:.1} s",
                built.tag,
                built.bytes as f64 / 1e6,
                built.build_ms / 1000.0
            ));
        }
        Ok(Built {
            binary_bytes: launch.size_bytes(),
            runtime_bytes: launch.runtime_bytes(),
            command,
            image: image.as_ref().map(|built| ImageRecord {
                tag: built.tag.clone(),
                bytes: built.bytes,
                build_ms: built.build_ms,
                modules: built.modules.clone(),
            }),
            prepared: Prepared {
                launch,
                image: image.map(|built| built.tag),
            },
        })
    }
}

/// `command` with the project's root left out of its paths (`target/…/footprint-floor`): a
/// results folder names no path of the machine it was made on.
pub fn within_project(command: &str, root: &Path) -> String {
    let mut shown = command.to_owned();
    let roots = [Some(root.to_owned()), root.canonicalize().ok()];
    for root in roots.iter().flatten() {
        let prefix = format!("{}/", root.display());
        if prefix.len() > 1 {
            shown = shown.replace(&prefix, "");
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_command_names_no_path_of_the_machine() {
        let root = std::path::Path::new("/srv/footprint");
        assert_eq!(
            super::within_project(
                "java -cp /srv/footprint/target/a.jar:/usr/share/java/b.jar Main",
                root
            ),
            "java -cp target/a.jar:/usr/share/java/b.jar Main"
        );
    }

    use super::*;

    #[test]
    fn the_open_file_limit_is_raised_to_the_hard_one() {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let start = getrlimit(Resource::Nofile);
        // As a shell with `ulimit -Sn 1024` leaves it (the Rust stacks keep what they inherit).
        let low = start.maximum.map_or(1024, |hard| hard.min(1024));
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(low),
                maximum: start.maximum,
            },
        )
        .unwrap();
        let limits = raise_open_files();
        assert_eq!(limits.soft_before, Some(low));
        assert_eq!(limits.soft, start.maximum);
        assert_eq!(limits.hard, start.maximum);
        assert_eq!(getrlimit(Resource::Nofile).current, start.maximum);
    }

    #[test]
    fn run_ids_of_one_second_differ() {
        let dir = tempfile::tempdir().unwrap();
        let at = chrono::DateTime::UNIX_EPOCH;
        let ids: std::collections::HashSet<String> = (0..50)
            .map(|_| new_run_id(dir.path(), "steady", at))
            .collect();
        assert_eq!(ids.len(), 50, "{ids:?}");
        assert!(
            ids.iter()
                .all(|id| id.starts_with("19700101T000000Z-steady-"))
        );
    }
}
