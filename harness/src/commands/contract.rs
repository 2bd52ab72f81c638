//! `harness contract`: each stack built as a run builds it, then checked against every rule
//! of the contract, one after the other, with the verdicts printed and the broken rules named.

use std::path::Path;
use std::process::ExitCode;

use crate::cancel::Exit;
use crate::conformance;
use crate::stacks::{self, Availability};

/// Checks each of `args.stacks`; exits 1 when a stack breaks a rule or cannot be built, 2 for
/// a name no stack file declares.
pub(crate) fn contract(args: &ContractArgs, root: &Path) -> ExitCode {
    let mut chosen = Vec::with_capacity(args.stacks.len());
    for name in &args.stacks {
        match stacks::lookup(name) {
            Some(stack) => chosen.push(stack),
            None => {
                eprintln!(
                    "error: unknown stack {name:?}; known stacks: {} (a stack of your own: \
                     --stacks-file FILE)",
                    stacks::known_names().join(", ")
                );
                return Exit::Usage.into();
            }
        }
    }
    let mut exit = Exit::Ok;
    for stack in chosen {
        if !check_one(stack, root) {
            exit = Exit::Failed;
        }
    }
    exit.into()
}

/// Builds and checks one stack; whether every rule held.
fn check_one(stack: &'static stacks::Stack, root: &Path) -> bool {
    if let Availability::Missing { what, install } = stacks::check(stack) {
        eprintln!(
            "error: {} cannot be built here: {what} is missing; {install}",
            stack.name
        );
        return false;
    }
    eprintln!("building {}", stack.name);
    let launch = match stacks::prepare(stack, root, false) {
        Ok(launch) => launch,
        Err(e) => {
            eprintln!("error: building {}: {e}", stack.name);
            return false;
        }
    };
    let target = stacks::target_of(stack, launch);
    let total = footprint_contract::RULES.len();
    eprintln!(
        "checking {} against the {total} rules of the contract, each on a fresh instance",
        stack.name
    );
    let verdicts = conformance::check(&target, |i, verdict| {
        let state = if verdict.broken.is_some() {
            "broken"
        } else {
            "ok"
        };
        eprintln!("  [{}/{total}] {} {state}", i + 1, verdict.rule);
    });
    print!("{}", conformance::render(stack.name, &verdicts));
    verdicts.iter().all(|v| v.broken.is_none())
}

/// The flags of `harness contract`.
#[derive(Debug, clap::Args)]
pub(crate) struct ContractArgs {
    /// Stacks to check, comma-separated.
    #[arg(long, required = true, value_delimiter = ',', value_name = "A,B")]
    pub(crate) stacks: Vec<String>,
}
