//! A stack's swarm service: its spec, and the instance it is once created (its tasks'
//! containers read, stopped and removed with it).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, EndpointSpecModeEnum, Limit, Mount, MountTmpfsOptions, MountType,
    NetworkAttachmentConfig, ResourceObject, ServiceSpec as SwarmSpec, ServiceSpecMode,
    ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec, TaskSpecContainerSpecPrivileges,
    TaskSpecResources, TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};
use bollard::query_parameters::ListContainersOptionsBuilder;
use chrono::{DateTime, Utc};
use footprint_contract::ReadyLine;

use super::tasks::{CHECK_EVERY, STOP_GRACE, failed_task, gone, remove_service};
use crate::backend::container::inspect::{SERVICE_LABEL, oom_killed, started_at, task_containers};
use crate::backend::container::source::{Containers, cgroup_of};
use crate::backend::container::{Started, container_env, object_name, stop_container, wait_until};
use crate::backend::image::CONTAINER_PORT;
use crate::backend::{Instance, Limits, MemoryEvents, ServiceSpec};
use crate::model::LimitBy;
use crate::sample::Source;

/// What a stack's swarm service is made of.
pub(super) struct Plan<'a> {
    /// The service to run.
    pub spec: &'a ServiceSpec,
    /// Its image.
    pub image: String,
    /// The labels of the service and its containers.
    pub labels: HashMap<String, String>,
    /// The scenario's container limits (CPU, tasks).
    pub limits: &'a Limits,
    /// Its memory limit, bytes.
    pub memory: Option<i64>,
    /// How many tasks.
    pub replicas: u32,
    /// The port it is published on.
    pub port: u16,
    /// How the port is published.
    pub publish: EndpointPortConfigPublishModeEnum,
    /// Called by DNS round robin rather than through a virtual IP.
    pub round_robin: bool,
}

impl Plan<'_> {
    /// The swarm service's spec: named (a downstream by its fixed name), labelled, its tasks
    /// replicated and its port published.
    pub(super) fn service(self) -> SwarmSpec {
        let spec = self.spec;
        SwarmSpec {
            name: Some(
                spec.landscape
                    .name
                    .clone()
                    .unwrap_or_else(|| object_name(&spec.stack)),
            ),
            labels: Some(self.labels.clone()),
            mode: Some(ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated {
                    replicas: Some(i64::from(self.replicas)),
                }),
                ..Default::default()
            }),
            endpoint_spec: Some(self.endpoint()),
            task_template: Some(self.task_template()),
            ..Default::default()
        }
    }

    /// Each task: its container (read-only, no capabilities, a small tmpfs on `/tmp`), its
    /// limits (a memory limit of its own is also its reservation), no restart (a crash stays
    /// visible), on the landscape's network when it has one.
    fn task_template(self) -> TaskSpec {
        let spec = self.spec;
        TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some(self.image),
                labels: Some(self.labels),
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
                    memory_bytes: self.memory,
                    pids: Some(self.limits.pids),
                }),
                reservations: spec.memory_mib.map(|_| ResourceObject {
                    memory_bytes: self.memory,
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
        }
    }

    /// Its port, published as planned; endpoint mode DNS round robin when it is called so.
    fn endpoint(&self) -> EndpointSpec {
        EndpointSpec {
            mode: self.round_robin.then_some(EndpointSpecModeEnum::DNSRR),
            ports: Some(vec![EndpointPortConfig {
                protocol: Some(EndpointPortConfigProtocolEnum::TCP),
                target_port: Some(i64::from(CONTAINER_PORT)),
                published_port: Some(i64::from(self.port)),
                publish_mode: Some(self.publish),
                ..Default::default()
            }]),
        }
    }
}

/// A swarm service's instance, and who enforces its memory limit.
pub(super) struct ServiceInstance(pub(super) Started, pub(super) Option<LimitBy>);

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

impl Drop for ServiceInstance {
    fn drop(&mut self) {
        if !self.0.removed {
            remove_service(&self.0.daemon, &self.0.id);
        }
    }
}
