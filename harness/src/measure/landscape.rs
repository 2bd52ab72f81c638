//! A landscape variant's downstream during one repeat: deployed before the variant (on the
//! backend's shared network, under a fixed name and port so a restart keeps its address),
//! sampled apart, given the faults the steps ask for, and stopped after the variant; and the
//! breaker probe, which asks the variant for one seeded account every `probe_ms` and notes
//! whether the answer carried a quote.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use footprint_contract::client::{ClientError, Conn, Response};

use super::{Epoch, Measure};
use crate::backend::{Instance, Landscape, ServiceSpec};
use crate::boot;
use crate::model::{
    BreakerProbe, DownstreamStep, FaultRecord, LandscapeRun, Observed, Phase, PhaseCell, Sample,
};
use crate::prepare::Prepared;
use crate::results::{BreakerRow, DownstreamRow, RunDir};
use crate::sample::Sampler;
use crate::scenario::{DownstreamPlan, Fault};
use crate::stacks::QUOTES;

/// The seeded account every probe asks for.
const PROBE_PATH: &str = "/accounts/10000";
/// How long a probe waits for its answer: far above any timeout the contract allows, so a
/// slow answer is measured rather than cut short.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// The downstream's fault control (contract Q3).
const FAULT_PATH: &str = "/admin/fault";
/// How long the downstream may take to answer `/health` after a start.
const DOWNSTREAM_BOOT: Duration = Duration::from_secs(30);

/// The downstream of one repeat of a variant.
pub struct Downstream<'m, 'a> {
    measure: &'m Measure<'a>,
    plan: &'m DownstreamPlan,
    spec: ServiceSpec,
    instance: Option<Box<dyn Instance>>,
    sampler: Option<(Sampler, JoinHandle<()>)>,
    samples: Arc<Mutex<Vec<Sample>>>,
    phase: Arc<PhaseCell>,
    /// The address the variant is given.
    pub url: String,
    /// What the repeat recorded of it.
    pub run: LandscapeRun,
}

impl<'m, 'a> Downstream<'m, 'a> {
    /// Starts the downstream for the variant `stack` and waits for its `/health`; `phase` is
    /// the variant's phase cell, so both services' samples carry the same phases.
    pub fn deploy(
        measure: &'m Measure<'a>,
        plan: &'m DownstreamPlan,
        prepared: &Prepared,
        stack: &str,
        phase: Arc<PhaseCell>,
    ) -> Result<Self, String> {
        let backend = measure.backend;
        let (network, port, name) = helper_spot(measure, "the downstream", QUOTES.name, stack)?;
        let spec = ServiceSpec {
            stack: QUOTES.name.to_owned(),
            program: prepared.launch.program.clone(),
            args: prepared.launch.args.clone(),
            env: prepared.launch.env.clone(),
            // Off the variant's CPUs: the account's figures are the account's own.
            cpus: measure.placement.harness_cpus.clone(),
            image: prepared.image.clone(),
            memory_mib: None,
            landscape: Landscape {
                name: Some(name.clone()),
                port: Some(port),
                network,
                replicas: Some(plan.replicas),
            },
        };
        let url = backend.downstream_url(&name, port);
        let mut downstream = Self {
            measure,
            plan,
            spec,
            instance: None,
            sampler: None,
            samples: Arc::new(Mutex::new(Vec::new())),
            phase,
            run: LandscapeRun {
                url: url.clone(),
                ..LandscapeRun::default()
            },
            url,
        };
        downstream.start()?;
        Ok(downstream)
    }

    /// The spec the variant joins the landscape with: the downstream's network.
    pub fn caller_landscape(&self) -> Landscape {
        Landscape {
            network: self.spec.landscape.network.clone(),
            ..Landscape::default()
        }
    }

    fn start(&mut self) -> Result<Duration, String> {
        let m = self.measure;
        let mut instance = m
            .backend
            .start(&self.spec)
            .map_err(|e| format!("the downstream did not start: {e}"))?;
        let took = match boot::wait_healthy(instance.as_mut(), DOWNSTREAM_BOOT, m.health, m.cancel)
        {
            Ok(took) => took,
            Err(e) => {
                let stderr = instance.stderr_tail();
                instance.stop();
                return Err(format!(
                    "the downstream never answered /health: {e}; stderr: {stderr}"
                ));
            }
        };
        let (sampler, rx) = m
            .sampler(instance.source(), &self.phase)
            .map_err(|e| format!("cannot sample the downstream: {e}"))?;
        let samples = Arc::clone(&self.samples);
        let collector = thread::spawn(move || {
            for sample in rx {
                samples
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(sample);
            }
        });
        self.sampler = Some((sampler, collector));
        self.instance = Some(instance);
        Ok(took)
    }

    fn stop(&mut self) -> String {
        if let Some((sampler, collector)) = self.sampler.take() {
            sampler.stop();
            let _ = collector.join();
        }
        self.instance
            .take()
            .map_or_else(|| "already stopped".to_owned(), |mut i| i.stop())
    }

    /// Gives the downstream what step `step` asks of it, if anything, and records it.
    pub fn before_step(&mut self, step: &str) {
        let Some(fault) = self.plan.fault_at(step) else {
            return;
        };
        let at_s = self.measure.epoch.instant.elapsed().as_secs_f64();
        let outcome = match self.apply(fault) {
            Ok(outcome) => outcome,
            Err(why) => format!("failed: {why}"),
        };
        self.run.faults.push(FaultRecord {
            at_s,
            step: step.to_owned(),
            fault: fault.as_str().to_owned(),
            outcome,
        });
    }

    fn apply(&mut self, fault: Fault) -> Result<String, String> {
        if fault == Fault::Down {
            return Ok(format!("stopped ({})", self.stop()));
        }
        let mut restarted = String::new();
        if self.instance.is_none() {
            let took = self.start()?;
            restarted = format!("started again in {:.1} ms; ", took.as_secs_f64() * 1000.0);
        }
        let query = match fault {
            Fault::Healthy => "delay_ms=0&answer=quote".to_owned(),
            Fault::Slow => format!("delay_ms={}&answer=quote", self.plan.slow.as_millis()),
            Fault::Error => "delay_ms=0&answer=error".to_owned(),
            Fault::Garbage => "delay_ms=0&answer=garbage".to_owned(),
            Fault::Down => unreachable!("handled above"),
        };
        let addr = self
            .instance
            .as_ref()
            .map(|i| i.addr())
            .ok_or("not running")?;
        let target = format!("{}?{query}", FAULT_PATH);
        let answer = footprint_contract::client::fetch(addr, "PUT", &target)
            .map_err(|e| format!("PUT {target}: {e}"))?;
        if answer.status == 200 || answer.status == 204 {
            Ok(format!("{restarted}PUT {target}: {}", answer.status))
        } else {
            Err(format!("PUT {target}: {} {}", answer.status, answer.text()))
        }
    }

    /// The downstream's figures over a step's window (seconds since the epoch), with the
    /// variant's served requests in it.
    pub fn step(&self, window: (f64, f64), served: u64) -> DownstreamStep {
        let samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        crate::aggregate::downstream_step(&samples, window, served)
    }

    /// Stops the downstream and hands back its samples with the repeat's record.
    pub fn finish(mut self) -> (LandscapeRun, Vec<Sample>) {
        self.stop();
        let samples = std::mem::take(&mut *self.samples.lock().unwrap_or_else(|e| e.into_inner()));
        self.run.idle_kb = crate::aggregate::phase_memory(&samples, Phase::Idle).0;
        (std::mem::take(&mut self.run), samples)
    }

    /// Stops the downstream and makes the repeat's record of the landscape of `stack`: the
    /// downstream's samples written to `downstream.csv`, the breaker's `probes` added, and
    /// the probes with the faults between them written to `breaker.csv`.
    pub fn record(
        self,
        probes: &[BreakerProbe],
        stack: &str,
        repeat: u32,
        dir: &mut RunDir,
    ) -> LandscapeRun {
        let steps: Vec<String> = self
            .measure
            .scenario
            .steps
            .iter()
            .map(|s| s.name.clone())
            .collect();
        let (mut landscape, taken) = self.finish();
        if let Some(csv) = dir.downstream.as_mut() {
            for sample in &taken {
                csv.append(&DownstreamRow::from_sample(
                    stack,
                    repeat,
                    QUOTES.name,
                    &sample.phase.name(&steps),
                    sample,
                ));
            }
        }
        let mut last = None;
        for probe in probes {
            landscape.add(probe, last);
            last = Some(probe.observed);
        }
        if let Some(csv) = dir.breaker.as_mut() {
            let mut faults = landscape.faults.iter().peekable();
            for probe in probes {
                while let Some(fault) = faults.next_if(|f| f.at_s <= probe.at_s) {
                    csv.append(&BreakerRow::fault(stack, repeat, fault));
                }
                csv.append(&BreakerRow::probe(stack, repeat, probe));
            }
            for fault in faults {
                csv.append(&BreakerRow::fault(stack, repeat, fault));
            }
        }
        landscape
    }
}

impl Drop for Downstream<'_, '_> {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The breaker probe: a thread asking the variant at `addr` for one account every `every`,
/// each on a fresh connection, until stopped.
pub struct Probe {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<Vec<BreakerProbe>>>,
}

impl Probe {
    /// Starts probing; `steps` names the phases the probes fall in.
    pub fn spawn(
        addr: SocketAddr,
        every: Duration,
        epoch: Epoch,
        phase: Arc<PhaseCell>,
        steps: Vec<String>,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let handle = thread::Builder::new()
            .name("breaker-probe".into())
            .spawn(move || {
                let mut probes = Vec::new();
                let mut next = Instant::now();
                while !stopped.load(Ordering::Relaxed) {
                    let at_s = epoch.instant.elapsed().as_secs_f64();
                    let step = phase.get().name(&steps);
                    let (latency_us, observed) = probe_once(addr);
                    probes.push(BreakerProbe {
                        at_s,
                        step,
                        latency_us,
                        observed,
                    });
                    next += every;
                    let now = Instant::now();
                    if next > now {
                        thread::sleep(next - now);
                    } else {
                        next = now;
                    }
                }
                probes
            })
            .ok();
        Self { stop, handle }
    }

    /// Stops probing and returns every probe, in order.
    pub fn finish(mut self) -> Vec<BreakerProbe> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// How long a variant may take to get its first quote after it is ready (a swarm task's name
/// can take a moment to resolve).
const FIRST_QUOTE: Duration = Duration::from_secs(5);

/// Where a service the harness runs beside `stack` (its downstream, its OTLP receiver) sits:
/// the run's shared network, a free host port and a name of its own, `footprint-<kind>-<stack>-
/// <random>`, fixed so the service that calls it finds it by name. `what` names it in errors.
pub(super) fn helper_spot(
    measure: &Measure<'_>,
    what: &str,
    kind: &str,
    stack: &str,
) -> Result<(Option<String>, u16, String), String> {
    let network = measure
        .backend
        .landscape_network()
        .map_err(|e| format!("{what}'s network: {e}"))?;
    let port = footprint_contract::service::free_port()
        .map_err(|e| format!("no free port for {what}: {e}"))?;
    let name = format!(
        "footprint-{kind}-{}-{:06x}",
        stack.replace(['+', '@'], "-"),
        rand::random::<u32>() & 0xff_ffff
    );
    Ok((network, port, name))
}

/// Waits for the variant at `addr` to answer an account with a quote from the downstream at
/// `url`; else says what its answers said instead, so a landscape that cannot reach its
/// downstream is refused rather than measured as a breaker stuck open.
pub fn check_reachable(addr: SocketAddr, url: &str) -> Result<(), String> {
    let deadline = Instant::now() + FIRST_QUOTE;
    loop {
        let started = Instant::now();
        let said = match &ask(addr) {
            Ok(response)
                if Observed::of_answer(response.status, &response.body) == Observed::Closed =>
            {
                return Ok(());
            }
            Ok(response) => format!("{} {}", response.status, response.text()),
            Err(e) => e.to_string(),
        };
        if Instant::now() >= deadline {
            return Err(format!(
                "no quote from the downstream at {url} within {} s of the start: GET {PROBE_PATH} \
                 answered {said}",
                FIRST_QUOTE.as_secs()
            ));
        }
        thread::sleep(Duration::from_millis(100).saturating_sub(started.elapsed()));
    }
}

/// `GET` of the probe's seeded account on a fresh connection.
fn ask(addr: SocketAddr) -> Result<Response, ClientError> {
    Conn::open(addr, PROBE_TIMEOUT).and_then(|mut c| c.request("GET", PROBE_PATH))
}

/// One probe: connect to the last byte of the answer, and what it says of the breaker.
fn probe_once(addr: SocketAddr) -> (Option<u64>, Observed) {
    let started = Instant::now();
    match ask(addr) {
        Ok(response) => (
            Some(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX)),
            Observed::of_answer(response.status, &response.body),
        ),
        Err(_) => (None, Observed::Broken),
    }
}
