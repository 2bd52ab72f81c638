//! The commands that read and show: `harness list` (scenarios and stacks), `harness compare`
//! (two runs, or a run's rungs against their bases) and `harness cost` (a run's figures as an
//! EC2 bill).

use std::path::Path;
use std::process::ExitCode;

use super::load_prices;
use crate::cancel::Exit;
use crate::cost::{self, Fleet};
use crate::render::{Renderer as _, TerminalTable};
use crate::stacks::{self, Availability};
use crate::{report, results, scenario};
use std::path::PathBuf;

/// `harness compare`: the comparison's table, and its page written.
pub(crate) fn compare(args: CompareArgs, root: &Path) -> ExitCode {
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

/// `harness cost`: a run's figures projected onto the EC2 types asked for.
pub(crate) fn cost(args: CostArgs, root: &Path) -> ExitCode {
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

/// `harness list`: scenarios, stacks, and what each stack needs here.
pub(crate) fn list(root: &Path) -> String {
    let mut out = String::from("Scenarios (scenarios/<name>.toml):\n");
    for (name, description) in scenario::available(&root.join("scenarios")) {
        out.push_str(&format!("  {name:<8} {description}\n"));
    }
    out.push_str("\nStacks:\n");
    for stack in stacks::stacks() {
        let state = match stacks::check(stack) {
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
    list_more(&mut out, &stacks::variants());
    out.push_str("\nRungs of the feature ladder (one added concern each; `scenario ladder`):\n");
    list_more(&mut out, &stacks::rungs());
    out
}

/// The landscape variants or the ladder's rungs, with whether each can run here.
fn list_more(out: &mut String, stacks: &[&stacks::Stack]) {
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
