//! Which backend a run uses: asked for by name, or picked (`auto`): swarm where the daemon is a
//! swarm manager, docker where a daemon answers, local otherwise. Every refusal happens here,
//! before anything starts.

use std::path::PathBuf;
use std::sync::Arc;

use super::daemon::{Daemon, DaemonError, SwarmState};
use super::docker::DockerBackend;
use super::firewall::{Exposed, Firewall, Iptables};
use super::image::Images;
use super::local::Local;
use super::swarm::{Publish, SwarmBackend, SwarmSettings};
use super::{Backend, Limits};

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

impl Kind {
    /// The backend named `name` (`auto`, `local`, `docker`, `swarm`); `None` for any other.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "auto" => Some(Self::Auto),
            "local" => Some(Self::Local),
            "docker" => Some(Self::Docker),
            "swarm" => Some(Self::Swarm),
            _ => None,
        }
    }
}

/// Why the backend asked for cannot be used; each says what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// No daemon answers, or it failed a call.
    #[error(transparent)]
    Daemon(#[from] DaemonError),
    /// The daemon is a swarm worker.
    #[error(
        "the Docker daemon at {host} is a swarm worker: services can only be created on a \
         manager; run the harness against a manager (DOCKER_HOST)"
    )]
    SwarmWorker {
        /// Where the daemon was reached.
        host: String,
    },
    /// A single-node swarm could not be made.
    #[error("cannot make a single-node swarm (node state {state}): {source}")]
    InitSwarm {
        /// The node's state before.
        state: String,
        /// Why.
        source: DaemonError,
    },
    /// The published ports cannot be kept from other hosts.
    #[error("{0}")]
    Firewall(String),
    /// The daemon is in no swarm and none is to be made.
    #[error(
        "the Docker daemon at {host} is not in swarm mode (node state: {state}); make this \
         machine a single-node swarm with `docker swarm init --advertise-addr 127.0.0.1` \
         (leave it later with `docker swarm leave --force`), or pass --init-swarm to do both \
         for this run"
    )]
    NoSwarm {
        /// Where the daemon was reached.
        host: String,
        /// The node's state.
        state: String,
    },
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
    /// Leave published ports open to other hosts (swarm), instead of dropping what comes
    /// from outside.
    pub expose: bool,
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
pub fn select(choice: &Choice, run_id: &str) -> Result<Selected, SelectError> {
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
            let daemon = Arc::new(Daemon::connect()?);
            let why = format!(
                "docker, as asked: each service a container ({} at {})",
                daemon.version, daemon.host
            );
            Ok(docker(choice, run_id, daemon, why))
        }
        Kind::Swarm => {
            let daemon = Arc::new(Daemon::connect()?);
            let made = match daemon.swarm_state()? {
                SwarmState::Active { manager: true } => false,
                SwarmState::Active { manager: false } => {
                    return Err(SelectError::SwarmWorker {
                        host: daemon.host.clone(),
                    });
                }
                SwarmState::Inactive(state) if choice.init_swarm => {
                    daemon
                        .init_swarm(run_id)
                        .map_err(|source| SelectError::InitSwarm { state, source })?;
                    true
                }
                SwarmState::Inactive(state) => {
                    return Err(SelectError::NoSwarm {
                        host: daemon.host.clone(),
                        state,
                    });
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
            swarm(choice, run_id, daemon, made, why)
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
                    swarm(choice, run_id, daemon, false, why)
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

fn swarm(
    choice: &Choice,
    run_id: &str,
    daemon: Arc<Daemon>,
    made: bool,
    why: String,
) -> Result<Selected, SelectError> {
    let firewall: Box<dyn Firewall> = if choice.expose {
        Box::new(Exposed)
    } else {
        match Iptables::new(run_id) {
            Ok(firewall) => Box::new(firewall),
            Err(why) => {
                if made {
                    // Refused: the swarm made a moment ago goes too.
                    let _ = daemon.leave_swarm();
                }
                return Err(SelectError::Firewall(why));
            }
        }
    };
    let version = daemon.version.clone();
    let images = images(choice, run_id, &daemon);
    Ok(Selected {
        backend: Box::new(SwarmBackend::new(
            daemon,
            run_id,
            choice.limits.clone(),
            images,
            SwarmSettings {
                replicas: choice.replicas,
                publish: choice.publish,
                made_swarm: made,
                firewall,
            },
        )),
        why,
        daemon: Some(version),
    })
}
