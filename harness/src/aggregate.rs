//! The one place samples and load figures become a stack's results.
//!
//! Pure functions over timestamped samples: testable without a service.

use crate::load::{KindResult, StepLoad};
use crate::results::{StackRun, StackSummary, Status, StepSummary};
use crate::sample::Sample;
use crate::scenario::{CoMitigation, Step};
use crate::stats::{median, median_u64, rate, spread};

/// Share of its cores above which the load generator counts as saturated.
pub const SATURATED: f64 = 0.9;

/// Medians of RSS and PSS over the samples taken in `phase`.
pub fn phase_memory(samples: &[Sample], phase: usize) -> (Option<u64>, Option<u64>) {
    let in_phase: Vec<&Sample> = samples.iter().filter(|s| s.phase == phase).collect();
    memory_of(&in_phase)
}

/// Medians of RSS and PSS over the samples of every phase in `phases`.
pub fn phases_memory(samples: &[Sample], phases: &[usize]) -> (Option<u64>, Option<u64>) {
    let chosen: Vec<&Sample> = samples
        .iter()
        .filter(|s| phases.contains(&s.phase))
        .collect();
    memory_of(&chosen)
}

fn memory_of(samples: &[&Sample]) -> (Option<u64>, Option<u64>) {
    let rss: Vec<u64> = samples.iter().map(|s| s.service.rss_kb).collect();
    let pss: Vec<u64> = samples.iter().filter_map(|s| s.service.pss_kb).collect();
    (median_u64(&rss), median_u64(&pss))
}

/// The highest high-water mark seen.
pub fn peak(samples: &[Sample]) -> Option<u64> {
    samples
        .iter()
        .map(|s| s.service.hwm_kb.max(s.service.rss_kb))
        .max()
}

/// A step's figures: its load, plus memory and CPU from the samples inside its window
/// (`window` in seconds since the run's epoch). `harness_cpus` is how many cores the load
/// generator may use.
pub fn step_summary(
    step: &Step,
    warmup: bool,
    load: &StepLoad,
    window: (f64, f64),
    samples: &[Sample],
    harness_cpus: usize,
    coordinated_omission: CoMitigation,
) -> StepSummary {
    let inside: Vec<&Sample> = samples
        .iter()
        .filter(|s| (window.0..=window.1).contains(&s.at.as_secs_f64()))
        .collect();
    let seconds = load.seconds();
    let requests = load.requests();
    let achieved_rps = if seconds > 0.0 {
        requests as f64 / seconds
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
        achieved_rps,
        errors: load.kinds.iter().map(|k| k.errors).sum(),
        kinds: load.kinds.clone(),
        rss_kb: median_u64(&rss),
        cpu_ms_per_1000,
        service_cores,
        harness_cores,
        load_generator_bound: harness_cores
            .is_some_and(|c| c >= SATURATED * harness_cpus.max(1) as f64),
        coordinated_omission: coordinated_omission.as_str().to_owned(),
    }
}

/// Service CPU per 1000 requests over several steps: total CPU over total requests.
pub fn cpu_per_1000(steps: &[StepSummary]) -> Option<f64> {
    let (mut cpu_ms, mut requests) = (0.0, 0.0);
    for step in steps.iter().filter(|s| !s.warmup) {
        let cores = step.service_cores?;
        cpu_ms += cores * step.seconds * 1000.0;
        requests += step.requests as f64;
    }
    (requests > 0.0).then(|| cpu_ms / requests * 1000.0)
}

/// Folds a stack's repeats into its figures: medians over the repeats that did not fail, boot
/// spread over every cold start.
pub fn fold_runs(stack: &mut StackSummary) {
    let good: Vec<&StackRun> = stack.runs.iter().filter(|r| r.failure.is_none()).collect();
    let median_of = |pick: fn(&StackRun) -> Option<u64>| {
        let values: Vec<u64> = good.iter().filter_map(|r| pick(r)).collect();
        median_u64(&values)
    };
    stack.idle_kb = median_of(|r| r.idle_kb);
    stack.idle_pss_kb = median_of(|r| r.idle_pss_kb);
    stack.load_kb = median_of(|r| r.load_kb);
    stack.peak_kb = median_of(|r| r.peak_kb);
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
    use super::*;
    use crate::sample::Reading;
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
            phase,
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
            }],
            window_start: start,
            window_end: start + chrono::Duration::seconds(seconds),
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
        assert_eq!(phase_memory(&s, 1), (Some(200), Some(100)));
        assert_eq!(phases_memory(&s, &[1, 2]), (Some(250), Some(125)));
        assert_eq!(phase_memory(&s, 5), (None, None));
        assert_eq!(peak(&s), Some(900));
    }

    #[test]
    fn step_cpu_and_rate_from_samples_in_the_window() {
        // 2 s window, 2000 requests: 1000 rps. Service uses 0.5 core, harness 0.95 core.
        let samples: Vec<Sample> = (0..=20)
            .map(|i| sample(1000 + i * 100, 3, 1000 + i, i * 50, i * 95))
            .chain([sample(5000, 4, 5000, 10_000, 10_000)])
            .collect();
        let s = step_summary(
            &step("s"),
            false,
            &load(2000, 2),
            (1.0, 3.0),
            &samples,
            1,
            CoMitigation::Disabled,
        );
        assert_eq!(s.achieved_rps, 1000.0);
        assert!((s.service_cores.unwrap() - 0.5).abs() < 1e-9);
        // 0.5 core-seconds per second over 1000 requests per second: 0.5 ms each, 500 per 1000.
        assert!((s.cpu_ms_per_1000.unwrap() - 500.0).abs() < 1e-6);
        assert!(s.load_generator_bound);
        assert_eq!(s.rss_kb, Some(1010));
        assert_eq!(s.errors, 1);
        let relaxed = step_summary(
            &step("s"),
            false,
            &load(2000, 2),
            (1.0, 3.0),
            &samples,
            2,
            CoMitigation::Disabled,
        );
        assert!(
            !relaxed.load_generator_bound,
            "0.95 of 2 cores is not saturated"
        );
    }

    #[test]
    fn cpu_per_request_over_steps_ignores_warmup() {
        let samples: Vec<Sample> = (0..=10)
            .map(|i| sample(i * 100, 3, 1, i * 100, 0))
            .collect();
        let mut warm = step_summary(
            &step("w"),
            true,
            &load(10, 1),
            (0.0, 1.0),
            &samples,
            1,
            CoMitigation::Disabled,
        );
        let step = step_summary(
            &step("s"),
            false,
            &load(1000, 1),
            (0.0, 1.0),
            &samples,
            1,
            CoMitigation::Disabled,
        );
        warm.requests = 1;
        // 1 core for 1 s over 1000 requests: 1 ms each, 1000 ms per 1000.
        assert!((cpu_per_1000(&[warm, step]).unwrap() - 1000.0).abs() < 1e-6);
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
