//! What the two container backends share: the daemon, the run's labels and images, and the
//! containers themselves: started, read (memory as `docker stats` counts it: usage minus the
//! inactive file cache, `total_inactive_file` on cgroup v1, `inactive_file` on v2), stopped
//! and removed. What the daemon says of a container is in [`inspect`], reading its memory and
//! CPU in [`source`].

pub mod inspect;
pub mod source;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use bollard::query_parameters::{RemoveContainerOptionsBuilder, StopContainerOptionsBuilder};
use footprint_contract::ReadyLine;

use super::daemon::{Daemon, LABEL_RUN, api_message, label_filter, labels};
use super::image::{Built, CONTAINER_PORT, ImageError, Images};
use super::{BackendError, BackendTraits, Closed, Limits, ServiceSpec};
use crate::sample::Source;
use crate::stacks::{Launch, Stack};
use inspect::{containers_of_run, ended_state, logs};
use source::{ContainerSource, Containers};

/// Name of the memory counter of the container backends.
pub const CONTAINER_MEMORY: &str = "container memory";

/// How long a stopped container may take before the daemon kills it.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);

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
