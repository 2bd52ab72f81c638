//! One stack, one repeat: cold starts, then idle, warm-up and the measured steps (or a
//! capacity search's probes, or the bad-input battery) with the sampler running, then stop. It
//! produces records (samples, boot records, step figures, probes, battery verdicts) and hands
//! them to the recorder; the figures made from them come from `aggregate`, a search's next
//! rate from `capacity`.
//!
//! This file is the skeleton of a repeat; each kind of repeat has a module of its own
//! (`steps`, `capacity_search`, `battery`, `fit`, `density`), and so have the services run
//! beside a stack (`landscape`: its downstream and the breaker probe; `spans`: its OTLP
//! receiver).

mod battery;
mod capacity_search;
mod density;
mod fit;
mod jvm;
mod landscape;
mod spans;
mod steps;

use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::aggregate;
use crate::backend::{Backend, Instance, Landscape, ServiceSpec};
use crate::boot::{self, HealthCheck};
use crate::cancel::Cancel;
use crate::capacity;
use crate::driver::LoadDriver;
use crate::env::CpuTicks;
use crate::model::{BootRecord, Phase, PhaseCell, Sample, StackRun};
use crate::placement::Resolved;
use crate::prepare::{self, Prepared};
use crate::progress::{Reporter, StackBar};
use crate::results::{BootRow, CpuRow, MemoryRow, ResultsError, RowWriter, RunDir, ScrapeRow};
use crate::sample::{ProcSource, Sampler, Source};
use crate::scenario::{Scenario, Step};
use crate::scrape::{self, Scraper, Scraping};
use crate::stacks::{self, Stack};
use density::DENSITY_PHASE;

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

impl<'a> Measure<'a> {
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

    /// One stack, one repeat: its companions started (its downstream, the OTLP receiver of
    /// its spans), then the fit search and density run of a `[fit]` or `[density]` scenario,
    /// else cold starts, idle, warm-up, steps (or the capacity search, or the battery), stop.
    /// Returns the repeat's record and every sample taken.
    pub fn stack(
        &self,
        dir: &mut RunDir,
        name: &str,
        prepared: &Prepared,
        repeat: u32,
        position: usize,
    ) -> (StackRun, Vec<Sample>) {
        let scenario = self.scenario;
        let workers = scenario.workers.map_or_else(
            || "default (the CPUs it may use)".to_owned(),
            |w| w.to_string(),
        );
        let mut run = StackRun::new(repeat, position, workers);
        run.load_average = crate::env::load_average();
        let ticks_before = CpuTicks::now();
        let stack = stacks::lookup(name).expect("stack names are checked before a run");
        let bar = self
            .reporter
            .stack_bar(&format!("{name} #{repeat}"), planned_seconds(scenario));
        let phase = Arc::new(PhaseCell::new(Phase::Idle));
        let downstream = match self.downstream(stack, name, &phase, &bar) {
            Ok(downstream) => downstream,
            Err(why) => return failed(run, why, bar),
        };
        let receiver = match self.receiver(stack, name, &bar) {
            Ok(receiver) => receiver,
            Err(why) => return failed(run, why, bar),
        };
        let spec = self.service_spec(
            (name, stack),
            prepared,
            downstream.as_ref(),
            receiver.as_ref(),
        );
        let boot_timeout = self.boot_timeout.unwrap_or_else(|| stack.boot_timeout());
        let samples = if scenario.fit.is_some() || scenario.density.is_some() {
            self.fit_and_density(dir, &spec, boot_timeout, &mut run, &bar)
        } else {
            bar.phase("starting");
            let Some(mut instance) = self.cold_starts(&spec, boot_timeout, &mut dir.boot, &mut run)
            else {
                bar.finish("failed to start");
                if let Some(downstream) = downstream {
                    run.landscape = Some(downstream.finish().0);
                }
                return (run, Vec::new());
            };
            let scraping = match self.scraping(stack, instance.addr(), name, &bar) {
                Ok(scraping) => scraping,
                Err(why) => {
                    run.failure = Some(why);
                    run.ended = Some(instance.stop());
                    bar.finish("failed");
                    return (run, Vec::new());
                }
            };
            let taken = Mutex::new(Vec::<Sample>::new());
            let sampling = match self.sampler(instance.source(), &phase) {
                Ok(sampling) => sampling,
                Err(e) => {
                    run.failure = Some(format!("cannot start the sampler: {e}"));
                    run.ended = Some(instance.stop());
                    return (run, Vec::new());
                }
            };
            let repeat = Repeat {
                name,
                phase: &phase,
                samples: &taken,
                bar: &bar,
            };
            let companions = Companions {
                downstream,
                receiver,
                spans: stack.span_ratio(),
                scraping,
            };
            self.loaded(
                dir,
                instance.as_mut(),
                sampling,
                companions,
                &repeat,
                &mut run,
            )
        };
        run.steal_pct = prepare::steal_since(ticks_before);
        bar.finish(match (&run.failure, self.cancel.is_cancelled()) {
            (Some(_), _) => "failed",
            (None, true) => "interrupted",
            (None, false) => "done",
        });
        (run, samples)
    }

    /// The spec of the stack's service: its build's program, arguments and environment (with
    /// `WORKERS` when the scenario sets it, what the backend adds, and where its downstream
    /// and its receiver are), on the service's CPUs, in its companions' landscape.
    fn service_spec(
        &self,
        (name, stack): (&str, &Stack),
        prepared: &Prepared,
        downstream: Option<&landscape::Downstream<'_, '_>>,
        receiver: Option<&spans::SpanSink>,
    ) -> ServiceSpec {
        let workers = self.scenario.workers;
        let launch = &prepared.launch;
        let mut env: Vec<(String, String)> = launch
            .env
            .iter()
            .cloned()
            .chain(workers.map(|w| ("WORKERS".to_owned(), w.to_string())))
            .collect();
        env.extend(
            self.backend
                .runtime_env(stack, workers, prepared.image.is_some()),
        );
        if let Some(downstream) = downstream {
            env.push(("QUOTES_URL".to_owned(), downstream.url.clone()));
        }
        if let Some(sink) = receiver {
            env.push((OTLP_ENDPOINT.to_owned(), sink.endpoint()));
        }
        ServiceSpec {
            stack: name.to_owned(),
            program: launch.program.clone(),
            args: launch.args_for_workers(stack, workers),
            env,
            cpus: self.placement.service_cpus.clone(),
            image: prepared.image.clone(),
            memory_mib: None,
            landscape: caller_landscape(downstream, receiver),
        }
    }

    /// The downstream of a stack that calls one, deployed and healthy; `None` for a stack
    /// that calls none, an error when the scenario has no `[downstream]` for it or it did
    /// not start.
    fn downstream<'m>(
        &'m self,
        stack: &Stack,
        name: &str,
        phase: &Arc<PhaseCell>,
        bar: &StackBar,
    ) -> Result<Option<landscape::Downstream<'m, 'a>>, String> {
        if !stack.calls_downstream() {
            return Ok(None);
        }
        match (&self.scenario.downstream, self.downstream) {
            (Some(plan), Some(built)) => {
                bar.phase(&format!("starting its downstream, {}", plan.service));
                landscape::Downstream::deploy(self, plan, built, name, Arc::clone(phase)).map(Some)
            }
            _ => Err(format!(
                "{name} calls the quotes service: run it with a scenario that has a \
                 [downstream] table (scenarios/landscape.toml, scenarios/resilience.toml)"
            )),
        }
    }

    /// The OTLP receiver of a `tracing` rung's spans, open; `None` for a stack that sends
    /// none.
    fn receiver(
        &self,
        stack: &Stack,
        name: &str,
        bar: &StackBar,
    ) -> Result<Option<spans::SpanSink>, String> {
        if stack.span_ratio().is_none() {
            return Ok(None);
        }
        bar.phase("starting its OTLP receiver");
        spans::SpanSink::open(self, name, self.receiver).map(Some)
    }

    /// Prometheus scraping a `metrics` rung at `addr`, started; `None` for a stack that is
    /// not scraped.
    fn scraping(
        &self,
        stack: &Stack,
        addr: std::net::SocketAddr,
        name: &str,
        bar: &StackBar,
    ) -> Result<Option<Box<dyn Scraping>>, String> {
        if !stack.is_scraped() {
            return Ok(None);
        }
        bar.phase("starting Prometheus, which scrapes it");
        self.scraper.start(addr, name).map(Some)
    }

    /// Idle before the load; `false` when it was interrupted (and `run` says so).
    fn idle(&self, bar: &StackBar, run: &mut StackRun) -> bool {
        bar.phase("idle");
        if !self.cancel.sleep(self.scenario.idle) {
            run.interrupted = Some("idle".into());
            return false;
        }
        true
    }

    /// A repeat of a started service: the breaker probe beside a downstream, the battery or
    /// the steps (and a capacity search) with the sampler running, then the service stopped,
    /// Prometheus's scrapes read, and what the companions saw recorded. Returns the samples,
    /// with the repeat's memory figures made from them.
    fn loaded(
        &self,
        dir: &mut RunDir,
        instance: &mut dyn Instance,
        sampling: (Sampler, mpsc::Receiver<Sample>),
        companions: Companions<'_, 'a>,
        repeat: &Repeat<'_>,
        run: &mut StackRun,
    ) -> Vec<Sample> {
        let Companions {
            mut downstream,
            receiver,
            spans,
            scraping,
        } = companions;
        let name = repeat.name;
        let probe = match (&downstream, &self.scenario.downstream) {
            (Some(_), Some(plan)) => Some(landscape::Probe::spawn(
                instance.addr(),
                plan.probe,
                self.epoch,
                Arc::clone(repeat.phase),
                self.scenario.steps.iter().map(|s| s.name.clone()).collect(),
            )),
            _ => None,
        };
        self.sampled(dir, sampling, instance, repeat, downstream.as_mut(), run);
        let probes = probe.map(landscape::Probe::finish).unwrap_or_default();
        if let Some(scraping) = scraping {
            run.scrapes = Some(self.scrapes(scraping, name, run.repeat, dir.scrapes.as_mut()));
        }
        run.ended = Some(instance.stop());
        if let (Some(receiver), Some(ratio)) = (receiver, spans) {
            match receiver.finish(ratio, &run.steps) {
                Ok(got) => run.spans = Some(got),
                Err(why) => run.failure = Some(format!("its spans could not be counted: {why}")),
            }
        }
        if let Some(downstream) = downstream {
            run.landscape = Some(downstream.record(&probes, name, run.repeat, dir));
        }
        let samples =
            std::mem::take(&mut *repeat.samples.lock().unwrap_or_else(|e| e.into_inner()));
        aggregate::repeat_memory(run, &samples);
        run.idle_cores = aggregate::idle_cores(&samples);
        samples
    }

    /// The battery, or the steps (and a capacity search), with the sampler running and its
    /// samples written to `memory.csv` and `cpu.csv` as they arrive; the sampler is stopped
    /// after.
    fn sampled(
        &self,
        dir: &mut RunDir,
        (sampler, rx): (Sampler, mpsc::Receiver<Sample>),
        instance: &mut dyn Instance,
        repeat: &Repeat<'_>,
        downstream: Option<&mut landscape::Downstream<'_, '_>>,
        run: &mut StackRun,
    ) {
        let scenario = self.scenario;
        let name = repeat.name;
        let RunDir {
            memory,
            cpu,
            latency,
            histograms,
            battery,
            capacity,
            ..
        } = dir;
        thread::scope(|scope| {
            let collector = {
                let samples = repeat.samples;
                let steps: Vec<String> = match scenario.capacity {
                    Some(_) => (0..capacity::MAX_PROBES)
                        .map(capacity::probe_name)
                        .collect(),
                    None => scenario.steps.iter().map(|s| s.name.clone()).collect(),
                };
                let repeat = run.repeat;
                scope.spawn(move || collect(rx, name, repeat, &steps, memory, cpu, samples))
            };
            match &scenario.battery {
                Some(plan) => self.battery(instance, repeat, plan, battery.as_mut(), run),
                None => self.steps(
                    instance,
                    repeat,
                    (latency, histograms),
                    capacity.as_mut(),
                    downstream,
                    run,
                ),
            }
            repeat.phase.set(Phase::Stop);
            sampler.stop();
            if let Ok(Err(e)) = collector.join() {
                self.reporter
                    .warn(&format!("{name}: samples not written: {e}"));
            }
        });
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

    /// The fit search of one stack (when the scenario has a `[fit]`), then its density run
    /// (with a `[density]`); returns every sample taken.
    fn fit_and_density(
        &self,
        dir: &mut RunDir,
        spec: &ServiceSpec,
        boot_timeout: Duration,
        run: &mut StackRun,
        bar: &StackBar,
    ) -> Vec<Sample> {
        let scenario = self.scenario;
        let Some(step) = scenario.steps.first() else {
            run.failure = Some("a fit search needs the scenario's one [[step]]".into());
            return Vec::new();
        };
        let (fit, mut samples) = self.fit(dir, spec, (step, boot_timeout), run.repeat, bar);
        if let Some(fit) = &fit {
            match fit.limit {
                crate::model::FitLimit::Interrupted => {
                    run.interrupted = Some(crate::fit::probe_name(fit.probes.len()));
                }
                crate::model::FitLimit::Failed => run.failure = fit.failure.clone(),
                _ => {}
            }
        }
        if let Some(plan) = scenario.density
            && run.failure.is_none()
            && run.interrupted.is_none()
        {
            let density = self.density(
                &plan,
                fit.as_ref(),
                (spec, step, boot_timeout),
                dir.density.as_mut(),
                run.repeat,
                bar,
            );
            if self.cancel.is_cancelled() {
                run.interrupted = Some(DENSITY_PHASE.to_owned());
            }
            run.density = Some(density);
        }
        run.fit = fit;
        samples.sort_by_key(|s| s.at);
        samples
    }
}

/// One repeat of one stack under load, as its experiments see it.
struct Repeat<'r> {
    /// The stack's name.
    name: &'r str,
    /// The phase its samples are stamped with.
    phase: &'r Arc<PhaseCell>,
    /// Every sample taken so far.
    samples: &'r Mutex<Vec<Sample>>,
    /// Its progress bar.
    bar: &'r StackBar,
}

/// The services a stack's repeat runs beside it, and what the stack asks of them.
struct Companions<'m, 'a> {
    /// Its downstream, deployed.
    downstream: Option<landscape::Downstream<'m, 'a>>,
    /// The receiver of its spans, open.
    receiver: Option<spans::SpanSink>,
    /// The share of requests a `tracing` rung makes a span of.
    spans: Option<f64>,
    /// Prometheus scraping it (a `metrics` rung).
    scraping: Option<Box<dyn Scraping>>,
}

/// The landscape the stack's service joins: its downstream's network, else the network of
/// its OTLP receiver (where the rung finds it by name), else none.
fn caller_landscape(
    downstream: Option<&landscape::Downstream<'_, '_>>,
    receiver: Option<&spans::SpanSink>,
) -> Landscape {
    match (downstream, receiver.and_then(spans::SpanSink::network)) {
        (Some(downstream), _) => downstream.caller_landscape(),
        // The run's network, where the rung finds its receiver by name.
        (None, Some(network)) => Landscape {
            network: Some(network),
            ..Landscape::default()
        },
        (None, None) => Landscape::default(),
    }
}

/// A repeat that failed before its service started: `why` recorded, the bar finished.
fn failed(mut run: StackRun, why: String, bar: StackBar) -> (StackRun, Vec<Sample>) {
    run.failure = Some(why);
    bar.finish("failed");
    (run, Vec::new())
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
