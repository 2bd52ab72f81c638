//! A run: plan, build, then each stack in turn (interleaved over repeats), written as it goes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::aggregate;
use crate::backend::select::{self, Choice};
use crate::backend::swarm::Publish;
use crate::backend::{Backend, Instance, Limits, ServiceSpec};
use crate::boot;
use crate::constant_rate;
use crate::env::{CpuTicks, Environment};
use crate::load::{self, ABORT};
use crate::model::{
    BatteryCase, BatteryRun, BootRecord, HarnessCost, ImageRecord, StackRun, StackSummary, Status,
    Summary,
};
use crate::model::{Phase, PhaseCell, Sample};
use crate::placement::{self, Resolved};
use crate::progress::{Reporter, StackBar};
use crate::results::{
    BatteryRow, BootRow, CpuRow, LatencyRow, MemoryRow, ResultsError, RowWriter, RunDir,
};
use crate::sample::{ProcSource, Sampler};
use crate::scenario::{Battery, LoadMode, Scenario, Step};
use footprint_contract::bad_input::{self, Group};

/// The coordinated-omission setting recorded for a constant-rate step: latency counted from
/// each request's scheduled send time, beside the raw figures.
pub const CONSTANT_RATE_CO: &str = "constant-rate: corrected from the intended send time";
use crate::stacks::{self, Availability, Launch};

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
}

impl Default for BackendOptions {
    fn default() -> Self {
        Self {
            kind: select::Kind::Auto,
            init_swarm: false,
            registry: None,
            keep_images: false,
            publish: Publish::Host,
            publish_ip: "127.0.0.1".to_owned(),
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
    #[error("{0}")]
    Setup(String),
}

/// The run's clock: a monotonic epoch and the wall-clock time it stands for.
#[derive(Debug, Clone, Copy)]
struct Epoch {
    instant: Instant,
    utc: DateTime<Utc>,
}

impl Epoch {
    fn seconds(&self, at: DateTime<Utc>) -> f64 {
        (at - self.utc).num_microseconds().unwrap_or(0) as f64 / 1e6
    }
}

/// Runs the scenario against the stacks and writes `results/<run-id>/` as it goes.
pub fn run(options: &Options) -> Result<Outcome, RunError> {
    let scenario = &options.scenario;
    let reporter = Reporter::new(options.quiet);
    let available = placement::allowed_cpus().unwrap_or_default();
    let placement = placement::resolve(
        &scenario.placement.service_cpus,
        &scenario.placement.harness_cpus,
        &available,
    );
    // Read before the harness pins itself: the machine's CPUs, not the harness's mask.
    let mut env = Environment::capture(&options.root, "", placement.clone());
    if !placement.harness_cpus.is_empty() {
        // Threads made from here on (the Docker client, runtime, load users, sampler) inherit
        // the mask.
        placement::pin_current_thread(&placement.harness_cpus).map_err(|e| {
            RunError::Setup(format!(
                "cannot pin the harness to {:?}: {e}",
                placement.harness_cpus
            ))
        })?;
    }
    let run_id = new_run_id(&options.out, &scenario.name, env.started);
    let choice = Choice {
        kind: options.backend.kind,
        init_swarm: options.backend.init_swarm,
        registry: options.backend.registry.clone(),
        keep_images: options.backend.keep_images,
        publish: options.backend.publish,
        replicas: scenario.container.replicas,
        limits: limits(scenario, &placement),
        scratch: options.root.join("target").join("footprint-images"),
    };
    // Refusals (no daemon, no swarm) come before anything is written or started.
    let selected = select::select(&choice, &run_id).map_err(RunError::Setup)?;
    let backend = selected.backend;
    reporter.say(&format!("backend: {}", selected.why));
    env.backend = backend.name().to_owned();
    env.backend_reason = selected.why.clone();
    env.docker = selected.daemon.clone();
    env.container = (backend.name() != "local").then_some(scenario.container);
    env.workers = scenario.workers;
    env.sample_interval_ms =
        u64::try_from(scenario.sample_interval.as_millis()).unwrap_or(u64::MAX);
    env.coordinated_omission = match scenario.load {
        LoadMode::Closed => scenario.coordinated_omission.as_str().to_owned(),
        LoadMode::ConstantRate => CONSTANT_RATE_CO.to_owned(),
    };
    let mut dir = RunDir::create(
        &options.out,
        &run_id,
        &scenario.to_toml(),
        &env,
        scenario.battery.is_some(),
    )?;
    reporter.say(&format!("results: {}", dir.path.display()));
    if let Some(note) = &placement.note {
        reporter.warn(note);
    } else {
        reporter.say(&format!(
            "placement: service on CPUs {:?}, harness and load generator on CPUs {:?}",
            placement.service_cpus, placement.harness_cpus
        ));
    }
    if backend.name() == "swarm" && !placement.service_cpus.is_empty() {
        reporter.warn(
            "swarm services cannot be pinned to CPUs (no cpuset in a service spec): the \
             service may share the harness's CPU; its CPU limit still applies",
        );
    }
    install_interrupt_handler();

    let mut summary = Summary {
        schema_version: crate::model::SCHEMA_VERSION,
        run_id: run_id.clone(),
        scenario: scenario.name.clone(),
        backend: backend.name().to_owned(),
        memory_counter: backend.memory_counter().to_owned(),
        started: env.started,
        finished: None,
        complete: false,
        interrupted: false,
        stacks: options
            .stacks
            .iter()
            .map(|s| StackSummary::new(s, Status::Pending, None))
            .collect(),
        harness: HarnessCost::default(),
        cleanup: Vec::new(),
        left_behind: Vec::new(),
    };
    dir.write_summary(&summary)?;

    let programs = build_stacks(options, backend.as_ref(), &mut summary, &reporter);
    dir.write_summary(&summary)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(placement.harness_cpus.len().max(1))
        .enable_all()
        .build()
        .map_err(|e| RunError::Setup(format!("cannot start the load generator's runtime: {e}")))?;
    let epoch = Epoch {
        instant: Instant::now(),
        utc: Utc::now(),
    };
    let mut context = Context {
        scenario,
        backend: backend.as_ref(),
        placement: &placement,
        runtime: &runtime,
        epoch,
        reporter,
        all_samples: Vec::new(),
        cpus: env.cpus_online,
    };
    let runnable: Vec<String> = options
        .stacks
        .iter()
        .filter(|s| programs.contains_key(*s))
        .cloned()
        .collect();
    let mut planned = 0;
    let mut done = 0;
    'repeats: for repeat in 0..scenario.repeat {
        for (position, name) in aggregate::interleave(&runnable, repeat as usize)
            .iter()
            .enumerate()
        {
            planned += 1;
            if ABORT.load(Ordering::Relaxed) {
                break 'repeats;
            }
            let run = context.measure(&mut dir, name, &programs[name], repeat + 1, position + 1);
            let index = summary
                .stacks
                .iter()
                .position(|s| &s.stack == name)
                .unwrap_or(0);
            let stack = &mut summary.stacks[index];
            if let Some(failure) = &run.failure {
                context.reporter.warn(&format!("{name}: {failure}"));
            }
            stack.runs.push(run);
            aggregate::fold_runs(stack, context.cpus);
            summary.harness = context.harness_cost();
            dir.write_summary(&summary)?;
            if !ABORT.load(Ordering::Relaxed) {
                done += 1;
            }
        }
    }
    summary.interrupted = ABORT.load(Ordering::Relaxed);
    summary.complete = !summary.interrupted && done == planned;
    summary.finished = Some(Utc::now());
    summary.harness = context.harness_cost();
    drop(context);
    let closed = backend.close();
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

/// The container limits of `scenario`: its own, the CPU limit defaulting to the CPUs the service
/// is placed on.
fn limits(scenario: &Scenario, placement: &Resolved) -> Limits {
    let millicpus = scenario.container.millicpus.or_else(|| {
        (!placement.service_cpus.is_empty()).then(|| placement.service_cpus.len() as u64 * 1000)
    });
    Limits {
        memory_bytes: Some((scenario.container.memory_mb as i64) << 20),
        nano_cpus: millicpus.map(|m| m as i64 * 1_000_000),
        pids: scenario.container.pids as i64,
        publish_ip: "127.0.0.1".to_owned(),
    }
}

/// A stack ready to be started: how it was built, and its image for the container backends.
#[derive(Debug, Clone)]
struct Prepared {
    launch: Launch,
    image: Option<String>,
}

/// Builds every stack that can run here (and its image, for the container backends); marks
/// the others skipped or failed.
fn build_stacks(
    options: &Options,
    backend: &dyn Backend,
    summary: &mut Summary,
    reporter: &Reporter,
) -> HashMap<String, Prepared> {
    let mut programs = HashMap::new();
    for stack_summary in &mut summary.stacks {
        if ABORT.load(Ordering::Relaxed) {
            break;
        }
        let Some(stack) = stacks::find(&stack_summary.stack) else {
            continue;
        };
        match stacks::check(stack) {
            Availability::Missing { what, install } => {
                let reason = format!("{what} is missing; {install}");
                reporter.warn(&format!("skipping {}: {reason}", stack.name));
                stack_summary.status = Status::Skipped;
                stack_summary.reason = Some(reason);
                continue;
            }
            Availability::Ready { .. } => {}
        }
        reporter.say(&format!("building {} ...", stack.name));
        match stacks::prepare(stack, &options.root, reporter.quiet()) {
            Ok(launch) => {
                stack_summary.binary_bytes = launch.size_bytes();
                let args = launch.args_for_workers(stack, options.scenario.workers);
                stack_summary.command = Some(
                    Launch {
                        args,
                        ..launch.clone()
                    }
                    .command_line(),
                );
                if backend.name() != "local" {
                    reporter.say(&format!("building the image of {} ...", stack.name));
                }
                match backend.image(stack, &launch) {
                    Ok(image) => {
                        if let Some(built) = &image {
                            reporter.say(&format!(
                                "image {}: {:.1} MB, built in {:.1} s",
                                built.tag,
                                built.bytes as f64 / 1e6,
                                built.build_ms / 1000.0
                            ));
                        }
                        stack_summary.image = image.as_ref().map(|built| ImageRecord {
                            tag: built.tag.clone(),
                            bytes: built.bytes,
                            build_ms: built.build_ms,
                            modules: built.modules.clone(),
                        });
                        programs.insert(
                            stack.name.to_owned(),
                            Prepared {
                                launch,
                                image: image.map(|built| built.tag),
                            },
                        );
                    }
                    Err(e) => {
                        reporter.warn(&format!("{}: image: {e}", stack.name));
                        stack_summary.status = Status::Failed;
                        stack_summary.reason = Some(format!("image build failed: {e}"));
                    }
                }
            }
            Err(e) => {
                reporter.warn(&format!("{}: {e}", stack.name));
                stack_summary.status = Status::Failed;
                stack_summary.reason = Some(format!("build failed: {e}"));
            }
        }
    }
    programs
}

/// A run id: UTC time and scenario, unique in `out`.
fn new_run_id(out: &Path, scenario: &str, started: DateTime<Utc>) -> String {
    let base = format!("{}-{scenario}", started.format("%Y%m%dT%H%M%SZ"));
    let mut id = base.clone();
    let mut n = 2;
    while out.join(&id).exists() {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// Ctrl-C stops the load, then the run winds down: services stopped, results written.
fn install_interrupt_handler() {
    // Installed before Goose's own (which then declines quietly), so the harness stays in
    // charge; a second handler in the same process (tests) is not an error.
    let _ = ctrlc::set_handler(|| {
        if ABORT.swap(true, Ordering::SeqCst) {
            // Second Ctrl-C: the user insists.
            std::process::exit(130);
        }
        goose::trigger_killswitch("interrupted");
    });
}

struct Context<'a> {
    scenario: &'a Scenario,
    backend: &'a dyn Backend,
    placement: &'a Resolved,
    runtime: &'a tokio::runtime::Runtime,
    epoch: Epoch,
    reporter: Reporter,
    /// Every sample of the run so far, for the harness's own cost.
    all_samples: Vec<Sample>,
    /// CPUs of the machine.
    cpus: usize,
}

impl Context<'_> {
    /// One stack, one repeat: cold starts, idle, warm-up, steps, stop.
    fn measure(
        &mut self,
        dir: &mut RunDir,
        name: &str,
        prepared: &Prepared,
        repeat: u32,
        position: usize,
    ) -> StackRun {
        let launch = &prepared.launch;
        let scenario = self.scenario;
        let workers = scenario.workers.map_or_else(
            || "default (the CPUs it may use)".to_owned(),
            |w| w.to_string(),
        );
        let mut run = StackRun::new(repeat, position, workers);
        run.load_average = crate::env::load_average();
        let ticks_before = CpuTicks::now();
        let stack = stacks::find(name).expect("stack names are checked before a run");
        let mut env: Vec<(String, String)> = launch
            .env
            .iter()
            .cloned()
            .chain(
                scenario
                    .workers
                    .map(|w| ("WORKERS".to_owned(), w.to_string())),
            )
            .collect();
        if let (Some(workers), Some(_), true) = (scenario.workers, &prepared.image, stack.is_jvm())
        {
            // An image's command line is its own; the JVM reads extra options from here.
            env.push((
                "JDK_JAVA_OPTIONS".to_owned(),
                format!("-XX:ActiveProcessorCount={workers}"),
            ));
        }
        let spec = ServiceSpec {
            stack: name.to_owned(),
            program: launch.program.clone(),
            args: launch.args_for_workers(stack, scenario.workers),
            env,
            cpus: self.placement.service_cpus.clone(),
            image: prepared.image.clone(),
        };
        let bar = self
            .reporter
            .stack_bar(&format!("{name} #{repeat}"), planned_seconds(scenario));
        bar.phase("starting");
        let Some(mut instance) =
            self.cold_starts(&spec, stack.boot_timeout(), &mut dir.boot, &mut run)
        else {
            bar.finish("failed to start");
            return run;
        };
        let phase = Arc::new(PhaseCell::new(Phase::Idle));
        let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
        let (tx, rx) = mpsc::channel();
        let sampler = match Sampler::spawn(
            instance.source(),
            Box::new(ProcSource::current()),
            scenario.sample_interval,
            self.epoch.instant,
            Arc::clone(&phase),
            tx,
        ) {
            Ok(sampler) => sampler,
            Err(e) => {
                run.failure = Some(format!("cannot start the sampler: {e}"));
                run.ended = Some(instance.stop());
                return run;
            }
        };
        let RunDir {
            memory,
            cpu,
            latency,
            battery,
            ..
        } = dir;
        thread::scope(|scope| {
            let collector = {
                let samples = Arc::clone(&samples);
                let steps: Vec<String> = scenario.steps.iter().map(|s| s.name.clone()).collect();
                scope.spawn(move || collect(rx, name, repeat, &steps, memory, cpu, &samples))
            };
            match &scenario.battery {
                Some(plan) => {
                    self.battery(
                        instance.as_mut(),
                        &phase,
                        &samples,
                        plan,
                        battery.as_mut(),
                        name,
                        &mut run,
                        &bar,
                    );
                }
                None => self.phases(
                    instance.as_mut(),
                    &phase,
                    &samples,
                    latency,
                    name,
                    &mut run,
                    &bar,
                ),
            }
            phase.set(Phase::Stop);
            sampler.stop();
            if let Ok(Err(e)) = collector.join() {
                self.reporter
                    .warn(&format!("{name}: samples not written: {e}"));
            }
        });
        run.ended = Some(instance.stop());
        run.steal_pct = ticks_before
            .zip(CpuTicks::now())
            .and_then(|(before, after)| after.steal_pct_since(&before));
        let samples = samples.lock().unwrap_or_else(|e| e.into_inner());
        aggregate::repeat_memory(&mut run, &samples);
        self.all_samples.extend(samples.iter().copied());
        bar.finish(match (&run.failure, ABORT.load(Ordering::Relaxed)) {
            (Some(_), _) => "failed",
            (None, true) => "interrupted",
            (None, false) => "done",
        });
        run
    }

    /// The scenario's cold starts; the last one's instance is returned to be measured.
    fn cold_starts(
        &self,
        spec: &ServiceSpec,
        timeout: Duration,
        boot_csv: &mut RowWriter<BootRow>,
        run: &mut StackRun,
    ) -> Option<Box<dyn Instance>> {
        let starts = self.scenario.boot_starts.max(1);
        for start in 1..=starts {
            if ABORT.load(Ordering::Relaxed) {
                run.failure = Some("interrupted before it was measured".into());
                return None;
            }
            let mut instance = match self.backend.start(spec) {
                Ok(instance) => instance,
                Err(e) => {
                    run.failure = Some(e.to_string());
                    return None;
                }
            };
            match boot::wait_healthy(instance.as_mut(), timeout) {
                Ok(took) => {
                    let healthy_at = Utc::now();
                    let from_container_start_ms = instance
                        .container_started()
                        .and_then(|at| (healthy_at - at).num_microseconds())
                        .map(|us| us as f64 / 1000.0);
                    let self_boot_us = wait_ready_line(instance.as_ref());
                    let record = BootRecord {
                        start,
                        boot_ms: took.as_secs_f64() * 1000.0,
                        self_boot_us,
                        from_container_start_ms,
                    };
                    let _ = boot_csv.write(&BootRow::new(&spec.stack, run.repeat, &record));
                    run.boots.push(record);
                }
                Err(e) => {
                    run.ended = Some(instance.stop());
                    run.failure = Some(format!("start {start} of {starts}: {e}"));
                    return None;
                }
            }
            if start == starts {
                return Some(instance);
            }
            run.ended = Some(instance.stop());
        }
        None
    }

    /// Idle, warm-up and the measured steps, with the sampler running.
    #[allow(clippy::too_many_arguments)]
    fn phases(
        &self,
        instance: &mut dyn Instance,
        phase: &PhaseCell,
        samples: &Mutex<Vec<Sample>>,
        latency: &mut RowWriter<LatencyRow>,
        name: &str,
        run: &mut StackRun,
        bar: &StackBar,
    ) {
        let scenario = self.scenario;
        bar.phase("idle");
        sleep_unless_aborted(scenario.idle);
        if ABORT.load(Ordering::Relaxed) {
            run.interrupted = Some("idle".into());
            return;
        }
        let loads = scenario
            .warmup
            .iter()
            .map(|w| (Phase::Warmup, w, true))
            .chain(
                scenario
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (Phase::Step(i), s, false)),
            );
        for (index, step, warmup) in loads {
            if let Some(ended) = instance.exited() {
                run.failure = Some(format!(
                    "exited ({ended}) before {}; stderr: {}",
                    step.name,
                    instance.stderr_tail()
                ));
                return;
            }
            phase.set(index);
            bar.phase(&describe(step));
            let constant_rate = scenario.load == LoadMode::ConstantRate && step.rate.is_some();
            let result = if constant_rate {
                self.runtime
                    .block_on(constant_rate::run_step(instance.addr(), step, scenario.ids))
            } else {
                self.runtime.block_on(load::run_step(
                    instance.addr(),
                    step,
                    scenario.ids,
                    scenario.coordinated_omission,
                ))
            };
            let load = match result {
                Ok(load) => load,
                Err(e) => {
                    run.failure = Some(format!("{}: {e}", step.name));
                    return;
                }
            };
            // Let the sample that closes the window arrive.
            thread::sleep(scenario.sample_interval + Duration::from_millis(20));
            let window = (
                self.epoch.seconds(load.window_start),
                self.epoch.seconds(load.window_end),
            );
            let summary = {
                let samples = samples.lock().unwrap_or_else(|e| e.into_inner());
                let mut summary = aggregate::step_summary(
                    step,
                    warmup,
                    &load,
                    window,
                    &samples,
                    self.placement.harness_cpus.len().max(1),
                    scenario.coordinated_omission,
                );
                if constant_rate {
                    summary.coordinated_omission = CONSTANT_RATE_CO.to_owned();
                }
                summary
            };
            for kind in &summary.kinds {
                let _ = latency.write(&LatencyRow::new(name, run.repeat, &summary, kind));
            }
            run.steps.push(summary);
            if ABORT.load(Ordering::Relaxed) {
                run.interrupted = Some(step.name.clone());
                return;
            }
            if let Some(ended) = instance.exited() {
                run.failure = Some(format!(
                    "exited ({ended}) during {}; stderr: {}",
                    step.name,
                    instance.stderr_tail()
                ));
                return;
            }
        }
    }

    /// Idle, then the bad-input battery group by group, then the settling time, with the
    /// sampler running; memory around the battery is read from these phases' samples after.
    #[allow(clippy::too_many_arguments)]
    fn battery(
        &self,
        instance: &mut dyn Instance,
        phase: &PhaseCell,
        samples: &Mutex<Vec<Sample>>,
        plan: &Battery,
        mut csv: Option<&mut RowWriter<BatteryRow>>,
        name: &str,
        run: &mut StackRun,
        bar: &StackBar,
    ) {
        bar.phase("idle");
        sleep_unless_aborted(self.scenario.idle);
        if ABORT.load(Ordering::Relaxed) {
            run.interrupted = Some("idle".into());
            return;
        }
        phase.set(Phase::Battery);
        let addr = instance.addr();
        let sizes = plan.sizes();
        let mut cases = Vec::new();
        let mut after_group_kb = Vec::new();
        for group in Group::ALL {
            if ABORT.load(Ordering::Relaxed) {
                run.interrupted = Some(format!("battery ({})", group.name()));
                break;
            }
            bar.phase(&format!("battery: {}", group.name()));
            let verdicts = {
                let mut check = || match instance.exited() {
                    Some(ended) => Err(format!("exited ({ended})")),
                    None => bad_input::health(addr),
                };
                bad_input::run_group(addr, group, &sizes, &mut check)
            };
            for v in verdicts {
                let case = BatteryCase {
                    group: group.name().to_owned(),
                    case: v.case,
                    outcome: v.outcome,
                    passed: v.passed,
                    concern: v.concern,
                    millis: v.millis,
                    down_after: v.down_after,
                };
                if let Some(csv) = csv.as_deref_mut() {
                    let _ = csv.write(&BatteryRow::new(name, run.repeat, &case));
                }
                cases.push(case);
            }
            // The next sample shows what the group left.
            let taken = samples.lock().map_or(0, |s| s.len());
            let deadline = Instant::now() + 3 * self.scenario.sample_interval;
            while Instant::now() < deadline {
                thread::sleep(Duration::from_millis(5));
                let latest = samples
                    .lock()
                    .ok()
                    .and_then(|s| (s.len() > taken).then(|| s.last().map(|l| l.service.rss_kb))?);
                if let Some(kb) = latest {
                    after_group_kb.push((group.name().to_owned(), kb));
                    break;
                }
            }
            if let Some(ended) = instance.exited() {
                run.failure = Some(format!(
                    "exited ({ended}) during the battery ({}); stderr: {}",
                    group.name(),
                    instance.stderr_tail()
                ));
                break;
            }
        }
        run.battery = Some(BatteryRun {
            cases,
            before_kb: None,
            during_kb: None,
            after_group_kb,
            after_kb: None,
            settle_seconds: plan.settle.as_secs_f64(),
        });
        if run.failure.is_some() || run.interrupted.is_some() {
            return;
        }
        phase.set(Phase::Settle);
        bar.phase("settling");
        sleep_unless_aborted(plan.settle);
        if ABORT.load(Ordering::Relaxed) {
            run.interrupted = Some("settling".into());
            return;
        }
        // Let the sample that closes the settling arrive.
        thread::sleep(self.scenario.sample_interval + Duration::from_millis(20));
    }

    fn harness_cost(&self) -> HarnessCost {
        aggregate::harness_cost(&self.all_samples, self.scenario.sample_interval)
    }
}

/// Writes each sample to `memory.csv` and `cpu.csv` as it arrives and keeps it for the figures.
fn collect(
    rx: mpsc::Receiver<Sample>,
    stack: &str,
    repeat: u32,
    steps: &[String],
    memory: &mut RowWriter<MemoryRow>,
    cpu: &mut RowWriter<CpuRow>,
    samples: &Mutex<Vec<Sample>>,
) -> Result<(), ResultsError> {
    for sample in rx {
        let phase = sample.phase.name(steps);
        memory.write(&MemoryRow::from_sample(stack, repeat, &phase, &sample))?;
        cpu.write(&CpuRow::from_sample(stack, repeat, &phase, &sample))?;
        samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(sample);
    }
    Ok(())
}

/// What the bar says during a step.
fn describe(step: &Step) -> String {
    match step.rate {
        Some(rate) => format!("{}: {} users, target {rate} rps", step.name, step.users),
        None => format!("{}: {} users, unthrottled", step.name, step.users),
    }
}

/// Planned length of one stack's measurement, seconds (for the progress bar).
fn planned_seconds(scenario: &Scenario) -> u64 {
    let load: Duration = scenario
        .warmup
        .iter()
        .chain(&scenario.steps)
        .map(|s| s.ramp + s.hold)
        .sum();
    // The battery takes about 15 s when every stack behaves (its stalled connections wait for
    // the servers' head timeouts of about 5 s).
    let battery = scenario
        .battery
        .map_or(Duration::ZERO, |b| b.settle + Duration::from_secs(15));
    (scenario.idle + load + battery).as_secs().max(1)
}

fn sleep_unless_aborted(duration: Duration) {
    let end = Instant::now() + duration;
    while !ABORT.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= end {
            break;
        }
        thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}

/// The service's own `boot_us`, waiting briefly for its ready line to be read.
fn wait_ready_line(instance: &dyn Instance) -> Option<u64> {
    let deadline = Instant::now() + Duration::from_millis(500);
    loop {
        if let Some(ready) = instance.ready_line() {
            return Some(ready.boot_us);
        }
        if Instant::now() > deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(2));
    }
}
