//! Why a run cannot be made of what was asked: one variant per refusal, each saying what to
//! do instead. All are usage errors (exit status 2).

use std::path::PathBuf;

/// A refusal of the plan, before anything starts or once the backend is chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PlanError {
    /// `--node-mib` with a scenario that packs no replicas.
    #[error("--node-mib needs a scenario with a [density] table ({} has none)", file.display())]
    NodeMibWithoutDensity {
        /// The scenario file.
        file: PathBuf,
    },
    /// `--node-mib` under the limit of one replica.
    #[error(
        "--node-mib {node_mib}: smaller than one replica ({}: density.limit_mib = {limit})",
        file.display()
    )]
    NodeMibUnderReplica {
        /// The budget asked for, MiB.
        node_mib: u32,
        /// The scenario file.
        file: PathBuf,
        /// One replica's limit, MiB.
        limit: u32,
    },
    /// A stack name the harness does not know.
    #[error("unknown stack {name:?}; known stacks: {known}")]
    UnknownStack {
        /// The name asked for.
        name: String,
        /// The names that could have been asked for, comma-separated.
        known: String,
    },
    /// A landscape variant with a scenario that does not deploy its downstream.
    #[error(
        "{variant} calls the quotes service, which {} does not deploy: use a scenario with a \
         [downstream] table (landscape, resilience) or the stack {base}",
        file.display()
    )]
    VariantWithoutDownstream {
        /// The variant (`axum+quotes`).
        variant: String,
        /// The scenario file.
        file: PathBuf,
        /// The stack it is a variant of (`axum`).
        base: String,
    },
    /// `--init-swarm` with a backend other than swarm.
    #[error("--init-swarm needs --backend swarm")]
    InitSwarmWithoutSwarm,
    /// A `--registry` that is not `HOST:PORT`.
    #[error("--registry {registry:?}: expected HOST:PORT, e.g. 127.0.0.1:5000")]
    Registry {
        /// What was given.
        registry: String,
    },
    /// `--load-workers` on a backend that cannot run them.
    #[error(
        "--load-workers {count}: the {backend} backend cannot run load workers, which are swarm \
         services: use --backend swarm (--init-swarm makes a single-node swarm)"
    )]
    LoadWorkersBackend {
        /// How many were asked for.
        count: u32,
        /// The backend's name.
        backend: &'static str,
    },
    /// `--load-workers` with a `[density]`, whose replicas one driver loads at once.
    #[error(
        "{}: [density] with --load-workers: a density run loads its replicas at once from one \
         schedule, which the workers do not share; run it without --load-workers",
        file.display()
    )]
    DensityWithLoadWorkers {
        /// The scenario file.
        file: PathBuf,
    },
    /// A `[fit]` on a backend that can enforce no memory limit here.
    #[error("{}: [fit] on the {backend} backend: {why}", file.display())]
    FitWithoutLimit {
        /// The scenario file.
        file: PathBuf,
        /// The backend's name.
        backend: &'static str,
        /// Why it cannot.
        why: String,
    },
    /// A `[fit]` whose smallest limit is under what the backend can enforce.
    #[error(
        "{}: fit.min_mib = {min_mib}: the {backend} backend cannot enforce a memory limit under \
         {floor} MiB; set min_mib = {floor} (or, under the engine's 6 MiB minimum, run as root \
         so the harness can write the limit into a cgroup itself)",
        file.display()
    )]
    FitUnderFloor {
        /// The scenario file.
        file: PathBuf,
        /// Its `fit.min_mib`.
        min_mib: u32,
        /// The backend's name.
        backend: &'static str,
        /// The smallest limit it enforces, MiB.
        floor: u32,
    },
    /// A `[density]` on a backend that packs no replicas on a node.
    #[error(
        "{}: [density] on the {backend} backend: packing replicas needs a backend that reserves \
         memory per replica on a node; use --backend swarm",
        file.display()
    )]
    DensityWithoutNode {
        /// The scenario file.
        file: PathBuf,
        /// The backend's name.
        backend: &'static str,
    },
    /// A `[density]` budget larger than the node's memory.
    #[error(
        "{}: density.node_mib = {node_mib}: the swarm's node has {node_memory_mib} MiB of \
         memory; set node_mib (or --node-mib) to at most {node_memory_mib}",
        file.display()
    )]
    NodeTooSmall {
        /// The scenario file.
        file: PathBuf,
        /// The budget asked for, MiB.
        node_mib: u32,
        /// The node's memory, MiB.
        node_memory_mib: u64,
    },
}
