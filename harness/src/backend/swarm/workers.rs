//! The load workers on swarm: one replicated service of `harness worker` tasks, on the host
//! network of this node or spread over the nodes labelled for load.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::models::{
    Limit, NetworkAttachmentConfig, ServiceSpec as SwarmSpec, ServiceSpecMode,
    ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec, TaskSpecContainerSpecPrivileges,
    TaskSpecPlacement, TaskSpecPlacementPreferences, TaskSpecPlacementSpread, TaskSpecResources,
    TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};

use super::tasks::{CHECK_EVERY, STOP_GRACE, failed_task, gone, remove_service};
use crate::backend::container::inspect::task_containers;
use crate::backend::container::{DaemonRun, docker_error, object_name, stop_container, wait_until};
use crate::backend::daemon::Daemon;
use crate::backend::{BackendError, LoadWorkers, WorkerSpec};
use crate::fleet::worker::{COORDINATOR_VAR, CPUS_VAR, NAME_VAR, NODE_VAR, TOKEN_VAR};

/// The node label that marks the nodes load workers may run on, with `--registry` (a
/// multi-node swarm): `docker node update --label-add footprint.load=true <node>`.
pub const LOAD_LABEL: &str = "footprint.load";

/// The memory limit of a load worker's task, MiB: its connections' buffers and histograms
/// (a few MiB at the rates one node sends) with room to spare.
const WORKER_MEMORY_MIB: i64 = 512;

/// Starts `spec.replicas` load workers as one replicated swarm service of the run: each on its
/// node's own network, told where to report and the run's token, and named by its task.
pub(super) fn start(
    run: &DaemonRun,
    spec: &WorkerSpec,
) -> Result<Box<dyn LoadWorkers>, BackendError> {
    let image = spec.image.clone().ok_or_else(|| BackendError::Docker {
        stack: spec.stack.clone(),
        why: "no image was built for it".into(),
    })?;
    let labels = run.labels(&spec.stack);
    let name = object_name(&spec.stack);
    let service = SwarmSpec {
        name: Some(name.clone()),
        labels: Some(labels.clone()),
        task_template: Some(task_template(spec, image, labels, run.limits.pids)),
        mode: Some(ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated {
                replicas: Some(i64::from(spec.replicas)),
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let daemon = &run.daemon;
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

/// A worker's environment: where to report, the run's token, its own name and node (swarm's
/// templates, filled per task) and the CPUs to pin its load generator to.
fn env(spec: &WorkerSpec) -> Vec<String> {
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
    env
}

/// A worker's task: its container (read-only, no capabilities), a memory bound and no CPU
/// limit, no restart, spread over the nodes labelled for load when asked, on the node's own
/// network.
fn task_template(
    spec: &WorkerSpec,
    image: String,
    labels: HashMap<String, String>,
    pids: i64,
) -> TaskSpec {
    let placement = spec.spread.then(|| TaskSpecPlacement {
        constraints: Some(vec![format!("node.labels.{LOAD_LABEL}==true")]),
        preferences: Some(vec![TaskSpecPlacementPreferences {
            spread: Some(TaskSpecPlacementSpread {
                spread_descriptor: Some("node.id".into()),
            }),
        }]),
        ..Default::default()
    });
    TaskSpec {
        container_spec: Some(TaskSpecContainerSpec {
            image: Some(image),
            labels: Some(labels),
            args: Some(spec.args.clone()),
            env: Some(env(spec)),
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
                pids: Some(pids.max(256)),
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
    }
}

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
