//! Where a service runs. Only this module starts service processes, containers and swarm
//! services.

pub mod cgroup;
pub mod clean;
pub mod container;
pub mod daemon;
pub mod docker;
#[cfg(test)]
pub mod fake;
pub mod firewall;
pub mod image;
pub mod local;
pub mod select;
pub mod swarm;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, Utc};
use footprint_contract::ReadyLine;

pub use crate::model::BackendTraits;
use crate::model::LimitBy;
use crate::model::Summary;
use crate::sample::Source;
use crate::stacks::{Launch, Stack};
use image::{Built, ImageError};

/// What to start: a stack's program with its environment, on which CPUs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    /// The stack's name.
    pub stack: String,
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Environment beyond `PORT` and `BIND`, which the backend sets.
    pub env: Vec<(String, String)>,
    /// CPUs the service may use; empty for no pinning.
    pub cpus: Vec<usize>,
    /// The stack's image, for the container backends.
    pub image: Option<String>,
    /// A memory limit for this service alone, MiB (swap included: no swap), instead of the
    /// scenario's container limit; on the local backend, the only limit.
    pub memory_mib: Option<u32>,
    /// The landscape: a fixed object name (a downstream's, so callers find it by name and a
    /// restart keeps it), a fixed host port (a downstream's on the local backend, whose callers
    /// reach it there), and the network a downstream and its callers share.
    pub landscape: Landscape,
}

/// Where a service sits in a landscape; all `None` for a service alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Landscape {
    /// The container's or swarm service's name instead of a random one.
    pub name: Option<String>,
    /// The host port instead of a free one.
    pub port: Option<u16>,
    /// The network to join (the container backends).
    pub network: Option<String>,
    /// Replicas of a swarm service instead of the scenario's.
    pub replicas: Option<u32>,
}

/// The smallest memory limit a container engine accepts, MiB ("Minimum memory limit allowed is
/// 6MB"): under it the harness sets the limit in a cgroup of its own.
pub const ENGINE_MIN_MIB: u32 = 6;

/// What a service's memory limit was, and what its cgroup and the daemon say happened under it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryEvents {
    /// Who enforced the limit; `None` without one.
    pub limit_by: Option<LimitBy>,
    /// The daemon's `OOMKilled`, or the harness's own cgroup's OOM kills, said the service was
    /// killed for memory.
    pub oom_killed: bool,
    /// OOM kills the harness's own cgroup counted.
    pub oom_kills: Option<u64>,
    /// How often usage hit the limit of the harness's own cgroup.
    pub failcnt: Option<u64>,
    /// Highest usage of the harness's own cgroup, KiB.
    pub max_usage_kb: Option<u64>,
}

/// Resource limits of a service in a container, and where its port is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Memory limit, bytes (swap included: no swap).
    pub memory_bytes: Option<i64>,
    /// CPU limit, billionths of a CPU.
    pub nano_cpus: Option<i64>,
    /// Most tasks (threads) the container may have.
    pub pids: i64,
    /// Host address its port is published on.
    pub publish_ip: String,
}

impl Limits {
    /// The limits of a scenario's `[container]` table for a service placed on `service_cpus`:
    /// its memory and tasks, its CPU quota (as many CPUs as the service is placed on unless
    /// given), published on 127.0.0.1.
    pub fn of(container: &crate::scenario::ContainerLimits, service_cpus: &[usize]) -> Self {
        let millicpus = container
            .millicpus
            .or_else(|| (!service_cpus.is_empty()).then(|| service_cpus.len() as u64 * 1000));
        Self {
            memory_bytes: Some((container.memory_mb as i64) << 20),
            nano_cpus: millicpus.map(|m| m as i64 * 1_000_000),
            pids: container.pids as i64,
            publish_ip: "127.0.0.1".to_owned(),
        }
    }
}

/// Why a service could not be started or read.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The program could not be started.
    #[error("cannot start {stack} ({program}): {source}")]
    Spawn {
        /// The stack.
        stack: String,
        /// The program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// No free port.
    #[error("no free port on 127.0.0.1: {0}")]
    Port(std::io::Error),
    /// The Docker daemon refused or failed.
    #[error("{stack}: Docker: {why}")]
    Docker {
        /// The stack.
        stack: String,
        /// The daemon's message.
        why: String,
    },
    /// CPU pinning failed.
    #[error("cannot pin {stack} to CPUs {cpus:?}: {source}")]
    Pin {
        /// The stack.
        stack: String,
        /// The CPUs asked for.
        cpus: Vec<usize>,
        /// Why.
        source: std::io::Error,
    },
}

/// A place services run.
pub trait Backend {
    /// The backend's name (`local`, `docker`, `swarm`).
    fn name(&self) -> &'static str;

    /// Starts a service and returns at once; `Instance::started` is the moment of the start call.
    fn start(&self, spec: &ServiceSpec) -> Result<Box<dyn Instance>, BackendError>;

    /// Name of the memory counter its samples use (`RSS` for processes).
    fn memory_counter(&self) -> &'static str;

    /// What the backend is and how its figures are to be read.
    fn traits(&self) -> BackendTraits;

    /// Environment a service of `stack` needs on this backend beyond its own: with `workers`
    /// set, a JVM run from an image (whose command line is the image's own) is told its
    /// processor count through `JDK_JAVA_OPTIONS`.
    fn runtime_env(
        &self,
        stack: &Stack,
        workers: Option<usize>,
        has_image: bool,
    ) -> Vec<(String, String)> {
        match workers {
            Some(workers) if has_image && stack.is_jvm() => vec![(
                "JDK_JAVA_OPTIONS".to_owned(),
                format!("-XX:ActiveProcessorCount={workers}"),
            )],
            _ => Vec::new(),
        }
    }

    /// Makes what the stack needs to run here from what was built (an image for the container
    /// backends; nothing for processes).
    fn image(&self, _stack: &Stack, _launch: &Launch) -> Result<Option<Built>, ImageError> {
        Ok(None)
    }

    /// The smallest memory limit this backend can enforce on one service, MiB, or why it can
    /// enforce none.
    fn memory_floor_mib(&self) -> Result<u32, String> {
        Ok(ENGINE_MIN_MIB)
    }

    /// The memory of the node services are placed on, MiB, where the backend reserves memory
    /// per service on a node (swarm); `None` where it does not, so replicas cannot be packed.
    fn node_memory_mib(&self) -> Option<u64> {
        None
    }

    /// Starts `spec.replicas` load workers (`harness worker`), each told to report to
    /// `spec.coordinator`; only a backend that can place them beside the services does (the
    /// swarm's, as a replicated service). The others refuse, saying which can.
    fn start_load_workers(&self, spec: &WorkerSpec) -> Result<Box<dyn LoadWorkers>, BackendError> {
        Err(BackendError::Docker {
            stack: spec.stack.clone(),
            why: format!(
                "the {} backend cannot run load workers: they are swarm services (--backend \
                 swarm)",
                self.name()
            ),
        })
    }

    /// Whether it can run load workers ([`Backend::start_load_workers`]).
    fn runs_load_workers(&self) -> bool {
        false
    }

    /// Whether a service it runs reaches the harness on 127.0.0.1 (a plain process does; a
    /// container's 127.0.0.1 is its own): where a `tracing` rung can export to the harness's
    /// OTLP receiver.
    fn reaches_harness(&self) -> bool {
        false
    }

    /// The network a downstream and the services that call it share, made on the first call
    /// and removed by `close`; `None` where services reach each other on 127.0.0.1 (local).
    fn landscape_network(&self) -> Result<Option<String>, BackendError> {
        Ok(None)
    }

    /// The address a service on this backend calls a downstream started as `name` on host
    /// `port` at: its published port on 127.0.0.1 for processes, its name on the shared
    /// network for the container backends (Docker's embedded DNS; on swarm the service's
    /// virtual IP).
    fn downstream_url(&self, _name: &str, port: u16) -> String {
        format!("http://127.0.0.1:{port}")
    }

    /// Where this backend runs a downstream, for the report.
    fn downstream_placement(&self) -> String {
        "a process on the harness's CPUs, beside the load generator".to_owned()
    }

    /// Removes everything the backend made for the run (containers, services, images, a swarm
    /// it made); says what it did and what it could not. Idempotent.
    fn close(&self) -> Closed {
        Closed::default()
    }
}

/// What the backend named `name` is, for results written before summaries carried it; an
/// unknown name gets traits that say nothing beyond it.
pub fn traits_for(name: &str) -> BackendTraits {
    match select::Kind::parse(name) {
        Some(select::Kind::Local) => local::traits(),
        Some(select::Kind::Docker) => docker::traits(),
        Some(select::Kind::Swarm) => swarm::traits(),
        Some(select::Kind::Auto) | None => BackendTraits {
            name: name.to_owned(),
            ..BackendTraits::default()
        },
    }
}

/// The traits of the backend a run used: those it recorded, else those its name stands for.
pub fn traits_of(summary: &Summary) -> BackendTraits {
    summary
        .backend_traits
        .clone()
        .unwrap_or_else(|| traits_for(&summary.backend))
}

/// What a backend's `close` did, and what it could not do.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Closed {
    /// What was removed (or kept on purpose), one line each.
    pub done: Vec<String>,
    /// What is left on the daemon and why (it stopped answering, say), one line each.
    pub left: Vec<String>,
}

impl Closed {
    /// Adds `other`'s lines to these.
    pub fn extend(&mut self, other: Closed) {
        self.done.extend(other.done);
        self.left.extend(other.left);
    }
}

/// The load workers of a run: what a backend starts for [`Backend::start_load_workers`].
#[derive(Debug, Clone)]
pub struct WorkerSpec {
    /// The stack the workers' image is of (`harness-worker`).
    pub stack: String,
    /// The image.
    pub image: Option<String>,
    /// The program's arguments (`worker`).
    pub args: Vec<String>,
    /// How many.
    pub replicas: u32,
    /// Where they report, as they reach it.
    pub coordinator: std::net::SocketAddr,
    /// The run's token, which each worker's hello must carry: given to them in their
    /// environment.
    pub token: crate::fleet::wire::Token,
    /// Spread over the nodes labelled for load (a multi-node swarm, `--registry`), instead
    /// of on the manager's node.
    pub spread: bool,
    /// CPUs each worker pins its load generator to (the harness's own, on one node, so the
    /// workers send from where the in-process driver would); empty: unpinned.
    pub cpus: Vec<usize>,
}

/// Load workers a backend started, as the coordinator asks about them.
pub trait LoadWorkers: Send {
    /// Where they run, in words (`a swarm service, host network, on this node`).
    fn placement(&self) -> String;

    /// Their service's name.
    fn service(&self) -> String;

    /// A worker's task that ended or could not run, described; `None` while each is pending
    /// or running.
    fn ended(&self) -> Option<String>;

    /// What became of the worker `name` (`<service>.<slot>`): its task's state, its
    /// container's exit; `None` if the backend cannot tell.
    fn why_lost(&self, name: &str) -> Option<String>;

    /// Stops and removes them; how they ended.
    fn stop(&mut self) -> String;
}

/// One started service.
pub trait Instance {
    /// Where to send requests.
    fn addr(&self) -> SocketAddr;

    /// When the backend started it.
    fn started(&self) -> Instant;

    /// Process id, where there is one on this machine.
    fn pid(&self) -> Option<u32>;

    /// A reader of its memory and CPU.
    fn source(&self) -> Box<dyn Source>;

    /// The ready line, once printed.
    fn ready_line(&self) -> Option<ReadyLine>;

    /// When its container's process started, by the daemon's clock (container backends).
    fn container_started(&self) -> Option<DateTime<Utc>> {
        None
    }

    /// Its memory limit and what happened under it; read before [`Instance::stop`], which
    /// removes what the daemon knew.
    fn memory_events(&mut self) -> MemoryEvents {
        MemoryEvents::default()
    }

    /// `Some(description)` when it has exited (crash, kill, or end).
    fn exited(&mut self) -> Option<String>;

    /// What it wrote to stderr (the last few KiB).
    fn stderr_tail(&self) -> String;

    /// Stops it gracefully (`SIGTERM`), killing it if it does not exit in time; returns how it
    /// ended.
    fn stop(&mut self) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_come_from_the_container_table_and_the_service_cpus() {
        let defaults = crate::scenario::ContainerLimits::default();
        let limits = Limits::of(&defaults, &[1]);
        assert_eq!(limits.memory_bytes, Some(512 << 20));
        assert_eq!(limits.nano_cpus, Some(1_000_000_000), "one CPU's quota");
        assert_eq!(
            (limits.pids, limits.publish_ip.as_str()),
            (512, "127.0.0.1")
        );
        assert_eq!(
            Limits::of(&defaults, &[]).nano_cpus,
            None,
            "no placement, no quota"
        );
        let given = crate::scenario::ContainerLimits {
            millicpus: Some(250),
            ..defaults
        };
        assert_eq!(Limits::of(&given, &[1, 2]).nano_cpus, Some(250_000_000));
    }

    #[test]
    fn every_backend_describes_itself_by_its_name() {
        let local = local::Local::new("test");
        assert_eq!(local.traits(), traits_for(local.name()));
        assert_eq!(local.traits().memory_counter, local.memory_counter());
        for name in ["local", "docker", "swarm"] {
            let traits = traits_for(name);
            assert_eq!(traits.name, name);
            assert_eq!(traits.containers, name != "local");
            assert!(!traits.peak_counter.is_empty() && !traits.boot_from.is_empty());
        }
        let swarm = traits_for("swarm");
        assert!(!swarm.can_pin_cpus && swarm.publishes_on_all_interfaces);
        assert!(swarm.caveats.iter().any(|c| c.contains("cpuset")));
        assert!(swarm.caveats.iter().any(|c| c.contains("DOCKER-USER")));
        assert!(traits_for("docker").can_pin_cpus);
        assert_eq!(traits_for("elsewhere").name, "elsewhere");
    }

    #[test]
    fn a_jvm_in_an_image_is_told_its_processor_count() {
        let backend = local::Local::new("test");
        let jvm = crate::stacks::find("jvm-spring").unwrap();
        let floor = crate::stacks::find("floor").unwrap();
        assert_eq!(
            backend.runtime_env(jvm, Some(2), true),
            [(
                "JDK_JAVA_OPTIONS".to_owned(),
                "-XX:ActiveProcessorCount=2".to_owned()
            )]
        );
        assert!(backend.runtime_env(jvm, Some(2), false).is_empty());
        assert!(backend.runtime_env(jvm, None, true).is_empty());
        assert!(backend.runtime_env(floor, Some(2), true).is_empty());
    }
}
