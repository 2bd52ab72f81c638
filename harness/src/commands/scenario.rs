//! `harness scenario`: the scenario file read, the plan made of it and the command line, the
//! run, its table and its report; the exit status says how it ended.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::load_prices;
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
