//! One stack, one repeat: cold starts, then idle, warm-up and the measured steps (or a
//! capacity search's probes, or the bad-input battery) with the sampler running, then stop. It
//! produces records (samples, boot records, step figures, probes, battery verdicts) and hands
//! them to the recorder; the figures made from them come from `aggregate`, a search's next
//! rate from `capacity`.

mod fit;
mod landscape;
mod spans;

use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use footprint_contract::bad_input::{self, Group};

use crate::aggregate;
use crate::backend::{Backend, Instance, Landscape, ServiceSpec};
use crate::boot::{self, HealthCheck};
use crate::cancel::Cancel;
use crate::capacity::{self, Stop};
use crate::driver::LoadDriver;
use crate::env::CpuTicks;
use crate::model::{
    BatteryCase, BatteryRun, BootRecord, CapacityLimit, Phase, PhaseCell, ProbeRecord, Sample,
    StackRun, Verdict,
};
use crate::placement::Resolved;
use crate::prepare::Prepared;
use crate::progress::{Reporter, StackBar};
use crate::results::{
    BatteryRow, BootRow, BreakerRow, CapacityRow, CpuRow, DownstreamRow, HistogramRow, LatencyRow,
    MemoryRow, ResultsError, RowWriter, RunDir, ScrapeRow,
};
use crate::sample::{ProcSource, Sampler, Source};
use crate::scenario::{Battery, CapacityPlan, Scenario, Step};
use crate::scrape::{self, Scraper, Scraping};
use crate::stacks;

/// The run's clock: a monotonic epoch and the wall-clock time it stands for.
#[derive(Debug, Clone, Copy)]
pub struct Epoch {
    instant: Instant,
    utc: DateTime<Utc>,
}

impl Epoch {
    /// Now.
    pub fn now() -> Self {
        Self {
            instant: Instant::now(),
            utc: Utc::now(),
        }
    }

    fn seconds(&self, at: DateTime<Utc>) -> f64 {
        (at - self.utc).num_microseconds().unwrap_or(0) as f64 / 1e6
    }
}

/// What measuring a stack needs: the plan, and the outside world behind its traits.
pub struct Measure<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Where services run.
    pub backend: &'a dyn Backend,
    /// What drives the load.
    pub driver: &'a dyn LoadDriver,
    /// How readiness is checked.
    pub health: &'a dyn HealthCheck,
    /// CPU placement.
    pub placement: &'a Resolved,
    /// The run's clock.
    pub epoch: Epoch,
    /// Progress output.
    pub reporter: &'a Reporter,
    /// The run's cancellation token.
    pub cancel: &'a Cancel,
    /// How long any stack may take to become ready, instead of its own allowance.
    pub boot_timeout: Option<Duration>,
    /// The downstream's build, when the scenario deploys one beside its landscape variants.
    pub downstream: Option<&'a Prepared>,
    /// What scrapes a `metrics` rung while it is measured.
    pub scraper: &'a dyn Scraper,
    /// The OTLP receiver's build, where a tracing rung's spans go to a container of it.
    pub receiver: Option<&'a Prepared>,
}

impl Measure<'_> {
    /// Samples `service` (and the harness itself) every sample interval, each sample stamped
    /// with what `phase` says at the time; the sampler, and where its samples arrive.
    fn sampler(
        &self,
        service: Box<dyn Source>,
        phase: &Arc<PhaseCell>,
    ) -> std::io::Result<(Sampler, mpsc::Receiver<Sample>)> {
        let (tx, rx) = mpsc::channel();
        let sampler = Sampler::spawn(
            service,
            Box::new(ProcSource::current()),
            self.scenario.sample_interval,
            self.epoch.instant,
            Arc::clone(phase),
            tx,
        )?;
        Ok((sampler, rx))
    }

    /// One stack, one repeat: cold starts, idle, warm-up, steps, stop. Returns the repeat's
    /// record and every sample taken.
    pub fn stack(
        &self,
        dir: &mut RunDir,
        name: &str,
        prepared: &Prepared,
        repeat: u32,
        position: usize,
    ) -> (StackRun, Vec<Sample>) {
        let launch = &prepared.launch;
        let scenario = self.scenario;
        let workers = scenario.workers.map_or_else(
            || "default (the CPUs it may use)".to_owned(),
            |w| w.to_string(),
        );
        let mut run = StackRun::new(repeat, position, workers);
        run.load_average = crate::env::load_average();
        let ticks_before = CpuTicks::now();
        let stack = stacks::lookup(name).expect("stack names are checked before a run");
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
        env.extend(
            self.backend
                .runtime_env(stack, scenario.workers, prepared.image.is_some()),
        );
        let bar = self
            .reporter
            .stack_bar(&format!("{name} #{repeat}"), planned_seconds(scenario));
        let phase = Arc::new(PhaseCell::new(Phase::Idle));
        let mut downstream = None;
        if stack.calls_downstream() {
            let deployed = match (&scenario.downstream, self.downstream) {
                (Some(plan), Some(built)) => {
                    bar.phase(&format!("starting its downstream, {}", plan.service));
                    landscape::Downstream::deploy(self, plan, built, name, Arc::clone(&phase))
                }
                _ => Err(format!(
                    "{name} calls the quotes service: run it with a scenario that has a \
                     [downstream] table (scenarios/landscape.toml, scenarios/resilience.toml)"
                )),
            };
            match deployed {
                Ok(deployed) => {
                    env.push(("QUOTES_URL".to_owned(), deployed.url.clone()));
                    downstream = Some(deployed);
                }
                Err(why) => {
                    run.failure = Some(why);
                    bar.finish("failed");
                    return (run, Vec::new());
                }
            }
        }
        let receiver = match stack.span_ratio() {
            Some(_) => {
                bar.phase("starting its OTLP receiver");
                match spans::SpanSink::open(self, name, self.receiver) {
                    Ok(sink) => {
                        env.push((OTLP_ENDPOINT.to_owned(), sink.endpoint()));
                        Some(sink)
                    }
                    Err(why) => {
                        run.failure = Some(why);
                        bar.finish("failed");
                        return (run, Vec::new());
                    }
                }
            }
            None => None,
        };
        let spec = ServiceSpec {
            stack: name.to_owned(),
            program: launch.program.clone(),
            args: launch.args_for_workers(stack, scenario.workers),
            env,
            cpus: self.placement.service_cpus.clone(),
            image: prepared.image.clone(),
            memory_mib: None,
            landscape: match (
                &downstream,
                receiver.as_ref().and_then(spans::SpanSink::network),
            ) {
                (Some(downstream), _) => downstream.caller_landscape(),
                // The run's network, where the rung finds its receiver by name.
                (None, Some(network)) => Landscape {
                    network: Some(network),
                    ..Landscape::default()
                },
                (None, None) => Landscape::default(),
            },
        };
        if scenario.fit.is_some() || scenario.density.is_some() {
            let timeout = self.boot_timeout.unwrap_or_else(|| stack.boot_timeout());
            let samples = self.fit_and_density(dir, &spec, timeout, &mut run, &bar);
            run.steal_pct = ticks_before
                .zip(CpuTicks::now())
                .and_then(|(before, after)| after.steal_pct_since(&before));
            bar.finish(match (&run.failure, self.cancel.is_cancelled()) {
                (Some(_), _) => "failed",
                (None, true) => "interrupted",
                (None, false) => "done",
            });
            return (run, samples);
        }
        bar.phase("starting");
        let Some(mut instance) = self.cold_starts(
            &spec,
            self.boot_timeout.unwrap_or_else(|| stack.boot_timeout()),
            &mut dir.boot,
            &mut run,
        ) else {
            bar.finish("failed to start");
            if let Some(downstream) = downstream {
                run.landscape = Some(downstream.finish().0);
            }
            return (run, Vec::new());
        };
        let scraping: Option<Box<dyn Scraping>> = if stack.is_scraped() {
            bar.phase("starting Prometheus, which scrapes it");
            match self.scraper.start(instance.addr(), name) {
                Ok(scraping) => Some(scraping),
                Err(why) => {
                    run.failure = Some(why);
                    run.ended = Some(instance.stop());
                    bar.finish("failed");
                    return (run, Vec::new());
                }
            }
        } else {
            None
        };
        let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
        let (sampler, rx) = match self.sampler(instance.source(), &phase) {
            Ok(sampling) => sampling,
            Err(e) => {
                run.failure = Some(format!("cannot start the sampler: {e}"));
                run.ended = Some(instance.stop());
                return (run, Vec::new());
            }
        };
        let probe = match (&downstream, &scenario.downstream) {
            (Some(_), Some(plan)) => Some(landscape::Probe::spawn(
                instance.addr(),
                plan.probe,
                self.epoch,
                Arc::clone(&phase),
                scenario.steps.iter().map(|s| s.name.clone()).collect(),
            )),
            _ => None,
        };
        let RunDir {
            memory,
            cpu,
            latency,
            histograms,
            battery,
            capacity,
            downstream: downstream_csv,
            breaker: breaker_csv,
            scrapes: scrapes_csv,
            ..
        } = dir;
        thread::scope(|scope| {
            let collector = {
                let samples = Arc::clone(&samples);
                let steps: Vec<String> = match scenario.capacity {
                    Some(_) => (0..capacity::MAX_PROBES)
                        .map(capacity::probe_name)
                        .collect(),
                    None => scenario.steps.iter().map(|s| s.name.clone()).collect(),
                };
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
                    (latency, histograms),
                    capacity.as_mut(),
                    downstream.as_mut(),
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
        let probes = probe.map(landscape::Probe::finish).unwrap_or_default();
        if let Some(scraping) = scraping {
            run.scrapes = Some(self.scrapes(scraping, name, repeat, scrapes_csv.as_mut()));
        }
        run.ended = Some(instance.stop());
        if let (Some(receiver), Some(ratio)) = (receiver, stack.span_ratio()) {
            match receiver.finish(ratio, &run.steps) {
                Ok(got) => run.spans = Some(got),
                Err(why) => run.failure = Some(format!("its spans could not be counted: {why}")),
            }
        }
        if let Some(downstream) = downstream {
            let (mut landscape, taken) = downstream.finish();
            let steps: Vec<String> = scenario.steps.iter().map(|s| s.name.clone()).collect();
            if let Some(csv) = downstream_csv.as_mut() {
                for sample in &taken {
                    csv.append(&DownstreamRow::from_sample(
                        name,
                        repeat,
                        stacks::QUOTES.name,
                        &sample.phase.name(&steps),
                        sample,
                    ));
                }
            }
            let mut last = None;
            for probe in &probes {
                landscape.add(probe, last);
                last = Some(probe.observed);
            }
            if let Some(csv) = breaker_csv.as_mut() {
                let mut faults = landscape.faults.iter().peekable();
                for probe in &probes {
                    while let Some(fault) = faults.next_if(|f| f.at_s <= probe.at_s) {
                        csv.append(&BreakerRow::fault(name, repeat, fault));
                    }
                    csv.append(&BreakerRow::probe(name, repeat, probe));
                }
                for fault in faults {
                    csv.append(&BreakerRow::fault(name, repeat, fault));
                }
            }
            run.landscape = Some(landscape);
        }
        run.steal_pct = ticks_before
            .zip(CpuTicks::now())
            .and_then(|(before, after)| after.steal_pct_since(&before));
        let samples = std::mem::take(&mut *samples.lock().unwrap_or_else(|e| e.into_inner()));
        aggregate::repeat_memory(&mut run, &samples);
        run.idle_cores = aggregate::idle_cores(&samples);
        bar.finish(match (&run.failure, self.cancel.is_cancelled()) {
            (Some(_), _) => "failed",
            (None, true) => "interrupted",
            (None, false) => "done",
        });
        (run, samples)
    }

    /// The scrapes of a `metrics` rung read back from its scraper (which is then stopped),
    /// written to `scrapes.csv` with their time since the run's start, and their figures.
    fn scrapes(
        &self,
        scraping: Box<dyn Scraping>,
        name: &str,
        repeat: u32,
        csv: Option<&mut RowWriter<ScrapeRow>>,
    ) -> crate::model::ScrapeRun {
        let server = scraping.server();
        let interval_s = scrape::INTERVAL.as_secs_f64();
        let epoch_s = self.epoch.utc.timestamp_micros() as f64 / 1e6;
        match scraping.finish() {
            Ok(mut scrapes) => {
                for scrape in &mut scrapes {
                    scrape.at_s -= epoch_s;
                }
                if let Some(csv) = csv {
                    for scrape in &scrapes {
                        csv.append(&ScrapeRow::new(name, repeat, scrape));
                    }
                }
                aggregate::scrape_run(server, interval_s, &scrapes)
            }
            Err(why) => {
                self.reporter
                    .warn(&format!("{name}: its scrapes could not be read: {why}"));
                let mut run = aggregate::scrape_run(server, interval_s, &[]);
                run.failure = Some(why);
                run
            }
        }
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
            if self.cancel.is_cancelled() {
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
            match boot::wait_healthy(instance.as_mut(), timeout, self.health, self.cancel) {
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
                    boot_csv.append(&BootRow::new(&spec.stack, run.repeat, &record));
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

    /// Idle, warm-up and the measured steps (or the capacity search), with the sampler
    /// running; step rows go to `latency.csv`, probe rows to `capacity.csv`.
    #[allow(clippy::too_many_arguments)]
    fn phases(
        &self,
        instance: &mut dyn Instance,
        phase: &PhaseCell,
        samples: &Mutex<Vec<Sample>>,
        (latency, histograms): (&mut RowWriter<LatencyRow>, &mut RowWriter<HistogramRow>),
        capacity_csv: Option<&mut RowWriter<CapacityRow>>,
        mut downstream: Option<&mut landscape::Downstream<'_, '_>>,
        name: &str,
        run: &mut StackRun,
        bar: &StackBar,
    ) {
        let scenario = self.scenario;
        bar.phase("idle");
        if !self.cancel.sleep(scenario.idle) {
            run.interrupted = Some("idle".into());
            return;
        }
        if let Some(downstream) = downstream.as_deref()
            && let Err(why) = landscape::check_reachable(instance.addr(), &downstream.url)
        {
            run.failure = Some(why);
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
            if let Some(downstream) = downstream.as_deref_mut() {
                downstream.before_step(&step.name);
            }
            phase.set(index);
            bar.phase(&describe(step));
            let load = match self.driver.run_step(instance.addr(), step, self.cancel) {
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
            let mut summary = {
                let samples = samples.lock().unwrap_or_else(|e| e.into_inner());
                aggregate::step_summary(
                    step,
                    warmup,
                    &load,
                    window,
                    &samples,
                    self.placement.harness_cpus.len(),
                )
            };
            if let Some(downstream) = downstream.as_deref() {
                let served = summary.requests.saturating_sub(summary.errors);
                summary.downstream = Some(downstream.step(window, served));
            }
            for kind in &summary.kinds {
                latency.append(&LatencyRow::new(name, run.repeat, &summary, kind));
                for row in HistogramRow::of(name, run.repeat, &summary, kind) {
                    histograms.append(&row);
                }
            }
            // Kept in histograms.csv now: a histogram is a few hundred KiB once copied, and
            // the harness's own memory is measured, so the run does not hold them.
            for kind in &mut summary.kinds {
                kind.histograms = None;
            }
            // A load worker's part missing: the step's figures are recorded, marked partial,
            // and the stack fails with the worker named.
            let partial = summary.partial.clone();
            run.steps.push(summary);
            if let Some(partial) = partial {
                run.failure = Some(format!("{}: {partial}", step.name));
                return;
            }
            if self.cancel.is_cancelled() {
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
        if let Some(plan) = &scenario.capacity {
            let mut prober = Prober {
                measure: self,
                instance,
                phase,
                samples,
                csv: capacity_csv,
                name,
                repeat: run.repeat,
                bar,
                plan,
                rest: false,
            };
            let service_cpus = capacity::service_cpus(self.placement.service_cpus.len());
            let search = capacity::search(plan, service_cpus, &mut prober);
            match search.limit {
                CapacityLimit::Interrupted => {
                    run.interrupted = Some(capacity::probe_name(search.probes.len()));
                }
                CapacityLimit::Failed => run.failure = search.failure.clone(),
                _ => {}
            }
            run.capacity = Some(search);
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
        if !self.cancel.sleep(self.scenario.idle) {
            run.interrupted = Some("idle".into());
            return;
        }
        phase.set(Phase::Battery);
        let addr = instance.addr();
        let sizes = plan.sizes();
        let mut cases = Vec::new();
        let mut after_group_kb = Vec::new();
        for group in Group::ALL {
            if self.cancel.is_cancelled() {
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
                    csv.append(&BatteryRow::new(name, run.repeat, &case));
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
        if !self.cancel.sleep(plan.settle) {
            run.interrupted = Some("settling".into());
            return;
        }
        // Let the sample that closes the settling arrive.
        thread::sleep(self.scenario.sample_interval + Duration::from_millis(20));
    }
}

/// How long the service is left alone after a probe that did not hold, so a backlog it built
/// is not charged to the next probe.
const REST_AFTER_OVERLOAD: Duration = Duration::from_secs(1);

/// The probes of one stack's capacity search: each a constant-rate step through the driver
/// while the sampler runs, its figures from `aggregate`, its row written and its line shown
/// once the search has judged it.
struct Prober<'p, 'a> {
    measure: &'p Measure<'a>,
    instance: &'p mut dyn Instance,
    phase: &'p PhaseCell,
    samples: &'p Mutex<Vec<Sample>>,
    csv: Option<&'p mut RowWriter<CapacityRow>>,
    name: &'p str,
    repeat: u32,
    bar: &'p StackBar,
    plan: &'p CapacityPlan,
    /// The last probe did not hold: rest before the next.
    rest: bool,
}

impl capacity::Probe for Prober<'_, '_> {
    fn run(&mut self, index: usize, rate: u32) -> Result<ProbeRecord, Stop> {
        let m = self.measure;
        let exited = |instance: &mut dyn Instance, when: &str| {
            instance.exited().map(|ended| {
                Stop::Failed(format!(
                    "exited ({ended}) {when} {}; stderr: {}",
                    capacity::probe_name(index),
                    instance.stderr_tail()
                ))
            })
        };
        if let Some(stop) = exited(&mut *self.instance, "before") {
            return Err(stop);
        }
        if self.rest {
            self.phase.set(Phase::Settle);
            self.bar.phase("resting after a probe that did not hold");
            if !m.cancel.sleep(REST_AFTER_OVERLOAD) {
                return Err(Stop::Interrupted);
            }
        }
        if m.cancel.is_cancelled() {
            return Err(Stop::Interrupted);
        }
        let step = self.plan.step(capacity::probe_name(index), rate);
        self.phase.set(Phase::Step(index));
        self.bar.phase(&describe(&step));
        let load = m
            .driver
            .run_step(self.instance.addr(), &step, m.cancel)
            .map_err(|e| Stop::Failed(format!("{}: {e}", step.name)))?;
        if let Some(partial) = &load.partial {
            // A probe with a load worker's part missing is not judged.
            return Err(Stop::Failed(format!("{}: {partial}", step.name)));
        }
        if m.cancel.is_cancelled() {
            // A probe cut short is not judged.
            return Err(Stop::Interrupted);
        }
        // Let the sample that closes the window arrive.
        thread::sleep(m.scenario.sample_interval + Duration::from_millis(20));
        let window = (
            m.epoch.seconds(load.window_start),
            m.epoch.seconds(load.window_end),
        );
        let harness_cpus = m.placement.harness_cpus.len();
        let summary = {
            let samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
            aggregate::step_summary(&step, false, &load, window, &samples, harness_cpus)
        };
        if let Some(stop) = exited(&mut *self.instance, "during") {
            return Err(stop);
        }
        Ok(aggregate::probe_record(&summary, harness_cpus))
    }

    fn judged(&mut self, index: usize, probe: &ProbeRecord) {
        if let Some(csv) = self.csv.as_deref_mut()
            && let Err(e) = csv.write(&CapacityRow::new(self.name, self.repeat, index, probe))
        {
            self.measure.reporter.warn(&format!("{}: {e}", self.name));
        }
        self.rest = probe.verdict != Some(Verdict::Holds);
        let ms =
            |us: Option<u64>| us.map_or("-".to_owned(), |us| format!("{:.2}", us as f64 / 1000.0));
        self.bar.println(&format!(
            "{} #{} {}: {} rps -> {:.0} served, p99 {} ms ({} raw), {} errors, generator {} busy and {} ms late (p99): {}",
            self.name,
            self.repeat,
            capacity::probe_name(index),
            probe.rate,
            probe.achieved_rps,
            ms(probe.intended_p99_us),
            ms(Some(probe.p99_us)),
            probe.errors,
            probe
                .generator_cpu_share
                .map_or("-".to_owned(), |s| format!("{:.0} %", s * 100.0)),
            ms(probe.generator_late_p99_us),
            probe.verdict.map_or("-", |v| v.word()),
        ));
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
    // A failed write does not stop the collection: the samples still make the figures, and
    // the writers keep the failure for the stack's record (`RunDir::take_failures`).
    let mut first = None;
    for sample in rx {
        let phase = sample.phase.name(steps);
        let memory_row = memory.write(&MemoryRow::from_sample(stack, repeat, &phase, &sample));
        let cpu_row = cpu.write(&CpuRow::from_sample(stack, repeat, &phase, &sample));
        if let Err(e) = memory_row.and(cpu_row) {
            first.get_or_insert(e);
        }
        samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(sample);
    }
    first.map_or(Ok(()), Err)
}

/// What the bar says during a step.
fn describe(step: &Step) -> String {
    match step.rate {
        Some(rate) => format!("{}: {} users, target {rate} rps", step.name, step.users),
        None => format!("{}: {} users, unthrottled", step.name, step.users),
    }
}

const SECOND: Duration = Duration::from_secs(1);

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
    let search = scenario.capacity.map_or(Duration::ZERO, |c| {
        (c.probe + Duration::from_millis(500)) * capacity::planned_probes(&c)
    });
    // A fit probe is a start (about a second), the warm-up and the step.
    let fit = scenario.fit.map_or(Duration::ZERO, |f| {
        (load + SECOND) * crate::fit::planned_probes(&f)
    });
    let density = scenario
        .density
        .map_or(Duration::ZERO, |_| load + 10 * SECOND);
    (scenario.idle + load + battery + search + fit + density)
        .as_secs()
        .max(1)
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

/// The variable an OpenTelemetry exporter reads its collector's address from.
const OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
