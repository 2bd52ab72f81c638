//! `harness clean`: finds what crashed or killed runs left on the Docker daemon (services,
//! containers, images carrying the run label) and removes it. Objects of a run whose harness
//! is still alive on this machine are left alone.

use std::collections::HashMap;

use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, ListServicesOptionsBuilder,
    RemoveImageOptionsBuilder,
};

use crate::backend::docker::remove_container;
use crate::backend::swarm::remove_service;
use crate::docker::{
    Daemon, DaemonError, LABEL_KEEP, LABEL_PID, LABEL_RUN, LABEL_STACK, label_filter,
};

/// One object found, and what was done with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// `service`, `container` or `image`.
    pub kind: &'static str,
    /// Its id (short).
    pub id: String,
    /// Its run.
    pub run: String,
    /// Its stack.
    pub stack: String,
    /// What was done: removed, or why not.
    pub outcome: String,
}

/// Whether the harness that made an object still runs here (then its run is not a leftover).
fn alive(labels: &HashMap<String, String>) -> bool {
    let Some(pid) = labels.get(LABEL_PID).and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    if pid == std::process::id() {
        return false;
    }
    std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == "harness")
}

fn found(kind: &'static str, id: &str, labels: &HashMap<String, String>, outcome: String) -> Found {
    Found {
        kind,
        id: id.chars().take(12).collect(),
        run: labels.get(LABEL_RUN).cloned().unwrap_or_default(),
        stack: labels.get(LABEL_STACK).cloned().unwrap_or_default(),
        outcome,
    }
}

/// Removes the leftovers of runs whose harness is gone (or lists them with `dry_run`);
/// images kept on purpose (`--keep-images`) stay unless `images`.
pub fn clean(daemon: &Daemon, dry_run: bool, images: bool) -> Result<Vec<Found>, DaemonError> {
    let filter = label_filter(LABEL_RUN, None);
    let verdict = |labels: &HashMap<String, String>| {
        if alive(labels) {
            Err(format!(
                "left: its harness (pid {}) is still running",
                labels.get(LABEL_PID).map_or("?", String::as_str)
            ))
        } else if dry_run {
            Err("would be removed".to_owned())
        } else {
            Ok(())
        }
    };
    let mut all = Vec::new();

    // Swarm services first: their task containers go with them. A daemon outside a swarm
    // answers this call with an error, which means there are none.
    let options = ListServicesOptionsBuilder::default()
        .filters(&filter)
        .build();
    let services = daemon
        .block_on(daemon.docker.list_services(Some(options)))
        .unwrap_or_default();
    for service in services {
        let id = service.id.unwrap_or_default();
        let labels = service.spec.and_then(|s| s.labels).unwrap_or_default();
        let outcome = match verdict(&labels) {
            Ok(()) => {
                remove_service(daemon, &id);
                "removed".to_owned()
            }
            Err(why) => why,
        };
        all.push(found("service", &id, &labels, outcome));
    }

    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filter)
        .build();
    for container in daemon.block_on(daemon.docker.list_containers(Some(options)))? {
        let id = container.id.unwrap_or_default();
        let labels = container.labels.unwrap_or_default();
        let outcome = match verdict(&labels) {
            Ok(()) => {
                remove_container(daemon, &id);
                "removed".to_owned()
            }
            Err(why) => why,
        };
        all.push(found("container", &id, &labels, outcome));
    }

    let options = ListImagesOptionsBuilder::default().filters(&filter).build();
    for image in daemon.block_on(daemon.docker.list_images(Some(options)))? {
        let labels = image.labels;
        let id = image.id.trim_start_matches("sha256:").to_owned();
        let kept = labels.get(LABEL_KEEP).is_some_and(|k| k == "true");
        let outcome = if kept && !images {
            "left: kept on purpose (--images removes it)".to_owned()
        } else {
            match verdict(&labels) {
                Ok(()) => {
                    let options = RemoveImageOptionsBuilder::default().force(true).build();
                    match daemon.block_on(daemon.docker.remove_image(&id, Some(options), None)) {
                        Ok(_) => "removed".to_owned(),
                        Err(e) => format!("not removed: {}", crate::docker::api_message(&e)),
                    }
                }
                Err(why) => why,
            }
        };
        all.push(found("image", &id, &labels, outcome));
    }
    Ok(all)
}
