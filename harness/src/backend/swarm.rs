//! The `swarm` backend: each service a Docker Swarm service of its stack's image, as in the blog
//! series: replicas from the scenario, resource limits, no restart (a crash stays visible),
//! ports published in host mode (or through the routing mesh, for real clusters).
//!
//! Boot is measured two ways: from the service's creation (what an operator waits for,
//! orchestration included) and from its task container's start.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, Limit, Mount, MountTmpfsOptions, MountType, ServiceSpec as SwarmSpec,
    ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec,
    TaskSpecContainerSpecPrivileges, TaskSpecResources, TaskSpecRestartPolicy,
    TaskSpecRestartPolicyConditionEnum, TaskState,
};
use bollard::query_parameters::{ListContainersOptionsBuilder, ListTasksOptionsBuilder};
use chrono::{DateTime, Utc};
use footprint_contract::ReadyLine;
use footprint_contract::service::free_port;

use super::docker::{
    ContainerSource, Containers, container_env, containers_of_run, ended_state, logs, object_name,
    remove_containers_of_run, started_at, wait_until,
};
use super::{Backend, BackendError, Closed, Instance, Limits, ServiceSpec};
use crate::docker::{Daemon, LABEL_RUN, api_message, label_filter, labels};
use crate::image::{Built, CONTAINER_PORT, Images};
use crate::sample::Source;
use crate::stacks::{Launch, Stack};

/// The label swarm puts on a task's container, naming its service.
const SERVICE_LABEL: &str = "com.docker.swarm.service.id";
/// How long a stopped service's containers may take to exit before they are killed.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Shortest interval between two looks at a service's tasks.
const CHECK_EVERY: Duration = Duration::from_millis(100);

/// How a swarm service's port is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publish {
    /// On the node running the task only (no routing mesh): what a benchmark wants.
    Host,
    /// Through the ingress routing mesh, on every node.
    Mesh,
}

/// Runs services as swarm services.
#[derive(Debug)]
pub struct SwarmBackend {
    daemon: Arc<Daemon>,
    run_id: String,
    limits: Limits,
    replicas: u32,
    publish: Publish,
    images: Images,
    /// Whether the harness made the swarm (and leaves it at the end).
    made_swarm: bool,
    closed: AtomicBool,
}

impl SwarmBackend {
    /// A backend making services on `daemon` (a swarm manager), labelled with `run_id`;
    /// `made_swarm` when the swarm was made for this run and is to be left at its end.
    pub fn new(
        daemon: Arc<Daemon>,
        run_id: &str,
        limits: Limits,
        replicas: u32,
        publish: Publish,
        images: Images,
        made_swarm: bool,
    ) -> Self {
        Self {
            daemon,
            run_id: run_id.to_owned(),
            limits,
            replicas,
            publish,
            images,
            made_swarm,
            closed: AtomicBool::new(false),
        }
    }
}

impl Drop for SwarmBackend {
    fn drop(&mut self) {
        self.close();
    }
}

/// Ids of the services carrying the run's label.
pub fn services_of_run(daemon: &Daemon, run_id: &str) -> Vec<String> {
    let options = bollard::query_parameters::ListServicesOptionsBuilder::default()
        .filters(&label_filter(LABEL_RUN, Some(run_id)))
        .build();
    daemon
        .block_on(daemon.docker.list_services(Some(options)))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| s.id)
        .collect()
}

impl Backend for SwarmBackend {
    fn name(&self) -> &'static str {
        "swarm"
    }

    fn memory_counter(&self) -> &'static str {
        "container memory"
    }

    fn image(&self, stack: &Stack, launch: &Launch) -> Result<Option<Built>, String> {
        self.images
            .make(stack, launch)
            .map(Some)
            .map_err(|e| e.to_string())
    }

    fn close(&self) -> Closed {
        let mut closed = Closed::default();
        if self.closed.swap(true, Ordering::SeqCst) {
            return closed;
        }
        for id in services_of_run(&self.daemon, &self.run_id) {
            remove_service(&self.daemon, &id);
            closed.done.push(format!("removed leftover service {id}"));
        }
        // Task containers go after their service; the images can only go after them.
        let daemon = Arc::clone(&self.daemon);
        let run_id = self.run_id.clone();
        wait_until(Duration::from_secs(15), || {
            containers_of_run(&daemon, &run_id).is_ok_and(|ids| ids.is_empty())
        });
        remove_containers_of_run(&self.daemon, &self.run_id, &mut closed);
        closed.extend(self.images.remove());
        if self.made_swarm {
            match self.daemon.leave_swarm() {
                Ok(()) => closed
                    .done
                    .push("left the single-node swarm made for this run".into()),
                Err(e) => closed
                    .left
                    .push(format!("could not leave the swarm made for this run: {e}")),
            }
        }
        closed
    }

    fn start(&self, spec: &ServiceSpec) -> Result<Box<dyn Instance>, BackendError> {
        let image = spec.image.clone().ok_or_else(|| BackendError::Docker {
            stack: spec.stack.clone(),
            why: "no image was built for it".into(),
        })?;
        let port = free_port().map_err(BackendError::Port)?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let labels = labels(&self.run_id, &spec.stack);
        let service = SwarmSpec {
            name: Some(object_name(&spec.stack)),
            labels: Some(labels.clone()),
            task_template: Some(TaskSpec {
                container_spec: Some(TaskSpecContainerSpec {
                    image: Some(image),
                    labels: Some(labels),
                    env: Some(container_env(spec)),
                    read_only: Some(true),
                    capability_drop: Some(vec!["ALL".into()]),
                    privileges: Some(TaskSpecContainerSpecPrivileges {
                        no_new_privileges: Some(true),
                        ..Default::default()
                    }),
                    mounts: Some(vec![Mount {
                        target: Some("/tmp".into()),
                        typ: Some(MountType::TMPFS),
                        tmpfs_options: Some(MountTmpfsOptions {
                            size_bytes: Some(64 << 20),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }]),
                    stop_grace_period: Some(STOP_GRACE.as_nanos() as i64),
                    ..Default::default()
                }),
                resources: Some(TaskSpecResources {
                    limits: Some(Limit {
                        nano_cpus: self.limits.nano_cpus,
                        memory_bytes: self.limits.memory_bytes,
                        pids: Some(self.limits.pids),
                    }),
                    ..Default::default()
                }),
                restart_policy: Some(TaskSpecRestartPolicy {
                    condition: Some(TaskSpecRestartPolicyConditionEnum::NONE),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            mode: Some(ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated {
                    replicas: Some(i64::from(self.replicas)),
                }),
                ..Default::default()
            }),
            endpoint_spec: Some(EndpointSpec {
                ports: Some(vec![EndpointPortConfig {
                    protocol: Some(EndpointPortConfigProtocolEnum::TCP),
                    target_port: Some(i64::from(CONTAINER_PORT)),
                    published_port: Some(i64::from(port)),
                    publish_mode: Some(match self.publish {
                        Publish::Host => EndpointPortConfigPublishModeEnum::HOST,
                        Publish::Mesh => EndpointPortConfigPublishModeEnum::INGRESS,
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let started = Instant::now();
        let created = self
            .daemon
            .block_on(self.daemon.docker.create_service(service, None))
            .map_err(|e| BackendError::Docker {
                stack: spec.stack.clone(),
                why: api_message(&e),
            })?;
        let id = created.id.unwrap_or_default();
        Ok(Box::new(ServiceInstance {
            daemon: Arc::clone(&self.daemon),
            id,
            addr,
            started,
            checked: None,
            ended: None,
            ready: None,
            removed: false,
        }))
    }
}

/// The ids of the running containers of a service's tasks.
pub fn task_containers(daemon: &Daemon, service: &str) -> Vec<String> {
    let options = ListContainersOptionsBuilder::default()
        .filters(&std::collections::HashMap::from([(
            "label".to_owned(),
            vec![format!("{SERVICE_LABEL}={service}")],
        )]))
        .build();
    let mut ids: Vec<String> = daemon
        .block_on(daemon.docker.list_containers(Some(options)))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| c.id)
        .collect();
    ids.sort();
    ids
}

/// Removes a service (errors ignored: it may be gone already).
pub fn remove_service(daemon: &Daemon, id: &str) {
    let _ = daemon.block_on(daemon.docker.delete_service(id));
}

struct ServiceInstance {
    daemon: Arc<Daemon>,
    id: String,
    addr: SocketAddr,
    started: Instant,
    checked: Option<Instant>,
    ended: Option<String>,
    ready: Option<ReadyLine>,
    removed: bool,
}

impl ServiceInstance {
    /// A task that ended or could not run, described; `None` while every task is pending or
    /// running.
    fn failed_task(&self) -> Option<String> {
        let options = ListTasksOptionsBuilder::default()
            .filters(&std::collections::HashMap::from([(
                "service".to_owned(),
                vec![self.id.clone()],
            )]))
            .build();
        let tasks = self
            .daemon
            .block_on(self.daemon.docker.list_tasks(Some(options)))
            .ok()?;
        tasks.into_iter().find_map(|task| {
            let status = task.status?;
            let state = status.state?;
            let over = matches!(
                state,
                TaskState::FAILED
                    | TaskState::REJECTED
                    | TaskState::COMPLETE
                    | TaskState::SHUTDOWN
                    | TaskState::ORPHANED
                    | TaskState::REMOVE
            );
            if !over {
                return None;
            }
            let container = status.container_status.and_then(|c| c.container_id);
            let described = container
                .as_deref()
                .and_then(|c| ended_state(&self.daemon, c))
                .unwrap_or_else(|| format!("task {state}"));
            Some(match status.err.filter(|e| !e.is_empty()) {
                Some(err) => format!("{described}; swarm: {err}"),
                None => described,
            })
        })
    }

    fn first_container(&self) -> Option<String> {
        task_containers(&self.daemon, &self.id).into_iter().next()
    }
}

impl Instance for ServiceInstance {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn started(&self) -> Instant {
        self.started
    }

    fn pid(&self) -> Option<u32> {
        None
    }

    fn source(&self) -> Box<dyn Source> {
        Box::new(ContainerSource::new(
            Arc::clone(&self.daemon),
            Containers::Service {
                service: self.id.clone(),
                found: Vec::new(),
                at: None,
            },
        ))
    }

    fn ready_line(&self) -> Option<ReadyLine> {
        self.ready.clone().or_else(|| {
            let container = self.first_container()?;
            logs(&self.daemon, &container, true)
                .iter()
                .find_map(|line| ReadyLine::parse(line))
        })
    }

    fn container_started(&self) -> Option<DateTime<Utc>> {
        started_at(&self.daemon, &self.first_container()?)
    }

    fn exited(&mut self) -> Option<String> {
        if self.ended.is_none() && self.checked.is_none_or(|at| at.elapsed() >= CHECK_EVERY) {
            self.checked = Some(Instant::now());
            self.ended = self.failed_task();
        }
        self.ended.clone()
    }

    fn stderr_tail(&self) -> String {
        self.first_container()
            .map(|c| logs(&self.daemon, &c, false).join("\n"))
            .unwrap_or_default()
    }

    fn stop(&mut self) -> String {
        if self.ready.is_none() {
            self.ready = self.ready_line();
        }
        let containers = task_containers(&self.daemon, &self.id);
        let ended = match self.exited() {
            Some(ended) => ended,
            None => {
                // Each task gets SIGTERM and the grace period, as `docker service rm` gives it;
                // how they ended is read before the service (and its tasks) are removed.
                let endings: Vec<String> = containers
                    .iter()
                    .map(|c| super::docker::stop_container(&self.daemon, c))
                    .collect();
                if endings.is_empty() {
                    "no running task".to_owned()
                } else {
                    endings.join("; ")
                }
            }
        };
        self.ended = Some(ended.clone());
        remove_service(&self.daemon, &self.id);
        self.removed = true;
        // Swarm removes the task containers after the service; wait so the next stack starts
        // on a quiet machine.
        let daemon = Arc::clone(&self.daemon);
        let id = self.id.clone();
        wait_until(Duration::from_secs(15), || {
            task_containers(&daemon, &id).is_empty() && gone(&daemon, &containers)
        });
        ended
    }
}

/// Whether every container in `ids` has been removed.
fn gone(daemon: &Daemon, ids: &[String]) -> bool {
    ids.iter().all(|id| {
        daemon
            .block_on(daemon.docker.inspect_container(
                id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            ))
            .is_err()
    })
}

impl Drop for ServiceInstance {
    fn drop(&mut self) {
        if !self.removed {
            remove_service(&self.daemon, &self.id);
        }
    }
}
