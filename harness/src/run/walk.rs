//! The walk of a plan, step by step: the environment recorded, the results folder opened,
//! what the run is told said, the summary begun, everything built (and the load workers
//! started), each repeat's stacks measured in turn, then the backend closed and the records
//! finished.

use std::collections::HashMap;

use chrono::Utc;

use super::build::{build, build_downstream, build_receiver};
use super::fleet::start_fleet;
use super::{Outcome, RunError, Walk, World};
use crate::aggregate;
use crate::backend::Closed;
use crate::driver::LoadDriver;
use crate::env::Environment;
use crate::fleet::Fleet;
use crate::measure::{Epoch, Measure};
use crate::model::{BackendTraits, HarnessCost, StackSummary, Status, Summary};
use crate::placement::Resolved;
use crate::plan::Plan;
use crate::prepare::Prepared;
use crate::progress::Reporter;
use crate::results::RunDir;
use crate::scenario::LoadMode;
use crate::stacks;

/// What the walk writes as it goes: the results folder, the summary and the environment.
struct Records {
    /// The results folder.
    dir: RunDir,
    /// The run's summary, written anew after each stack's repeat.
    summary: Summary,
    /// The environment record, written again at the end with the harness's own cost.
    env: Environment,
}

/// How far the repeats went, and what the harness itself cost over them.
#[derive(Default)]
struct Tally {
    /// The harness's own cost, folded in repeat by repeat: a repeat's samples are dropped
    /// once its figures are made, so a long run holds its figures, not its samples.
    harness: aggregate::HarnessFold,
    /// Stacks' repeats reached.
    planned: usize,
    /// Stacks' repeats measured to their end.
    done: usize,
}

/// Walks the plan: results folder, builds, then per repeat each stack in turn; the backend
/// is closed at the end of a walk that gets there.
pub(super) fn walk_plan(walk: Walk<'_>, world: &World<'_>) -> Result<Outcome, RunError> {
    let Walk {
        plan,
        run_id,
        placement,
        mut env,
    } = walk;
    let traits = world.backend.traits();
    describe_setting(&mut env, plan, &traits, world.driver);
    let dir = open_results(plan, &run_id, &env)?;
    announce(world.reporter, &dir, &env, &placement, &traits);
    let summary = begin_summary(plan, run_id, &env, traits);
    let mut records = Records { dir, summary, env };
    records.dir.write_summary(&records.summary)?;
    let summary = &mut records.summary;
    let programs = build(world, plan, summary);
    let downstream = build_downstream(world, plan, summary);
    let receiver = build_receiver(world, plan, summary);
    let fleet = plan
        .load_workers
        .and_then(|workers| start_fleet(world, plan, summary, workers, &placement.harness_cpus));
    records.dir.write_summary(&records.summary)?;
    let measure = Measure {
        scenario: &plan.scenario,
        backend: world.backend,
        driver: fleet
            .as_ref()
            .map_or(world.driver, |f| f as &dyn LoadDriver),
        health: world.health,
        placement: &placement,
        epoch: Epoch::now(),
        reporter: world.reporter,
        cancel: world.cancel,
        boot_timeout: plan.scenario.boot_timeout,
        downstream: downstream.as_ref(),
        scraper: world.scraper,
        receiver: receiver.as_ref(),
    };
    let tally = measure_all(&measure, plan, &programs, &mut records)?;
    finish(world, plan, fleet.as_ref(), records, &tally)
}

/// Records in the environment what the run is on: the backend, the container limits, the
/// workers, the sampling, the load generator and how it counts latency.
fn describe_setting(
    env: &mut Environment,
    plan: &Plan,
    traits: &BackendTraits,
    driver: &dyn LoadDriver,
) {
    let scenario = &plan.scenario;
    env.backend = traits.name.clone();
    env.container = traits.containers.then_some(scenario.container);
    env.workers = scenario.workers;
    env.sample_interval_ms =
        u64::try_from(scenario.sample_interval.as_millis()).unwrap_or(u64::MAX);
    env.load_generator = match plan.load_workers {
        Some(workers) => format!(
            "{} load workers ({}, a swarm service), each: {}",
            workers.count,
            stacks::WORKER.name,
            driver.describe()
        ),
        None => driver.describe(),
    };
    env.coordinated_omission = match scenario.load {
        LoadMode::Closed => crate::driver::GOOSE_CO.to_owned(),
        LoadMode::ConstantRate => crate::driver::CONSTANT_RATE_CO.to_owned(),
    };
}

/// Creates the run's results folder with the files its scenario and stacks write.
fn open_results(plan: &Plan, run_id: &str, env: &Environment) -> Result<RunDir, RunError> {
    let scenario = &plan.scenario;
    let mut dir = RunDir::create(
        &plan.out,
        run_id,
        &scenario.to_toml(),
        env,
        scenario.battery.is_some(),
    )?;
    if scenario.capacity.is_some() {
        dir.add_capacity()?;
    }
    if scenario.fit.is_some() || scenario.density.is_some() {
        dir.add_fit(scenario.density.is_some())?;
    }
    if scenario.downstream.is_some() {
        dir.add_landscape()?;
    }
    if plan.stacks.iter().any(|s| s.is_scraped()) {
        dir.add_scrapes()?;
    }
    Ok(dir)
}

/// Says where the results go, and warns of what makes the figures differ from the measured
/// configuration: a build profile other than `release`, a placement not as asked, what the
/// backend cannot do as asked.
fn announce(
    reporter: &Reporter,
    dir: &RunDir,
    env: &Environment,
    placement: &Resolved,
    traits: &BackendTraits,
) {
    reporter.say(&format!("results: {}", dir.path.display()));
    if env.build_profile != "release" {
        reporter.warn(&format!(
            "the Rust stacks are built with the `{}` cargo profile ({}), not `release`: their \
             figures are not those of the measured configuration",
            env.build_profile,
            stacks::PROFILE_VAR
        ));
    }
    match &placement.note {
        Some(note) => reporter.warn(note),
        None => reporter.say(&format!(
            "placement: service on CPUs {:?}, harness and load generator on CPUs {:?}",
            placement.service_cpus, placement.harness_cpus
        )),
    }
    if (!traits.can_pin_cpus && !placement.service_cpus.is_empty())
        || traits.publishes_on_all_interfaces
    {
        // What this backend cannot do as asked (pinning, publishing on 127.0.0.1 only).
        for caveat in &traits.caveats {
            reporter.warn(caveat);
        }
    }
}

/// The run's summary before anything is measured: every stack pending, with what its
/// declaration says it is.
fn begin_summary(plan: &Plan, run_id: String, env: &Environment, traits: BackendTraits) -> Summary {
    Summary {
        schema_version: crate::model::SCHEMA_VERSION,
        run_id,
        scenario: plan.scenario.name.clone(),
        backend: traits.name.clone(),
        memory_counter: traits.memory_counter.clone(),
        backend_traits: Some(traits),
        started: env.started,
        finished: None,
        complete: false,
        interrupted: false,
        stacks: plan
            .stacks
            .iter()
            .map(|declared| {
                let mut stack = StackSummary::new(declared.name, Status::Pending, None);
                stack.family = declared.family();
                stack.role = declared.role();
                stack.base = (declared.base_name() != declared.name)
                    .then(|| declared.base_name().to_owned());
                stack.rung = declared.rung().map(str::to_owned);
                stack
            })
            .collect(),
        harness: HarnessCost::default(),
        cleanup: Vec::new(),
        left_behind: Vec::new(),
        downstream: None,
        load_workers: None,
    }
}

/// Measures each repeat's stacks in turn (order rotated per repeat), a failing stack recorded
/// while the rest go on, the summary written after each; stops at cancellation.
fn measure_all(
    measure: &Measure<'_>,
    plan: &Plan,
    programs: &HashMap<String, Prepared>,
    records: &mut Records,
) -> Result<Tally, RunError> {
    let runnable = runnable(plan, programs, &records.summary);
    let (reporter, cancel) = (measure.reporter, measure.cancel);
    let mut tally = Tally::default();
    'repeats: for repeat in 0..plan.scenario.repeat {
        for (position, name) in aggregate::interleave(&runnable, repeat as usize)
            .iter()
            .enumerate()
        {
            tally.planned += 1;
            if cancel.is_cancelled() {
                break 'repeats;
            }
            let (mut run, taken) = measure.stack(
                &mut records.dir,
                name,
                &programs[name],
                repeat + 1,
                position + 1,
            );
            tally.harness.add(&taken);
            drop(taken);
            // What could not be written fails the stack: its figures are not all on disk.
            let unwritten = records.dir.take_failures();
            if !unwritten.is_empty() {
                let why = format!("results not written: {}", unwritten.join("; "));
                run.failure = Some(match run.failure.take() {
                    Some(failure) => format!("{failure}; {why}"),
                    None => why,
                });
            }
            if let Some(failure) = &run.failure {
                reporter.warn(&format!("{name}: {failure}"));
            }
            let summary = &mut records.summary;
            if let Some(stack) = summary.stacks.iter_mut().find(|s| &s.stack == name) {
                stack.runs.push(run);
                aggregate::fold_runs(stack, records.env.cpus_online);
            }
            summary.harness = tally.harness.cost(plan.scenario.sample_interval);
            records.dir.write_summary(summary)?;
            if !cancel.is_cancelled() {
                tally.done += 1;
            }
        }
    }
    Ok(tally)
}

/// The plan's stacks that were built and are still to run, in the plan's order.
fn runnable(plan: &Plan, programs: &HashMap<String, Prepared>, summary: &Summary) -> Vec<String> {
    plan.stack_names()
        .into_iter()
        .filter(|s| programs.contains_key(s))
        .filter(|s| {
            summary
                .stacks
                .iter()
                .any(|r| &r.stack == s && r.status == Status::Pending)
        })
        .collect()
}

/// Ends the run: whether it was complete, the harness's cost, the load workers and the
/// backend closed, and the summary and environment written a last time.
fn finish(
    world: &World<'_>,
    plan: &Plan,
    fleet: Option<&Fleet>,
    records: Records,
    tally: &Tally,
) -> Result<Outcome, RunError> {
    let Records {
        dir,
        mut summary,
        mut env,
    } = records;
    summary.interrupted = world.cancel.is_cancelled();
    summary.complete = !summary.interrupted && tally.done == tally.planned;
    summary.finished = Some(Utc::now());
    summary.harness = tally.harness.cost(plan.scenario.sample_interval);
    let closed = close(world, fleet);
    (summary.cleanup, summary.left_behind) = (closed.done, closed.left);
    dir.write_summary(&summary)?;
    env.harness_cost = Some(summary.harness);
    dir.write_env(&env)?;
    Ok(Outcome {
        dir: dir.path.clone(),
        summary,
    })
}

/// Closes the load workers, then the backend, and says what was removed and what was left.
fn close(world: &World<'_>, fleet: Option<&Fleet>) -> Closed {
    let mut closed = Closed::default();
    if let Some(fleet) = fleet {
        closed.done.push(fleet.close());
    }
    let rest = world.backend.close();
    closed.done.extend(rest.done);
    closed.left.extend(rest.left);
    for line in &closed.done {
        world.reporter.say(line);
    }
    for line in &closed.left {
        world.reporter.warn(&format!(
            "left behind: {line}; `harness clean` removes it once the daemon answers"
        ));
    }
    closed
}
