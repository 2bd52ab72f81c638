//! A swarm service's tasks as the daemon reports them: one that ended or could not run, whether
//! their containers are gone; and removing the service.

use std::time::Duration;

use bollard::models::TaskState;
use bollard::query_parameters::ListTasksOptionsBuilder;

use crate::backend::container::inspect::ended_state;
use crate::backend::daemon::Daemon;

/// How long a stopped service's containers may take to exit before they are killed.
pub(super) const STOP_GRACE: Duration = Duration::from_secs(5);
/// Shortest interval between two looks at a service's tasks.
pub(super) const CHECK_EVERY: Duration = Duration::from_millis(100);

/// Removes a service (errors ignored: it may be gone already).
pub fn remove_service(daemon: &Daemon, id: &str) {
    let _ = daemon.block_on(daemon.docker.delete_service(id));
}

/// A task of `service` (in `slot` only, when given) that ended or could not run, described;
/// `None` while every task is pending or running.
pub(super) fn failed_task(daemon: &Daemon, service: &str, slot: Option<i64>) -> Option<String> {
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

/// Whether every container in `ids` has been removed.
pub(super) fn gone(daemon: &Daemon, ids: &[String]) -> bool {
    ids.iter().all(|id| {
        daemon
            .block_on(daemon.docker.inspect_container(
                id,
                None::<bollard::query_parameters::InspectContainerOptions>,
            ))
            .is_err()
    })
}
