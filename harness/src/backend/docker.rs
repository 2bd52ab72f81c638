//! The `docker` backend: each service a container of its stack's minimal image, with the
//! scenario's limits, published on `127.0.0.1:<free port>`, hardened (non-root, read-only
//! root file system, no capabilities, no new privileges, a pids limit).
//!
//! Memory is read from the container's stats as `docker stats` counts it: usage minus the
//! inactive file cache (`total_inactive_file` on cgroup v1, `inactive_file` on v2); see
//! [`super::container`].

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::CreateContainerOptionsBuilder;
use chrono::{DateTime, Utc};
use footprint_contract::ReadyLine;
use footprint_contract::service::free_port;

use super::container::{
    CONTAINER_MEMORY, Containers, DaemonRun, Started, container_env, container_traits,
    docker_error, ended_state, object_name, remove_container, started_at, stop_container,
};
use super::daemon::Daemon;
use super::image::{Built, CONTAINER_PORT, ImageError, Images};
use super::{Backend, BackendError, BackendTraits, Closed, Instance, Limits, ServiceSpec};
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

    fn start(&self, spec: &ServiceSpec) -> Result<Box<dyn Instance>, BackendError> {
        let tag = self.run.image_of(spec)?;
        // By id: a run beside this one may rebuild the same tag and remove its own build.
        let image = self.run.images.id_of(&tag).unwrap_or(tag);
        let port = free_port().map_err(BackendError::Port)?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let exposed = format!("{CONTAINER_PORT}/tcp");
        let cpuset = (!spec.cpus.is_empty()).then(|| {
            spec.cpus
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(",")
        });
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
                memory: self.run.limits.memory_bytes,
                memory_swap: self.run.limits.memory_bytes,
                nano_cpus: self.run.limits.nano_cpus,
                cpuset_cpus: cpuset,
                pids_limit: Some(self.run.limits.pids),
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
            .name(&object_name(&spec.stack))
            .build();
        let created = daemon
            .block_on(daemon.docker.create_container(Some(options), body))
            .map_err(|e| docker_error(&spec.stack, &e))?;
        let started = Instant::now();
        if let Err(e) = daemon.block_on(daemon.docker.start_container(&created.id, None)) {
            let _ = remove_container(daemon, &created.id);
            return Err(docker_error(&spec.stack, &e));
        }
        Ok(Box::new(ContainerInstance(Started::new(
            daemon, created.id, addr, started,
        ))))
    }
}

struct ContainerInstance(Started);

impl Instance for ContainerInstance {
    fn addr(&self) -> SocketAddr {
        self.0.addr
    }

    fn started(&self) -> Instant {
        self.0.started
    }

    fn pid(&self) -> Option<u32> {
        None
    }

    fn source(&self) -> Box<dyn Source> {
        self.0.source(Containers::Fixed(vec![self.0.id.clone()]))
    }

    fn ready_line(&self) -> Option<ReadyLine> {
        self.0.ready_line(Some(self.0.id.clone()))
    }

    fn container_started(&self) -> Option<DateTime<Utc>> {
        started_at(&self.0.daemon, &self.0.id)
    }

    fn exited(&mut self) -> Option<String> {
        self.0.exited(CHECK_EVERY, ended_state)
    }

    fn stderr_tail(&self) -> String {
        self.0.stderr_tail(Some(self.0.id.clone()))
    }

    fn stop(&mut self) -> String {
        if self.0.ready.is_none() {
            self.0.ready = self.ready_line();
        }
        let ended = match self.exited() {
            Some(ended) => ended,
            None => stop_container(&self.0.daemon, &self.0.id),
        };
        let ended = match remove_container(&self.0.daemon, &self.0.id) {
            Ok(()) => {
                self.0.removed = true;
                ended
            }
            Err(e) => format!("{ended}; container not removed: {}", e.why),
        };
        self.0.ended = Some(ended.clone());
        ended
    }
}

impl Drop for ContainerInstance {
    fn drop(&mut self) {
        if !self.0.removed {
            let _ = remove_container(&self.0.daemon, &self.0.id);
        }
    }
}
