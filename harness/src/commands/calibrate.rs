//! `harness calibrate`: the load drivers against independent tools, against one stack.

use std::path::Path;
use std::process::ExitCode;

use crate::calibrate;
use crate::cancel::Exit;
use std::path::PathBuf;

use super::BackendArg;
use crate::plan;
use crate::render::{Renderer as _, TerminalTable};

/// `harness calibrate`: checks the stack and backend asked for, runs the calibration and
/// prints its table.
pub(crate) fn calibrate(args: CalibrateArgs, root: &Path) -> ExitCode {
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
