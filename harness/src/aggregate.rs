//! The one place samples and load figures become a stack's results.
//!
//! Pure functions over timestamped samples: testable without a service.
//!
//! A repeat's memory is made in `memory`, a step's and a probe's figures in `steps`, the
//! companions' in `companions`, the harness's own cost in `harness`; this file folds a
//! stack's repeats into its figures.

mod companions;
mod harness;
mod memory;
mod steps;

use crate::model::{
    Capacity, CapacityLimit, CapacitySummary, Estimates, Fit, FitSummary, KindResult, StackRun,
    StackSummary, Status, StepEstimate, StepSummary,
};
use crate::stats::{Estimate, estimate, median, median_u64, spread};

pub use companions::{downstream_step, scrape_run, span_run};
pub use harness::{HarnessFold, harness_cost};
pub use memory::{
    BatteryFigures, DRIFT_MIN_SECONDS, NEAR_IDLE_KB, NEAR_IDLE_SHARE, battery_figures, drift,
    idle_cores, peak, phase_memory, phases_memory, phases_peak, repeat_memory,
};
pub use steps::{
    GENERATOR_LATE_US, SATURATED, WORKER_START_LATE_US, cpu_per_1000, probe_record, step_summary,
    worker_step,
};

/// A stack's capacity over its repeats' searches: the capacity per core and the CPU per
/// request at it, median and spread over the repeats that found one. A repeat whose search
/// stopped short of the service's limit makes the whole figure a lower bound.
pub fn capacity_summary(runs: &[&StackRun]) -> Option<CapacitySummary> {
    let searches: Vec<&Capacity> = runs.iter().filter_map(|r| r.capacity.as_ref()).collect();
    let first = searches.first()?;
    let over = |pick: fn(&Capacity) -> Option<f64>| {
        let values: Vec<f64> = searches.iter().filter_map(|c| pick(c)).collect();
        estimate(&values)
    };
    let limit = [
        CapacityLimit::Generator,
        CapacityLimit::MaxRate,
        CapacityLimit::Interrupted,
        CapacityLimit::Failed,
    ]
    .into_iter()
    .find(|l| searches.iter().any(|c| c.limit == *l))
    .unwrap_or(first.limit);
    Some(CapacitySummary {
        slo_p99_ms: first.slo_p99_ms,
        max_error_ratio: first.max_error_ratio,
        rps_per_core: over(|c| c.rps_per_core),
        cpu_ms_per_request: over(|c| c.cpu_ms_per_request),
        limit,
        at_least: !limit.is_service(),
    })
}

/// Share of the machine's CPU time stolen by the hypervisor above which a repeat counts as
/// disturbed, percent.
pub const STEAL_PCT: f64 = 1.0;

/// A stack's fit over its repeats' searches: the largest fit (a limit every repeat held), with
/// the memory used at it and what the limit just below it showed in that repeat. A repeat that
/// found no fit (not even the largest limit held) makes the stack's fit none.
pub fn fit_summary(runs: &[&StackRun]) -> Option<FitSummary> {
    let searches: Vec<&Fit> = runs.iter().filter_map(|r| r.fit.as_ref()).collect();
    let worst = searches
        .iter()
        .max_by_key(|f| f.fit_mib.map_or(u64::MAX, u64::from))?;
    Some(FitSummary {
        fit_mib: worst.fit_mib,
        limit: worst.limit,
        used_kb: worst.at.as_ref().and_then(|p| p.peak_kb),
        below: worst.below.as_ref().and_then(|p| p.verdict),
        below_mib: worst.below.as_ref().map(|p| p.limit_mib),
        jvm_heap_max_mib: worst.at.as_ref().and_then(|p| p.jvm_heap_max_mib),
        cpu_ms_per_request: worst.probes.first().and_then(|p| p.cpu_ms_per_request),
    })
}

/// Folds a stack's repeats into its figures: medians over the repeats that did not fail, boot
/// spread over every cold start, and the estimates with their noisy flags. `cpus` is how many
/// CPUs the machine has (a load average above it means something else wanted the CPUs).
pub fn fold_runs(stack: &mut StackSummary, cpus: usize) {
    let good: Vec<&StackRun> = stack.runs.iter().filter(|r| r.failure.is_none()).collect();
    let median_of = |pick: fn(&StackRun) -> Option<u64>| {
        let values: Vec<u64> = good.iter().filter_map(|r| pick(r)).collect();
        median_u64(&values)
    };
    stack.idle_kb = median_of(|r| r.idle_kb);
    stack.idle_pss_kb = median_of(|r| r.idle_pss_kb);
    stack.load_kb = median_of(|r| r.load_kb);
    stack.peak_kb = median_of(|r| r.peak_kb);
    let drifts: Vec<f64> = good.iter().filter_map(|r| r.drift_kb_per_min).collect();
    stack.drift_kb_per_min = median(&drifts);
    let boots: Vec<f64> = stack
        .runs
        .iter()
        .flat_map(|r| &r.boots)
        .map(|b| b.boot_ms)
        .collect();
    stack.boot_ms = spread(&boots);
    let self_boots: Vec<f64> = stack
        .runs
        .iter()
        .flat_map(|r| &r.boots)
        .filter_map(|b| b.self_boot_us)
        .map(|us| us as f64 / 1000.0)
        .collect();
    stack.self_boot_ms = spread(&self_boots);
    let container_boots: Vec<f64> = stack
        .runs
        .iter()
        .flat_map(|r| &r.boots)
        .filter_map(|b| b.from_container_start_ms)
        .collect();
    stack.container_boot_ms = spread(&container_boots);
    let last_steps: Vec<&StepSummary> = good
        .iter()
        .filter_map(|r| r.steps.iter().rfind(|s| !s.warmup))
        .collect();
    let seeded = |step: &StepSummary, pick: fn(&KindResult) -> u64| {
        step.kinds.iter().find(|k| k.kind == "seeded").map(pick)
    };
    let p50: Vec<u64> = last_steps
        .iter()
        .filter_map(|s| seeded(s, |k| k.p50_us))
        .collect();
    let p99: Vec<u64> = last_steps
        .iter()
        .filter_map(|s| seeded(s, |k| k.p99_us))
        .collect();
    let rps: Vec<f64> = last_steps.iter().map(|s| s.achieved_rps).collect();
    stack.p50_us = median_u64(&p50);
    stack.p99_us = median_u64(&p99);
    stack.achieved_rps = median(&rps);
    let cpu: Vec<f64> = good.iter().filter_map(|r| cpu_per_1000(&r.steps)).collect();
    stack.cpu_ms_per_1000 = median(&cpu);
    let idle: Vec<f64> = good.iter().filter_map(|r| r.idle_cores).collect();
    stack.idle_cores = median(&idle);
    stack.capacity = capacity_summary(&good);
    stack.fit = fit_summary(&good);
    stack.density = good
        .iter()
        .filter_map(|r| r.density.as_ref())
        .min_by_key(|d| (d.replicas_per_node().unwrap_or(0), d.held))
        .cloned();
    stack.estimates = Some(estimates(stack, &good, cpus));
    let interrupted = stack.runs.iter().find_map(|r| r.interrupted.as_ref());
    match (
        stack.runs.iter().find_map(|r| r.failure.as_ref()),
        interrupted,
    ) {
        (Some(failure), _) => {
            stack.status = Status::Failed;
            stack.reason = Some(failure.clone());
        }
        (None, Some(phase)) => {
            stack.status = Status::Interrupted;
            stack.reason = Some(format!(
                "interrupted during {phase}: its figures are partial"
            ));
        }
        (None, None) if !stack.runs.is_empty() => {
            stack.status = Status::Ok;
            stack.reason = None;
        }
        (None, None) => {}
    }
}

/// The seeded ids' figures of a step, if it measured any.
fn seeded(step: &StepSummary) -> Option<&KindResult> {
    step.kinds.iter().find(|k| k.kind == "seeded")
}

/// Every headline figure over the repeats that did not fail, with noisy figures named and
/// their likely causes.
fn estimates(stack: &StackSummary, good: &[&StackRun], cpus: usize) -> Estimates {
    let over = |pick: &dyn Fn(&StackRun) -> Option<f64>| {
        let values: Vec<f64> = good.iter().filter_map(|r| pick(r)).collect();
        estimate(&values)
    };
    let kb = |v: Option<u64>| v.map(|v| v as f64);
    let boots: Vec<f64> = stack
        .runs
        .iter()
        .flat_map(|r| &r.boots)
        .map(|b| b.boot_ms)
        .collect();
    let mut names: Vec<&str> = Vec::new();
    for run in good {
        for step in run.steps.iter().filter(|s| !s.warmup) {
            if !names.contains(&step.name.as_str()) {
                names.push(&step.name);
            }
        }
    }
    let steps: Vec<StepEstimate> = names
        .iter()
        .map(|&name| {
            let of = |pick: &dyn Fn(&StepSummary) -> Option<f64>| {
                over(&|r: &StackRun| {
                    r.steps
                        .iter()
                        .find(|s| !s.warmup && s.name == name)
                        .and_then(pick)
                })
            };
            StepEstimate {
                name: name.to_owned(),
                p50_us: of(&|s| seeded(s).map(|k| k.p50_us as f64)),
                p99_us: of(&|s| seeded(s).map(|k| k.p99_us as f64)),
                intended_p50_us: of(&|s| seeded(s)?.intended.map(|p| p.p50_us as f64)),
                intended_p99_us: of(&|s| seeded(s)?.intended.map(|p| p.p99_us as f64)),
                achieved_rps: of(&|s| Some(s.achieved_rps)),
            }
        })
        .collect();
    let mut e = Estimates {
        idle_kb: over(&|r| kb(r.idle_kb)),
        load_kb: over(&|r| kb(r.load_kb)),
        peak_kb: over(&|r| kb(r.peak_kb)),
        boot_ms: estimate(&boots),
        cpu_ms_per_1000: over(&|r| cpu_per_1000(&r.steps)),
        steps,
        noisy: Vec::new(),
        causes: Vec::new(),
    };
    let mut flag = |name: String, figure: &Option<Estimate>| {
        if figure.is_some_and(|f| f.noisy) {
            e.noisy.push(name);
        }
    };
    flag("idle memory".into(), &e.idle_kb);
    flag("load memory".into(), &e.load_kb);
    flag("peak memory".into(), &e.peak_kb);
    flag("boot".into(), &e.boot_ms);
    flag("CPU per 1k requests".into(), &e.cpu_ms_per_1000);
    if let Some(capacity) = &stack.capacity {
        flag("capacity per core".into(), &capacity.rps_per_core);
    }
    for step in &e.steps {
        flag(format!("{} p50", step.name), &step.p50_us);
        flag(format!("{} p99", step.name), &step.p99_us);
        flag(format!("{} rps", step.name), &step.achieved_rps);
    }
    if !e.noisy.is_empty() {
        e.causes = noise_causes(good, cpus);
    }
    e
}

/// What the run recorded that can explain repeats disagreeing: a saturated load generator,
/// CPU stolen by the hypervisor, or a machine busier than its CPUs. Empty when none is seen.
pub fn noise_causes(runs: &[&StackRun], cpus: usize) -> Vec<String> {
    let mut causes = Vec::new();
    let repeats = |pick: &dyn Fn(&StackRun) -> bool| {
        runs.iter()
            .filter(|r| pick(r))
            .map(|r| format!("#{}", r.repeat))
            .collect::<Vec<_>>()
    };
    let bound = repeats(&|r| r.steps.iter().any(|s| !s.warmup && s.load_generator_bound));
    if !bound.is_empty() {
        causes.push(format!(
            "load generator saturated in repeat {}",
            bound.join(", ")
        ));
    }
    let late = repeats(&|r| r.steps.iter().any(|s| !s.warmup && s.generator_late));
    if !late.is_empty() {
        causes.push(format!(
            "load generator behind its own schedule in repeat {}",
            late.join(", ")
        ));
    }
    let steal = runs
        .iter()
        .filter_map(|r| r.steal_pct)
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
    if let Some(steal) = steal.filter(|&s| s > STEAL_PCT) {
        causes.push(format!(
            "CPU steal up to {steal:.1} % (the hypervisor took CPU time)"
        ));
    }
    let busy = repeats(&|r| {
        r.load_average
            .first()
            .is_some_and(|&l| l > cpus.max(1) as f64)
    });
    if !busy.is_empty() {
        causes.push(format!(
            "machine busy (1-minute load average above its {cpus} CPUs) as repeat {} started",
            busy.join(", ")
        ));
    }
    causes
}

/// The order of stacks in repeat `repeat` (from 0): rotated by one each time (A B C, B C A,
/// C A B, ...), so slow drift of a noisy machine falls on every stack alike.
pub fn interleave<T: Clone>(stacks: &[T], repeat: usize) -> Vec<T> {
    let mut order = stacks.to_vec();
    if !order.is_empty() {
        let shift = repeat % order.len();
        order.rotate_left(shift);
    }
    order
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_rungs_spans_agree_with_its_ratio_or_say_not() {
        assert!(span_run(1.0, 3, 1005, 1000, 1000, 9000, 0).agrees);
        assert!(
            !span_run(1.0, 3, 990, 990, 1000, 9000, 0).agrees,
            "a span lost"
        );
        let tenth = span_run(0.1, 1, 120, 104, 1000, 900, 0);
        assert_eq!(tenth.kept, Some(0.104));
        assert!(tenth.agrees);
        assert!(
            !span_run(0.1, 1, 20, 20, 1000, 900, 0).agrees,
            "far too few"
        );
        assert!(
            !span_run(0.1, 1, 100, 100, 1000, 900, 1).agrees,
            "an export refused"
        );
        assert!(
            !span_run(1.0, 0, 0, 0, 0, 0, 0).agrees,
            "nothing served, nothing shown"
        );
    }

    #[test]
    fn a_rungs_scrapes_are_counted_and_timed() {
        let scrape = |at_s: f64, up: bool, ms: f64, samples: u64| Scrape {
            at_s,
            up,
            duration_ms: Some(ms),
            samples: Some(samples),
        };
        let run = scrape_run(
            "prometheus".into(),
            1.0,
            &[
                scrape(0.0, true, 1.0, 40),
                scrape(1.0, true, 3.0, 52),
                scrape(2.0, false, 1000.0, 0),
            ],
        );
        assert_eq!((run.scrapes, run.up), (3, 2));
        assert_eq!(run.duration_ms_median, Some(3.0));
        assert_eq!(run.duration_ms_max, Some(1000.0));
        assert_eq!(run.samples, Some(52), "the last good scrape's");
        assert_eq!(scrape_run(String::new(), 1.0, &[]).duration_ms_median, None);
    }

    use super::*;
    use crate::model::{BatteryCase, Reading};
    use crate::model::{BatteryRun, HarnessCost, Phase, Sample, Scrape, StepLoad};
    use crate::scenario::Step;
    use crate::stats::rate;

    fn battery(before: u64, after: u64, cases: &[(bool, bool, bool)]) -> BatteryRun {
        BatteryRun {
            cases: cases
                .iter()
                .map(|&(passed, concern, down)| BatteryCase {
                    group: "malformed".into(),
                    case: "GARBAGE".into(),
                    outcome: "400".into(),
                    passed,
                    concern: concern.then(|| "kept the connection".to_owned()),
                    millis: 1.0,
                    down_after: down.then(|| "/health: refused".to_owned()),
                })
                .collect(),
            before_kb: Some(before),
            during_kb: Some(before.max(after) + 100),
            after_group_kb: vec![
                ("malformed".into(), before + 10),
                ("oversized".into(), after + 50),
                ("burst".into(), after),
            ],
            after_kb: Some(after),
            settle_seconds: 10.0,
        }
    }

    #[test]
    fn battery_counts_cases_and_judges_memory_against_idle() {
        let ok = battery_figures(&battery(
            2048,
            2048 + 1024,
            &[(true, false, false), (true, true, false)],
        ));
        assert_eq!((ok.cases, ok.passed, ok.concerns), (2, 2, 1));
        assert!(ok.stayed_up);
        // A small service is allowed 1 MiB.
        assert_eq!((ok.retained_kb, ok.near_idle), (Some(1024), Some(true)));
        assert_eq!(ok.grew_most, Some(("oversized".to_owned(), 1024 + 40)));
        let kept = battery_figures(&battery(2048, 2048 + 1025, &[(false, false, true)]));
        assert_eq!(
            (kept.passed, kept.stayed_up, kept.near_idle),
            (0, false, Some(false))
        );
        // A large one 10 % of its idle level.
        let jvm = battery_figures(&battery(100_000, 110_000, &[]));
        assert_eq!(jvm.near_idle, Some(true));
        assert_eq!(
            battery_figures(&battery(100_000, 110_001, &[])).near_idle,
            Some(false)
        );
        let shrunk = battery_figures(&battery(5000, 4000, &[]));
        assert_eq!(
            (shrunk.retained_kb, shrunk.near_idle),
            (Some(-1000), Some(true))
        );
    }
    use chrono::{TimeZone, Utc};
    use std::collections::BTreeMap;
    use std::time::Duration;

    fn sample(
        at_ms: u64,
        phase: usize,
        rss: u64,
        service_cpu_ms: u64,
        harness_cpu_ms: u64,
    ) -> Sample {
        Sample {
            at: Duration::from_millis(at_ms),
            phase: match phase {
                0 => Phase::Idle,
                1 => Phase::Warmup,
                n => Phase::Step(n - 2),
            },
            service: Reading {
                rss_kb: rss,
                pss_kb: Some(rss / 2),
                hwm_kb: rss,
                cpu_us: service_cpu_ms * 1000,
                cpu_tick_us: service_cpu_ms / 10 * 10_000,
                threads: 2,
            },
            harness: Reading {
                cpu_us: harness_cpu_ms * 1000,
                ..Reading::default()
            },
            cost_us: 10,
        }
    }

    /// The harness's cost as it was computed before runs folded it in: over every sample of
    /// the run at once.
    fn cost_over_every_sample(samples: &[Sample], interval: Duration) -> HarnessCost {
        let costs: Vec<f64> = samples.iter().map(|s| s.cost_us as f64).collect();
        let per_sample = median(&costs);
        let interval_us = interval.as_secs_f64() * 1e6;
        let peak_kb = samples
            .iter()
            .map(|s| s.harness.hwm_kb.max(s.harness.rss_kb))
            .max()
            .unwrap_or(0);
        let mut idle_cores = Vec::new();
        let mut stretch: Vec<(f64, f64)> = Vec::new();
        for s in samples {
            if s.phase == Phase::Idle {
                if stretch.last().is_some_and(|&(t, _)| s.at.as_secs_f64() < t) {
                    idle_cores.extend(rate(&stretch));
                    stretch.clear();
                }
                stretch.push((s.at.as_secs_f64(), s.harness.cpu_us as f64 / 1e6));
            } else if !stretch.is_empty() {
                idle_cores.extend(rate(&stretch));
                stretch.clear();
            }
        }
        idle_cores.extend(rate(&stretch));
        HarnessCost {
            samples: samples.len() as u64,
            sampler_cpu_us_per_sample: per_sample,
            sampler_core_pct: per_sample.map(|c| c / interval_us * 100.0),
            harness_peak_kb: (peak_kb > 0).then_some(peak_kb),
            idle_core_pct: median(&idle_cores).map(|c| c * 100.0),
        }
    }

    /// A run's samples, repeat by repeat: idle, warm-up and a step each, costs and the
    /// harness's memory varying. The second repeat ends idle and the third's clock starts
    /// over (a stretch broken by time going back); the fourth ends idle and the fifth begins
    /// idle (one stretch across two repeats).
    fn repeats() -> Vec<Vec<Sample>> {
        let mut t = 0;
        let mut repeats = Vec::new();
        for r in 0..5u64 {
            if r == 2 {
                t = 0;
            }
            let mut taken = Vec::new();
            for i in 0..(30 + 7 * r) {
                let phase = match i {
                    i if i < 10 + r => 0,
                    i if i < 15 + r => 1,
                    _ => 2,
                };
                let ends_idle = (r == 1 || r == 3) && i + 3 >= 30 + 7 * r;
                let phase = if ends_idle { 0 } else { phase };
                let mut s = sample(t, phase as usize, 5000, t / 3, t / 7 + r * 13 + i * i % 11);
                s.cost_us = 40 + (i * 37 + r * 11) % 29;
                s.harness.rss_kb = 20_000 + (i * 53 + r * 7) % 900;
                s.harness.hwm_kb = s.harness.rss_kb + (i % 3) * 100;
                taken.push(s);
                t += 100;
            }
            repeats.push(taken);
        }
        repeats
    }

    #[test]
    fn the_harness_cost_folded_repeat_by_repeat_is_the_cost_over_every_sample() {
        let interval = Duration::from_millis(100);
        let repeats = repeats();
        let mut fold = HarnessFold::default();
        let mut every = Vec::new();
        for (done, taken) in repeats.iter().enumerate() {
            fold.add(taken);
            every.extend_from_slice(taken);
            // As the run writes it after each stack, and at the end.
            assert_eq!(
                fold.cost(interval),
                cost_over_every_sample(&every, interval),
                "after repeat {done}"
            );
        }
        assert_eq!(fold.cost(interval), harness_cost(&every, interval));
        assert_eq!(
            HarnessFold::default().cost(interval),
            cost_over_every_sample(&[], interval)
        );
        let cost = fold.cost(interval);
        assert!(cost.idle_core_pct.is_some() && cost.sampler_cpu_us_per_sample.is_some());
    }

    #[test]
    fn what_the_harness_cost_keeps_does_not_grow_with_the_samples() {
        // What a run holds for its own cost after a repeat of 600 samples, and after one of
        // 100 000 (a day at one a second): the samples are dropped, not kept.
        let held = |n: u64| {
            let taken: Vec<Sample> = (0..n)
                .map(|i| {
                    let mut s = sample(i * 100, (i % 3) as usize, 5000, i, i);
                    s.cost_us = 30 + i % 50;
                    s
                })
                .collect();
            let mut kept = None;
            let info = allocation_counter::measure(|| {
                let mut fold = HarnessFold::default();
                fold.add(&taken);
                kept = Some(fold);
            });
            assert_eq!(kept.map(|f| f.samples), Some(n));
            info.bytes_current
        };
        let (few, many) = (held(600), held(100_000));
        assert!(
            many <= few + 1024,
            "{few} B kept after 600 samples, {many} B after 100 000"
        );
    }

    #[test]
    fn drift_is_the_slope_of_memory_through_the_last_step_per_minute() {
        // Step 0 climbs steeply (a load step), step 1 (the last) climbs 1 KiB a second for
        // 10 s: 60 KiB a minute, whatever came before.
        let mut samples: Vec<Sample> = (0..10)
            .map(|i| sample(i * 1000, 2, 1000 + i * 500, 0, 0))
            .collect();
        samples.extend((0..=10).map(|i| sample(10_000 + i * 1000, 3, 9000 + i, 0, 0)));
        samples.push(sample(21_000, 0, 100, 0, 0));
        assert!((drift(&samples).unwrap() - 60.0).abs() < 1e-9);
        // A last step shorter than the least a drift is drawn over: none.
        let short: Vec<Sample> = (0..4)
            .map(|i| sample(i * 1000, 2, 1000 + i, 0, 0))
            .collect();
        assert_eq!(drift(&short), None);
        assert_eq!(
            drift(&[sample(0, 0, 1000, 0, 0)]),
            None,
            "no step, no drift"
        );
    }

    fn step(name: &str) -> Step {
        Step {
            name: name.into(),
            users: 4,
            rate: Some(1000),
            ramp: Duration::from_secs(1),
            hold: Duration::from_secs(2),
            pause: (Duration::ZERO, Duration::ZERO),
        }
    }

    fn load(requests: u64, seconds: i64) -> StepLoad {
        let start = Utc.timestamp_opt(1_000, 0).unwrap();
        StepLoad {
            kinds: vec![KindResult {
                kind: "seeded".into(),
                requests,
                statuses: BTreeMap::from([(200, requests - 1), (0, 1)]),
                errors: 1,
                p50_us: 100,
                p90_us: 200,
                p99_us: 300,
                p999_us: 400,
                max_us: 500,
                mean_us: 120,
                intended: None,
                ..KindResult::default()
            }],
            window_start: start,
            window_end: start + chrono::Duration::seconds(seconds),
            coordinated_omission: "disabled".into(),
            generator_late_us: None,
            answered: None,
            ..StepLoad::default()
        }
    }

    #[test]
    fn memory_medians_per_phase() {
        let s = [
            sample(0, 1, 100, 0, 0),
            sample(100, 1, 300, 0, 0),
            sample(200, 1, 200, 0, 0),
            sample(300, 2, 900, 0, 0),
        ];
        assert_eq!(phase_memory(&s, Phase::Warmup), (Some(200), Some(100)));
        assert_eq!(
            phases_memory(&s, |p| matches!(p, Phase::Warmup | Phase::Step(0))),
            (Some(250), Some(125))
        );
        assert_eq!(phase_memory(&s, Phase::Stop), (None, None));
        assert_eq!(peak(&s), Some(900));
    }

    #[test]
    fn step_cpu_and_rate_from_samples_in_the_window() {
        // 2 s window, 2000 requests: 1000 rps. Service uses 0.5 core, harness 0.95 core.
        let samples: Vec<Sample> = (0..=20)
            .map(|i| sample(1000 + i * 100, 3, 1000 + i, i * 50, i * 95))
            .chain([sample(5000, 4, 5000, 10_000, 10_000)])
            .collect();
        let s = step_summary(&step("s"), false, &load(2000, 2), (1.0, 3.0), &samples, 1);
        // One of the 2000 failed: 1999 served.
        assert_eq!(s.achieved_rps, 999.5);
        assert!((s.service_cores.unwrap() - 0.5).abs() < 1e-9);
        // 0.5 core-seconds per second over 999.5 served per second: about 0.5 ms each.
        assert!((s.cpu_ms_per_1000.unwrap() - 500.0 * 1000.0 / 999.5).abs() < 1e-6);
        assert!(s.load_generator_bound);
        assert_eq!(s.rss_kb, Some(1010));
        assert_eq!(s.errors, 1);
        let relaxed = step_summary(&step("s"), false, &load(2000, 2), (1.0, 3.0), &samples, 2);
        assert!(
            !relaxed.load_generator_bound,
            "0.95 of 2 cores is not saturated"
        );
    }

    #[test]
    fn unpinned_saturation_is_judged_against_the_cpus_available() {
        // The harness used 0.95 of a core; placement unpinned (no harness CPUs): it may use
        // every CPU the process may, so it is saturated only on a one-CPU machine.
        let samples: Vec<Sample> = (0..=20)
            .map(|i| sample(1000 + i * 100, 3, 1000, i * 50, i * 95))
            .collect();
        let s = step_summary(&step("s"), false, &load(2000, 2), (1.0, 3.0), &samples, 0);
        let available = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(s.load_generator_bound, available == 1, "{available} CPUs");
    }

    #[test]
    fn throughput_and_cpu_count_served_requests_only() {
        // 2 s, 2000 requests of which 400 timed out: 1600 served, 800 per second.
        let mut failing = load(2000, 2);
        failing.kinds[0].statuses = BTreeMap::from([(200, 1600), (0, 400)]);
        failing.kinds[0].errors = 400;
        let samples: Vec<Sample> = (0..=20)
            .map(|i| sample(1000 + i * 100, 3, 1000, i * 50, 0))
            .collect();
        let s = step_summary(&step("s"), false, &failing, (1.0, 3.0), &samples, 1);
        assert_eq!((s.requests, s.errors), (2000, 400), "kept as they were");
        assert_eq!(s.achieved_rps, 800.0);
        // 0.5 core over 800 served per second: 0.625 ms each.
        assert!((s.cpu_ms_per_1000.unwrap() - 625.0).abs() < 1e-6, "{s:?}");
        assert!((cpu_per_1000(&[s]).unwrap() - 625.0).abs() < 1e-6);
    }

    #[test]
    fn a_generator_behind_its_clock_is_flagged() {
        let late = |p99_us| {
            let mut l = load(1000, 1);
            l.generator_late_us = Some(crate::model::Lateness {
                p50_us: 40,
                p99_us,
                max_us: p99_us * 2,
            });
            step_summary(&step("s"), false, &l, (0.0, 1.0), &[], 1)
        };
        let behind = late(GENERATOR_LATE_US + 1);
        assert!(behind.generator_late);
        assert_eq!(
            behind.generator_late_us.unwrap().p99_us,
            GENERATOR_LATE_US + 1
        );
        assert!(!late(GENERATOR_LATE_US).generator_late);
        let closed = step_summary(&step("s"), false, &load(1000, 1), (0.0, 1.0), &[], 1);
        assert!(!closed.generator_late && closed.generator_late_us.is_none());
    }

    #[test]
    fn cpu_per_request_over_steps_ignores_warmup() {
        let samples: Vec<Sample> = (0..=10)
            .map(|i| sample(i * 100, 3, 1, i * 100, 0))
            .collect();
        let mut warm = step_summary(&step("w"), true, &load(10, 1), (0.0, 1.0), &samples, 1);
        let step = step_summary(&step("s"), false, &load(1000, 1), (0.0, 1.0), &samples, 1);
        warm.requests = 1;
        // 1 core for 1 s over 999 served (one of the 1000 failed): about 1 ms each.
        assert!((cpu_per_1000(&[warm, step]).unwrap() - 1e6 / 999.0).abs() < 1e-6);
    }

    fn repeat(n: u32, idle_kb: u64, p50_us: u64, bound: bool) -> StackRun {
        let mut step = step_summary(&step("users-4"), false, &load(1000, 1), (0.0, 1.0), &[], 1);
        step.kinds[0].p50_us = p50_us;
        step.load_generator_bound = bound;
        StackRun {
            idle_kb: Some(idle_kb),
            load_kb: Some(2 * idle_kb),
            peak_kb: Some(3 * idle_kb),
            steps: vec![step],
            boots: vec![crate::model::BootRecord {
                start: 1,
                boot_ms: 10.0,
                self_boot_us: None,
                from_container_start_ms: None,
            }],
            ..StackRun::new(n, 1, "1".into())
        }
    }

    #[test]
    fn folding_repeats_gives_medians_spreads_and_no_fake_interval() {
        let mut stack = StackSummary::new("axum", Status::Pending, None);
        stack.runs = vec![
            repeat(1, 1000, 100, false),
            repeat(2, 1020, 110, false),
            repeat(3, 990, 90, false),
        ];
        fold_runs(&mut stack, 2);
        assert_eq!(stack.status, Status::Ok);
        assert_eq!(stack.idle_kb, Some(1000));
        let e = stack.estimates.unwrap();
        let idle = e.idle_kb.unwrap();
        assert_eq!(
            (idle.min, idle.median, idle.max, idle.n),
            (990.0, 1000.0, 1020.0, 3)
        );
        assert_eq!(idle.ci95, None, "3 repeats cannot give a 95 % interval");
        assert_eq!(idle.range_coverage, 0.75);
        assert_eq!(e.steps.len(), 1);
        let p50 = e.steps[0].p50_us.unwrap();
        assert_eq!((p50.min, p50.median, p50.max), (90.0, 100.0, 110.0));
        // sd 10 over a mean of 100: exactly at the threshold, not above it.
        assert!(!p50.noisy);
        assert!(e.noisy.is_empty() && e.causes.is_empty(), "{e:?}");
    }

    #[test]
    fn a_noisy_figure_is_flagged_with_what_the_run_can_tell() {
        let mut stack = StackSummary::new("axum", Status::Pending, None);
        stack.runs = vec![
            repeat(1, 1000, 100, false),
            repeat(2, 1000, 200, true),
            repeat(3, 1000, 100, false),
        ];
        stack.runs[0].steal_pct = Some(4.3);
        stack.runs[2].load_average = vec![3.5, 1.0, 0.5];
        stack.runs[2].steps[0].generator_late = true;
        fold_runs(&mut stack, 2);
        let e = stack.estimates.unwrap();
        assert_eq!(e.noisy, ["users-4 p50"]);
        assert_eq!(
            e.causes,
            [
                "load generator saturated in repeat #2",
                "load generator behind its own schedule in repeat #3",
                "CPU steal up to 4.3 % (the hypervisor took CPU time)",
                "machine busy (1-minute load average above its 2 CPUs) as repeat #3 started",
            ]
        );
        // The same disagreement without anything recorded: flagged, cause unknown.
        let mut quiet = StackSummary::new("axum", Status::Pending, None);
        quiet.runs = vec![repeat(1, 1000, 100, false), repeat(2, 1000, 200, false)];
        fold_runs(&mut quiet, 2);
        let e = quiet.estimates.unwrap();
        assert_eq!(e.noisy, ["users-4 p50"]);
        assert!(e.causes.is_empty());
    }

    #[test]
    fn idle_cpu_is_the_services_rate_over_the_idle_phase() {
        // 0.02 core while idle (2 ms of CPU per 100 ms), then busy in a step.
        let samples: Vec<Sample> = (0..=10)
            .map(|i| sample(i * 100, 0, 1000, i * 2, 0))
            .chain((1..=5).map(|i| sample(1000 + i * 100, 2, 1000, 20 + i * 100, 0)))
            .collect();
        assert!((idle_cores(&samples).unwrap() - 0.02).abs() < 1e-9);
        assert_eq!(
            idle_cores(&samples[10..]),
            None,
            "one idle sample gives no rate"
        );
    }

    #[test]
    fn a_probe_takes_the_slowest_kind_and_the_generators_share() {
        let mut l = load(2000, 2);
        l.kinds[0].intended = Some(crate::model::Percentiles {
            p50_us: 150,
            p99_us: 900,
            ..Default::default()
        });
        let mut slow = l.kinds[0].clone();
        slow.kind = "unknown".into();
        slow.p99_us = 700;
        slow.intended = Some(crate::model::Percentiles {
            p50_us: 120,
            p99_us: 4000,
            ..Default::default()
        });
        let mut empty = slow.clone();
        empty.kind = "malformed".into();
        (empty.requests, empty.p99_us) = (0, 99_999);
        l.kinds.extend([slow, empty]);
        l.generator_late_us = Some(crate::model::Lateness {
            p50_us: 10,
            p99_us: 60,
            max_us: 90,
        });
        // The harness used 0.95 of one core; the service 0.5.
        let samples: Vec<Sample> = (0..=20)
            .map(|i| sample(1000 + i * 100, 3, 1000, i * 50, i * 95))
            .collect();
        let st = step_summary(&step("probe-1"), false, &l, (1.0, 3.0), &samples, 1);
        let p = probe_record(&st, 1);
        assert_eq!((p.rate, p.requests, p.errors), (1000, 4000, 3));
        assert_eq!(
            (p.p50_us, p.p99_us),
            (100, 700),
            "raw, the slowest kind with requests"
        );
        assert_eq!(
            (p.intended_p50_us, p.intended_p99_us),
            (Some(150), Some(4000))
        );
        assert_eq!(
            (p.generator_late_p99_us, p.generator_late),
            (Some(60), false)
        );
        assert!((p.generator_cpu_share.unwrap() - 0.95).abs() < 1e-9);
        assert!(p.generator_saturated);
        assert!(
            (p.cpu_ms_per_request.unwrap() - st.cpu_ms_per_1000.unwrap() / 1000.0).abs() < 1e-12
        );
        assert_eq!(p.verdict, None, "the search judges");
    }

    #[test]
    fn capacity_over_repeats_is_a_lower_bound_if_any_repeat_was() {
        use crate::cost::fixtures::{measured, with_capacity};
        let run =
            |rps, limit| with_capacity(measured("axum", 1, 1.0), rps, limit, None).runs[0].clone();
        let (a, b, c) = (
            run(4000, CapacityLimit::Slo),
            run(4400, CapacityLimit::Errors),
            run(3600, CapacityLimit::Generator),
        );
        let service = capacity_summary(&[&a, &b]).unwrap();
        assert_eq!(
            (service.limit, service.at_least),
            (CapacityLimit::Slo, false)
        );
        let per_core = service.rps_per_core.unwrap();
        assert_eq!((per_core.median, per_core.n), (4200.0, 2));
        let bound = capacity_summary(&[&a, &b, &c]).unwrap();
        assert_eq!(
            (bound.limit, bound.at_least),
            (CapacityLimit::Generator, true)
        );
        assert_eq!(bound.rps_per_core.unwrap().median, 4000.0);
        assert!(capacity_summary(&[&StackRun::new(1, 1, "1".into())]).is_none());
    }

    #[test]
    fn interleaving_rotates() {
        let s = ["a", "b", "c"];
        assert_eq!(interleave(&s, 0), ["a", "b", "c"]);
        assert_eq!(interleave(&s, 1), ["b", "c", "a"]);
        assert_eq!(interleave(&s, 2), ["c", "a", "b"]);
        assert_eq!(interleave(&s, 3), ["a", "b", "c"]);
        assert!(interleave::<&str>(&[], 2).is_empty());
    }
}
