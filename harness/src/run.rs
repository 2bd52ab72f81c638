//! A run: the plan (scenario x repeats x stacks) walked as a small state machine over a
//! backend, a load driver, a builder and a cancellation token. It decides what runs next and
//! hands records to the recorder; it computes no figure (`aggregate` does) and knows no
//! backend by name (each describes itself).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;

use crate::aggregate;
use crate::backend::select::{self, Choice};
use crate::backend::{Backend, Closed, Limits, WorkerSpec};
use crate::boot::{HealthCheck, HttpHealth};
use crate::cancel::{self, Cancel};
use crate::driver::{LoadDriver, LoadError, ScenarioDriver};
use crate::env::Environment;
use crate::fleet::{Channel, Fleet};
use crate::measure::{Epoch, Measure, Prepared};
use crate::model::{DownstreamInfo, HarnessCost, LoadWorkersInfo, StackSummary, Status, Summary};
use crate::placement::Resolved;
use crate::plan::{LoadWorkersPlan, Plan, PlanError};
use crate::prepare::{self, Builder, NotBuilt, SetupError, Toolchains};
use crate::progress::Reporter;
use crate::results::{ResultsError, RunDir};
use crate::scenario::Scenario;
use crate::scrape::{Prometheus, Scraper};
use crate::stacks;

/// How long the load workers may take to start and report, from their service's creation.
const WORKERS_WITHIN: Duration = Duration::from_secs(90);

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
    let result = walk_plan(walk, world);
    if result.is_err() {
        // The folder could not be written: still remove what the backend made.
        let _ = world.backend.close();
    }
    result
}

fn walk_plan(walk: Walk<'_>, world: &World<'_>) -> Result<Outcome, RunError> {
    let Walk {
        plan,
        run_id,
        placement,
        mut env,
    } = walk;
    let scenario = &plan.scenario;
    let (boot_timeout, load_workers) = (scenario.boot_timeout, plan.load_workers);
    let (backend, reporter, cancel) = (world.backend, world.reporter, world.cancel);
    let traits = backend.traits();
    env.backend = traits.name.clone();
    env.container = traits.containers.then_some(scenario.container);
    env.workers = scenario.workers;
    env.sample_interval_ms =
        u64::try_from(scenario.sample_interval.as_millis()).unwrap_or(u64::MAX);
    env.load_generator = match load_workers {
        Some(plan) => format!(
            "{} load workers ({}, a swarm service), each: {}",
            plan.count,
            stacks::WORKER.name,
            world.driver.describe()
        ),
        None => world.driver.describe(),
    };
    env.coordinated_omission = match scenario.load {
        crate::scenario::LoadMode::Closed => crate::driver::GOOSE_CO.to_owned(),
        crate::scenario::LoadMode::ConstantRate => crate::driver::CONSTANT_RATE_CO.to_owned(),
    };
    let mut dir = RunDir::create(
        &plan.out,
        &run_id,
        &scenario.to_toml(),
        &env,
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
    let mut summary = Summary {
        schema_version: crate::model::SCHEMA_VERSION,
        run_id,
        scenario: scenario.name.clone(),
        backend: traits.name.clone(),
        memory_counter: traits.memory_counter.clone(),
        backend_traits: Some(traits.clone()),
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
    };
    dir.write_summary(&summary)?;
    let programs = build(world, plan, &mut summary);
    let downstream = build_downstream(world, plan, &mut summary);
    let receiver = build_receiver(world, plan, &mut summary);
    let fleet = load_workers
        .and_then(|plan| start_fleet(world, scenario, &mut summary, plan, &placement.harness_cpus));
    dir.write_summary(&summary)?;

    let measure = Measure {
        scenario,
        backend,
        driver: fleet
            .as_ref()
            .map_or(world.driver, |f| f as &dyn LoadDriver),
        health: world.health,
        placement: &placement,
        epoch: Epoch::now(),
        reporter,
        cancel,
        boot_timeout,
        downstream: downstream.as_ref(),
        scraper: world.scraper,
        receiver: receiver.as_ref(),
    };
    let runnable: Vec<String> = plan
        .stack_names()
        .into_iter()
        .filter(|s| programs.contains_key(s))
        .filter(|s| {
            summary
                .stacks
                .iter()
                .any(|r| &r.stack == s && r.status == Status::Pending)
        })
        .collect();
    // The harness's own cost, folded in repeat by repeat: a repeat's samples are dropped once
    // its figures are made, so a long run holds its figures, not its samples.
    let mut harness = aggregate::HarnessFold::default();
    let (mut planned, mut done) = (0, 0);
    'repeats: for repeat in 0..scenario.repeat {
        for (position, name) in aggregate::interleave(&runnable, repeat as usize)
            .iter()
            .enumerate()
        {
            planned += 1;
            if cancel.is_cancelled() {
                break 'repeats;
            }
            let (mut run, taken) =
                measure.stack(&mut dir, name, &programs[name], repeat + 1, position + 1);
            harness.add(&taken);
            drop(taken);
            // What could not be written fails the stack: its figures are not all on disk.
            let unwritten = dir.take_failures();
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
            if let Some(stack) = summary.stacks.iter_mut().find(|s| &s.stack == name) {
                stack.runs.push(run);
                aggregate::fold_runs(stack, env.cpus_online);
            }
            summary.harness = harness.cost(scenario.sample_interval);
            dir.write_summary(&summary)?;
            if !cancel.is_cancelled() {
                done += 1;
            }
        }
    }
    summary.interrupted = cancel.is_cancelled();
    summary.complete = !summary.interrupted && done == planned;
    summary.finished = Some(Utc::now());
    summary.harness = harness.cost(scenario.sample_interval);
    let mut closed = Closed::default();
    if let Some(fleet) = &fleet {
        closed.done.push(fleet.close());
    }
    let rest = backend.close();
    closed.done.extend(rest.done);
    closed.left.extend(rest.left);
    for line in &closed.done {
        reporter.say(line);
    }
    for line in &closed.left {
        reporter.warn(&format!(
            "left behind: {line}; `harness clean` removes it once the daemon answers"
        ));
    }
    (summary.cleanup, summary.left_behind) = (closed.done, closed.left);
    dir.write_summary(&summary)?;
    env.harness_cost = Some(summary.harness);
    dir.write_env(&env)?;
    Ok(Outcome {
        dir: dir.path.clone(),
        summary,
    })
}

/// Builds every stack of the summary through the builder; marks those that cannot run
/// skipped and those that fail to build failed.
fn build(world: &World<'_>, plan: &Plan, summary: &mut Summary) -> HashMap<String, Prepared> {
    let mut programs = HashMap::new();
    for record in &mut summary.stacks {
        if world.cancel.is_cancelled() {
            break;
        }
        let Some(stack) = plan.stack(&record.stack) else {
            continue;
        };
        match world
            .builder
            .build(stack, world.backend, plan.scenario.workers)
        {
            Ok(built) => {
                record.binary_bytes = built.binary_bytes;
                record.runtime_bytes = built.runtime_bytes;
                record.command = Some(built.command);
                record.image = built.image;
                programs.insert(stack.name.to_owned(), built.prepared);
            }
            Err(NotBuilt::Skipped(reason)) => {
                world
                    .reporter
                    .warn(&format!("skipping {}: {reason}", stack.name));
                record.status = Status::Skipped;
                record.reason = Some(reason);
            }
            Err(NotBuilt::Failed(reason)) => {
                world.reporter.warn(&format!("{}: {reason}", stack.name));
                record.status = Status::Failed;
                record.reason = Some(reason);
            }
        }
    }
    programs
}

/// Builds the downstream when the scenario deploys one and a landscape variant is to run, and
/// records it in the summary; a downstream that cannot be built fails every variant, with why.
fn build_downstream(world: &World<'_>, plan: &Plan, summary: &mut Summary) -> Option<Prepared> {
    let downstream = plan.scenario.downstream.as_ref()?;
    let calls = |name: &str| plan.stack(name).is_some_and(|s| s.calls_downstream());
    if world.cancel.is_cancelled() || !any_pending(summary, calls) {
        return None;
    }
    match world
        .builder
        .build(&stacks::QUOTES, world.backend, plan.scenario.workers)
    {
        Ok(built) => {
            summary.downstream = Some(DownstreamInfo {
                service: downstream.service.clone(),
                replicas: downstream.replicas,
                placement: world.backend.downstream_placement(),
                binary_bytes: built.binary_bytes,
                image_bytes: built.image.as_ref().map(|i| i.bytes),
            });
            Some(built.prepared)
        }
        Err(NotBuilt::Skipped(reason) | NotBuilt::Failed(reason)) => {
            let reason = format!(
                "its downstream, {}, was not built: {reason}",
                downstream.service
            );
            fail_pending(world, summary, calls, &reason);
            None
        }
    }
}

/// Whether a stack `chosen` accepts is still to run.
fn any_pending(summary: &Summary, chosen: impl Fn(&str) -> bool) -> bool {
    summary
        .stacks
        .iter()
        .any(|s| s.status == Status::Pending && chosen(&s.stack))
}

/// Fails every stack still to run that `chosen` accepts, with `reason`: what it needs beside
/// it (a downstream, an OTLP receiver) could not be built.
fn fail_pending(
    world: &World<'_>,
    summary: &mut Summary,
    chosen: impl Fn(&str) -> bool,
    reason: &str,
) {
    for record in summary
        .stacks
        .iter_mut()
        .filter(|s| s.status == Status::Pending && chosen(&s.stack))
    {
        world.reporter.warn(&format!("{}: {reason}", record.stack));
        record.status = Status::Failed;
        record.reason = Some(reason.to_owned());
    }
}

/// Builds the OTLP receiver's image when a `tracing` rung is to run on a backend whose
/// services cannot reach the harness's 127.0.0.1 (a container's is its own): the rung's spans
/// then go to the receiver in a container of the run's network. A receiver that cannot be
/// built fails every tracing rung, with why.
fn build_receiver(world: &World<'_>, plan: &Plan, summary: &mut Summary) -> Option<Prepared> {
    let traced = |name: &str| plan.stack(name).is_some_and(|s| s.span_ratio().is_some());
    if world.cancel.is_cancelled()
        || world.backend.reaches_harness()
        || !any_pending(summary, traced)
    {
        return None;
    }
    match world
        .builder
        .build(&stacks::RECEIVER, world.backend, plan.scenario.workers)
    {
        Ok(built) => Some(built.prepared),
        Err(NotBuilt::Skipped(reason) | NotBuilt::Failed(reason)) => {
            let reason = format!(
                "its spans go to an OTLP receiver in a container ({}), which was not built: \
                 {reason}",
                stacks::RECEIVER.name
            );
            fail_pending(world, summary, traced, &reason);
            None
        }
    }
}

/// Builds the load workers' image, listens for them, starts them through the backend and
/// waits until each has reported; the run's load then goes through them. Load workers that
/// cannot be built, started or heard from fail every stack still to run, with why.
fn start_fleet(
    world: &World<'_>,
    scenario: &Scenario,
    summary: &mut Summary,
    plan: LoadWorkersPlan,
    harness_cpus: &[usize],
) -> Option<Fleet> {
    if world.cancel.is_cancelled() || !any_pending(summary, |_| true) {
        return None;
    }
    let fail = |summary: &mut Summary, why: String| {
        let reason = format!("its load goes through {} load workers: {why}", plan.count);
        fail_pending(world, summary, |_| true, &reason);
        None
    };
    let built = match world
        .builder
        .build(&stacks::WORKER, world.backend, scenario.workers)
    {
        Ok(built) => built,
        Err(NotBuilt::Skipped(reason) | NotBuilt::Failed(reason)) => {
            return fail(summary, format!("their image was not built: {reason}"));
        }
    };
    let channel = match Channel::bind(plan.coordinator) {
        Ok(channel) => channel,
        Err(e) => {
            return fail(
                summary,
                format!(
                    "cannot listen for them on {}: {e}; choose another address with                      --coordinator HOST:PORT",
                    plan.coordinator
                ),
            );
        }
    };
    let coordinator = channel.local_addr().unwrap_or(plan.coordinator);
    let spec = WorkerSpec {
        stack: stacks::WORKER.name.to_owned(),
        image: built.prepared.image.clone(),
        args: built.prepared.launch.args.clone(),
        replicas: plan.count,
        coordinator,
        token: channel.token().clone(),
        spread: plan.spread,
        // On one node, where the in-process driver would run; on several, each node's own.
        cpus: if plan.spread {
            Vec::new()
        } else {
            harness_cpus.to_vec()
        },
    };
    let tasks = match world.backend.start_load_workers(&spec) {
        Ok(tasks) => tasks,
        Err(e) => return fail(summary, format!("they did not start: {e}")),
    };
    world.reporter.say(&format!(
        "load workers: {} tasks of {} starting, to report to {coordinator}",
        plan.count,
        tasks.service()
    ));
    let fleet = match Fleet::gather(
        &channel,
        plan.count as usize,
        tasks,
        scenario.load,
        scenario.ids,
        world.driver.describe(),
        WORKERS_WITHIN,
        world.cancel,
        &|line| world.reporter.warn(line),
    ) {
        Ok(fleet) => fleet,
        // Ctrl-C while they started: the stacks are interrupted, not failed.
        Err(_) if world.cancel.is_cancelled() => return None,
        Err(why) => return fail(summary, why),
    };
    let (service, placement) = fleet.service();
    let workers = fleet.workers();
    world.reporter.say(&format!(
        "load workers: {}",
        workers
            .iter()
            .map(|w| format!("{} on {} ({} CPUs)", w.name, w.node, w.cpus))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    summary.load_workers = Some(LoadWorkersInfo {
        placement,
        service,
        replicas: plan.count,
        coordinator: coordinator.to_string(),
        workers,
        image_bytes: built.image.as_ref().map(|i| i.bytes),
    });
    Some(fleet)
}

#[cfg(test)]
mod tests;
