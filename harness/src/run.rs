//! A run: the plan (scenario x repeats x stacks) walked as a small state machine over a
//! backend, a load driver, a builder and a cancellation token. It decides what runs next and
//! hands records to the recorder; it computes no figure (`aggregate` does) and knows no
//! backend by name (each describes itself).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;

use crate::aggregate;
use crate::backend::select::{self, Choice};
use crate::backend::swarm::Publish;
use crate::backend::{Backend, Closed, Limits, WorkerSpec};
use crate::boot::{HealthCheck, HttpHealth};
use crate::cancel::{self, Cancel};
use crate::driver::{LoadDriver, LoadError, ScenarioDriver};
use crate::env::Environment;
use crate::fleet::{Channel, Fleet};
use crate::measure::{Epoch, Measure};
use crate::model::{DownstreamInfo, HarnessCost, LoadWorkersInfo, StackSummary, Status, Summary};
use crate::placement::Resolved;
use crate::prepare::{self, Builder, NotBuilt, Prepared, SetupError, Toolchains};
use crate::progress::Reporter;
use crate::results::{ResultsError, RunDir};
use crate::scenario::Scenario;
use crate::scrape::{Prometheus, Scraper};
use crate::stacks;

/// Everything a run needs, validated.
#[derive(Debug, Clone)]
pub struct Options {
    /// The scenario, already shortened when `--quick`.
    pub scenario: Scenario,
    /// Stacks to run, in order (known names).
    pub stacks: Vec<String>,
    /// Where results folders go.
    pub out: PathBuf,
    /// The project's root (for building).
    pub root: PathBuf,
    /// No progress output.
    pub quiet: bool,
    /// Which backend, and its settings.
    pub backend: BackendOptions,
    /// When another run holds the host: wait for it instead of refusing.
    pub wait: bool,
}

/// The backend asked for on the command line, and its settings.
#[derive(Debug, Clone)]
pub struct BackendOptions {
    /// The backend (`auto` picks).
    pub kind: select::Kind,
    /// Make a single-node swarm for the run when the daemon is in none.
    pub init_swarm: bool,
    /// A registry (`HOST:PORT`) images are pushed to and services pull from.
    pub registry: Option<String>,
    /// Keep the images after the run.
    pub keep_images: bool,
    /// How swarm services publish their port.
    pub publish: Publish,
    /// Host address container ports are published on.
    pub publish_ip: String,
    /// Send the load from this many load workers (swarm services) instead of the harness.
    pub load_workers: Option<LoadWorkersPlan>,
    /// Leave the swarm's published ports open to other hosts.
    pub expose: bool,
}

/// The load workers a run sends its load from, when it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadWorkersPlan {
    /// How many.
    pub count: u32,
    /// The address the coordinator listens on, which the workers are given (port 0: a free
    /// one); on one node 127.0.0.1, on a multi-node swarm the manager's address.
    pub coordinator: SocketAddr,
    /// Spread over the nodes labelled for load (with a registry: a multi-node swarm).
    pub spread: bool,
}

/// How long the load workers may take to start and report, from their service's creation.
const WORKERS_WITHIN: Duration = Duration::from_secs(90);

impl Default for BackendOptions {
    fn default() -> Self {
        Self {
            kind: select::Kind::Auto,
            init_swarm: false,
            registry: None,
            keep_images: false,
            publish: Publish::Host,
            publish_ip: "127.0.0.1".to_owned(),
            load_workers: None,
            expose: false,
        }
    }
}

/// A finished (or interrupted) run.
#[derive(Debug)]
pub struct Outcome {
    /// Its results folder.
    pub dir: PathBuf,
    /// What it measured.
    pub summary: Summary,
}

/// Why a run could not go on at all.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
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
    #[error("{0}")]
    Refused(String),
}

/// Runs the scenario against the stacks and writes `results/<run-id>/` as it goes.
pub fn run(options: &Options) -> Result<Outcome, RunError> {
    let scenario = &options.scenario;
    let reporter = Reporter::new(options.quiet);
    let cancel = Cancel::new();
    cancel::install_interrupt(&cancel);
    let setup = prepare::setup(
        &options.root,
        &options.out,
        &scenario.name,
        &scenario.placement.service_cpus,
        &scenario.placement.harness_cpus,
    )?;
    let choice = Choice {
        kind: options.backend.kind,
        init_swarm: options.backend.init_swarm,
        registry: options.backend.registry.clone(),
        keep_images: options.backend.keep_images,
        publish: options.backend.publish,
        replicas: scenario.container.replicas,
        limits: Limits::of(&scenario.container, &setup.placement.service_cpus),
        scratch: options.root.join("target").join("footprint-images"),
        expose: options.backend.expose,
    };
    // One run at a time on the host; refused before anything is made or started.
    let mut lock =
        crate::lock::acquire(&crate::lock::dir(), &setup.run_id, options.wait, |holder| {
            reporter.say(&format!("waiting for {holder} to end"))
        })?;
    // Refusals (no daemon, no swarm) come before anything is written or started.
    let selected = select::select(&choice, &setup.run_id)?;
    let last_resort = (setup.run_id.clone(), selected.backend.traits().containers);
    cancel::on_second_signal(move || {
        crate::backend::clean::last_resort(&last_resort.0, last_resort.1)
    });
    check_backend(scenario, selected.backend.as_ref())?;
    if let Some(workers) = options.backend.load_workers {
        check_load_workers(scenario, selected.backend.as_ref(), workers.count)?;
    }
    let stacks = options.stacks.clone();
    reporter.say(&format!("backend: {}", selected.why));
    let mut env = setup.env;
    env.backend_reason = selected.why.clone();
    env.docker = selected.daemon.clone();
    let driver = ScenarioDriver::new(scenario, setup.placement.harness_cpus.len())?;
    let builder = Toolchains {
        root: options.root.clone(),
        reporter: &reporter,
    };
    let scraper = Prometheus::new(
        &setup.run_id,
        &options.root.join("target").join("footprint-prometheus"),
    );
    let plan = Plan {
        scenario,
        stacks: &stacks,
        out: options.out.clone(),
        run_id: setup.run_id,
        placement: setup.placement,
        env,
        boot_timeout: scenario.boot_timeout,
        load_workers: options.backend.load_workers,
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
    let outcome = execute(plan, &world);
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

/// What a run will do, decided before anything starts.
pub struct Plan<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// The stacks, in the order asked for.
    pub stacks: &'a [String],
    /// Where results folders go.
    pub out: PathBuf,
    /// The run's id (its folder's name).
    pub run_id: String,
    /// CPU placement.
    pub placement: Resolved,
    /// The environment record.
    pub env: Environment,
    /// How long any stack may take to become ready, instead of its own allowance (the
    /// scenario's `[boot] timeout_seconds`).
    pub boot_timeout: Option<std::time::Duration>,
    /// Load workers to send the load from, instead of the harness's own driver.
    pub load_workers: Option<LoadWorkersPlan>,
}

/// The outside world a run acts on, each part behind a trait with a test double.
pub struct World<'a> {
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
pub fn execute(plan: Plan<'_>, world: &World<'_>) -> Result<Outcome, RunError> {
    let result = walk(plan, world);
    if result.is_err() {
        // The folder could not be written: still remove what the backend made.
        let _ = world.backend.close();
    }
    result
}

fn walk(plan: Plan<'_>, world: &World<'_>) -> Result<Outcome, RunError> {
    let Plan {
        scenario,
        stacks: names,
        out,
        run_id,
        placement,
        mut env,
        boot_timeout,
        load_workers,
    } = plan;
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
        &out,
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
    if names
        .iter()
        .any(|n| stacks::lookup(n).is_some_and(|s| s.is_scraped()))
    {
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
        stacks: names
            .iter()
            .map(|s| {
                let mut stack = StackSummary::new(s, Status::Pending, None);
                if let Some(declared) = crate::stacks::lookup(s) {
                    stack.family = declared.family();
                    stack.role = declared.role();
                    stack.base = (declared.base_name() != declared.name)
                        .then(|| declared.base_name().to_owned());
                    stack.rung = declared.rung().map(str::to_owned);
                }
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
    let programs = build(world, scenario, &mut summary);
    let downstream = build_downstream(world, scenario, &mut summary);
    let receiver = build_receiver(world, scenario, &mut summary);
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
    let runnable: Vec<String> = names
        .iter()
        .filter(|s| programs.contains_key(*s))
        .filter(|s| {
            summary
                .stacks
                .iter()
                .any(|r| &r.stack == *s && r.status == Status::Pending)
        })
        .cloned()
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
fn build(
    world: &World<'_>,
    scenario: &Scenario,
    summary: &mut Summary,
) -> HashMap<String, Prepared> {
    let mut programs = HashMap::new();
    for record in &mut summary.stacks {
        if world.cancel.is_cancelled() {
            break;
        }
        let Some(stack) = stacks::lookup(&record.stack) else {
            continue;
        };
        match world.builder.build(stack, world.backend, scenario.workers) {
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
fn build_downstream(
    world: &World<'_>,
    scenario: &Scenario,
    summary: &mut Summary,
) -> Option<Prepared> {
    let plan = scenario.downstream.as_ref()?;
    let calls = |name: &str| stacks::lookup(name).is_some_and(|s| s.calls_downstream());
    if world.cancel.is_cancelled() || !any_pending(summary, calls) {
        return None;
    }
    match world
        .builder
        .build(&stacks::QUOTES, world.backend, scenario.workers)
    {
        Ok(built) => {
            summary.downstream = Some(DownstreamInfo {
                service: plan.service.clone(),
                replicas: plan.replicas,
                placement: world.backend.downstream_placement(),
                binary_bytes: built.binary_bytes,
                image_bytes: built.image.as_ref().map(|i| i.bytes),
            });
            Some(built.prepared)
        }
        Err(NotBuilt::Skipped(reason) | NotBuilt::Failed(reason)) => {
            let reason = format!("its downstream, {}, was not built: {reason}", plan.service);
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
fn build_receiver(
    world: &World<'_>,
    scenario: &Scenario,
    summary: &mut Summary,
) -> Option<Prepared> {
    let traced = |name: &str| stacks::lookup(name).is_some_and(|s| s.span_ratio().is_some());
    if world.cancel.is_cancelled()
        || world.backend.reaches_harness()
        || !any_pending(summary, traced)
    {
        return None;
    }
    match world
        .builder
        .build(&stacks::RECEIVER, world.backend, scenario.workers)
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

/// Refuses, before anything starts, load workers on a backend that cannot run them, or for a
/// `[density]`, whose replicas are loaded at once by one driver.
pub fn check_load_workers(
    scenario: &Scenario,
    backend: &dyn Backend,
    count: u32,
) -> Result<(), RunError> {
    if !backend.runs_load_workers() {
        return Err(RunError::Refused(format!(
            "--load-workers {count}: the {} backend cannot run load workers, which are swarm \
             services: use --backend swarm (--init-swarm makes a single-node swarm)",
            backend.name()
        )));
    }
    if scenario.density.is_some() {
        return Err(RunError::Refused(format!(
            "{}: [density] with --load-workers: a density run loads its replicas at once from \
             one schedule, which the workers do not share; run it without --load-workers",
            scenario.source.display()
        )));
    }
    Ok(())
}

/// Refuses, before anything starts, a `[fit]` whose smallest limit the backend cannot enforce
/// and a `[density]` on a backend that packs no replicas or on a node smaller than its budget.
pub fn check_backend(scenario: &Scenario, backend: &dyn Backend) -> Result<(), RunError> {
    let file = scenario.source.display();
    let name = backend.name();
    if let Some(fit) = &scenario.fit {
        let floor = backend.memory_floor_mib().map_err(|why| {
            RunError::Refused(format!("{file}: [fit] on the {name} backend: {why}"))
        })?;
        if fit.min_mib < floor {
            return Err(RunError::Refused(format!(
                "{file}: fit.min_mib = {}: the {name} backend cannot enforce a memory limit under \
                 {floor} MiB; set min_mib = {floor} (or, under the engine's 6 MiB minimum, run \
                 as root so the harness can write the limit into a cgroup itself)",
                fit.min_mib
            )));
        }
    }
    if let Some(density) = &scenario.density {
        let Some(node_mib) = backend.node_memory_mib() else {
            return Err(RunError::Refused(format!(
                "{file}: [density] on the {name} backend: packing replicas needs a backend that \
                 reserves memory per replica on a node; use --backend swarm"
            )));
        };
        if u64::from(density.node_mib) > node_mib {
            return Err(RunError::Refused(format!(
                "{file}: density.node_mib = {}: the swarm's node has {node_mib} MiB of memory; \
                 set node_mib (or --node-mib) to at most {node_mib}",
                density.node_mib
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
