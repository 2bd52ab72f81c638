//! The command line: parsed, validated, then handed to the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::backend::clean;
use crate::backend::daemon::{Daemon, DaemonError};
use crate::backend::select;
use crate::cost::{self, Fleet};
use crate::model::Status;
use crate::plan::{self, PlanArgs};
use crate::results;
use crate::run;
use crate::scenario;
use crate::setup;
use crate::stacks::{self, Availability, STACKS};
use crate::{calibrate, publish, report, table};

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
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs a scenario against every available stack and writes results/<run-id>/.
    Scenario(ScenarioArgs),
    /// Lists the scenarios and the stacks, and whether each stack can run here.
    List,
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

#[derive(Debug, clap::Args)]
struct SetupArgs {
    /// Lists the packages and the exact commands, runs nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, clap::Args)]
struct CleanArgs {
    /// Lists what would be removed, removes nothing.
    #[arg(long)]
    dry_run: bool,
    /// Also removes images kept on purpose (`--keep-images`).
    #[arg(long)]
    images: bool,
    /// Also removes what runs with no lock in this host's lock folder made (a harness that
    /// did not share the folder, e.g. in a container, or an older harness): their liveness
    /// cannot be known here.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, clap::Args)]
struct CalibrateArgs {
    /// The stack to drive (`hyper` shows each tool's ceiling).
    #[arg(long, default_value = "hyper")]
    stack: String,
    /// Concurrent connections of each tool.
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    users: u32,
    /// Requests per second over all connections: the Goose and constant-rate drivers against
    /// oha at that rate (raw, and with its latency correction). Without it: unthrottled, Goose
    /// against wrk, and the constant-rate driver's ceiling.
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    rate: Option<u32>,
    /// Seconds each tool runs.
    #[arg(long, value_name = "S", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: u64,
    /// Seconds of unmeasured load first (a JVM's JIT, caches).
    #[arg(long, value_name = "S", default_value_t = 5, value_parser = clap::value_parser!(u64).range(0..=3600))]
    warmup: u64,
    /// Rounds of every tool; the order of tools alternates between rounds.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=20))]
    rounds: u32,
    /// Where the service runs while the tools drive it: `local` (a process pinned to CPU 1),
    /// `docker` (a container of its image, pinned there) or `swarm` (a swarm service, a quota
    /// of one CPU, unpinned), to check the drivers where a scenario measures.
    #[arg(long, value_enum, default_value_t = BackendArg::Local)]
    backend: BackendArg,
    /// With `--backend swarm`: makes a single-node swarm for the calibration when the daemon is
    /// in none, and leaves it at the end.
    #[arg(long)]
    init_swarm: bool,
    /// When another run holds this host, waits for it to end instead of refusing.
    #[arg(long)]
    wait: bool,
    /// Folder for results (default: results/ in the project).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress output; the table is still printed.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// The first results folder (A).
    a: PathBuf,
    /// The second results folder (B); ratios are B / A.
    #[arg(required_unless_present = "rungs", conflicts_with = "rungs")]
    b: Option<PathBuf>,
    /// Compares each of the feature ladder's rungs in A with its base in A (B / A is what the
    /// concern costs), instead of two runs.
    #[arg(long)]
    rungs: bool,
    /// Folder for the HTML page (default: results/ in the project).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// A results folder (results/<run-id>).
    results: PathBuf,
    /// Folder for the report and the index (default: the results folder's own folder).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct PublishArgs {
    /// Results folders to publish (results/reference/<run-id>, or any run's folder).
    #[arg(required = true, value_name = "RUN")]
    runs: Vec<PathBuf>,
    /// The site's folder (default: reports/ in the project, whose blocks in README.md and
    /// docs/*.md are then written anew from the published runs).
    #[arg(long, value_name = "DIR")]
    to: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ScenarioArgs {
    /// A scenario name (scenarios/<name>.toml) or the path of a scenario file.
    scenario: String,
    /// Stacks to run, comma-separated, in this order (default: the scenario's, or all); a
    /// landscape variant (axum+quotes, ...) with a scenario that deploys its downstream.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    stacks: Option<Vec<String>>,
    /// Where services run: `auto` picks swarm where the Docker daemon is a swarm manager,
    /// docker where a daemon answers, local otherwise, and says why.
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    backend: BackendArg,
    /// With `--backend swarm`: makes a single-node swarm for the run when the daemon is in
    /// none, and leaves it at the end.
    #[arg(long)]
    init_swarm: bool,
    /// Pushes the images to this registry and has services pull them from it (multi-node
    /// swarms), e.g. 127.0.0.1:5000.
    #[arg(long, value_name = "HOST:PORT")]
    registry: Option<String>,
    /// Keeps the images after the run (`footprint/<stack>:<version>`), e.g. for docker/stack.yml.
    #[arg(long)]
    keep_images: bool,
    /// Publishes swarm services through the routing mesh instead of on their node only.
    #[arg(long)]
    mesh: bool,
    /// With `--backend swarm`: leaves the published ports open to other hosts (a multi-node
    /// run whose load comes from elsewhere). By default the harness drops connections from
    /// other hosts to them (a firewall rule in DOCKER-USER, removed with the run).
    #[arg(long)]
    expose: bool,
    /// With `--backend swarm`: sends the load from N load workers (a replicated swarm service
    /// of the harness's own image, on the host network), each step shared between them and
    /// their histograms merged, instead of from the harness.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    load_workers: Option<u32>,
    /// With `--load-workers`: the address the coordinator listens on and the workers report
    /// to (default 127.0.0.1 and a free port: the workers on this node); on a multi-node swarm,
    /// the manager's address every load node reaches.
    #[arg(long, value_name = "HOST:PORT", requires = "load_workers")]
    coordinator: Option<std::net::SocketAddr>,
    /// Shortens every phase for a smoke run (about a minute for all stacks).
    #[arg(long)]
    quick: bool,
    /// Each stack named brings the feature ladder's rungs built on it, as `rungs = true` in a
    /// scenario file does (`scenario soak --stacks axum --rungs`: the soak per rung).
    #[arg(long)]
    rungs: bool,
    /// Runs the whole set of stacks N times, the order rotated each time.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    repeat: Option<u32>,
    /// A density scenario's node memory budget, MiB, instead of its `node_mib`.
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u32).range(6..=1_048_576))]
    node_mib: Option<u32>,
    /// When another run holds this host, waits for it to end instead of refusing.
    #[arg(long)]
    wait: bool,
    /// Folder for results (default: results/ in the project).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Folder for the HTML report and the index of runs (default: the results folder, --out).
    #[arg(long, value_name = "DIR")]
    reports: Option<PathBuf>,
    /// No progress output; the final table is still printed.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendArg {
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
    fn kind(self) -> select::Kind {
        match self {
            Self::Auto => select::Kind::Auto,
            Self::Local => select::Kind::Local,
            Self::Docker => select::Kind::Docker,
            Self::Swarm => select::Kind::Swarm,
        }
    }
}

/// Runs the command line `args` and returns the process's exit status.
pub fn main(args: impl IntoIterator<Item = String>) -> ExitCode {
    use crate::render::{Renderer as _, TerminalTable};
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
    match cli.command {
        Command::List => {
            print!("{}", list(&root));
            Exit::Ok.into()
        }
        Command::Scenario(args) => run_scenario(args, &root),
        Command::Compare(args) => {
            let out = args.out.unwrap_or_else(|| root.join("results"));
            let written = match &args.b {
                Some(b) => report::write_compare(&args.a, b, &out),
                None => report::write_compare_rungs(&args.a, &out),
            };
            match written {
                Ok((path, comparison)) => {
                    print!("{}", TerminalTable.render(&comparison));
                    println!("compare: {}", path.display());
                    Exit::Ok.into()
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Exit::Failed.into()
                }
            }
        }
        Command::Report(args) => {
            let out = args.out.unwrap_or_else(|| {
                args.results
                    .parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_owned)
            });
            let prices = load_prices(&root);
            match report::write(&args.results, &out, prices.as_deref()) {
                Ok(path) => {
                    println!("report: {}", path.display());
                    Exit::Ok.into()
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    Exit::Failed.into()
                }
            }
        }
        Command::Publish(args) => run_publish(&args, &root),
        Command::Cost(args) => run_cost(args, &root),
        Command::Calibrate(args) => run_calibrate(args, &root),
        Command::Clean(args) => run_clean(&args),
        Command::Setup(args) => run_setup(&args),
        Command::OtlpReceiver => run_otlp_receiver(),
        Command::Worker => run_worker(),
    }
}

/// `harness publish`: the runs into the site, then the project's blocks when the site is the
/// project's own.
fn run_publish(args: &PublishArgs, root: &Path) -> ExitCode {
    let site = args.to.clone().unwrap_or_else(|| root.join("reports"));
    let prices = load_prices(root);
    let published = match publish::publish(&args.runs, &site, prices.as_deref()) {
        Ok(published) => published,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Failed.into();
        }
    };
    for run in &published.runs {
        println!(
            "published {}: {} raw files ({:.1} MiB), {} figures as SVG: {}",
            run.id,
            run.files,
            run.bytes as f64 / (1024.0 * 1024.0),
            run.figures,
            run.page.display()
        );
        for line in &run.unread {
            eprintln!("warning: {}: cannot be read, not shown: {line}", run.id);
        }
    }
    for line in &published.unread {
        eprintln!("warning: not listed in the site's index, as it cannot be read: {line}");
    }
    println!("site: {}", published.index.display());
    if args.to.is_none() {
        match publish::docs::refresh_files(&publish::docs::documents(root), &site) {
            Ok(changed) => {
                for file in changed {
                    println!("docs: wrote the blocks of {} anew", file.display());
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                return Exit::Failed.into();
            }
        }
    }
    Exit::Ok.into()
}

/// `harness worker`: one load worker, told where to report by its environment.
fn run_worker() -> ExitCode {
    use crate::fleet::worker::{COORDINATOR_VAR, CPUS_VAR, NAME_VAR, NODE_VAR, TOKEN_VAR, serve};
    let coordinator = match std::env::var(COORDINATOR_VAR).map(|v| v.parse()) {
        Ok(Ok(addr)) => addr,
        Ok(Err(e)) => {
            eprintln!("error: {COORDINATOR_VAR}: expected HOST:PORT of the coordinator: {e}");
            return Exit::Usage.into();
        }
        Err(_) => {
            eprintln!(
                "error: {COORDINATOR_VAR} is not set: a load worker reports to the coordinator \
                 of a run started with --load-workers, which sets it"
            );
            return Exit::Usage.into();
        }
    };
    let Ok(token) = std::env::var(TOKEN_VAR) else {
        eprintln!(
            "error: {TOKEN_VAR} is not set: the coordinator of a run started with \
             --load-workers sets it, and refuses a hello without it"
        );
        return Exit::Usage.into();
    };
    let host = || {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "worker".into())
    };
    let name = std::env::var(NAME_VAR).unwrap_or_else(|_| host());
    let node = std::env::var(NODE_VAR).unwrap_or_else(|_| host());
    let cpus: Vec<usize> = match std::env::var(CPUS_VAR) {
        Err(_) => Vec::new(),
        Ok(list) => match list.split(',').map(|c| c.trim().parse()).collect() {
            Ok(cpus) => cpus,
            Err(e) => {
                eprintln!("error: {CPUS_VAR}={list:?}: expected CPU numbers, e.g. 0,1: {e}");
                return Exit::Usage.into();
            }
        },
    };
    eprintln!("load worker {name} on {node}, reporting to {coordinator}");
    match serve(coordinator, &token, &name, &node, &cpus) {
        Ok(()) => Exit::Ok.into(),
        Err(e) => {
            eprintln!("error: load worker {name}: {e}");
            Exit::Failed.into()
        }
    }
}

/// `harness otlp-receiver`: the receiver on `BIND`:`PORT` until SIGTERM or SIGINT.
fn run_otlp_receiver() -> ExitCode {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let (bind, port) = (var("BIND", "127.0.0.1"), var("PORT", "4318"));
    let addr: std::net::SocketAddr = match format!("{bind}:{port}").parse() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("error: BIND={bind} PORT={port} is not an address to listen on: {e}");
            return Exit::Usage.into();
        }
    };
    // Before listening: a signal that comes as soon as it answers is not lost.
    let mut signals = match signal_hook::iterator::Signals::new([SIGTERM, SIGINT]) {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("error: cannot wait for SIGTERM: {e}");
            return Exit::Failed.into();
        }
    };
    let receiver = match footprint_contract::otlp::Receiver::listen(addr) {
        Ok(receiver) => receiver,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            return Exit::Failed.into();
        }
    };
    println!("otlp receiver on {}", receiver.endpoint());
    let _ = signals.forever().next();
    let got = receiver.received();
    eprintln!(
        "otlp receiver: {} exports, {} spans, {} bytes, {} refused",
        got.exports, got.spans, got.bytes, got.refused
    );
    Exit::Ok.into()
}

fn run_setup(args: &SetupArgs) -> ExitCode {
    let plan = setup::plan(&setup::needs(), setup::is_root());
    let mut stdout = std::io::stdout();
    if let Err(e) = setup::execute(&plan, &setup::System, args.dry_run, &mut stdout) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    if args.dry_run || plan.steps.is_empty() {
        return ExitCode::SUCCESS;
    }
    // Installed: each stack it was for is checked again.
    let still: Vec<setup::Need> = setup::needs()
        .into_iter()
        .filter(|need| plan.stacks.contains(&need.stack))
        .collect();
    if still.is_empty() {
        println!("ready now: {}", plan.stacks.join(", "));
        return ExitCode::SUCCESS;
    }
    for need in &still {
        eprintln!(
            "error: {} still cannot run here: {} is missing",
            need.stack, need.lack.what
        );
    }
    ExitCode::FAILURE
}

fn run_clean(args: &CleanArgs) -> ExitCode {
    // Service processes need no daemon: they are cleaned whether one answers or not.
    let locks = crate::lock::dir();
    let scope = clean::Scope::Ended {
        locks: &locks,
        force: args.force,
    };
    let mut found = match clean::processes(scope, args.dry_run) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Failed.into();
        }
    };
    let mut failed = None;
    let (checked, unchecked) = match Daemon::connect() {
        Ok(daemon) => {
            match clean::clean(&daemon, scope, args.dry_run, args.images) {
                Ok(more) => found.extend(more),
                Err(e) => failed = Some(e.to_string()),
            }
            (Some(daemon.host.clone()), None)
        }
        Err(DaemonError::Unreachable { host, why }) => (None, Some(format!("{host} ({why})"))),
        Err(e) => {
            failed = Some(e.to_string());
            (None, None)
        }
    };
    found.extend(clean::firewall_rules(scope, args.dry_run));
    // Last: a cgroup can go once its processes and containers have.
    found.extend(clean::cgroups(args.dry_run));
    if !args.dry_run && failed.is_none() && checked.is_some() {
        // The locks of ended runs of which nothing is left go too.
        clean::forget_ended_runs(&locks, &found);
    }
    for f in &found {
        println!(
            "{:<9} {:<12} {:<16} {:<30} {}",
            f.kind, f.id, f.stack, f.run, f.outcome
        );
    }
    if found.is_empty() && failed.is_none() {
        match &checked {
            Some(host) => println!(
                "nothing to clean: no service process of a run here, and no container, service \
                 or image of a run on {host}"
            ),
            None => println!("nothing to clean: no service process of a run here"),
        }
    }
    if let Some(daemon) = unchecked {
        println!(
            "containers, services and images not checked: no Docker daemon answers at {daemon}"
        );
    }
    match failed {
        Some(e) => {
            eprintln!("error: {e}");
            Exit::Failed.into()
        }
        None => Exit::Ok.into(),
    }
}

fn run_calibrate(args: CalibrateArgs, root: &Path) -> ExitCode {
    use crate::render::{Renderer as _, TerminalTable};
    if let Err(e) = plan::check_calibration(&args.stack, args.backend.kind(), args.init_swarm) {
        eprintln!("error: {e}");
        return Exit::Usage.into();
    }
    let options = calibrate::Options {
        stack: args.stack,
        users: args.users as usize,
        rate: args.rate,
        seconds: args.seconds,
        warmup: args.warmup,
        rounds: args.rounds,
        out: args.out.unwrap_or_else(|| root.join("results")),
        root: root.to_owned(),
        service_cpus: vec![1],
        harness_cpus: vec![0],
        backend: args.backend.kind(),
        init_swarm: args.init_swarm,
        quiet: args.quiet,
        wait: args.wait,
        cancel: crate::cancel::Cancel::new(),
    };
    crate::cancel::install_interrupt(&options.cancel);
    match calibrate::run(&options) {
        Ok((dir, calibration)) => {
            print!("{}", TerminalTable.render(&calibration));
            println!("results: {}", dir.display());
            Exit::Ok.into()
        }
        Err(e @ calibrate::CalibrateError::Setup(_)) => {
            eprintln!("error: {e}");
            Exit::Usage.into()
        }
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Failed.into()
        }
    }
}

fn run_scenario(args: ScenarioArgs, root: &Path) -> ExitCode {
    let scenarios_dir = root.join("scenarios");
    let loaded =
        scenario::resolve(&args.scenario, &scenarios_dir).and_then(|path| scenario::load(&path));
    let scenario = match loaded {
        Ok(scenario) => scenario,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage.into();
        }
    };
    let plan_args = PlanArgs {
        stacks: args.stacks,
        rungs: args.rungs,
        quick: args.quick,
        repeat: args.repeat,
        node_mib: args.node_mib,
        backend: args.backend.kind(),
        init_swarm: args.init_swarm,
        registry: args.registry,
        keep_images: args.keep_images,
        mesh: args.mesh,
        expose: args.expose,
        load_workers: args.load_workers,
        coordinator: args.coordinator,
        root: root.to_owned(),
        out: args.out,
        wait: args.wait,
        quiet: args.quiet,
    };
    let plan = match plan::build(&plan_args, scenario) {
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
            let reports = args.reports.unwrap_or_else(|| {
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
            if outcome.summary.interrupted {
                eprintln!(
                    "interrupted: partial results kept in {}",
                    outcome.dir.display()
                );
                Exit::Interrupted.into()
            } else if outcome
                .summary
                .stacks
                .iter()
                .any(|s| s.status == Status::Failed)
            {
                Exit::Failed.into()
            } else if !outcome.summary.left_behind.is_empty() {
                eprintln!(
                    "error: the run measured everything but could not remove what it made; \
                     `harness clean` removes it once the daemon answers"
                );
                Exit::Failed.into()
            } else {
                Exit::Ok.into()
            }
        }
        Err(e @ run::RunError::Refused(_)) => {
            eprintln!("error: {e}");
            Exit::Usage.into()
        }
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Failed.into()
        }
    }
}

#[derive(Debug, clap::Args)]
struct CostArgs {
    /// A results folder (results/<run-id>) holding summary.json.
    results: PathBuf,
    /// Services in the fleet (N), one replica each.
    #[arg(long, value_name = "N", default_value_t = cost::DEFAULT_SERVICES, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    services: u32,
    /// Requests per second each service takes (R).
    #[arg(long, value_name = "R", default_value_t = cost::DEFAULT_RPS, value_parser = non_negative)]
    rps: f64,
    /// Memory and CPU are planned at (100 + PCT)% of what was measured.
    #[arg(long, value_name = "PCT", default_value_t = cost::DEFAULT_HEADROOM_PCT, value_parser = non_negative)]
    headroom: f64,
    /// Memory the OS and container runtime keep on every instance, MiB.
    #[arg(long, value_name = "MIB", default_value_t = cost::DEFAULT_OS_RESERVE_MIB)]
    os_reserve_mib: u64,
    /// Instance types to consider, comma-separated (default: every x86_64 type in data/ec2-prices.csv).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    instances: Option<Vec<String>>,
    /// Also projects onto aarch64 (Graviton) types, which apply only to stacks built for aarch64.
    #[arg(long)]
    aarch64: bool,
}

/// A finite number, 0 or more.
fn non_negative(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("expected a number, 0 or more, found {text:?}")),
    }
}

fn run_cost(args: CostArgs, root: &Path) -> ExitCode {
    use crate::render::{Renderer as _, TerminalTable};
    let prices = match load_prices(root) {
        Ok(prices) => prices,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Failed.into();
        }
    };
    let prices = match cost::select(&prices, args.instances.as_deref(), args.aarch64) {
        Ok(prices) => prices,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage.into();
        }
    };
    let summary = match results::load_summary(&args.results) {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Failed.into();
        }
    };
    let fleet = Fleet {
        services: args.services,
        rps_per_service: args.rps,
        headroom_pct: args.headroom,
        os_reserve_mib: args.os_reserve_mib,
    };
    print!(
        "{}",
        TerminalTable.render(&cost::project(&summary, &prices, &fleet))
    );
    Exit::Ok.into()
}

/// The project's EC2 price table, or why it cannot be read.
fn load_prices(root: &Path) -> Result<Vec<cost::Price>, cost::PriceError> {
    cost::load_prices(&root.join(cost::PRICES_FILE))
}

/// `harness list`: scenarios, stacks, and what each stack needs here.
pub fn list(root: &Path) -> String {
    let mut out = String::from("Scenarios (scenarios/<name>.toml):\n");
    for (name, description) in scenario::available(&root.join("scenarios")) {
        out.push_str(&format!("  {name:<8} {description}\n"));
    }
    out.push_str("\nStacks:\n");
    for stack in STACKS {
        let state = match stacks::check(&stack) {
            Availability::Ready { toolchain } => format!("ready ({toolchain})"),
            Availability::Missing { what, install } => {
                format!("cannot run here: {what} is missing; {install}")
            }
        };
        out.push_str(&format!(
            "  {:<16} {}\n  {:<16} WORKERS: {}\n  {:<16} {state}\n",
            stack.name, stack.about, "", stack.workers, ""
        ));
    }
    out.push_str(
        "\nLandscape variants (with a scenario's [downstream], which deploys quotes beside them):\n",
    );
    list_more(&mut out, &stacks::VARIANTS);
    out.push_str("\nRungs of the feature ladder (one added concern each; `scenario ladder`):\n");
    list_more(&mut out, &stacks::RUNGS);
    out
}

/// The landscape variants or the ladder's rungs, with whether each can run here.
fn list_more(out: &mut String, stacks: &[stacks::Stack]) {
    for stack in stacks {
        let state = match stacks::check(stack) {
            Availability::Ready { .. } => "ready".to_owned(),
            Availability::Missing { what, install } => {
                format!("cannot run here: {what} is missing; {install}")
            }
        };
        out.push_str(&format!(
            "  {:<24} {}\n  {:<24} {state}\n",
            stack.name, stack.about, ""
        ));
    }
}

/// The project's root: the nearest folder up from here with `scenarios/` and a workspace
/// `Cargo.toml`, else the one this harness was built from.
pub fn project_root() -> PathBuf {
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
