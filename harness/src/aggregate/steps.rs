//! A step's figures from its load and the samples in its window, a load worker's from its
//! report, a capacity probe's from its step's, and CPU per request over steps.

use crate::driver::generator_cpus;
use crate::model::{
    KindResult, ProbeRecord, Sample, StepLoad, StepSummary, WorkerLoad, WorkerStep,
};
use crate::scenario::Step;
use crate::stats::{median_u64, rate};

/// Share of its cores above which the load generator counts as saturated.
pub const SATURATED: f64 = 0.9;

/// 99th percentile of the generator's clock lateness above which a step is flagged
/// `generator_late`, µs. A clock thread that gets a CPU when it wakes hands slots out within
/// tens of microseconds of their time; 1 ms late at the 99th percentile means it waited for a
/// CPU (the generator is behind its own schedule), and it is the granularity of the runtime
/// timer the clock thread exists to avoid. An absolute bound rather than a share of the
/// step's latency: wake-up jitter alone is more than 10 % of the fastest stacks' median, so a
/// relative bound would flag every step of them. The recorded lateness lets a reader compare
/// it with any figure.
pub const GENERATOR_LATE_US: u64 = 1_000;

/// A step's figures: its load, plus memory and CPU from the samples inside its window
/// (`window` in seconds since the run's epoch). Throughput (`achieved_rps`) and CPU per 1000
/// requests count served requests only: those that got the status the contract gives their
/// kind (`requests - errors`); a failed or timed-out request was not served. `requests` and
/// `errors` count every request. `harness_cpus` is how many CPUs the load
/// generator is pinned to, `0` when it is not: it is then judged against every CPU the
/// process may use ([`crate::driver::generator_cpus`]).
pub fn step_summary(
    step: &Step,
    warmup: bool,
    load: &StepLoad,
    window: (f64, f64),
    samples: &[Sample],
    harness_cpus: usize,
) -> StepSummary {
    let inside: Vec<&Sample> = samples
        .iter()
        .filter(|s| (window.0..=window.1).contains(&s.at.as_secs_f64()))
        .collect();
    let seconds = load.seconds();
    let requests = load.requests();
    let errors: u64 = load.kinds.iter().map(|k| k.errors).sum();
    let achieved_rps = if seconds > 0.0 {
        requests.saturating_sub(errors) as f64 / seconds
    } else {
        0.0
    };
    let cores = |pick: fn(&Sample) -> u64| {
        let points: Vec<(f64, f64)> = inside
            .iter()
            .map(|s| (s.at.as_secs_f64(), pick(s) as f64 / 1e6))
            .collect();
        rate(&points)
    };
    let service_cores = cores(|s| s.service.cpu_us);
    let harness_cores = cores(|s| s.harness.cpu_us);
    let cpu_ms_per_1000 = service_cores
        .filter(|_| achieved_rps > 0.0)
        .map(|c| c * 1000.0 / achieved_rps * 1000.0);
    let rss: Vec<u64> = inside.iter().map(|s| s.service.rss_kb).collect();
    StepSummary {
        name: step.name.clone(),
        warmup,
        users: step.users,
        target_rps: step.rate,
        seconds,
        requests,
        answered: load.answered,
        achieved_rps,
        errors,
        kinds: load.kinds.clone(),
        rss_kb: median_u64(&rss),
        cpu_ms_per_1000,
        service_cores,
        harness_cores,
        load_generator_bound: harness_cores
            .is_some_and(|c| c >= SATURATED * generator_cpus(harness_cpus) as f64),
        coordinated_omission: load.coordinated_omission.clone(),
        generator_late_us: load.generator_late_us,
        generator_late: load
            .generator_late_us
            .is_some_and(|l| l.p99_us > GENERATOR_LATE_US),
        downstream: None,
        workers: load.workers.iter().map(worker_step).collect(),
        partial: load.partial.clone(),
    }
}

/// How far past a step's start instant a load worker may begin before it is flagged late,
/// µs: 10 ms, a hundred times what one node's workers show (they share its clock), and what
/// a multi-node swarm's clocks synchronised by NTP stay within.
pub const WORKER_START_LATE_US: u64 = 10_000;

/// One load worker's figures in a step, from what it reported: its own percentiles over every
/// kind (its histograms merged), its cores against its CPUs, and whether it was late.
pub fn worker_step(w: &WorkerLoad) -> WorkerStep {
    let load = w.load.as_ref();
    let seconds = load.map_or(0.0, StepLoad::seconds);
    let requests = load.map_or(0, StepLoad::requests);
    let errors: u64 = load.map_or(0, |l| l.kinds.iter().map(|k| k.errors).sum());
    let merged = |intended: bool| {
        let mut all = crate::driver::record::histogram();
        let mut any = false;
        for kind in load.iter().flat_map(|l| &l.kinds) {
            let h = kind.histograms.as_ref();
            let h = if intended {
                h.and_then(|h| h.intended.as_ref())
            } else {
                h.map(|h| &h.raw)
            };
            if let Some(h) = h {
                any = true;
                let _ = all.add(h);
            }
        }
        any.then_some(all)
    };
    // A report always carries its histograms (the coordinator refuses one without).
    let (p50_us, p99_us) = match merged(false) {
        Some(h) if !h.is_empty() => (h.value_at_quantile(0.5), h.value_at_quantile(0.99)),
        _ => (0, 0),
    };
    let intended_p99_us = merged(true)
        .filter(|h| !h.is_empty())
        .map(|h| h.value_at_quantile(0.99));
    let cores = w
        .cpu_seconds
        .filter(|_| seconds > 0.0)
        .map(|cpu| cpu / seconds);
    let generator_late_p99_us = load.and_then(|l| l.generator_late_us).map(|l| l.p99_us);
    WorkerStep {
        name: w.name.clone(),
        node: w.node.clone(),
        users: w.users,
        target_rps: w.rate,
        requests,
        errors,
        achieved_rps: if seconds > 0.0 {
            requests.saturating_sub(errors) as f64 / seconds
        } else {
            0.0
        },
        p50_us,
        p99_us,
        intended_p99_us,
        cores,
        cpus: w.cpus,
        saturated: cores.is_some_and(|c| c >= SATURATED * w.cpus.max(1) as f64),
        generator_late_p99_us,
        start_late_us: w.start_late_us,
        late: generator_late_p99_us.is_some_and(|l| l > GENERATOR_LATE_US)
            || w.start_late_us > WORKER_START_LATE_US,
        lost: w.lost.clone(),
    }
}

/// A capacity probe's figures from its step's ([`step_summary`]), verdict not yet given. The
/// percentiles are the slowest kind's (with seeded ids only, as `scenarios/capacity.toml` asks,
/// the only kind's): a p99 over every kind is at most the largest of the kinds' p99s.
/// `harness_cpus` as for [`step_summary`].
pub fn probe_record(step: &StepSummary, harness_cpus: usize) -> ProbeRecord {
    let slowest = |pick: &dyn Fn(&KindResult) -> Option<u64>| {
        step.kinds
            .iter()
            .filter(|k| k.requests > 0)
            .filter_map(pick)
            .max()
    };
    ProbeRecord {
        rate: step.target_rps.unwrap_or(0),
        achieved_rps: step.achieved_rps,
        requests: step.requests,
        errors: step.errors,
        p50_us: slowest(&|k| Some(k.p50_us)).unwrap_or(0),
        p99_us: slowest(&|k| Some(k.p99_us)).unwrap_or(0),
        intended_p50_us: slowest(&|k| k.intended.map(|p| p.p50_us)),
        intended_p99_us: slowest(&|k| k.intended.map(|p| p.p99_us)),
        generator_late_p99_us: step.generator_late_us.map(|l| l.p99_us),
        generator_late: step.generator_late,
        generator_cpu_share: step
            .harness_cores
            .map(|c| c / generator_cpus(harness_cpus) as f64),
        generator_saturated: step.load_generator_bound,
        service_cores: step.service_cores,
        cpu_ms_per_request: step.cpu_ms_per_1000.map(|c| c / 1000.0),
        verdict: None,
    }
}

/// Service CPU per 1000 served requests over several steps: total CPU over the total of
/// requests that got their kind's status (see [`step_summary`]).
pub fn cpu_per_1000(steps: &[StepSummary]) -> Option<f64> {
    let (mut cpu_ms, mut served) = (0.0, 0.0);
    for step in steps.iter().filter(|s| !s.warmup) {
        let cores = step.service_cores?;
        cpu_ms += cores * step.seconds * 1000.0;
        served += step.requests.saturating_sub(step.errors) as f64;
    }
    (served > 0.0).then(|| cpu_ms / served * 1000.0)
}
