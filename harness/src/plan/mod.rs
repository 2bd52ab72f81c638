//! The plan of a run: what `harness scenario` was asked (`PlanArgs`) and the scenario file,
//! made into what the run does (`Plan`): the stacks resolved (defaults, the landscape
//! variants' bases, the ladder's rungs), `--quick`, `--repeat` and `--node-mib` applied, and
//! every combination refused that can be refused without the outside world. [`build`] is
//! pure: it reads no file, starts nothing and prints nothing; what the user is to be told
//! comes back as [`Plan::notes`] or a [`PlanError`]. The few checks that need the backend a
//! run got are [`Plan::check_backend`].
//!
//! This module is the one place a stack's name is looked up in the stacks the harness knows.

mod checks;
mod error;
mod stacks;

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::backend::select::Kind;
use crate::backend::swarm::Publish;
use crate::scenario::Scenario;
use crate::stacks::Stack;

pub(crate) use checks::check_calibration;
pub(crate) use error::PlanError;

/// What the command line says about a run, before the scenario file is read into it.
#[derive(Debug, Clone)]
pub(crate) struct PlanArgs {
    /// `--stacks`: the stacks asked for, in order; `None` leaves the scenario's (or all).
    pub stacks: Option<Vec<String>>,
    /// `--rungs`: each stack named brings the feature ladder's rungs built on it.
    pub rungs: bool,
    /// `--quick`: every phase shortened for a smoke run.
    pub quick: bool,
    /// `--repeat`: the whole set of stacks this many times, instead of the scenario's.
    pub repeat: Option<u32>,
    /// `--node-mib`: a density scenario's node budget, MiB, instead of its `node_mib`.
    pub node_mib: Option<u32>,
    /// `--backend`: where services run (`auto` picks).
    pub backend: Kind,
    /// `--init-swarm`: make a single-node swarm for the run when the daemon is in none.
    pub init_swarm: bool,
    /// `--registry`: where images are pushed to and pulled from (`HOST:PORT`).
    pub registry: Option<String>,
    /// `--keep-images`: the images stay after the run.
    pub keep_images: bool,
    /// `--mesh`: swarm services published through the routing mesh.
    pub mesh: bool,
    /// `--expose`: the swarm's published ports left open to other hosts.
    pub expose: bool,
    /// `--load-workers`: how many load workers send the load, instead of the harness.
    pub load_workers: Option<u32>,
    /// `--coordinator`: where the load workers' coordinator listens.
    pub coordinator: Option<SocketAddr>,
    /// The project's root (stacks are built from it; results go under it by default).
    pub root: PathBuf,
    /// `--out`: the folder for results folders, instead of the project's `results/`.
    pub out: Option<PathBuf>,
    /// `--wait`: when another run holds the host, wait for it instead of refusing.
    pub wait: bool,
    /// `--quiet`: no progress output.
    pub quiet: bool,
}

impl Default for PlanArgs {
    /// No flag given, the project at the current folder.
    fn default() -> Self {
        Self {
            stacks: None,
            rungs: false,
            quick: false,
            repeat: None,
            node_mib: None,
            backend: Kind::Auto,
            init_swarm: false,
            registry: None,
            keep_images: false,
            mesh: false,
            expose: false,
            load_workers: None,
            coordinator: None,
            root: PathBuf::new(),
            out: None,
            wait: false,
            quiet: false,
        }
    }
}

/// Everything a run needs, decided and checked before anything starts.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// The scenario, with `--quick`, `--repeat`, `--rungs` and `--node-mib` applied.
    pub scenario: Scenario,
    /// The stacks to run, in order (each variant's base and each stack's rungs added).
    pub stacks: Vec<&'static Stack>,
    /// What the user is told before the run starts: the stacks measured besides those named.
    pub notes: Vec<String>,
    /// The backend asked for (`auto` picks once the run starts).
    pub backend: Kind,
    /// Make a single-node swarm for the run when the daemon is in none.
    pub init_swarm: bool,
    /// A registry (`HOST:PORT`) images are pushed to and services pull from.
    pub registry: Option<String>,
    /// Keep the images after the run.
    pub keep_images: bool,
    /// How swarm services publish their port.
    pub publish: Publish,
    /// Leave the swarm's published ports open to other hosts.
    pub expose: bool,
    /// Send the load from load workers (swarm services) instead of the harness.
    pub load_workers: Option<LoadWorkersPlan>,
    /// The project's root (for building).
    pub root: PathBuf,
    /// Where results folders go.
    pub out: PathBuf,
    /// No progress output.
    pub quiet: bool,
    /// When another run holds the host: wait for it instead of refusing.
    pub wait: bool,
}

/// The load workers a run sends its load from, when it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LoadWorkersPlan {
    /// How many.
    pub count: u32,
    /// The address the coordinator listens on, which the workers are given (port 0: a free
    /// one); on one node 127.0.0.1, on a multi-node swarm the manager's address.
    pub coordinator: SocketAddr,
    /// Spread over the nodes labelled for load (with a registry: a multi-node swarm).
    pub spread: bool,
}

impl Plan {
    /// The declaration of the plan's stack called `name`, if the plan runs it.
    pub(crate) fn stack(&self, name: &str) -> Option<&'static Stack> {
        self.stacks.iter().copied().find(|s| s.name == name)
    }

    /// The names of the stacks to run, in order.
    pub(crate) fn stack_names(&self) -> Vec<String> {
        self.stacks.iter().map(|s| s.name.to_owned()).collect()
    }
}

/// The plan of a run of `scenario` as `args` ask, or the first reason it cannot be run.
pub(crate) fn build(args: &PlanArgs, scenario: Scenario) -> Result<Plan, PlanError> {
    let scenario = adjust(args, scenario)?;
    let (stacks, notes) = stacks::resolve(args, &scenario)?;
    check_flags(args)?;
    checks::check_known_backend(args, &scenario)?;
    let load_workers = args.load_workers.map(|count| LoadWorkersPlan {
        count,
        coordinator: args
            .coordinator
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
        spread: args.registry.is_some(),
    });
    Ok(Plan {
        scenario,
        stacks,
        notes,
        backend: args.backend,
        init_swarm: args.init_swarm,
        registry: args.registry.clone(),
        keep_images: args.keep_images,
        publish: if args.mesh {
            Publish::Mesh
        } else {
            Publish::Host
        },
        expose: args.expose,
        load_workers,
        root: args.root.clone(),
        out: args
            .out
            .clone()
            .unwrap_or_else(|| args.root.join("results")),
        quiet: args.quiet,
        wait: args.wait,
    })
}

/// `scenario` with `--quick`, `--repeat`, `--rungs` and `--node-mib` applied.
fn adjust(args: &PlanArgs, scenario: Scenario) -> Result<Scenario, PlanError> {
    let mut scenario = if args.quick {
        scenario.quick()
    } else {
        scenario
    };
    if let Some(repeat) = args.repeat {
        scenario.repeat = repeat;
    }
    scenario.rungs |= args.rungs;
    if let Some(node_mib) = args.node_mib {
        let Some(density) = &mut scenario.density else {
            return Err(PlanError::NodeMibWithoutDensity {
                file: scenario.source.clone(),
            });
        };
        if let Some(limit) = density.limit_mib.filter(|l| *l > node_mib) {
            return Err(PlanError::NodeMibUnderReplica {
                node_mib,
                file: scenario.source.clone(),
                limit,
            });
        }
        density.node_mib = node_mib;
    }
    Ok(scenario)
}

/// Refuses backend flags that contradict each other or are malformed.
fn check_flags(args: &PlanArgs) -> Result<(), PlanError> {
    if args.init_swarm && args.backend != Kind::Swarm {
        return Err(PlanError::InitSwarmWithoutSwarm);
    }
    if let Some(registry) = &args.registry
        && !valid_registry(registry)
    {
        return Err(PlanError::Registry {
            registry: registry.clone(),
        });
    }
    Ok(())
}

/// `HOST:PORT` with a port number and a host of letters, digits, dots and dashes.
fn valid_registry(text: &str) -> bool {
    text.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            && port.parse::<u16>().is_ok_and(|p| p > 0)
    })
}

#[cfg(test)]
mod tests;
