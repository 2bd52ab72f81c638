//! `harness scenario`: the scenario file read, the plan made of it and the command line, the
//! run, its table and its report; the exit status says how it ended.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{BackendArg, load_prices};
use crate::cancel::Exit;
use crate::model::Status;
use crate::plan::{self, PlanArgs};
use crate::run::{self, Outcome, RunError};
use crate::{report, scenario, table};

/// `harness scenario`: runs `name` (a scenario's name or file) as `args` ask, writes its
/// report into `reports` (default: beside the results folder).
pub(crate) fn scenario(
    name: &str,
    args: &PlanArgs,
    reports: Option<PathBuf>,
    root: &Path,
) -> ExitCode {
    let loaded = scenario::resolve(name, &root.join("scenarios")).and_then(|p| scenario::load(&p));
    let scenario = match loaded {
        Ok(scenario) => scenario,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage.into();
        }
    };
    let plan = match plan::build(args, scenario) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage.into();
        }
    };
    for note in &plan.notes {
        eprintln!("{note}");
    }
    match run::run(&plan) {
        Ok(outcome) => {
            print!("{}", table::all(&outcome.summary));
            println!("results: {}", outcome.dir.display());
            write_report(&outcome, reports, root);
            exit_of(&outcome)
        }
        Err(e @ RunError::Refused(_)) => {
            eprintln!("error: {e}");
            Exit::Usage.into()
        }
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Failed.into()
        }
    }
}

/// Writes the run's report into `reports` (default: the results folder's own folder); a run
/// whose report cannot be written is still a run, with a warning.
fn write_report(outcome: &Outcome, reports: Option<PathBuf>, root: &Path) {
    let reports = reports.unwrap_or_else(|| {
        outcome
            .dir
            .parent()
            .map_or_else(|| root.join("results"), Path::to_owned)
    });
    let prices = load_prices(root);
    match report::write(&outcome.dir, &reports, prices.as_deref()) {
        Ok(path) => println!("report: {}", path.display()),
        Err(e) => eprintln!("warning: no report: {e}"),
    }
}

/// The exit status of a run that went to its end: interrupted, a stack failed, something
/// left behind, or done.
fn exit_of(outcome: &Outcome) -> ExitCode {
    let summary = &outcome.summary;
    if summary.interrupted {
        eprintln!(
            "interrupted: partial results kept in {}",
            outcome.dir.display()
        );
        Exit::Interrupted.into()
    } else if summary.stacks.iter().any(|s| s.status == Status::Failed) {
        Exit::Failed.into()
    } else if !summary.left_behind.is_empty() {
        eprintln!(
            "error: the run measured everything but could not remove what it made; \
             `harness clean` removes it once the daemon answers"
        );
        Exit::Failed.into()
    } else {
        Exit::Ok.into()
    }
}

/// The arguments of `harness scenario`.
#[derive(Debug, clap::Args)]
pub(crate) struct ScenarioArgs {
    /// A scenario name (scenarios/<name>.toml) or the path of a scenario file.
    pub(crate) scenario: String,
    /// Stacks to run, comma-separated, in this order (default: the scenario's, or all); a
    /// landscape variant (axum+quotes, ...) with a scenario that deploys its downstream.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub(crate) stacks: Option<Vec<String>>,
    /// Where services run: `auto` picks swarm where the Docker daemon is a swarm manager,
    /// docker where a daemon answers, local otherwise, and says why.
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    pub(crate) backend: BackendArg,
    /// With `--backend swarm`: makes a single-node swarm for the run when the daemon is in
    /// none, and leaves it at the end.
    #[arg(long)]
    pub(crate) init_swarm: bool,
    /// Pushes the images to this registry and has services pull them from it (multi-node
    /// swarms), e.g. 127.0.0.1:5000.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) registry: Option<String>,
    /// Keeps the images after the run (`footprint/<stack>:<version>`), e.g. for docker/stack.yml.
    #[arg(long)]
    pub(crate) keep_images: bool,
    /// Publishes swarm services through the routing mesh instead of on their node only.
    #[arg(long)]
    pub(crate) mesh: bool,
    /// With `--backend swarm`: leaves the published ports open to other hosts (a multi-node
    /// run whose load comes from elsewhere). By default the harness drops connections from
    /// other hosts to them (a firewall rule in DOCKER-USER, removed with the run).
    #[arg(long)]
    pub(crate) expose: bool,
    /// With `--backend swarm`: sends the load from N load workers (a replicated swarm service
    /// of the harness's own image, on the host network), each step shared between them and
    /// their histograms merged, instead of from the harness.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub(crate) load_workers: Option<u32>,
    /// With `--load-workers`: the address the coordinator listens on and the workers report
    /// to (default 127.0.0.1 and a free port: the workers on this node); on a multi-node swarm,
    /// the manager's address every load node reaches.
    #[arg(long, value_name = "HOST:PORT", requires = "load_workers")]
    pub(crate) coordinator: Option<std::net::SocketAddr>,
    /// Shortens every phase for a smoke run (about a minute for all stacks).
    #[arg(long)]
    pub(crate) quick: bool,
    /// Each stack named brings the feature ladder's rungs built on it, as `rungs = true` in a
    /// scenario file does (`scenario soak --stacks axum --rungs`: the soak per rung).
    #[arg(long)]
    pub(crate) rungs: bool,
    /// Runs the whole set of stacks N times, the order rotated each time.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub(crate) repeat: Option<u32>,
    /// A density scenario's node memory budget, MiB, instead of its `node_mib`.
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u32).range(6..=1_048_576))]
    pub(crate) node_mib: Option<u32>,
    /// When another run holds this host, waits for it to end instead of refusing.
    #[arg(long)]
    pub(crate) wait: bool,
    /// Folder for results (default: results/ in the project).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Folder for the HTML report and the index of runs (default: the results folder, --out).
    #[arg(long, value_name = "DIR")]
    pub(crate) reports: Option<PathBuf>,
    /// No progress output; the final table is still printed.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

impl ScenarioArgs {
    /// What the run's plan is made of, from these flags and the project at `root`.
    pub(crate) fn plan_args(&self, root: &Path) -> PlanArgs {
        PlanArgs {
            stacks: self.stacks.clone(),
            rungs: self.rungs,
            quick: self.quick,
            repeat: self.repeat,
            node_mib: self.node_mib,
            backend: self.backend.kind(),
            init_swarm: self.init_swarm,
            registry: self.registry.clone(),
            keep_images: self.keep_images,
            mesh: self.mesh,
            expose: self.expose,
            load_workers: self.load_workers,
            coordinator: self.coordinator,
            root: root.to_owned(),
            out: self.out.clone(),
            wait: self.wait,
            quiet: self.quiet,
        }
    }
}
