//! The command line: parsed by clap, then handed to the command's handler in `commands`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::backend::select;
use crate::commands;
use crate::cost;
use crate::plan::PlanArgs;

pub use crate::cancel::Exit;

/// Measures what the account service costs in each stack: memory (idle, under load, peak),
/// boot time, latency percentiles, throughput and CPU per request.
#[derive(Debug, Parser)]
#[command(
    name = "harness",
    version,
    after_help = "Examples:\n  harness list\n  harness setup --dry-run\n  harness scenario ramp\n  harness scenario ramp --quick --stacks floor,axum\n  harness scenario landscape --quick --stacks axum,axum+quotes\n  harness scenario scenarios/steady.toml --repeat 3 --out /tmp/results\n  harness compare results/<run-a> results/<run-b>\n  harness publish results/reference/<run-id>\n  harness compare results/<ladder-run> --rungs\n  harness cost results/<run-id> --services 20 --rps 50\n  harness calibrate --stack hyper --users 32 --seconds 10\n  harness calibrate --stack hyper --rate 2000\n  harness calibrate --stack hyper --rate 2000 --backend swarm --init-swarm\n\nExit status: 0 done, 1 a stack or the run failed, 2 bad usage or scenario file, 130 interrupted."
)]
pub struct Cli {
    /// A stack file of your own (the form of stacks/*.toml): its stacks are known to this
    /// command beside the project's. Repeatable.
    #[arg(long, global = true, value_name = "FILE")]
    stacks_file: Vec<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs a scenario against every available stack and writes results/<run-id>/.
    Scenario(ScenarioArgs),
    /// Lists the scenarios and the stacks, and whether each stack can run here.
    List,
    /// Runs the contract suite (docs/CONTRACT.md) against stacks, a user's own above all
    /// (`--stacks-file`): each rule against a fresh instance, and which rules each breaks.
    Contract(ContractArgs),
    /// Writes the HTML report of a results folder (beside it: results/<run-id>.html) and the
    /// index of the runs there (results/index.html).
    Report(ReportArgs),
    /// Publishes runs as a static site (reports/ by default): an index of the published runs, a
    /// page per run with its raw results beside it and every figure as SVG, working from
    /// file:// and any static host; then writes anew the blocks of README.md and docs/*.md that
    /// quote published runs.
    Publish(PublishArgs),
    /// Compares two results folders: per stack and metric, both values, the ratio, and whether
    /// the change is larger than the noise the runs show (table, and an HTML page).
    Compare(CompareArgs),
    /// Projects a run's figures onto an EC2 bill: instances and monthly cost per stack.
    Cost(CostArgs),
    /// Removes what crashed or killed runs left on the Docker daemon: containers, swarm
    /// services and images carrying the run label (a live run's are left alone).
    Clean(CleanArgs),
    /// Cross-checks the load drivers against independent tools at the same connections and
    /// duration against one stack, one after the other: unthrottled, Goose against wrk and the
    /// constant-rate driver's ceiling; with `--rate`, Goose and the constant-rate driver against
    /// oha (raw and corrected). Ratios of p50, p99 and throughput.
    Calibrate(CalibrateArgs),
    /// Installs the Debian packages the stacks that cannot run here need (apt-get, through
    /// sudo unless root), after saying which and for which stacks.
    Setup(SetupArgs),
    /// Runs the OTLP/HTTP receiver alone until SIGTERM or SIGINT, on `BIND`:`PORT` from the
    /// environment (default 127.0.0.1:4318): what a tracing rung exports to on the container
    /// backends, where the harness runs it in a container of the run's network and reads its
    /// counts from `GET /received`.
    OtlpReceiver,
    /// Runs one load worker: connects to the coordinator at `FOOTPRINT_COORDINATOR`
    /// (HOST:PORT), says it is `FOOTPRINT_WORKER` on `FOOTPRINT_NODE`, and sends the shares of
    /// steps it is given until the coordinator is done, pinned to `FOOTPRINT_WORKER_CPUS`
    /// (e.g. `0`) when set. What `--load-workers` runs in each
    /// task of its swarm service.
    Worker,
}

/// The flags of `harness contract`.
#[derive(Debug, clap::Args)]
pub(crate) struct ContractArgs {
    /// Stacks to check, comma-separated.
    #[arg(long, required = true, value_delimiter = ',', value_name = "A,B")]
    pub(crate) stacks: Vec<String>,
}

/// The flags of `harness setup`.
#[derive(Debug, clap::Args)]
pub(crate) struct SetupArgs {
    /// Lists the packages and the exact commands, runs nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

/// The flags of `harness clean`.
#[derive(Debug, clap::Args)]
pub(crate) struct CleanArgs {
    /// Lists what would be removed, removes nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Also removes images kept on purpose (`--keep-images`).
    #[arg(long)]
    pub(crate) images: bool,
    /// Also removes what runs with no lock in this host's lock folder made (a harness that
    /// did not share the folder, e.g. in a container, or an older harness): their liveness
    /// cannot be known here.
    #[arg(long)]
    pub(crate) force: bool,
}

/// The flags of `harness calibrate`.
#[derive(Debug, clap::Args)]
pub(crate) struct CalibrateArgs {
    /// The stack to drive (`hyper` shows each tool's ceiling).
    #[arg(long, default_value = "hyper")]
    pub(crate) stack: String,
    /// Concurrent connections of each tool.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) users: u32,
    /// Requests per second over all connections: the Goose and constant-rate drivers against
    /// oha at that rate (raw, and with its latency correction). Without it: unthrottled, Goose
    /// against wrk, and the constant-rate driver's ceiling.
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub(crate) rate: Option<u32>,
    /// Seconds each tool runs.
    #[arg(long, value_name = "S", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) seconds: u64,
    /// Seconds of unmeasured load first (a JVM's JIT, caches).
    #[arg(long, value_name = "S", default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub(crate) warmup: u64,
    /// Rounds of every tool; the order of tools alternates between rounds.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub(crate) rounds: u32,
    /// Where the service runs while the tools drive it: `local` (a process pinned to CPU 1),
    /// `docker` (a container of its image, pinned there) or `swarm` (a swarm service, a quota
    /// of one CPU, unpinned), to check the drivers where a scenario measures.
    #[arg(long, value_enum, default_value_t = BackendArg::Local)]
    pub(crate) backend: BackendArg,
    /// With `--backend swarm`: makes a single-node swarm for the calibration when the daemon is
    /// in none, and leaves it at the end.
    #[arg(long)]
    pub(crate) init_swarm: bool,
    /// When another run holds this host, waits for it to end instead of refusing.
    #[arg(long)]
    pub(crate) wait: bool,
    /// Folder for results (default: results/ in the project).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// No progress output; the table is still printed.
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

/// The arguments of `harness compare`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompareArgs {
    /// The first results folder (A).
    pub(crate) a: PathBuf,
    /// The second results folder (B); ratios are B / A.
    #[arg(required_unless_present = "rungs", conflicts_with = "rungs")]
    pub(crate) b: Option<PathBuf>,
    /// Compares each of the feature ladder's rungs in A with its base in A (B / A is what the
    /// concern costs), instead of two runs.
    #[arg(long)]
    pub(crate) rungs: bool,
    /// Folder for the HTML page (default: results/ in the project).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
}

/// The arguments of `harness report`.
#[derive(Debug, clap::Args)]
pub(crate) struct ReportArgs {
    /// A results folder (results/<run-id>).
    pub(crate) results: PathBuf,
    /// Folder for the report and the index (default: the results folder's own folder).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
}

/// The arguments of `harness publish`.
#[derive(Debug, clap::Args)]
pub(crate) struct PublishArgs {
    /// Results folders to publish (results/reference/<run-id>, or any run's folder).
    #[arg(required = true, value_name = "RUN")]
    pub(crate) runs: Vec<PathBuf>,
    /// The site's folder (default: reports/ in the project, whose blocks in README.md and
    /// docs/*.md are then written anew from the published runs).
    #[arg(long, value_name = "DIR")]
    pub(crate) to: Option<PathBuf>,
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

/// `--backend`: where services run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BackendArg {
    /// The best available: swarm, docker, then local.
    Auto,
    /// Each service a child process of the harness.
    Local,
    /// Each service a container of its stack's minimal image.
    Docker,
    /// Each service a Docker Swarm service.
    Swarm,
}

impl BackendArg {
    /// The backend this names.
    pub(crate) fn kind(self) -> select::Kind {
        match self {
            Self::Auto => select::Kind::Auto,
            Self::Local => select::Kind::Local,
            Self::Docker => select::Kind::Docker,
            Self::Swarm => select::Kind::Swarm,
        }
    }
}

impl ScenarioArgs {
    /// What the run's plan is made of, from these flags and the project at `root`.
    fn plan_args(&self, root: &Path) -> PlanArgs {
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

/// Runs the command line `args` and returns the process's exit status.
pub fn main(args: impl IntoIterator<Item = String>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            }
            .into();
        }
    };
    let root = project_root();
    for file in &cli.stacks_file {
        if let Err(e) = crate::stacks::add_file(file) {
            eprintln!("error: {e}");
            return Exit::Usage.into();
        }
    }
    match cli.command {
        Command::Contract(args) => commands::contract::contract(&args, &root),
        Command::List => {
            print!("{}", commands::inspect::list(&root));
            Exit::Ok.into()
        }
        Command::Scenario(args) => commands::scenario::scenario(
            &args.scenario,
            &args.plan_args(&root),
            args.reports,
            &root,
        ),
        Command::Compare(args) => commands::inspect::compare(args, &root),
        Command::Report(args) => commands::publish::report(args, &root),
        Command::Publish(args) => commands::publish::publish(&args, &root),
        Command::Cost(args) => commands::inspect::cost(args, &root),
        Command::Calibrate(args) => commands::calibrate::calibrate(args, &root),
        Command::Clean(args) => commands::clean::clean(&args),
        Command::Setup(args) => commands::clean::setup(&args),
        Command::OtlpReceiver => commands::serve::otlp_receiver(),
        Command::Worker => commands::serve::worker(),
    }
}

/// The arguments of `harness cost`.
#[derive(Debug, clap::Args)]
pub(crate) struct CostArgs {
    /// A results folder (results/<run-id>) holding summary.json.
    pub(crate) results: PathBuf,
    /// Services in the fleet (N), one replica each.
    #[arg(long, value_name = "N", default_value_t = cost::DEFAULT_SERVICES, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub(crate) services: u32,
    /// Requests per second each service takes (R).
    #[arg(long, value_name = "R", default_value_t = cost::DEFAULT_RPS, value_parser = non_negative)]
    pub(crate) rps: f64,
    /// Memory and CPU are planned at (100 + PCT)% of what was measured.
    #[arg(long, value_name = "PCT", default_value_t = cost::DEFAULT_HEADROOM_PCT, value_parser = non_negative)]
    pub(crate) headroom: f64,
    /// Memory the OS and container runtime keep on every instance, MiB.
    #[arg(long, value_name = "MIB", default_value_t = cost::DEFAULT_OS_RESERVE_MIB)]
    pub(crate) os_reserve_mib: u64,
    /// Instance types to consider, comma-separated (default: every x86_64 type in data/ec2-prices.csv).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub(crate) instances: Option<Vec<String>>,
    /// Also projects onto aarch64 (Graviton) types, which apply only to stacks built for aarch64.
    #[arg(long)]
    pub(crate) aarch64: bool,
}

/// A finite number, 0 or more.
fn non_negative(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("expected a number, 0 or more, found {text:?}")),
    }
}

/// The project's root: the nearest folder up from here with `scenarios/` and a workspace
/// `Cargo.toml`, else the one this harness was built from.
pub(crate) fn project_root() -> PathBuf {
    let built_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let is_root = |dir: &Path| {
        dir.join("scenarios").is_dir()
            && dir.join("Cargo.toml").is_file()
            && dir.join("harness").is_dir()
    };
    std::env::current_dir()
        .ok()
        .and_then(|cwd| cwd.ancestors().find(|d| is_root(d)).map(Path::to_path_buf))
        .unwrap_or_else(|| built_in.canonicalize().unwrap_or(built_in))
}
