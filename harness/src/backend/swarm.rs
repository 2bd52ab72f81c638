//! The `swarm` backend: each service a Docker Swarm service of its stack's image, as in the blog
//! series: replicas from the scenario, resource limits, no restart (a crash stays visible),
//! ports published in host mode (or through the routing mesh, for real clusters).
//!
//! Boot is measured two ways: from the service's creation (what an operator waits for,
//! orchestration included) and from its task container's start.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, EndpointSpecModeEnum, Limit, Mount, MountTmpfsOptions, MountType,
    NetworkAttachmentConfig, ResourceObject, ServiceSpec as SwarmSpec, ServiceSpecMode,
    ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec, TaskSpecContainerSpecPrivileges,
    TaskSpecPlacement, TaskSpecPlacementPreferences, TaskSpecPlacementSpread, TaskSpecResources,
    TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum, TaskState,
};
use bollard::query_parameters::{ListContainersOptionsBuilder, ListTasksOptionsBuilder};
use chrono::{DateTime, Utc};
use footprint_contract::ReadyLine;
use footprint_contract::service::free_port;

use super::container::{
    CONTAINER_MEMORY, Containers, DaemonRun, Started, cgroup_of, container_env, container_traits,
    containers_of_run, docker_error, ended_state, object_name, oom_killed, started_at,
    stop_container, wait_until,
};
use super::daemon::{Daemon, LABEL_RUN, label_filter};
use super::firewall::Firewall;
use super::image::{Built, CONTAINER_PORT, ImageError, Images};
use super::{
    Backend, BackendError, BackendTraits, Closed, ENGINE_MIN_MIB, Instance, Limits, LoadWorkers,
    MemoryEvents, ServiceSpec, WorkerSpec,
};
use crate::fleet::worker::{COORDINATOR_VAR, CPUS_VAR, NAME_VAR, NODE_VAR, TOKEN_VAR};
use crate::model::LimitBy;
use crate::sample::Source;
use crate::stacks::{Launch, Stack};

/// The backend's name, as results record it.
pub const NAME: &str = "swarm";

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
    run: DaemonRun,
    replicas: u32,
    publish: Publish,
    /// Whether the harness made the swarm (and leaves it at the end).
    made_swarm: bool,
    /// Docker's bridge to the overlay networks was there before the run (it is made with the
    /// first task on an overlay network, and outlives the swarm).
    gwbridge_before: bool,
    /// What keeps the published ports from other hosts.
    firewall: Box<dyn Firewall>,
}

/// The bridge Docker makes on a node for its containers on overlay networks.
const GWBRIDGE: &str = "docker_gwbridge";

/// Removes `docker_gwbridge`, which the daemon made for a swarm's overlay networks and keeps
/// after the swarm is left; or why not. Nothing to do when it is not there.
pub(crate) fn remove_gwbridge(daemon: &Daemon) -> Result<(), String> {
    if !daemon.network_exists(GWBRIDGE) {
        return Ok(());
    }
    daemon
        .block_on(daemon.docker.remove_network(GWBRIDGE))
        .map_err(|e| format!("{GWBRIDGE} (made for the swarm's overlay networks) not removed: {e}"))
}

/// Whether the kernel has IPVS, which a swarm service's virtual IP is balanced by.
fn has_ipvs() -> bool {
    std::path::Path::new("/sys/module/ip_vs").exists()
        || std::path::Path::new("/proc/net/ip_vs").exists()
}

/// How a swarm run's services are made, besides their images and limits.
#[derive(Debug)]
pub struct SwarmSettings {
    /// Replicas per service.
    pub replicas: u32,
    /// How their ports are published.
    pub publish: Publish,
    /// Whether the swarm was made for this run (and is to be left at its end).
    pub made_swarm: bool,
    /// What keeps the published ports from other hosts.
    pub firewall: Box<dyn Firewall>,
}

impl SwarmBackend {
    /// A backend making services on `daemon` (a swarm manager), labelled with `run_id`.
    pub fn new(
        daemon: Arc<Daemon>,
        run_id: &str,
        limits: Limits,
        images: Images,
        settings: SwarmSettings,
    ) -> Self {
        let gwbridge_before = daemon.network_exists(GWBRIDGE);
        let SwarmSettings {
            replicas,
            publish,
            made_swarm,
            firewall,
        } = settings;
        Self {
            run: DaemonRun::new(daemon, run_id, limits, images),
            replicas,
            publish,
            made_swarm,
            gwbridge_before,
            firewall,
        }
    }
}

impl Drop for SwarmBackend {
    fn drop(&mut self) {
        self.close();
    }
}

/// What the `swarm` backend is: containers as swarm tasks, boot from the service's creation, no
/// CPU pinning, ports on every interface.
pub fn traits() -> BackendTraits {
    let mut traits = container_traits("swarm", "the service's creation", false);
    traits.publishes_on_all_interfaces = true;
    traits.caveats.extend([
        "swarm services cannot be pinned to CPUs (no cpuset in a service spec): the service may \
         share the harness's CPU; its CPU limit still applies"
            .to_owned(),
        "the published port is open on every interface of the machine: a swarm port has no host \
         address, so publish_ip is ignored; to keep the services off the network, drop \
         connections from outside in Docker's DOCKER-USER chain, which sees packets after DNAT \
         and so matches the published port through conntrack: `iptables -I DOCKER-USER -i \
         <external interface> -p tcp -m conntrack --ctorigdstport <port> --ctdir ORIGINAL -j \
         DROP` (ports are picked free at each start: a range such as 1024:65535 covers them)"
            .to_owned(),
    ]);
    traits
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
        NAME
    }

    fn memory_counter(&self) -> &'static str {
        CONTAINER_MEMORY
    }

    fn traits(&self) -> BackendTraits {
        let mut traits = traits();
        if self.firewall.keeps_other_hosts_out() {
            traits.publishes_on_all_interfaces = false;
            traits
                .caveats
                .retain(|c| !c.starts_with("the published port is open on every interface"));
        }
        traits.caveats.push(self.firewall.describe());
        traits
    }

    fn image(&self, stack: &Stack, launch: &Launch) -> Result<Option<Built>, ImageError> {
        self.run.image(stack, launch)
    }

    fn landscape_network(&self) -> Result<Option<String>, BackendError> {
        self.run.network("overlay").map(Some)
    }

    fn downstream_url(&self, name: &str, _port: u16) -> String {
        format!("http://{name}:{CONTAINER_PORT}")
    }

    fn downstream_placement(&self) -> String {
        let how = if has_ipvs() {
            "swarm's DNS gives the service's virtual IP, balanced over its tasks by IPVS"
        } else {
            "swarm's DNS gives its tasks' own addresses (endpoint mode dnsrr): this kernel has no \
             IPVS, which a virtual IP needs"
        };
        format!(
            "a swarm service on an overlay network of the run's own, called by its service name \
             ({how}); not pinned"
        )
    }

    fn node_memory_mib(&self) -> Option<u64> {
        let daemon = &self.run.daemon;
        let info = daemon.block_on(daemon.docker.info()).ok()?;
        info.mem_total
            .and_then(|b| u64::try_from(b).ok())
            .map(|b| b >> 20)
    }

    fn close(&self) -> Closed {
        let (daemon, run_id) = (&self.run.daemon, &self.run.run_id);
        let Some(mut closed) = self.run.close(|closed| {
            for id in services_of_run(daemon, run_id) {
                remove_service(daemon, &id);
                closed.done.push(format!("removed leftover service {id}"));
            }
            // Task containers go after their service; the images can only go after them.
            wait_until(Duration::from_secs(15), || {
                containers_of_run(daemon, run_id).is_ok_and(|ids| ids.is_empty())
            });
        }) else {
            return Closed::default();
        };
        // The services are gone: their ports' rules can go.
        closed.left.extend(self.firewall.release());
        if self.made_swarm {
            match daemon.leave_swarm() {
                Ok(()) => {
                    closed
                        .done
                        .push("left the single-node swarm made for this run".into());
                    if !self.gwbridge_before && daemon.network_exists(GWBRIDGE) {
                        match remove_gwbridge(daemon) {
                            Ok(()) => closed.done.push(format!(
                                "removed {GWBRIDGE}, made by the daemon for the run's overlay network"
                            )),
                            Err(why) => closed.left.push(why),
                        }
                    }
                }
                Err(e) => closed
                    .left
                    .push(format!("could not leave the swarm made for this run: {e}")),
            }
        }
        closed
    }

    fn runs_load_workers(&self) -> bool {
        true
    }

    fn start_load_workers(&self, spec: &WorkerSpec) -> Result<Box<dyn LoadWorkers>, BackendError> {
        let image = spec.image.clone().ok_or_else(|| BackendError::Docker {
            stack: spec.stack.clone(),
            why: "no image was built for it".into(),
        })?;
        let labels = self.run.labels(&spec.stack);
        let name = object_name(&spec.stack);
        let mut env = vec![
            format!("{COORDINATOR_VAR}={}", spec.coordinator),
            // Readable by whoever may inspect the service, who may run containers anyway.
            format!("{TOKEN_VAR}={}", spec.token.as_str()),
            // Swarm's templates: each task names itself as `docker service ps` does.
            format!("{NAME_VAR}={{{{.Service.Name}}}}.{{{{.Task.Slot}}}}"),
            format!("{NODE_VAR}={{{{.Node.Hostname}}}}"),
        ];
        if !spec.cpus.is_empty() {
            let cpus: Vec<String> = spec.cpus.iter().map(usize::to_string).collect();
            env.push(format!("{CPUS_VAR}={}", cpus.join(",")));
        }
        let placement = spec.spread.then(|| TaskSpecPlacement {
            constraints: Some(vec![format!("node.labels.{LOAD_LABEL}==true")]),
            preferences: Some(vec![TaskSpecPlacementPreferences {
                spread: Some(TaskSpecPlacementSpread {
                    spread_descriptor: Some("node.id".into()),
                }),
            }]),
            ..Default::default()
        });
        let service = SwarmSpec {
            name: Some(name.clone()),
            labels: Some(labels.clone()),
            task_template: Some(TaskSpec {
                container_spec: Some(TaskSpecContainerSpec {
                    image: Some(image),
                    labels: Some(labels),
                    args: Some(spec.args.clone()),
                    env: Some(env),
                    read_only: Some(true),
                    capability_drop: Some(vec!["ALL".into()]),
                    privileges: Some(TaskSpecContainerSpecPrivileges {
                        no_new_privileges: Some(true),
                        ..Default::default()
                    }),
                    stop_grace_period: Some(STOP_GRACE.as_nanos() as i64),
                    ..Default::default()
                }),
                // No CPU limit: a worker's figures say when it ran out of CPU; memory bounded.
                resources: Some(TaskSpecResources {
                    limits: Some(Limit {
                        memory_bytes: Some(WORKER_MEMORY_MIB << 20),
                        pids: Some(self.run.limits.pids.max(256)),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                restart_policy: Some(TaskSpecRestartPolicy {
                    condition: Some(TaskSpecRestartPolicyConditionEnum::NONE),
                    ..Default::default()
                }),
                placement,
                // The node's own network: the workers reach the services' published ports
                // and the coordinator as the harness does.
                networks: Some(vec![NetworkAttachmentConfig {
                    target: Some("host".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            mode: Some(ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated {
                    replicas: Some(i64::from(spec.replicas)),
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let daemon = &self.run.daemon;
        let created = daemon
            .block_on(daemon.docker.create_service(service, None))
            .map_err(|e| docker_error(&spec.stack, &e))?;
        Ok(Box::new(Workers {
            daemon: Arc::clone(daemon),
            id: created.id.unwrap_or_default(),
            name,
            spread: spec.spread,
            removed: false,
        }))
    }

    fn start(&self, spec: &ServiceSpec) -> Result<Box<dyn Instance>, BackendError> {
        let image = self.run.image_of(spec)?;
        let port = match spec.landscape.port {
            Some(port) => port,
            None => free_port().map_err(BackendError::Port)?,
        };
        let replicas = spec.landscape.replicas.unwrap_or(self.replicas);
        // Several tasks of one service cannot share a host port on one node: they are
        // published through the routing mesh instead.
        let downstream = spec.landscape.name.is_some();
        // A downstream is called by its name: through a virtual IP where the kernel has IPVS,
        // else by DNS round robin, which cannot be published through the mesh.
        let round_robin = downstream && !has_ipvs();
        let publish = if replicas > 1 && downstream {
            if round_robin {
                return Err(BackendError::Docker {
                    stack: spec.stack.clone(),
                    why: format!(
                        "{replicas} replicas of a downstream on one node are published through \
                         the routing mesh and called through a virtual IP, and this kernel has \
                         no IPVS, which both need: set [downstream] replicas = 1"
                    ),
                });
            }
            Publish::Mesh
        } else {
            self.publish
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let labels = self.run.labels(&spec.stack);
        // A service's own limit is also its reservation: the scheduler then places no more
        // of them on a node than its memory holds.
        let memory = match spec.memory_mib {
            Some(mib) if mib < ENGINE_MIN_MIB => {
                return Err(BackendError::Docker {
                    stack: spec.stack.clone(),
                    why: format!(
                        "a swarm service cannot be limited to {mib} MiB: the engine's minimum is \
                         {ENGINE_MIN_MIB} MiB"
                    ),
                });
            }
            Some(mib) => Some(i64::from(mib) << 20),
            None => self.run.limits.memory_bytes,
        };
        let service = SwarmSpec {
            name: Some(
                spec.landscape
                    .name
                    .clone()
                    .unwrap_or_else(|| object_name(&spec.stack)),
            ),
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
                        nano_cpus: self.run.limits.nano_cpus,
                        memory_bytes: memory,
                        pids: Some(self.run.limits.pids),
                    }),
                    reservations: spec.memory_mib.map(|_| ResourceObject {
                        memory_bytes: memory,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                restart_policy: Some(TaskSpecRestartPolicy {
                    condition: Some(TaskSpecRestartPolicyConditionEnum::NONE),
                    ..Default::default()
                }),
                networks: spec.landscape.network.as_ref().map(|network| {
                    vec![NetworkAttachmentConfig {
                        target: Some(network.clone()),
                        ..Default::default()
                    }]
                }),
                ..Default::default()
            }),
            mode: Some(ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated {
                    replicas: Some(i64::from(replicas)),
                }),
                ..Default::default()
            }),
            endpoint_spec: Some(EndpointSpec {
                mode: round_robin.then_some(EndpointSpecModeEnum::DNSRR),
                ports: Some(vec![EndpointPortConfig {
                    protocol: Some(EndpointPortConfigProtocolEnum::TCP),
                    target_port: Some(i64::from(CONTAINER_PORT)),
                    published_port: Some(i64::from(port)),
                    publish_mode: Some(match publish {
                        Publish::Host => EndpointPortConfigPublishModeEnum::HOST,
                        Publish::Mesh => EndpointPortConfigPublishModeEnum::INGRESS,
                    }),
                    ..Default::default()
                }]),
            }),
            ..Default::default()
        };
        // Kept from other hosts before it is published.
        self.firewall
            .guard(port)
            .map_err(|why| BackendError::Docker {
                stack: spec.stack.clone(),
                why,
            })?;
        let daemon = &self.run.daemon;
        let started = Instant::now();
        let created = daemon
            .block_on(daemon.docker.create_service(service, None))
            .map_err(|e| docker_error(&spec.stack, &e))?;
        let id = created.id.unwrap_or_default();
        Ok(Box::new(ServiceInstance(
            Started::new(daemon, id, addr, started),
            memory.map(|_| LimitBy::Engine),
        )))
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

/// The node label that marks the nodes load workers may run on, with `--registry` (a
/// multi-node swarm): `docker node update --label-add footprint.load=true <node>`.
pub const LOAD_LABEL: &str = "footprint.load";

/// The memory limit of a load worker's task, MiB: its connections' buffers and histograms
/// (a few MiB at the rates one node sends) with room to spare.
const WORKER_MEMORY_MIB: i64 = 512;

/// The load workers' swarm service.
struct Workers {
    daemon: Arc<Daemon>,
    id: String,
    name: String,
    spread: bool,
    removed: bool,
}

impl LoadWorkers for Workers {
    fn placement(&self) -> String {
        if self.spread {
            format!(
                "a replicated swarm service on the host network of each node labelled \
                 {LOAD_LABEL}=true, spread over them"
            )
        } else {
            "a replicated swarm service on the host network of this node, each worker pinned to \
             the harness's CPUs"
                .into()
        }
    }

    fn service(&self) -> String {
        self.name.clone()
    }

    fn ended(&self) -> Option<String> {
        failed_task(&self.daemon, &self.id, None)
    }

    fn why_lost(&self, name: &str) -> Option<String> {
        let slot: i64 = name.rsplit_once('.')?.1.parse().ok()?;
        // Swarm sees a task's container end within a second or two.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(ended) = failed_task(&self.daemon, &self.id, Some(slot)) {
                return Some(ended);
            }
            if Instant::now() >= deadline {
                return Some("its task still runs (a network or a stalled process)".into());
            }
            std::thread::sleep(CHECK_EVERY);
        }
    }

    fn stop(&mut self) -> String {
        let containers = task_containers(&self.daemon, &self.id);
        let endings: Vec<String> = containers
            .iter()
            .map(|c| stop_container(&self.daemon, c))
            .collect();
        remove_service(&self.daemon, &self.id);
        self.removed = true;
        wait_until(Duration::from_secs(15), || {
            task_containers(&self.daemon, &self.id).is_empty() && gone(&self.daemon, &containers)
        });
        if endings.is_empty() {
            format!("{}: no task running", self.name)
        } else {
            format!("{}: {}", self.name, endings.join("; "))
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        if !self.removed {
            remove_service(&self.daemon, &self.id);
        }
    }
}

/// A swarm service's instance, and who enforces its memory limit.
struct ServiceInstance(Started, Option<LimitBy>);

/// A task of `service` (in `slot` only, when given) that ended or could not run, described;
/// `None` while every task is pending or running.
fn failed_task(daemon: &Daemon, service: &str, slot: Option<i64>) -> Option<String> {
    let options = ListTasksOptionsBuilder::default()
        .filters(&std::collections::HashMap::from([(
            "service".to_owned(),
            vec![service.to_owned()],
        )]))
        .build();
    let tasks = daemon
        .block_on(daemon.docker.list_tasks(Some(options)))
        .ok()?;
    tasks.into_iter().find_map(|task| {
        if slot.is_some_and(|slot| task.slot != Some(slot)) {
            return None;
        }
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
            .and_then(|c| ended_state(daemon, c))
            .unwrap_or_else(|| format!("task {state}"));
        Some(match status.err.filter(|e| !e.is_empty()) {
            Some(err) => format!("{described}; swarm: {err}"),
            None => described,
        })
    })
}

impl ServiceInstance {
    fn first_container(&self) -> Option<String> {
        task_containers(&self.0.daemon, &self.0.id)
            .into_iter()
            .next()
    }
}

impl Instance for ServiceInstance {
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
        self.0.source(Containers::Service {
            service: self.0.id.clone(),
            found: Vec::new(),
            at: None,
        })
    }

    fn ready_line(&self) -> Option<ReadyLine> {
        self.0.ready_line(self.first_container())
    }

    fn container_started(&self) -> Option<DateTime<Utc>> {
        started_at(&self.0.daemon, &self.first_container()?)
    }

    fn memory_events(&mut self) -> MemoryEvents {
        let daemon = &self.0.daemon;
        // Every task container, an exited one too: the daemon keeps its OOMKilled.
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&std::collections::HashMap::from([(
                "label".to_owned(),
                vec![format!("{SERVICE_LABEL}={}", self.0.id)],
            )]))
            .build();
        let ids: Vec<String> = daemon
            .block_on(daemon.docker.list_containers(Some(options)))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|c| c.id)
            .collect();
        let counters = ids
            .first()
            .and_then(|id| cgroup_of(daemon, id))
            .map(|c| c.memory_counters())
            .unwrap_or_default();
        MemoryEvents {
            limit_by: self.1,
            oom_killed: ids.iter().any(|id| oom_killed(daemon, id)),
            oom_kills: counters.oom_kills,
            failcnt: counters.failcnt,
            max_usage_kb: counters.max_usage_kb,
        }
    }

    fn exited(&mut self) -> Option<String> {
        self.0.exited(CHECK_EVERY, |daemon, service| {
            failed_task(daemon, service, None)
        })
    }

    fn stderr_tail(&self) -> String {
        self.0.stderr_tail(self.first_container())
    }

    fn stop(&mut self) -> String {
        if self.0.ready.is_none() {
            self.0.ready = self.ready_line();
        }
        let daemon = Arc::clone(&self.0.daemon);
        let containers = task_containers(&daemon, &self.0.id);
        let ended = match self.exited() {
            Some(ended) => ended,
            None => {
                // Each task gets SIGTERM and the grace period, as `docker service rm` gives it;
                // how they ended is read before the service (and its tasks) are removed.
                let endings: Vec<String> = containers
                    .iter()
                    .map(|c| stop_container(&daemon, c))
                    .collect();
                if endings.is_empty() {
                    "no running task".to_owned()
                } else {
                    endings.join("; ")
                }
            }
        };
        self.0.ended = Some(ended.clone());
        remove_service(&daemon, &self.0.id);
        self.0.removed = true;
        // Swarm removes the task containers after the service; wait so the next stack starts
        // on a quiet machine.
        let id = &self.0.id;
        wait_until(Duration::from_secs(15), || {
            task_containers(&daemon, id).is_empty() && gone(&daemon, &containers)
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
        if !self.0.removed {
            remove_service(&self.0.daemon, &self.0.id);
        }
    }
}
