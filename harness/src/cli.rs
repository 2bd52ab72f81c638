//! The command line: parsed by clap, then handed to the command's handler in `commands`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands::{
    self,
    calibrate::CalibrateArgs,
    clean::{CleanArgs, SetupArgs},
    contract::ContractArgs,
    inspect::{CompareArgs, CostArgs},
    publish::{PublishArgs, ReportArgs},
    scenario::ScenarioArgs,
};

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
