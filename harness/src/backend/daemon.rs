//! The Docker daemon, reached through its API with bollard: one connection, its own small
//! runtime (the rest of the harness is synchronous), and the labels every object the harness
//! makes carries.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use bollard::Docker;

/// Label holding the run id on every container, service and image the harness makes.
pub const LABEL_RUN: &str = "footprint.run";
/// Label holding the stack's name.
pub const LABEL_STACK: &str = "footprint.stack";
/// Label holding the process id of the harness that made the object, for a reader of `docker
/// inspect` (whether its run is still going is its lock's to say: [`crate::lock`]).
pub const LABEL_PID: &str = "footprint.pid";
/// Label set to `true` on images kept after their run (`--keep-images`, `harness images`).
pub const LABEL_KEEP: &str = "footprint.keep";
/// Label of a swarm made by `--init-swarm`: the run that made it (so `harness clean` leaves a
/// swarm a dead run made, and never one that was there before).
pub const LABEL_MADE_BY: &str = "footprint.swarm-made-by-run";
/// Label of a swarm made by `--init-swarm`: whether `docker_gwbridge` was there before it.
pub const LABEL_GWBRIDGE_BEFORE: &str = "footprint.gwbridge-before";

/// How long the first answer of the daemon may take.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the daemon cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// No answer at the address.
    #[error(
        "cannot reach the Docker daemon at {host} ({why}); start it, or set DOCKER_HOST to \
         the daemon's address, or use --backend local"
    )]
    Unreachable {
        /// Where it was looked for.
        host: String,
        /// What went wrong.
        why: String,
    },
    /// A call failed.
    #[error("Docker API: {0}")]
    Api(String),
}

impl From<bollard::errors::Error> for DaemonError {
    fn from(e: bollard::errors::Error) -> Self {
        Self::Api(api_message(&e))
    }
}

/// The daemon's own message for a failed call, without bollard's wrapping where it has one.
pub fn api_message(e: &bollard::errors::Error) -> String {
    match e {
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        } => format!("{message} (HTTP {status_code})"),
        other => other.to_string(),
    }
}

/// Swarm state of the daemon's node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwarmState {
    /// Part of a swarm; `manager` when it can create services.
    Active {
        /// Whether this node is a manager.
        manager: bool,
    },
    /// Not in a swarm (or pending, locked, in error: anything but active).
    Inactive(String),
}

/// A connected daemon.
pub struct Daemon {
    /// The client.
    pub docker: Docker,
    runtime: tokio::runtime::Runtime,
    /// Where the daemon was reached (`DOCKER_HOST` or the default socket).
    pub host: String,
    /// The daemon's version and API version, for the record.
    pub version: String,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("host", &self.host)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Daemon {
    /// Connects to the daemon named by `DOCKER_HOST` (or the default socket), checks that it
    /// answers, and settles on an API version both sides speak.
    pub fn connect() -> Result<Self, DaemonError> {
        let host = std::env::var("DOCKER_HOST")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unix:///var/run/docker.sock".to_owned());
        let unreachable = |why: String| DaemonError::Unreachable {
            host: host.clone(),
            why,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("docker-api")
            .enable_all()
            .build()
            .map_err(|e| unreachable(format!("cannot start a runtime: {e}")))?;
        let docker = Docker::connect_with_defaults().map_err(|e| unreachable(api_message(&e)))?;
        let (docker, version) = runtime.block_on(async {
            let docker = tokio::time::timeout(PING_TIMEOUT, docker.negotiate_version())
                .await
                .map_err(|_| unreachable(format!("no answer within {PING_TIMEOUT:?}")))?
                .map_err(|e| unreachable(api_message(&e)))?;
            let version = tokio::time::timeout(PING_TIMEOUT, docker.version())
                .await
                .map_err(|_| unreachable(format!("no answer within {PING_TIMEOUT:?}")))?
                .map_err(|e| unreachable(api_message(&e)))?;
            Ok::<_, DaemonError>((docker, version))
        })?;
        let version = format!(
            "Docker Engine {} (API {})",
            version.version.unwrap_or_else(|| "?".into()),
            version.api_version.unwrap_or_else(|| "?".into())
        );
        Ok(Self {
            docker,
            runtime,
            host,
            version,
        })
    }

    /// Runs `future` on the daemon's runtime and waits for it; callable from any thread.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Whether the daemon's node is in a swarm.
    pub fn swarm_state(&self) -> Result<SwarmState, DaemonError> {
        let info = self.block_on(self.docker.info())?;
        let swarm = info.swarm.unwrap_or_default();
        let state = swarm
            .local_node_state
            .map(|s| s.to_string())
            .unwrap_or_else(|| "inactive".into());
        Ok(if state == "active" {
            SwarmState::Active {
                manager: swarm.control_available.unwrap_or(false),
            }
        } else {
            SwarmState::Inactive(state)
        })
    }

    /// Makes this daemon a single-node swarm manager listening on 127.0.0.1 only, labelled as
    /// made by run `run_id` ([`LABEL_MADE_BY`], [`LABEL_GWBRIDGE_BEFORE`]).
    pub fn init_swarm(&self, run_id: &str) -> Result<(), DaemonError> {
        let labels = HashMap::from([
            (LABEL_MADE_BY.to_owned(), run_id.to_owned()),
            (
                LABEL_GWBRIDGE_BEFORE.to_owned(),
                self.network_exists("docker_gwbridge").to_string(),
            ),
        ]);
        let request = bollard::models::SwarmInitRequest {
            listen_addr: Some("127.0.0.1:2377".into()),
            advertise_addr: Some("127.0.0.1".into()),
            force_new_cluster: Some(false),
            spec: Some(bollard::models::SwarmSpec {
                labels: Some(labels),
                ..Default::default()
            }),
            ..Default::default()
        };
        self.block_on(self.docker.init_swarm(request))?;
        Ok(())
    }

    /// The labels of the swarm this daemon manages; `None` outside a swarm (or on a worker).
    pub fn swarm_labels(&self) -> Option<HashMap<String, String>> {
        let swarm = self.block_on(self.docker.inspect_swarm()).ok()?;
        Some(swarm.spec.and_then(|s| s.labels).unwrap_or_default())
    }

    /// Whether a network named `name` exists.
    pub fn network_exists(&self, name: &str) -> bool {
        self.block_on(self.docker.inspect_network(
            name,
            None::<bollard::query_parameters::InspectNetworkOptions>,
        ))
        .is_ok()
    }

    /// Leaves the swarm (forced: a single-node manager cannot leave otherwise).
    pub fn leave_swarm(&self) -> Result<(), DaemonError> {
        let options = bollard::query_parameters::LeaveSwarmOptionsBuilder::default()
            .force(true)
            .build();
        self.block_on(self.docker.leave_swarm(Some(options)))?;
        Ok(())
    }
}

/// The labels of an object made for `stack` in run `run_id`.
pub fn labels(run_id: &str, stack: &str) -> HashMap<String, String> {
    HashMap::from([
        (LABEL_RUN.to_owned(), run_id.to_owned()),
        (LABEL_STACK.to_owned(), stack.to_owned()),
        (LABEL_PID.to_owned(), std::process::id().to_string()),
    ])
}

/// A filter matching objects that carry `label` (any value), or `label=value`.
pub fn label_filter(label: &str, value: Option<&str>) -> HashMap<String, Vec<String>> {
    let term = match value {
        Some(value) => format!("{label}={value}"),
        None => label.to_owned(),
    };
    HashMap::from([("label".to_owned(), vec![term])])
}
