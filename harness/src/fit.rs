//! The fit search: the smallest memory limit a service serves its load under.
//!
//! Each probe starts the service under one limit and gives it the scenario's step. The first
//! probe is at the largest limit (`max_mib`), and its p99 is the reference. The search halves
//! the limit while probes hold, down to `min_mib`; once one does not, it halves the gap between
//! the smallest limit that held and the largest that did not, until the gap is at most
//! `resolution_mib` or 5 % of the former. The fit is the smallest limit that held. It assumes
//! that a service that cannot live under a limit cannot live under a smaller one.
//!
//! A probe holds when the service started and became ready, was not killed or exited, served
//! with errors at most `max_error_ratio` of its requests, and kept its p99 at most
//! `latency_factor` times the reference's (a p99 at or under `latency_floor` always holds: a
//! short step's p99 on a shared machine moves by more than any factor from one run to the
//! next). A probe that
//! fails on latency alone is run again at the same limit, and the limit fails only when the
//! second does too: one short step's p99 can be an outlier. Errors and latency count only
//! under memory pressure (see [`under_pressure`]): a service whose cgroup never came near its
//! limit was not slowed by it. The runner judges what only it sees (refused, killed, exited,
//! timed out); [`verdict`] the rest.
//!
//! The logic is pure: a [`FitRunner`] runs each probe (in a run, `measure` through a backend
//! and the load driver; in tests, a fake service with a known need), so it is tested in
//! microseconds.

use crate::capacity::Stop;
use crate::model::{Fit, FitLimit, FitProbe, FitVerdict};
use crate::scenario::FitPlan;

/// Most probes one search runs: halving from the largest limit allowed to 1 MiB and bisecting
/// back take fewer.
pub const MAX_PROBES: usize = 64;

/// The share of the smallest limit that held under which the gap ends the search.
const RELATIVE_RESOLUTION: f64 = 0.05;

/// What the search drives: one probe at a time.
pub trait FitRunner {
    /// Starts the service under `limit_mib` for one probe (the `index`-th, from 0), gives it
    /// the step and returns what it saw: a verdict already set when the service did not serve
    /// (refused, killed, exited, timed out), none when it did.
    fn run(&mut self, index: usize, limit_mib: u32) -> Result<FitProbe, Stop>;

    /// Sees each probe once judged: for progress and for the record.
    fn judged(&mut self, _index: usize, _probe: &FitProbe) {}
}

/// The name of the `index`-th probe (from 0) in results files: `probe-1`, `probe-2`, ...
pub fn probe_name(index: usize) -> String {
    crate::capacity::probe_name(index)
}

/// What a probe that served says, in this order: errors above `max_error_ratio` of the
/// requests (a probe without any request is one); a p99 above both the floor and the factor of
/// `reference_p99_us` (no reference: the probe is the reference); else it holds. A verdict the
/// runner set stands.
pub fn verdict(probe: &FitProbe, reference: impl Into<Reference>, plan: &FitPlan) -> FitVerdict {
    let reference = reference.into();
    let reference_p99_us = reference.p99_us;
    if let Some(verdict) = probe.verdict {
        return verdict;
    }
    if probe.requests == 0 {
        return FitVerdict::Errors;
    }
    let pressed = under_pressure(probe, reference.jvm_heap_max_mib);
    if pressed && probe.errors as f64 > plan.max_error_ratio * probe.requests as f64 {
        return FitVerdict::Errors;
    }
    let p99 = probe.p99_us.unwrap_or(u64::MAX);
    let floor = plan.latency_floor.as_micros() as u64;
    match reference_p99_us {
        Some(reference)
            if pressed
                && probe.requests >= MIN_REQUESTS_FOR_P99
                && p99 > floor
                && p99 as f64 > plan.latency_factor * reference.max(1) as f64 =>
        {
            FitVerdict::Latency
        }
        _ => FitVerdict::Holds,
    }
}

/// Fewest requests whose p99 is judged: below it the "99th percentile" is the slowest of a
/// handful (a replica's share of a short step), and says nothing about the tail.
pub const MIN_REQUESTS_FOR_P99: u64 = 100;

/// Share of the limit the cgroup's high-water mark must reach for errors or latency to be put
/// down to memory.
pub const PRESSURE_SHARE: f64 = 0.5;

/// What a probe is judged against: the reference probe's (the largest limit's) p99 and, for a
/// JVM, the heap it chose there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reference {
    /// The reference probe's p99, µs; `None` when there is none (the probe is the reference).
    pub p99_us: Option<u64>,
    /// The heap the JVM chose at the reference probe, MiB.
    pub jvm_heap_max_mib: Option<u64>,
}

impl Reference {
    /// The reference of a search: its first probe, when it held.
    pub fn of(probe: Option<&FitProbe>) -> Self {
        probe.map_or_else(Self::default, |p| Self {
            p99_us: p.p99_us,
            jvm_heap_max_mib: p.jvm_heap_max_mib,
        })
    }
}

/// A reference p99 alone (no JVM heap to compare).
impl From<Option<u64>> for Reference {
    fn from(p99_us: Option<u64>) -> Self {
        Self {
            p99_us,
            jvm_heap_max_mib: None,
        }
    }
}

/// Share of the reference probe's heap under which a JVM's heap counts as cut by its limit.
pub const HEAP_CUT_SHARE: f64 = 0.9;

/// Whether memory could be what made a probe slow or fail: its cgroup hit the limit
/// (`failcnt`), its high-water mark reached [`PRESSURE_SHARE`] of the limit, the counters could
/// not be read, or the service is a JVM whose container support chose a heap under
/// [`HEAP_CUT_SHARE`] of the one it chose at the largest limit (its heap, and so its
/// collector's work, is sized from the limit, which the cgroup does not show; without the
/// reference's heap to compare, a JVM always counts as pressed). A probe whose cgroup stayed
/// far below its limit and never hit it, and whose JVM kept the reference's heap, was slowed by
/// something else (a busy CPU, a JIT still compiling): errors and latency there are not the
/// limit's doing, and the probe holds.
pub fn under_pressure(probe: &FitProbe, reference_heap_mib: Option<u64>) -> bool {
    let limit_kb = u64::from(probe.limit_mib) << 10;
    let near = probe
        .charged_max_kb
        .map(|kb| kb as f64 >= PRESSURE_SHARE * limit_kb as f64);
    let heap_cut = match (probe.jvm_heap_max_mib, reference_heap_mib) {
        (Some(heap), Some(reference)) => (heap as f64) < HEAP_CUT_SHARE * reference as f64,
        (Some(_), None) => true,
        (None, _) => false,
    };
    match (probe.failcnt, near) {
        _ if heap_cut => true,
        (Some(hits), Some(near)) => hits > 0 || near,
        (Some(hits), None) => hits > 0,
        (None, Some(near)) => near,
        (None, None) => true,
    }
}

/// About how many probes a search of `plan` runs, for a progress bar: halving to the smallest
/// limit, then bisecting to the resolution.
pub fn planned_probes(plan: &FitPlan) -> u32 {
    let halvings = (f64::from(plan.max_mib) / f64::from(plan.min_mib.max(1)))
        .log2()
        .ceil()
        .max(0.0);
    (halvings + 3.0).min(MAX_PROBES as f64) as u32
}

/// Searches for the smallest limit under which the service holds, probing through `runner`.
pub fn search(plan: &FitPlan, runner: &mut dyn FitRunner) -> Fit {
    let mut probes: Vec<FitProbe> = Vec::new();
    // Indices into `probes`: the smallest limit that held, the largest that did not.
    let mut held: Option<usize> = None;
    let mut broke: Option<usize> = None;
    let mut reference = Reference::default();
    let mut failure = None;
    // The last probe failed on latency and is being probed again at the same limit.
    let mut retried = false;
    let min = plan.min_mib.max(1);
    let mut limit_mib = plan.max_mib.max(min);
    let limit = loop {
        if probes.len() >= MAX_PROBES {
            break FitLimit::Service;
        }
        let index = probes.len();
        let mut probe = match runner.run(index, limit_mib) {
            Ok(probe) => probe,
            Err(Stop::Interrupted) => break FitLimit::Interrupted,
            Err(Stop::Failed(why)) => {
                failure = Some(why);
                break FitLimit::Failed;
            }
        };
        probe.limit_mib = limit_mib;
        let judged = verdict(&probe, reference, plan);
        if judged == FitVerdict::Holds && !under_pressure(&probe, reference.jvm_heap_max_mib) {
            let pressed = FitProbe {
                failcnt: Some(1),
                ..probe.clone()
            };
            let strict = verdict(&pressed, reference, plan);
            if strict != FitVerdict::Holds {
                let heap = probe.jvm_heap_max_mib.map_or(String::new(), |h| {
                    format!(", the JVM's heap {h} MiB as at the largest limit")
                });
                probe.reason = Some(format!(
                    "{} without memory pressure (the cgroup's high-water mark {} of {limit_mib} \
                     MiB, the limit never hit{heap}): not counted",
                    strict.word(),
                    probe
                        .charged_max_kb
                        .map_or("-".to_owned(), |kb| format!("{:.1}", kb as f64 / 1024.0)),
                ));
            }
        }
        probe.verdict = Some(judged);
        if index == 0 && judged == FitVerdict::Holds {
            reference = Reference::of(Some(&probe));
        }
        runner.judged(index, &probe);
        probes.push(probe);
        if judged == FitVerdict::Latency && !retried {
            // One probe's p99 can be an outlier (a short step, a busy machine): a limit fails
            // on latency only when a second probe at it does too.
            retried = true;
            continue;
        }
        retried = false;
        if judged == FitVerdict::Holds {
            held = Some(index);
        } else {
            broke = Some(index);
        }
        let limit_of = |i: Option<usize>| i.map(|i| probes[i].limit_mib);
        limit_mib = match (limit_of(held), limit_of(broke)) {
            // Not even the largest limit.
            (None, Some(_)) => break FitLimit::AboveMaximum,
            // Down until a probe does not hold.
            (Some(low), None) if low <= min => break FitLimit::Minimum,
            (Some(low), None) => (low / 2).max(min),
            // Then halve the gap.
            (Some(low), Some(high)) => {
                let gap = low.saturating_sub(high);
                let resolution =
                    f64::from(plan.resolution_mib).max(RELATIVE_RESOLUTION * f64::from(low));
                if gap <= 1 || f64::from(gap) <= resolution {
                    break FitLimit::Service;
                }
                high + gap / 2
            }
            (None, None) => unreachable!("every probe held or broke"),
        };
    };
    let at = held.map(|i| probes[i].clone());
    let below = broke.filter(|_| held.is_some()).map(|i| probes[i].clone());
    Fit {
        max_mib: plan.max_mib,
        min_mib: plan.min_mib,
        latency_factor: plan.latency_factor,
        latency_floor_us: plan.latency_floor.as_micros() as u64,
        reference_p99_us: reference.p99_us,
        fit_mib: at.as_ref().map(|p| p.limit_mib),
        limit,
        at,
        below,
        probes,
        failure,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A fake service: needs `need_mib` to start, is OOM-killed under load below `load_mib`,
    /// slow (p99 x 5) below `slow_mib`; Ctrl-C or a failure at a given probe.
    struct Fake {
        need_mib: u32,
        load_mib: u32,
        slow_mib: u32,
        p99_us: u64,
        outlier_at: Option<usize>,
        interrupt_at: Option<usize>,
        fail_at: Option<usize>,
        asked: Vec<u32>,
        judged: Vec<(usize, FitVerdict)>,
    }

    impl Fake {
        fn needs(mib: u32) -> Self {
            Self {
                need_mib: mib,
                load_mib: mib,
                slow_mib: 0,
                p99_us: 5_000,
                outlier_at: None,
                interrupt_at: None,
                fail_at: None,
                asked: Vec::new(),
                judged: Vec::new(),
            }
        }
    }

    impl FitRunner for Fake {
        fn run(&mut self, index: usize, limit_mib: u32) -> Result<FitProbe, Stop> {
            if self.interrupt_at == Some(index) {
                return Err(Stop::Interrupted);
            }
            if self.fail_at == Some(index) {
                return Err(Stop::Failed("the daemon stopped answering".into()));
            }
            self.asked.push(limit_mib);
            let mut probe = FitProbe {
                requests: 1000,
                p99_us: Some(
                    if limit_mib < self.slow_mib || self.outlier_at == Some(index) {
                        5 * self.p99_us
                    } else {
                        self.p99_us
                    },
                ),
                ..FitProbe::default()
            };
            if limit_mib < self.need_mib {
                probe.verdict = Some(FitVerdict::Refused);
            } else if limit_mib < self.load_mib {
                probe.verdict = Some(FitVerdict::OomKilled);
                probe.oom_killed = true;
            }
            Ok(probe)
        }

        fn judged(&mut self, index: usize, probe: &FitProbe) {
            self.judged.push((index, probe.verdict.unwrap()));
        }
    }

    fn plan(max_mib: u32, min_mib: u32) -> FitPlan {
        FitPlan {
            max_mib,
            min_mib,
            ..FitPlan::default()
        }
    }

    #[test]
    fn halves_then_bisects_to_the_need() {
        let mut fake = Fake::needs(100);
        let fit = search(&plan(512, 1), &mut fake);
        // 512, 256, 128 hold; 64 breaks; then 96 breaks, 112, 104 and 100 hold: 100 - 96 = 4
        // is within 5 % of 100.
        assert_eq!(fake.asked, [512, 256, 128, 64, 96, 112, 104, 100]);
        assert_eq!(fit.fit_mib, Some(100));
        assert_eq!(fit.limit, FitLimit::Service);
        assert_eq!(fit.at.as_ref().unwrap().limit_mib, 100);
        let below = fit.below.as_ref().unwrap();
        assert_eq!(
            (below.limit_mib, below.verdict),
            (96, Some(FitVerdict::Refused))
        );
        assert_eq!(fit.reference_p99_us, Some(5_000));
        let seen: Vec<usize> = fake.judged.iter().map(|(i, _)| *i).collect();
        assert_eq!(seen, (0..8).collect::<Vec<_>>());
    }

    #[test]
    fn the_gap_ends_within_the_resolution() {
        for need in [2, 3, 7, 33, 100, 301, 511] {
            let mut fake = Fake::needs(need);
            let p = plan(512, 1);
            let fit = search(&p, &mut fake);
            let (low, high) = (fit.fit_mib.unwrap(), fit.below.unwrap().limit_mib);
            assert!(high < need && need <= low, "{need}: {high}..{low}");
            assert!(
                f64::from(low - high) <= f64::from(p.resolution_mib).max(0.05 * f64::from(low)),
                "{need}: {high}..{low}"
            );
        }
        // A coarser resolution ends sooner.
        let mut fake = Fake::needs(100);
        let fit = search(
            &FitPlan {
                resolution_mib: 16,
                ..plan(512, 1)
            },
            &mut fake,
        );
        assert_eq!(fake.asked, [512, 256, 128, 64, 96, 112]);
        assert_eq!(fit.fit_mib, Some(112));
    }

    #[test]
    fn the_minimum_holding_is_an_upper_bound() {
        let mut fake = Fake::needs(1);
        let fit = search(&plan(16, 6), &mut fake);
        assert_eq!(fake.asked, [16, 8, 6]);
        assert_eq!((fit.limit, fit.fit_mib), (FitLimit::Minimum, Some(6)));
        assert!(fit.below.is_none());
    }

    #[test]
    fn not_even_the_largest_limit() {
        let mut fake = Fake::needs(1000);
        let fit = search(&plan(512, 1), &mut fake);
        assert_eq!(fake.asked, [512]);
        assert_eq!((fit.limit, fit.fit_mib), (FitLimit::AboveMaximum, None));
        assert!(fit.at.is_none() && fit.below.is_none());
        assert_eq!(fit.reference_p99_us, None);
    }

    #[test]
    fn a_slow_service_fails_on_latency_and_an_oom_is_named() {
        let mut fake = Fake::needs(20);
        fake.load_mib = 40;
        fake.slow_mib = 70;
        let fit = search(&plan(512, 1), &mut fake);
        // 64 is slow (p99 x 5 against a factor of 2): latency; OOM below 40, refused below 20.
        let verdict_at = |mib: u32| {
            fit.probes
                .iter()
                .find(|p| p.limit_mib == mib)
                .and_then(|p| p.verdict)
        };
        assert_eq!(verdict_at(64), Some(FitVerdict::Latency));
        assert!(fit.fit_mib.unwrap() >= 70);
        assert_eq!(
            fit.below.as_ref().unwrap().verdict,
            Some(FitVerdict::Latency)
        );
        let mut oom = Fake::needs(20);
        oom.load_mib = 40;
        let fit = search(&plan(512, 1), &mut oom);
        assert_eq!(fit.fit_mib, Some(40));
        assert_eq!(fit.below.unwrap().verdict, Some(FitVerdict::OomKilled));
    }

    #[test]
    fn a_latency_outlier_is_probed_again() {
        let mut fake = Fake::needs(100);
        fake.outlier_at = Some(1);
        let fit = search(&plan(512, 1), &mut fake);
        // 256 was slow once, then held when probed again: the search goes on as before.
        assert_eq!(&fake.asked[..4], [512, 256, 256, 128]);
        assert_eq!(fit.probes[1].verdict, Some(FitVerdict::Latency));
        assert_eq!(fit.probes[2].verdict, Some(FitVerdict::Holds));
        assert_eq!(fit.fit_mib, Some(100));
    }

    #[test]
    fn interruption_and_failure_keep_what_was_measured() {
        let mut fake = Fake::needs(100);
        fake.interrupt_at = Some(4);
        let fit = search(&plan(512, 1), &mut fake);
        assert_eq!(fit.limit, FitLimit::Interrupted);
        assert_eq!((fit.probes.len(), fit.fit_mib), (4, Some(128)));
        let mut fake = Fake::needs(100);
        fake.fail_at = Some(1);
        let fit = search(&plan(512, 1), &mut fake);
        assert_eq!(fit.limit, FitLimit::Failed);
        assert_eq!(fit.failure.as_deref(), Some("the daemon stopped answering"));
        assert_eq!(fit.fit_mib, Some(512));
    }

    /// The plan the verdict tests judge by: a p99 at most twice the reference's (or under
    /// 1 ms), errors at most 0.1 %.
    fn judging() -> FitPlan {
        FitPlan {
            latency_factor: 2.0,
            latency_floor: Duration::from_millis(1),
            max_error_ratio: 0.001,
            ..FitPlan::default()
        }
    }

    /// A probe under 8 MiB that hit its limit and is at both limits: 10 errors in 10 000, a
    /// p99 of 10 ms.
    fn at_both_limits() -> FitProbe {
        FitProbe {
            limit_mib: 8,
            requests: 10_000,
            errors: 10,
            p99_us: Some(10_000),
            failcnt: Some(3),
            ..FitProbe::default()
        }
    }

    #[test]
    fn verdicts_in_order_with_limits_inclusive() {
        let p = judging();
        let few = FitProbe {
            limit_mib: 8,
            requests: 20,
            p99_us: Some(50_000),
            failcnt: Some(3),
            ..FitProbe::default()
        };
        assert_eq!(
            verdict(&few, Some(5_000), &p),
            FitVerdict::Holds,
            "too few for a p99"
        );
        let ok = at_both_limits();
        assert_eq!(
            verdict(&ok, Some(5_000), &p),
            FitVerdict::Holds,
            "at both limits"
        );
        assert_eq!(
            verdict(&ok, None, &p),
            FitVerdict::Holds,
            "the reference itself"
        );
        let slow = FitProbe {
            p99_us: Some(10_001),
            ..ok.clone()
        };
        assert_eq!(verdict(&slow, Some(5_000), &p), FitVerdict::Latency);
        // Under the floor, the factor does not matter.
        let fast = FitProbe {
            p99_us: Some(1_000),
            ..ok.clone()
        };
        assert_eq!(verdict(&fast, Some(100), &p), FitVerdict::Holds);
        let failing = FitProbe {
            errors: 11,
            ..slow.clone()
        };
        assert_eq!(verdict(&failing, Some(5_000), &p), FitVerdict::Errors);
        let killed = FitProbe {
            verdict: Some(FitVerdict::OomKilled),
            ..ok.clone()
        };
        assert_eq!(verdict(&killed, Some(5_000), &p), FitVerdict::OomKilled);
        assert_eq!(verdict(&FitProbe::default(), None, &p), FitVerdict::Errors);
    }

    #[test]
    fn a_failing_probe_far_from_its_memory_limit_holds() {
        let p = judging();
        let failing = FitProbe {
            errors: 11,
            p99_us: Some(10_001),
            ..at_both_limits()
        };
        // Far below its limit and never at it: not the memory, whatever the figures.
        let unpressed = FitProbe {
            failcnt: Some(0),
            charged_max_kb: Some(2 << 10),
            ..failing.clone()
        };
        assert!(!under_pressure(&unpressed, None));
        assert_eq!(verdict(&unpressed, Some(5_000), &p), FitVerdict::Holds);
        let near = FitProbe {
            charged_max_kb: Some(6 << 10),
            ..unpressed.clone()
        };
        assert!(under_pressure(&near, None), "6 of 8 MiB");
        assert_eq!(verdict(&near, Some(5_000), &p), FitVerdict::Errors);
        let jvm = FitProbe {
            jvm_heap_max_mib: Some(4),
            ..unpressed.clone()
        };
        assert_eq!(
            verdict(&jvm, Some(5_000), &p),
            FitVerdict::Errors,
            "a JVM's heap, with none to compare it with"
        );
        let cut = Reference {
            p99_us: Some(5_000),
            jvm_heap_max_mib: Some(8),
        };
        assert_eq!(
            verdict(&jvm, cut, &p),
            FitVerdict::Errors,
            "4 of 8 MiB: cut"
        );
        let kept = FitProbe {
            jvm_heap_max_mib: Some(126),
            ..unpressed.clone()
        };
        let at_largest = Reference {
            p99_us: Some(5_000),
            jvm_heap_max_mib: Some(128),
        };
        assert!(!under_pressure(&kept, Some(128)));
        assert_eq!(
            verdict(&kept, at_largest, &p),
            FitVerdict::Holds,
            "the heap of the largest limit and a cgroup far from its limit: not the memory"
        );
    }

    #[test]
    fn planned_probes_cover_a_search() {
        assert_eq!(planned_probes(&plan(512, 1)), 9 + 3);
        assert_eq!(planned_probes(&plan(16, 16)), 3);
        assert_eq!(probe_name(2), "probe-3");
    }
}
