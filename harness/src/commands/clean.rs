//! `harness clean` and `harness setup`: what crashed runs left removed, and what the stacks
//! need installed.

use std::process::ExitCode;

use crate::backend::clean;
use crate::backend::daemon::{Daemon, DaemonError};
use crate::cancel::Exit;
use crate::setup;

/// `harness setup`: the Debian packages the stacks that cannot run here need, installed (or
/// listed), then each stack they were for checked again.
pub(crate) fn setup(args: &SetupArgs) -> ExitCode {
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

/// `harness clean`: the service processes, containers, swarm services, images, firewall rules
/// and cgroups of runs that are over, removed (or listed), and what could not be checked.
pub(crate) fn clean(args: &CleanArgs) -> ExitCode {
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
