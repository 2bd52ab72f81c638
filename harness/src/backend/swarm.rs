//! The `swarm` backend: each service a Docker Swarm service of its stack's image, as in the blog
//! series: replicas from the scenario, resource limits, no restart (a crash stays visible),
//! ports published in host mode (or through the routing mesh, for real clusters).
//!
//! Boot is measured two ways: from the service's creation (what an operator waits for,
//! orchestration included) and from its task container's start.
//!
//! A stack's service is made in [`service`], the load workers' in [`workers`]; what both
//! learn of their tasks is in [`tasks`].

pub mod service;
pub mod tasks;
pub mod workers;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::models::EndpointPortConfigPublishModeEnum;
use footprint_contract::service::free_port;

use super::container::inspect::containers_of_run;
use super::container::{
    CONTAINER_MEMORY, DaemonRun, Started, container_traits, docker_error, wait_until,
};
use super::daemon::{Daemon, LABEL_RUN, label_filter};
use super::firewall::Firewall;
use super::image::{Built, CONTAINER_PORT, ImageError, Images};
use super::{
    Backend, BackendError, BackendTraits, Closed, ENGINE_MIN_MIB, Instance, Limits, LoadWorkers,
    ServiceSpec, WorkerSpec,
};
use crate::model::LimitBy;
use crate::stacks::{Launch, Stack};
use service::ServiceInstance;
use tasks::remove_service;

/// The backend's name, as results record it.
pub const NAME: &str = "swarm";

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
        workers::start(&self.run, spec)
    }

    fn start(&self, spec: &ServiceSpec) -> Result<Box<dyn Instance>, BackendError> {
        let image = self.run.image_of(spec)?;
        let port = match spec.landscape.port {
            Some(port) => port,
            None => free_port().map_err(BackendError::Port)?,
        };
        let replicas = spec.landscape.replicas.unwrap_or(self.replicas);
        let (publish, round_robin) = self.publishing(spec, replicas)?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let labels = self.run.labels(&spec.stack);
        let memory = memory_limit(spec, self.run.limits.memory_bytes)?;
        let plan = service::Plan {
            spec,
            image,
            labels,
            limits: &self.run.limits,
            memory,
            replicas,
            port,
            publish: publish.mode(),
            round_robin,
        };
        let service = plan.service();
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

impl SwarmBackend {
    /// How a service of `spec` with `replicas` tasks is published, and whether it is called by
    /// DNS round robin: several tasks of one service cannot share a host port on one node, so
    /// a downstream's are published through the routing mesh instead; a downstream is called
    /// by its name, through a virtual IP where the kernel has IPVS, else by DNS round robin,
    /// which cannot be published through the mesh.
    fn publishing(
        &self,
        spec: &ServiceSpec,
        replicas: u32,
    ) -> Result<(Publish, bool), BackendError> {
        let downstream = spec.landscape.name.is_some();
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
        Ok((publish, round_robin))
    }
}

impl Publish {
    /// The publish mode of a port published this way.
    fn mode(self) -> EndpointPortConfigPublishModeEnum {
        match self {
            Publish::Host => EndpointPortConfigPublishModeEnum::HOST,
            Publish::Mesh => EndpointPortConfigPublishModeEnum::INGRESS,
        }
    }
}

/// A service's memory limit, bytes: its own (which is also its reservation: the scheduler
/// then places no more of them on a node than its memory holds), else `scenario`'s
/// container limit; an error under the engine's minimum.
fn memory_limit(spec: &ServiceSpec, scenario: Option<i64>) -> Result<Option<i64>, BackendError> {
    match spec.memory_mib {
        Some(mib) if mib < ENGINE_MIN_MIB => Err(BackendError::Docker {
            stack: spec.stack.clone(),
            why: format!(
                "a swarm service cannot be limited to {mib} MiB: the engine's minimum is \
                 {ENGINE_MIN_MIB} MiB"
            ),
        }),
        Some(mib) => Ok(Some(i64::from(mib) << 20)),
        None => Ok(scenario),
    }
}
