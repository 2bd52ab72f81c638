//! The commands that read and show: `harness list` (scenarios and stacks), `harness compare`
//! (two runs, or a run's rungs against their bases) and `harness cost` (a run's figures as an
//! EC2 bill).

use std::path::Path;
use std::process::ExitCode;

use super::load_prices;
use crate::cancel::Exit;
use crate::cli::{CompareArgs, CostArgs};
use crate::cost::{self, Fleet};
use crate::render::{Renderer as _, TerminalTable};
use crate::stacks::{self, Availability};
use crate::{report, results, scenario};

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
