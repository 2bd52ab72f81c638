//! The `docker` backend: each service a container of its stack's minimal image, with the
//! scenario's limits, published on `127.0.0.1:<free port>`, hardened (non-root, read-only
//! root file system, no capabilities, no new privileges, a pids limit).
//!
//! Memory is read from the container's stats as `docker stats` counts it: usage minus the
//! inactive file cache (`total_inactive_file` on cgroup v1, `inactive_file` on v2); see
//! [`super::container`].

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::CreateContainerOptionsBuilder;
use chrono::{DateTime, Utc};
use footprint_contract::ReadyLine;
use footprint_contract::service::free_port;

use super::cgroup::{self, MemoryCgroup};
use super::container::inspect::{ended_state, oom_killed, started_at};
use super::container::source::{Containers, cgroup_of};
use super::container::{
    CONTAINER_MEMORY, DaemonRun, Started, container_env, container_traits, docker_error,
    object_name, remove_container, stop_container,
};
use super::daemon::Daemon;
use super::image::{Built, CONTAINER_PORT, ImageError, Images};
use super::{
    Backend, BackendError, BackendTraits, Closed, ENGINE_MIN_MIB, Instance, Limits, MemoryEvents,
    ServiceSpec,
};
use crate::model::LimitBy;
use crate::sample::Source;
use crate::stacks::{Launch, Stack};

/// The backend's name, as results record it.
pub const NAME: &str = "docker";

/// Shortest interval between two state checks of a container (each is an API call).
const CHECK_EVERY: Duration = Duration::from_millis(50);

/// Runs services as containers.
#[derive(Debug)]
pub struct DockerBackend {
    run: DaemonRun,
}

impl DockerBackend {
    /// A backend making containers on `daemon`, labelled with `run_id`.
    pub fn new(daemon: Arc<Daemon>, run_id: &str, limits: Limits, images: Images) -> Self {
        Self {
            run: DaemonRun::new(daemon, run_id, limits, images),
        }
    }
}

impl Drop for DockerBackend {
    fn drop(&mut self) {
        self.close();
    }
}

/// What the `docker` backend is: containers, pinned where asked, boot from the start call.
pub fn traits() -> BackendTraits {
    container_traits("docker", "the start call", true)
}

impl Backend for DockerBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn memory_counter(&self) -> &'static str {
        CONTAINER_MEMORY
    }

    fn traits(&self) -> BackendTraits {
        traits()
    }

    fn image(&self, stack: &Stack, launch: &Launch) -> Result<Option<Built>, ImageError> {
        self.run.image(stack, launch)
    }

    fn close(&self) -> Closed {
        self.run.close(|_| {}).unwrap_or_default()
    }

    fn landscape_network(&self) -> Result<Option<String>, BackendError> {
        self.run.network("bridge").map(Some)
    }

    fn downstream_url(&self, name: &str, _port: u16) -> String {
        format!("http://{name}:{CONTAINER_PORT}")
    }

    fn downstream_placement(&self) -> String {
        "a container on the harness's CPUs, on a network of the run's own, called by its \
         container name"
            .to_owned()
    }

    fn memory_floor_mib(&self) -> Result<u32, String> {
        // Under the engine's minimum, the limit goes into a cgroup the harness makes.
        Ok(match cgroup::can_make(Path::new(cgroup::ROOT)) {
            Ok(_) => 1,
            Err(_) => ENGINE_MIN_MIB,
        })
    }

    fn start(&self, spec: &ServiceSpec) -> Result<Box<dyn Instance>, BackendError> {
        let tag = self.run.image_of(spec)?;
        // By id: a run beside this one may rebuild the same tag and remove its own build.
        let image = self.run.images.id_of(&tag).unwrap_or(tag);
        let port = match spec.landscape.port {
            Some(port) => port,
            None => free_port().map_err(BackendError::Port)?,
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let exposed = format!("{CONTAINER_PORT}/tcp");
        let cpuset = (!spec.cpus.is_empty()).then(|| {
            spec.cpus
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(",")
        });
        // The limit: the engine's own from its minimum up, else a cgroup of the harness's made
        // first and given as the container's parent, so it holds from the first instruction.
        let (memory, parent) = match spec.memory_mib {
            Some(mib) if mib < ENGINE_MIN_MIB => {
                // `footprint-<run>-<stack>-<random>`: `harness clean` tells them by the prefix.
                let name = format!(
                    "{}{}-{}",
                    cgroup::PREFIX,
                    self.run.run_id,
                    object_name(&spec.stack).trim_start_matches(cgroup::PREFIX)
                );
                let made = MemoryCgroup::make(Path::new(cgroup::ROOT), &name, u64::from(mib) << 20)
                    .map_err(|e| BackendError::Docker {
                        stack: spec.stack.clone(),
                        why: format!("cannot set a {mib} MiB limit in a cgroup of its own: {e}"),
                    })?;
                (None, Some(made))
            }
            Some(mib) => (Some(i64::from(mib) << 20), None),
            None => (self.run.limits.memory_bytes, None),
        };
        let limit_by = match (&parent, memory) {
            (Some(_), _) => Some(LimitBy::Cgroup),
            (None, Some(_)) => Some(LimitBy::Engine),
            (None, None) => None,
        };
        let body = ContainerCreateBody {
            image: Some(image),
            env: Some(container_env(spec)),
            labels: Some(self.run.labels(&spec.stack)),
            exposed_ports: Some(vec![exposed.clone()]),
            host_config: Some(HostConfig {
                port_bindings: Some(HashMap::from([(
                    exposed,
                    Some(vec![PortBinding {
                        host_ip: Some(self.run.limits.publish_ip.clone()),
                        host_port: Some(port.to_string()),
                    }]),
                )])),
                memory,
                memory_swap: memory,
                cgroup_parent: parent.as_ref().map(MemoryCgroup::parent_path),
                nano_cpus: self.run.limits.nano_cpus,
                cpuset_cpus: cpuset,
                pids_limit: Some(self.run.limits.pids),
                network_mode: spec.landscape.network.clone(),
                readonly_rootfs: Some(true),
                cap_drop: Some(vec!["ALL".into()]),
                security_opt: Some(vec!["no-new-privileges:true".into()]),
                tmpfs: Some(HashMap::from([(
                    "/tmp".to_owned(),
                    "rw,noexec,nosuid,nodev,size=64m".to_owned(),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        };
        let daemon = &self.run.daemon;
        let options = CreateContainerOptionsBuilder::default()
            .name(
                &spec
                    .landscape
                    .name
                    .clone()
                    .unwrap_or_else(|| object_name(&spec.stack)),
            )
            .build();
        let created = daemon
            .block_on(daemon.docker.create_container(Some(options), body))
            .map_err(|e| docker_error(&spec.stack, &e))?;
        let started = Instant::now();
        if let Err(e) = daemon.block_on(daemon.docker.start_container(&created.id, None)) {
            let _ = remove_container(daemon, &created.id);
            return Err(docker_error(&spec.stack, &e));
        }
        Ok(Box::new(ContainerInstance {
            started: Started::new(daemon, created.id, addr, started),
            limit_by,
            cgroup: parent,
        }))
    }
}

struct ContainerInstance {
    started: Started,
    limit_by: Option<LimitBy>,
    /// The harness's own cgroup holding the limit, when under the engine's minimum.
    cgroup: Option<MemoryCgroup>,
}

impl Instance for ContainerInstance {
    fn addr(&self) -> SocketAddr {
        self.started.addr
    }

    fn started(&self) -> Instant {
        self.started.started
    }

    fn pid(&self) -> Option<u32> {
        None
    }

    fn source(&self) -> Box<dyn Source> {
        self.started
            .source(Containers::Fixed(vec![self.started.id.clone()]))
    }

    fn ready_line(&self) -> Option<ReadyLine> {
        self.started.ready_line(Some(self.started.id.clone()))
    }

    fn container_started(&self) -> Option<DateTime<Utc>> {
        started_at(&self.started.daemon, &self.started.id)
    }

    fn memory_events(&mut self) -> MemoryEvents {
        // The harness's own cgroup outlives the container; the engine's is read while it runs.
        let counters = match &self.cgroup {
            Some(cgroup) => cgroup.counters(),
            None => cgroup_of(&self.started.daemon, &self.started.id)
                .map(|c| c.memory_counters())
                .unwrap_or_default(),
        };
        MemoryEvents {
            limit_by: self.limit_by,
            oom_killed: oom_killed(&self.started.daemon, &self.started.id)
                || counters.oom_kills.is_some_and(|n| n > 0),
            oom_kills: counters.oom_kills,
            failcnt: counters.failcnt,
            max_usage_kb: counters.max_usage_kb,
        }
    }

    fn exited(&mut self) -> Option<String> {
        self.started.exited(CHECK_EVERY, ended_state)
    }

    fn stderr_tail(&self) -> String {
        self.started.stderr_tail(Some(self.started.id.clone()))
    }

    fn stop(&mut self) -> String {
        if self.started.ready.is_none() {
            self.started.ready = self.ready_line();
        }
        let ended = match self.exited() {
            Some(ended) => ended,
            None => stop_container(&self.started.daemon, &self.started.id),
        };
        let ended = match remove_container(&self.started.daemon, &self.started.id) {
            Ok(()) => {
                self.started.removed = true;
                ended
            }
            Err(e) => format!("{ended}; container not removed: {}", e.why),
        };
        self.started.ended = Some(ended.clone());
        // The container's own cgroup is gone with it: the harness's parent can go too.
        match self.cgroup.as_mut().map(MemoryCgroup::remove) {
            Some(Err(why)) => format!("{ended}; {why}"),
            _ => ended,
        }
    }
}

impl Drop for ContainerInstance {
    fn drop(&mut self) {
        if !self.started.removed {
            let _ = remove_container(&self.started.daemon, &self.started.id);
        }
    }
}
