//! A run: the plan (scenario x repeats x stacks) walked as a small state machine over a
//! backend, a load driver, a builder and a cancellation token. It decides what runs next and
//! hands records to the recorder; it computes no figure (`aggregate` does) and knows no
//! backend by name (each describes itself). `walk.rs` is the walk's steps, `build.rs` what is
//! built before anything is measured, `fleet.rs` the load workers a run's load may come from.

mod build;
mod fleet;
mod walk;

use std::path::PathBuf;

use crate::backend::select::{self, Choice};
use crate::backend::{Backend, Limits};
use crate::boot::{HealthCheck, HttpHealth};
use crate::cancel::{self, Cancel};
use crate::driver::{LoadDriver, LoadError, ScenarioDriver};
use crate::env::Environment;
use crate::model::Summary;
use crate::placement::Resolved;
use crate::plan::{Plan, PlanError};
use crate::prepare::{self, Builder, SetupError, Toolchains};
use crate::progress::Reporter;
use crate::results::ResultsError;
use crate::scrape::{Prometheus, Scraper};

/// A finished (or interrupted) run.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// Its results folder.
    pub dir: PathBuf,
    /// What it measured.
    pub summary: Summary,
}

/// Why a run could not go on at all.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    /// The results folder could not be written.
    #[error(transparent)]
    Results(#[from] ResultsError),
    /// The harness could not set itself up.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// Another run holds the host, or the locks cannot be used.
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    /// The backend refused (no daemon, no swarm).
    #[error(transparent)]
    Backend(#[from] select::SelectError),
    /// The load generator could not be made.
    #[error(transparent)]
    Driver(#[from] LoadError),
    /// The scenario asks for what the chosen backend cannot do.
    #[error(transparent)]
    Refused(#[from] PlanError),
}

/// Runs the plan's scenario against its stacks and writes `results/<run-id>/` as it goes.
pub(crate) fn run(plan: &Plan) -> Result<Outcome, RunError> {
    let scenario = &plan.scenario;
    let reporter = Reporter::new(plan.quiet);
    let cancel = Cancel::new();
    cancel::install_interrupt(&cancel);
    let setup = prepare::setup(
        &plan.root,
        &plan.out,
        &scenario.name,
        &scenario.placement.service_cpus,
        &scenario.placement.harness_cpus,
    )?;
    let choice = Choice {
        kind: plan.backend,
        init_swarm: plan.init_swarm,
        registry: plan.registry.clone(),
        keep_images: plan.keep_images,
        publish: plan.publish,
        replicas: scenario.container.replicas,
        limits: Limits::of(&scenario.container, &setup.placement.service_cpus),
        scratch: plan.root.join("target").join("footprint-images"),
        expose: plan.expose,
    };
    // One run at a time on the host; refused before anything is made or started.
    let mut lock = crate::lock::acquire(&crate::lock::dir(), &setup.run_id, plan.wait, |holder| {
        reporter.say(&format!("waiting for {holder} to end"))
    })?;
    // Refusals (no daemon, no swarm) come before anything is written or started.
    let selected = select::select(&choice, &setup.run_id)?;
    let last_resort = (setup.run_id.clone(), selected.backend.traits().containers);
    cancel::on_second_signal(move || {
        crate::backend::clean::last_resort(&last_resort.0, last_resort.1)
    });
    plan.check_backend(selected.backend.as_ref())?;
    reporter.say(&format!("backend: {}", selected.why));
    let mut env = setup.env;
    env.backend_reason = selected.why.clone();
    env.docker = selected.daemon.clone();
    let driver = ScenarioDriver::new(scenario, setup.placement.harness_cpus.len())?;
    let builder = Toolchains {
        root: plan.root.clone(),
        reporter: &reporter,
    };
    let scraper = Prometheus::new(
        &setup.run_id,
        &plan.root.join("target").join("footprint-prometheus"),
    );
    let walk = Walk {
        plan,
        run_id: setup.run_id,
        placement: setup.placement,
        env,
    };
    let world = World {
        backend: selected.backend.as_ref(),
        driver: &driver,
        health: &HttpHealth,
        builder: &builder,
        reporter: &reporter,
        cancel: &cancel,
        scraper: &scraper,
    };
    let outcome = execute(walk, &world);
    // Closed in order: a second signal now has nothing of this run to remove.
    cancel::clear_second_signal();
    if outcome
        .as_ref()
        .is_ok_and(|o| o.summary.left_behind.is_empty())
    {
        lock.closed_everything();
    }
    outcome
}

/// A plan on its way: the plan, and what setting the run up decided before anything started.
pub(crate) struct Walk<'a> {
    /// What the run does.
    pub plan: &'a Plan,
    /// The run's id (its folder's name).
    pub run_id: String,
    /// CPU placement.
    pub placement: Resolved,
    /// The environment record.
    pub env: Environment,
}

/// The outside world a run acts on, each part behind a trait with a test double.
pub(crate) struct World<'a> {
    /// Where services run.
    pub backend: &'a dyn Backend,
    /// What drives the load.
    pub driver: &'a dyn LoadDriver,
    /// How readiness is checked.
    pub health: &'a dyn HealthCheck,
    /// How stacks are built.
    pub builder: &'a dyn Builder,
    /// Progress output.
    pub reporter: &'a Reporter,
    /// The run's cancellation token.
    pub cancel: &'a Cancel,
    /// What scrapes a `metrics` rung while it is measured.
    pub scraper: &'a dyn Scraper,
}

/// Walks the plan: results folder, build, then per repeat each stack in turn (order rotated
/// per repeat), a failing stack recorded while the rest go on; closes the backend at the end
/// whatever happened.
pub(crate) fn execute(walk: Walk<'_>, world: &World<'_>) -> Result<Outcome, RunError> {
    let result = walk::walk_plan(walk, world);
    if result.is_err() {
        // The folder could not be written: still remove what the backend made.
        let _ = world.backend.close();
    }
    result
}

#[cfg(test)]
mod tests;
