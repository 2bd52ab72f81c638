//! What the daemon says of containers: a container's state, how it ended, when it started and
//! what it wrote; which containers a run or a swarm service has.

use bollard::models::ContainerState;
use bollard::query_parameters::{
    InspectContainerOptions, ListContainersOptionsBuilder, LogsOptionsBuilder,
};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use crate::backend::daemon::{Daemon, LABEL_RUN, api_message, label_filter};

/// Lines of a container's stderr kept for error messages.
const STDERR_LINES: &str = "40";

/// The containers of a run could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("the containers of run {run_id} could not be listed: {why}")]
pub struct ListError {
    /// The run.
    pub run_id: String,
    /// The daemon's message.
    pub why: String,
}

/// A container's state as the daemon reports it; `None` when it cannot be inspected.
pub(crate) fn state(daemon: &Daemon, id: &str) -> Option<ContainerState> {
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

/// The label swarm puts on a task's container, naming its service.
pub(crate) const SERVICE_LABEL: &str = "com.docker.swarm.service.id";

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
