//! What the two container backends share: the daemon, the run's labels and images, and the
//! containers themselves: started, read (memory as `docker stats` counts it: usage minus the
//! inactive file cache, `total_inactive_file` on cgroup v1, `inactive_file` on v2), stopped
//! and removed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use bollard::models::ContainerState;
use bollard::query_parameters::{
    InspectContainerOptions, ListContainersOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, StatsOptionsBuilder, StopContainerOptionsBuilder,
};
use chrono::{DateTime, Utc};
use footprint_contract::ReadyLine;
use futures_util::StreamExt;

use super::daemon::{Daemon, LABEL_RUN, api_message, label_filter, labels};
use super::image::{Built, CONTAINER_PORT, ImageError, Images};
use super::{BackendError, BackendTraits, Closed, Limits, ServiceSpec};
use crate::model::Reading;
use crate::sample::{SampleError, Source};
use crate::stacks::{Launch, Stack};

/// Name of the memory counter of the container backends.
pub const CONTAINER_MEMORY: &str = "container memory";

/// How long a stopped container may take before the daemon kills it.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Lines of a container's stderr kept for error messages.
const STDERR_LINES: &str = "40";

/// The environment of a service in a container: its own, then `PORT` and `BIND` for the
/// container's side of the published port.
pub fn container_env(spec: &ServiceSpec) -> Vec<String> {
    crate::stacks::resolve_env(&spec.env, &CONTAINER_PORT.to_string(), "0.0.0.0")
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .chain([format!("PORT={CONTAINER_PORT}"), "BIND=0.0.0.0".to_owned()])
        .collect()
}

/// A unique, readable name for an object of `stack` (a variant's `+` becomes `-`: object names
/// take letters, digits, `_`, `.` and `-`).
pub fn object_name(stack: &str) -> String {
    format!(
        "footprint-{}-{:08x}",
        stack.replace(['+', '@'], "-"),
        rand::random::<u32>()
    )
}

/// A container the daemon did not remove.
#[derive(Debug, thiserror::Error)]
#[error("container {id} not removed: {why}")]
pub struct RemoveError {
    /// The container.
    pub id: String,
    /// The daemon's message.
    pub why: String,
}

/// The containers of a run could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("the containers of run {run_id} could not be listed: {why}")]
pub struct ListError {
    /// The run.
    pub run_id: String,
    /// The daemon's message.
    pub why: String,
}

/// Why a container's figures could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The stats call ended without an answer.
    #[error("container {id}: no stats")]
    NoStats {
        /// The container.
        id: String,
    },
    /// The stats call failed.
    #[error("container {id}: {why}")]
    Api {
        /// The container.
        id: String,
        /// The daemon's message.
        why: String,
    },
    /// The stats carried no memory usage.
    #[error("container {id}: no memory usage (has it exited?)")]
    NoMemory {
        /// The container.
        id: String,
    },
    /// Its cgroup files could not be read.
    #[error("container {id}: {source}")]
    Cgroup {
        /// The container.
        id: String,
        /// Why.
        source: std::io::Error,
    },
}

/// What both container backends hold for a run: the daemon, the run's id, the limits of its
/// containers and its images; closed once.
#[derive(Debug)]
pub struct DaemonRun {
    /// The daemon.
    pub daemon: Arc<Daemon>,
    /// The run's id, on every object's label.
    pub run_id: String,
    /// The containers' limits.
    pub limits: Limits,
    /// The run's images.
    pub images: Images,
    network: std::sync::Mutex<Option<String>>,
    closed: AtomicBool,
}

impl DaemonRun {
    /// The run `run_id` on `daemon`.
    pub fn new(daemon: Arc<Daemon>, run_id: &str, limits: Limits, images: Images) -> Self {
        Self {
            daemon,
            run_id: run_id.to_owned(),
            limits,
            images,
            network: std::sync::Mutex::new(None),
            closed: AtomicBool::new(false),
        }
    }

    /// The run's landscape network, made on the first call with `driver` (`bridge` for
    /// containers, an attachable `overlay` on swarm) and the run's labels.
    pub fn network(&self, driver: &str) -> Result<String, BackendError> {
        let mut made = self.network.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(name) = made.as_ref() {
            return Ok(name.clone());
        }
        let name = object_name("landscape");
        let request = bollard::models::NetworkCreateRequest {
            name: name.clone(),
            driver: Some(driver.to_owned()),
            attachable: Some(driver == "overlay"),
            labels: Some(self.labels("landscape")),
            ..Default::default()
        };
        self.daemon
            .block_on(self.daemon.docker.create_network(request))
            .map_err(|e| BackendError::Docker {
                stack: "landscape".into(),
                why: format!(
                    "cannot make the {driver} network {name}: {}",
                    api_message(&e)
                ),
            })?;
        *made = Some(name.clone());
        Ok(name)
    }

    /// The stack's image, built for the run.
    pub fn image(&self, stack: &Stack, launch: &Launch) -> Result<Option<Built>, ImageError> {
        self.images.make(stack, launch).map(Some)
    }

    /// The image a service is to run; an error when none was built for it.
    pub fn image_of(&self, spec: &ServiceSpec) -> Result<String, BackendError> {
        spec.image.clone().ok_or_else(|| BackendError::Docker {
            stack: spec.stack.clone(),
            why: "no image was built for it".into(),
        })
    }

    /// The labels of an object made for `stack` in this run.
    pub fn labels(&self, stack: &str) -> HashMap<String, String> {
        labels(&self.run_id, stack)
    }

    /// Closes the run once: `first` removes what is the backend's own (services, say), then
    /// the run's leftover containers and its images go. `None` when it was closed already.
    pub fn close(&self, first: impl FnOnce(&mut Closed)) -> Option<Closed> {
        if self.closed.swap(true, Ordering::SeqCst) {
            return None;
        }
        let mut closed = Closed::default();
        first(&mut closed);
        remove_containers_of_run(&self.daemon, &self.run_id, &mut closed);
        remove_networks_of_run(&self.daemon, &self.run_id, &mut closed);
        closed.extend(self.images.remove());
        Some(closed)
    }
}

/// The daemon's refusal of a call about `stack`'s service.
pub fn docker_error(stack: &str, e: &bollard::errors::Error) -> BackendError {
    BackendError::Docker {
        stack: stack.to_owned(),
        why: api_message(e),
    }
}

/// A container or swarm service once started: its id, where it answers, when it was started,
/// and what has been learnt of it since.
pub struct Started {
    /// The daemon.
    pub daemon: Arc<Daemon>,
    /// Its id on the daemon.
    pub id: String,
    /// Where it answers.
    pub addr: SocketAddr,
    /// When the start call was made.
    pub started: Instant,
    checked: Option<Instant>,
    /// How it ended, once known.
    pub ended: Option<String>,
    /// Its ready line, once kept.
    pub ready: Option<ReadyLine>,
    /// Whether it has been removed.
    pub removed: bool,
}

impl Started {
    /// `id` on `daemon`, answering at `addr`, started at `started`.
    pub fn new(daemon: &Arc<Daemon>, id: String, addr: SocketAddr, started: Instant) -> Self {
        Self {
            daemon: Arc::clone(daemon),
            id,
            addr,
            started,
            checked: None,
            ended: None,
            ready: None,
            removed: false,
        }
    }

    /// How it ended, as `look` finds from the daemon and its id, looked up at most once per
    /// `every` (each look is an API call); `None` while it runs.
    pub fn exited(
        &mut self,
        every: Duration,
        look: impl FnOnce(&Daemon, &str) -> Option<String>,
    ) -> Option<String> {
        if self.ended.is_none() && self.checked.is_none_or(|at| at.elapsed() >= every) {
            self.checked = Some(Instant::now());
            self.ended = look(&self.daemon, &self.id);
        }
        self.ended.clone()
    }

    /// The ready line: the one kept, else the first in `container`'s stdout.
    pub fn ready_line(&self, container: Option<String>) -> Option<ReadyLine> {
        self.ready.clone().or_else(|| {
            logs(&self.daemon, &container?, true)
                .iter()
                .find_map(|line| ReadyLine::parse(line))
        })
    }

    /// What `container` wrote to stderr (its last lines).
    pub fn stderr_tail(&self, container: Option<String>) -> String {
        container
            .map(|c| logs(&self.daemon, &c, false).join("\n"))
            .unwrap_or_default()
    }

    /// A reader of the memory and CPU of `containers`.
    pub fn source(&self, containers: Containers) -> Box<dyn Source> {
        Box::new(ContainerSource::new(Arc::clone(&self.daemon), containers))
    }
}

/// What the container backends say about themselves, beyond name, boot and pinning: their
/// memory is the container's as `docker stats` counts it, and what that means for the figures.
pub fn container_traits(name: &str, boot_from: &str, can_pin_cpus: bool) -> BackendTraits {
    BackendTraits {
        name: name.to_owned(),
        memory_counter: CONTAINER_MEMORY.to_owned(),
        memory_explained: "usage minus inactive file cache, as docker stats counts it".to_owned(),
        peak_counter: "highest sample; usage minus inactive file cache, as docker stats counts it"
            .to_owned(),
        boot_from: boot_from.to_owned(),
        containers: true,
        can_pin_cpus,
        publishes_on_all_interfaces: false,
        caveats: vec![
            "memory is the container's as docker stats counts it: the cgroup's usage minus its \
             inactive file cache, which includes kernel memory that RSS does not; its peak is \
             the highest sample, not the kernel's high-water mark"
                .to_owned(),
            "requests to a published port on 127.0.0.1 pass through Docker's userland proxy \
             (docker-proxy), which adds latency and CPU that is not the service's"
                .to_owned(),
            "the container's CPU and memory limits change what the JVM's ergonomics choose"
                .to_owned(),
        ],
    }
}

/// Removes a container, whatever its state; one already gone (or going) counts as removed.
pub fn remove_container(daemon: &Daemon, id: &str) -> Result<(), RemoveError> {
    let options = RemoveContainerOptionsBuilder::default().force(true).build();
    match daemon.block_on(daemon.docker.remove_container(id, Some(options))) {
        Ok(()) => Ok(()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404 | 409,
            ..
        }) => Ok(()),
        Err(e) => Err(RemoveError {
            id: id.to_owned(),
            why: api_message(&e),
        }),
    }
}

/// Removes the containers left with the run's label, saying in `closed` what it removed and
/// what it could not (a daemon that stopped answering leaves them: `harness clean` later).
pub fn remove_containers_of_run(daemon: &Daemon, run_id: &str, closed: &mut Closed) {
    match containers_of_run(daemon, run_id) {
        Ok(ids) => {
            for id in ids {
                match remove_container(daemon, &id) {
                    Ok(()) => closed.done.push(format!("removed leftover container {id}")),
                    Err(e) => closed.left.push(e.to_string()),
                }
            }
        }
        Err(e) => closed.left.push(format!(
            "the run's containers could not be listed, so none was removed: {}",
            e.why
        )),
    }
}

/// Removes the networks labelled with `run_id` (a landscape's), saying what it did. A
/// network still in use by a container being removed can take a moment to free: tried for up
/// to 10 s.
pub fn remove_networks_of_run(daemon: &Daemon, run_id: &str, closed: &mut Closed) {
    let options = bollard::query_parameters::ListNetworksOptionsBuilder::default()
        .filters(&label_filter(LABEL_RUN, Some(run_id)))
        .build();
    let networks = match daemon.block_on(daemon.docker.list_networks(Some(options))) {
        Ok(networks) => networks,
        Err(e) => {
            closed.left.push(format!(
                "the run's networks could not be listed, so none was removed: {}",
                api_message(&e)
            ));
            return;
        }
    };
    for name in networks.into_iter().filter_map(|n| n.name) {
        let mut last = None;
        let removed = wait_until(Duration::from_secs(10), || {
            match daemon.block_on(daemon.docker.remove_network(&name)) {
                Ok(()) => true,
                Err(e) => {
                    last = Some(api_message(&e));
                    false
                }
            }
        });
        if removed {
            closed.done.push(format!("removed network {name}"));
        } else {
            closed.left.push(format!(
                "network {name} not removed: {}",
                last.unwrap_or_default()
            ));
        }
    }
}

/// A container's state as the daemon reports it; `None` when it cannot be inspected.
fn state(daemon: &Daemon, id: &str) -> Option<ContainerState> {
    daemon
        .block_on(
            daemon
                .docker
                .inspect_container(id, None::<InspectContainerOptions>),
        )
        .ok()?
        .state
}

/// How a container ended, from its state: `exit status: N`, with the OOM kill when there was
/// one; `None` while it runs.
pub fn ended_state(daemon: &Daemon, id: &str) -> Option<String> {
    let state = state(daemon, id)?;
    if state.running == Some(true) || state.restarting == Some(true) {
        return None;
    }
    if state
        .started_at
        .as_deref()
        .is_none_or(|s| s.starts_with("0001-"))
    {
        // Created, never started.
        return None;
    }
    let code = state.exit_code.unwrap_or(-1);
    let mut text = format!("exit status: {code}");
    if state.oom_killed == Some(true) {
        text.push_str(", killed for memory (OOM) under its limit");
    }
    if let Some(error) = state.error.filter(|e| !e.is_empty()) {
        text.push_str(&format!(" ({error})"));
    }
    Some(text)
}

/// Whether the daemon says the container was killed for memory.
pub fn oom_killed(daemon: &Daemon, id: &str) -> bool {
    state(daemon, id).is_some_and(|s| s.oom_killed == Some(true))
}

/// When the container's process started, by the daemon's clock.
pub fn started_at(daemon: &Daemon, id: &str) -> Option<DateTime<Utc>> {
    let text = state(daemon, id)?.started_at?;
    DateTime::parse_from_rfc3339(&text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| t.timestamp() > 0)
}

/// The lines a container wrote to stdout (`stdout`) or stderr.
pub fn logs(daemon: &Daemon, id: &str, stdout: bool) -> Vec<String> {
    let options = LogsOptionsBuilder::default()
        .stdout(stdout)
        .stderr(!stdout)
        .tail(if stdout { "all" } else { STDERR_LINES })
        .build();
    daemon.block_on(async {
        let mut lines = Vec::new();
        let mut stream = daemon.docker.logs(id, Some(options));
        while let Some(Ok(chunk)) = stream.next().await {
            let text = String::from_utf8_lossy(&chunk.into_bytes()).into_owned();
            lines.extend(text.lines().map(str::to_owned));
        }
        lines
    })
}

/// Stops a container (`SIGTERM`, `SIGKILL` after [`STOP_TIMEOUT`]) and says how it ended.
pub fn stop_container(daemon: &Daemon, id: &str) -> String {
    let asked = Instant::now();
    let options = StopContainerOptionsBuilder::default()
        .t(STOP_TIMEOUT.as_secs() as i32)
        .build();
    let stopped = daemon.block_on(daemon.docker.stop_container(id, Some(options)));
    let took = asked.elapsed();
    let mut ended = ended_state(daemon, id).unwrap_or_else(|| match stopped {
        Err(e) => format!("unknown: the daemon did not stop it ({})", api_message(&e)),
        Ok(()) => "unknown".to_owned(),
    });
    if took >= STOP_TIMEOUT {
        ended.push_str(&format!(
            " (killed: no exit within {STOP_TIMEOUT:?} of SIGTERM)"
        ));
    }
    ended
}

/// Ids of the containers carrying the run's label (running or not).
pub fn containers_of_run(daemon: &Daemon, run_id: &str) -> Result<Vec<String>, ListError> {
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&label_filter(LABEL_RUN, Some(run_id)))
        .build();
    Ok(daemon
        .block_on(daemon.docker.list_containers(Some(options)))
        .map_err(|e| ListError {
            run_id: run_id.to_owned(),
            why: api_message(&e),
        })?
        .into_iter()
        .filter_map(|c| c.id)
        .collect())
}

/// Which containers a source reads.
pub enum Containers {
    /// These.
    Fixed(Vec<String>),
    /// The running task containers of a swarm service, looked up again when one is gone.
    Service {
        /// The service's id.
        service: String,
        /// The ids found last.
        found: Vec<String>,
        /// When they were looked up.
        at: Option<Instant>,
    },
}

/// Memory and CPU of one or more containers (summed): from their cgroup files where the daemon
/// runs on this machine, else from the daemon's stats call; the same figures either way.
pub struct ContainerSource {
    daemon: Arc<Daemon>,
    containers: Containers,
    peak_kb: u64,
    /// Last CPU time read of each container, ns: a container that has gone keeps its share,
    /// so the total never steps back.
    last: HashMap<String, u64>,
    /// Each container's cgroup on this machine (`None`: read through the stats call).
    cgroups: HashMap<String, Option<Cgroup>>,
}

impl ContainerSource {
    /// Reads `containers` through `daemon`.
    pub fn new(daemon: Arc<Daemon>, containers: Containers) -> Self {
        Self {
            daemon,
            containers,
            peak_kb: 0,
            last: HashMap::new(),
            cgroups: HashMap::new(),
        }
    }

    fn read_one(&mut self, id: &str) -> Result<ContainerReading, ReadError> {
        if !self.cgroups.contains_key(id) {
            let found = cgroup_of(&self.daemon, id);
            self.cgroups.insert(id.to_owned(), found);
        }
        match self.cgroups.get(id).cloned().flatten() {
            Some(cgroup) => cgroup.read().map_err(|source| ReadError::Cgroup {
                id: id.to_owned(),
                source,
            }),
            None => read_container(&self.daemon, id),
        }
    }

    fn ids(&mut self) -> Vec<String> {
        match &mut self.containers {
            Containers::Fixed(ids) => ids.clone(),
            Containers::Service { service, found, at } => {
                if found.is_empty() || at.is_none_or(|t| t.elapsed() > Duration::from_secs(1)) {
                    *found = super::swarm::task_containers(&self.daemon, service);
                    *at = Some(Instant::now());
                }
                found.clone()
            }
        }
    }
}

/// One container's figures from a stats answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContainerReading {
    /// Usage minus inactive file cache, bytes.
    pub memory_bytes: u64,
    /// CPU time, ns.
    pub cpu_ns: u64,
    /// Tasks (threads) in the container's cgroup.
    pub pids: u64,
}

/// Memory as `docker stats` counts it: usage minus the inactive file cache
/// (`total_inactive_file` on cgroup v1, `inactive_file` on v2), never below zero.
pub fn working_set(usage: u64, stats: &HashMap<String, u64>) -> u64 {
    let inactive = stats
        .get("total_inactive_file")
        .or_else(|| stats.get("inactive_file"))
        .copied()
        .unwrap_or(0);
    usage.saturating_sub(inactive)
}

/// A container's cgroup files on this machine: read directly, they give the figures of the
/// daemon's stats at any rate (the stats call answers about once a second).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cgroup {
    /// cgroup v1: one folder per controller.
    V1 {
        /// `memory` controller folder.
        memory: PathBuf,
        /// `cpuacct` controller folder.
        cpuacct: PathBuf,
        /// `pids` controller folder.
        pids: PathBuf,
    },
    /// cgroup v2: one folder.
    V2(PathBuf),
}

impl Cgroup {
    /// The cgroup of process `pid`, from `/proc/<pid>/cgroup`, under `root` (`/sys/fs/cgroup`).
    pub fn of_process(pid: u32, root: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
        Self::parse(&text, root)
    }

    /// The cgroup named by the text of a `/proc/<pid>/cgroup` file, under `root`.
    pub fn parse(text: &str, root: &Path) -> Option<Self> {
        let mut v1: HashMap<&str, PathBuf> = HashMap::new();
        let mut v2 = None;
        for line in text.lines() {
            let mut parts = line.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            let path = path.trim_start_matches('/');
            if controllers.is_empty() {
                v2 = Some(root.join(path));
                continue;
            }
            for controller in controllers.split(',') {
                let joined = root.join(controllers).join(path);
                let alone = root.join(controller).join(path);
                v1.insert(controller, if joined.is_dir() { joined } else { alone });
            }
        }
        match (v1.remove("memory"), v1.remove("cpuacct"), v1.remove("pids")) {
            (Some(memory), Some(cpuacct), Some(pids)) => Some(Self::V1 {
                memory,
                cpuacct,
                pids,
            }),
            _ => v2
                .filter(|dir| dir.join("memory.current").is_file())
                .map(Self::V2),
        }
    }

    /// Its memory controller's counters now (hits of the limit, OOM kills, highest usage).
    pub fn memory_counters(&self) -> super::cgroup::Counters {
        use super::cgroup::{Version, counters_at};
        match self {
            Self::V1 { memory, .. } => counters_at(memory, Version::V1),
            Self::V2(dir) => counters_at(dir, Version::V2),
        }
    }

    /// Reads memory (as `docker stats` counts it), CPU and tasks now.
    pub fn read(&self) -> std::io::Result<ContainerReading> {
        let number = |path: PathBuf| -> std::io::Result<u64> {
            std::fs::read_to_string(&path)?
                .trim()
                .parse()
                .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))
        };
        let stat = |path: PathBuf| -> std::io::Result<HashMap<String, u64>> {
            Ok(std::fs::read_to_string(path)?
                .lines()
                .filter_map(|l| {
                    let (k, v) = l.split_once(' ')?;
                    Some((k.to_owned(), v.trim().parse().ok()?))
                })
                .collect())
        };
        match self {
            Self::V1 {
                memory,
                cpuacct,
                pids,
            } => Ok(ContainerReading {
                memory_bytes: working_set(
                    number(memory.join("memory.usage_in_bytes"))?,
                    &stat(memory.join("memory.stat"))?,
                ),
                cpu_ns: number(cpuacct.join("cpuacct.usage"))?,
                pids: number(pids.join("pids.current"))?,
            }),
            Self::V2(dir) => Ok(ContainerReading {
                memory_bytes: working_set(
                    number(dir.join("memory.current"))?,
                    &stat(dir.join("memory.stat"))?,
                ),
                cpu_ns: stat(dir.join("cpu.stat"))?
                    .get("usage_usec")
                    .copied()
                    .unwrap_or(0)
                    * 1000,
                pids: number(dir.join("pids.current"))?,
            }),
        }
    }
}

/// The cgroup of a running container, when its process is on this machine.
pub fn cgroup_of(daemon: &Daemon, id: &str) -> Option<Cgroup> {
    let pid = u32::try_from(state(daemon, id)?.pid?)
        .ok()
        .filter(|&p| p > 0)?;
    Cgroup::of_process(pid, Path::new("/sys/fs/cgroup"))
}

/// One container's figures from the daemon's stats call (about one answer a second).
pub fn read_container(daemon: &Daemon, id: &str) -> Result<ContainerReading, ReadError> {
    let options = StatsOptionsBuilder::default()
        .stream(false)
        .one_shot(true)
        .build();
    let stats = daemon
        .block_on(async { daemon.docker.stats(id, Some(options)).next().await })
        .ok_or_else(|| ReadError::NoStats { id: id.to_owned() })?
        .map_err(|e| ReadError::Api {
            id: id.to_owned(),
            why: api_message(&e),
        })?;
    let memory = stats.memory_stats.unwrap_or_default();
    let usage = memory
        .usage
        .ok_or_else(|| ReadError::NoMemory { id: id.to_owned() })?;
    let memory_bytes = working_set(usage, &memory.stats.unwrap_or_default());
    let cpu_ns = stats
        .cpu_stats
        .and_then(|c| c.cpu_usage)
        .and_then(|u| u.total_usage)
        .unwrap_or(0);
    let pids = stats.pids_stats.and_then(|p| p.current).unwrap_or(0);
    Ok(ContainerReading {
        memory_bytes,
        cpu_ns,
        pids,
    })
}

impl Source for ContainerSource {
    fn read(&mut self) -> Result<Reading, SampleError> {
        let ids = self.ids();
        let mut memory = 0;
        let mut pids = 0;
        let mut read_any = false;
        let mut failure = None;
        for id in &ids {
            match self.read_one(id) {
                Ok(reading) => {
                    read_any = true;
                    memory += reading.memory_bytes;
                    pids += reading.pids;
                    self.last.insert(id.clone(), reading.cpu_ns);
                }
                Err(e) => failure = Some(e.to_string()),
            }
        }
        if !read_any {
            return Err(SampleError::Read {
                path: failure.unwrap_or_else(|| "no container to read".into()),
                source: std::io::Error::other("stats"),
            });
        }
        let cpu_us = self.last.values().sum::<u64>() / 1000;
        let kb = memory / 1024;
        self.peak_kb = self.peak_kb.max(kb);
        Ok(Reading {
            rss_kb: kb,
            pss_kb: None,
            hwm_kb: self.peak_kb,
            cpu_us,
            cpu_tick_us: cpu_us,
            threads: pids,
        })
    }
}

/// Waits until `check` holds or `timeout` passes; `true` when it held.
pub fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_paths_v1_and_v2() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let v1 = "4:memory:/docker/abc\n2:cpuacct:/docker/abc\n1:cpu:/docker/abc\n\
                  8:pids:/docker/abc\n0::/docker/abc\n";
        assert_eq!(
            Cgroup::parse(v1, root),
            Some(Cgroup::V1 {
                memory: root.join("memory/docker/abc"),
                cpuacct: root.join("cpuacct/docker/abc"),
                pids: root.join("pids/docker/abc"),
            })
        );
        // Controllers mounted together (`cpu,cpuacct`) are found in their joint folder.
        std::fs::create_dir_all(root.join("cpu,cpuacct/docker/abc")).unwrap();
        let joint = "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n8:pids:/docker/abc\n";
        let Some(Cgroup::V1 { cpuacct, .. }) = Cgroup::parse(joint, root) else {
            panic!("v1 expected");
        };
        assert_eq!(cpuacct, root.join("cpu,cpuacct/docker/abc"));
        // v2: one folder, which must hold the memory controller's files.
        let v2 = "0::/system.slice/docker-abc.scope\n";
        assert_eq!(Cgroup::parse(v2, root), None);
        let scope = root.join("system.slice/docker-abc.scope");
        std::fs::create_dir_all(&scope).unwrap();
        std::fs::write(scope.join("memory.current"), "1048576\n").unwrap();
        std::fs::write(scope.join("memory.stat"), "anon 1\ninactive_file 4096\n").unwrap();
        std::fs::write(scope.join("cpu.stat"), "usage_usec 1500\nuser_usec 1000\n").unwrap();
        std::fs::write(scope.join("pids.current"), "3\n").unwrap();
        let cgroup = Cgroup::parse(v2, root).unwrap();
        assert_eq!(cgroup, Cgroup::V2(scope));
        assert_eq!(
            cgroup.read().unwrap(),
            ContainerReading {
                memory_bytes: 1_048_576 - 4096,
                cpu_ns: 1_500_000,
                pids: 3,
            }
        );
    }

    #[test]
    fn working_set_is_usage_minus_inactive_file() {
        let v1 = HashMap::from([
            ("total_inactive_file".to_owned(), 300),
            ("inactive_file".to_owned(), 100),
        ]);
        assert_eq!(
            working_set(1000, &v1),
            700,
            "cgroup v1 uses the hierarchy total"
        );
        let v2 = HashMap::from([("inactive_file".to_owned(), 250)]);
        assert_eq!(working_set(1000, &v2), 750);
        assert_eq!(working_set(1000, &HashMap::new()), 1000);
        assert_eq!(working_set(100, &v2), 0, "never below zero");
    }
}
