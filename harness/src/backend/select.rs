//! Which backend a run uses: asked for by name, or picked (`auto`): swarm where the daemon is a
//! swarm manager, docker where a daemon answers, local otherwise. Every refusal happens here,
//! before anything starts.

use std::path::PathBuf;
use std::sync::Arc;

use super::docker::DockerBackend;
use super::local::Local;
use super::swarm::{Publish, SwarmBackend};
use super::{Backend, Limits};
use crate::docker::{Daemon, SwarmState};
use crate::image::Images;

/// The backend asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The best available.
    Auto,
    /// Child processes.
    Local,
    /// Containers.
    Docker,
    /// Swarm services.
    Swarm,
}

/// Everything the container backends need besides the run id.
#[derive(Debug, Clone)]
pub struct Choice {
    /// The backend asked for.
    pub kind: Kind,
    /// Make a single-node swarm for the run (and leave it afterwards) when there is none.
    pub init_swarm: bool,
    /// A registry (`HOST:PORT`) to push images to; services then refer to it.
    pub registry: Option<String>,
    /// Keep the images after the run.
    pub keep_images: bool,
    /// How swarm services publish their port.
    pub publish: Publish,
    /// Replicas per swarm service.
    pub replicas: u32,
    /// Container limits.
    pub limits: Limits,
    /// Folder for the JVM runtimes made by `jlink`.
    pub scratch: PathBuf,
}

/// The backend chosen, and why.
pub struct Selected {
    /// The backend.
    pub backend: Box<dyn Backend>,
    /// One line on why this one.
    pub why: String,
    /// The daemon's version, when one is used.
    pub daemon: Option<String>,
}

impl std::fmt::Debug for Selected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selected")
            .field("backend", &self.backend.name())
            .field("why", &self.why)
            .finish_non_exhaustive()
    }
}

/// Chooses and connects the backend for run `run_id`; an error says what to do instead.
pub fn select(choice: &Choice, run_id: &str) -> Result<Selected, String> {
    let local = |why: String| Selected {
        backend: Box::new(Local::new(run_id)),
        why,
        daemon: None,
    };
    match choice.kind {
        Kind::Local => Ok(local(
            "local, as asked: each service a child process".into(),
        )),
        Kind::Docker => {
            let daemon = Arc::new(Daemon::connect().map_err(|e| e.to_string())?);
            let why = format!(
                "docker, as asked: each service a container ({} at {})",
                daemon.version, daemon.host
            );
            Ok(docker(choice, run_id, daemon, why))
        }
        Kind::Swarm => {
            let daemon = Arc::new(Daemon::connect().map_err(|e| e.to_string())?);
            let made = match daemon.swarm_state().map_err(|e| e.to_string())? {
                SwarmState::Active { manager: true } => false,
                SwarmState::Active { manager: false } => {
                    return Err(format!(
                        "the Docker daemon at {} is a swarm worker: services can only be created \
                         on a manager; run the harness against a manager (DOCKER_HOST)",
                        daemon.host
                    ));
                }
                SwarmState::Inactive(state) if choice.init_swarm => {
                    daemon.init_swarm().map_err(|e| {
                        format!("cannot make a single-node swarm (node state {state}): {e}")
                    })?;
                    true
                }
                SwarmState::Inactive(state) => {
                    return Err(format!(
                        "the Docker daemon at {} is not in swarm mode (node state: {state}); \
                         make this machine a single-node swarm with `docker swarm init \
                         --advertise-addr 127.0.0.1` (leave it later with `docker swarm leave \
                         --force`), or pass --init-swarm to do both for this run",
                        daemon.host
                    ));
                }
            };
            let why = format!(
                "swarm, as asked: each service a swarm service ({} at {}{})",
                daemon.version,
                daemon.host,
                if made {
                    "; a single-node swarm made for this run, left at its end"
                } else {
                    ""
                }
            );
            Ok(swarm(choice, run_id, daemon, made, why))
        }
        Kind::Auto => {
            let daemon = match Daemon::connect() {
                Ok(daemon) => Arc::new(daemon),
                Err(e) => {
                    return Ok(local(format!(
                        "local (auto): each service a child process; no Docker daemon: {e}"
                    )));
                }
            };
            match daemon.swarm_state() {
                Ok(SwarmState::Active { manager: true }) => {
                    let why = format!(
                        "swarm (auto): the Docker daemon at {} is a swarm manager ({})",
                        daemon.host, daemon.version
                    );
                    Ok(swarm(choice, run_id, daemon, false, why))
                }
                _ => {
                    let why = format!(
                        "docker (auto): a Docker daemon answers at {} ({}), not a swarm manager; \
                         --backend local runs plain processes",
                        daemon.host, daemon.version
                    );
                    Ok(docker(choice, run_id, daemon, why))
                }
            }
        }
    }
}

fn images(choice: &Choice, run_id: &str, daemon: &Arc<Daemon>) -> Images {
    Images::new(
        Arc::clone(daemon),
        run_id,
        choice.registry.clone(),
        choice.keep_images,
        choice.scratch.clone(),
    )
}

fn docker(choice: &Choice, run_id: &str, daemon: Arc<Daemon>, why: String) -> Selected {
    let version = daemon.version.clone();
    let images = images(choice, run_id, &daemon);
    Selected {
        backend: Box::new(DockerBackend::new(
            daemon,
            run_id,
            choice.limits.clone(),
            images,
        )),
        why,
        daemon: Some(version),
    }
}

fn swarm(choice: &Choice, run_id: &str, daemon: Arc<Daemon>, made: bool, why: String) -> Selected {
    let version = daemon.version.clone();
    let images = images(choice, run_id, &daemon);
    Selected {
        backend: Box::new(SwarmBackend::new(
            daemon,
            run_id,
            choice.limits.clone(),
            choice.replicas,
            choice.publish,
            images,
            made,
        )),
        why,
        daemon: Some(version),
    }
}
