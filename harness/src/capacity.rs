//! The capacity search: the highest constant rate a service holds within its latency objective.
//!
//! A probe holds one rate for the plan's probe time through the constant-rate driver and is
//! judged on the p99 counted from when each request was due (coordinated omission corrected)
//! and on its errors (see [`verdict`]). The search doubles the rate from `start_rps` until a
//! probe does not hold (or halves it, when the first does not), then halves the gap between the
//! highest rate that held and the lowest that did not until it is at most `resolution` of the
//! former; the capacity is the highest rate that held. It assumes that a service that cannot
//! hold a rate cannot hold a higher one.
//!
//! A probe where the load generator was behind its own schedule or saturated its CPUs says
//! nothing about the service: the search stops there, and the capacity is "at least" the
//! highest rate that held before it. So does a search whose highest allowed rate held, or one
//! stopped by Ctrl-C.
//!
//! The logic is pure: a [`Probe`] runs each probe (in a run, `measure` through the load
//! driver; in tests, a fake service with a known knee), so it is tested in microseconds.

use crate::model::{Capacity, CapacityLimit, ProbeRecord, Verdict};
use crate::scenario::CapacityPlan;

/// Most probes one search runs: doubling from 1 to the highest rate allowed, halving back down,
/// and bisecting to the finest resolution together take fewer.
pub const MAX_PROBES: usize = 64;

/// Why a probe gave no figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C: the search ends with what it has.
    Interrupted,
    /// The probe could not run (the service died, the driver failed), and why.
    Failed(String),
}

/// What the search drives: one probe at a time.
pub trait Probe {
    /// Holds `rate` requests per second for one probe (the `index`-th, from 0) and returns its
    /// figures, without a verdict.
    fn run(&mut self, index: usize, rate: u32) -> Result<ProbeRecord, Stop>;

    /// Sees each probe once judged (its verdict set): for progress and for the record.
    fn judged(&mut self, _index: usize, _probe: &ProbeRecord) {}
}

/// The name of the `index`-th probe (from 0) in results files: `probe-1`, `probe-2`, ...
pub fn probe_name(index: usize) -> String {
    format!("probe-{}", index + 1)
}

/// What a probe says about the service, in this order: the generator was late or saturated
/// (the probe is not the service's); errors above `max_error_ratio` of the requests (slots not
/// sent included; a probe without any request is one); the corrected p99 above the SLO (the
/// raw p99 when the driver gave no corrected one); else it holds. A figure exactly at a limit
/// holds.
pub fn verdict(probe: &ProbeRecord, plan: &CapacityPlan) -> Verdict {
    if probe.generator_late || probe.generator_saturated {
        return Verdict::GeneratorLimit;
    }
    if probe.requests == 0 || probe.errors as f64 > plan.max_error_ratio * probe.requests as f64 {
        return Verdict::Errors;
    }
    let p99_us = probe.intended_p99_us.unwrap_or(probe.p99_us);
    if p99_us as u128 > plan.slo_p99.as_micros() {
        return Verdict::Slo;
    }
    Verdict::Holds
}

/// How many CPUs the service may use, given how many the placement pinned it to (`0`:
/// unpinned, then every CPU the harness may use, which the service shares).
pub fn service_cpus(pinned: usize) -> usize {
    crate::driver::generator_cpus(pinned)
}

/// About how many probes a search of `plan` runs, for a progress bar: doubling to the highest
/// rate, then bisecting to the resolution.
pub fn planned_probes(plan: &CapacityPlan) -> u32 {
    let doublings = (f64::from(plan.max_rps) / f64::from(plan.start_rps.max(1)))
        .log2()
        .ceil()
        .max(0.0);
    let bisections = (1.0 / plan.resolution).log2().ceil().max(0.0);
    (doublings + bisections + 1.0).min(MAX_PROBES as f64) as u32
}

/// Searches for the highest rate that holds `plan`'s objective, probing through `probe`, for a
/// service on `service_cpus` CPUs.
pub fn search(plan: &CapacityPlan, service_cpus: usize, probe: &mut dyn Probe) -> Capacity {
    let mut probes: Vec<ProbeRecord> = Vec::new();
    // Indices into `probes`: the highest rate that held, the lowest that did not.
    let mut held: Option<usize> = None;
    let mut broke: Option<usize> = None;
    let mut failure = None;
    let mut rate = plan.start_rps.max(1);
    let limit = loop {
        if probes.len() >= MAX_PROBES {
            break broke.map_or(CapacityLimit::MaxRate, |i| service_limit(&probes[i]));
        }
        let index = probes.len();
        let mut record = match probe.run(index, rate) {
            Ok(record) => record,
            Err(Stop::Interrupted) => break CapacityLimit::Interrupted,
            Err(Stop::Failed(why)) => {
                failure = Some(why);
                break CapacityLimit::Failed;
            }
        };
        record.rate = rate;
        let judged = verdict(&record, plan);
        record.verdict = Some(judged);
        probe.judged(index, &record);
        probes.push(record);
        match judged {
            Verdict::GeneratorLimit => break CapacityLimit::Generator,
            Verdict::Holds => held = Some(index),
            Verdict::Slo | Verdict::Errors => broke = Some(index),
        }
        let rate_of = |i: Option<usize>| i.map(|i| probes[i].rate);
        rate = match (rate_of(held), rate_of(broke)) {
            // Up until a probe does not hold.
            (Some(low), None) if low >= plan.max_rps => break CapacityLimit::MaxRate,
            (Some(low), None) => low.saturating_mul(2).min(plan.max_rps),
            // Down until one does.
            (None, Some(high)) if high <= 1 => break service_limit(&probes[index]),
            (None, Some(high)) => high / 2,
            // Then halve the gap.
            (Some(low), Some(high)) => {
                let gap = f64::from(high - low);
                if high - low <= 1 || gap <= plan.resolution * f64::from(low) {
                    break service_limit(&probes[broke.expect("a rate that broke")]);
                }
                low + (high - low) / 2
            }
            (None, None) => unreachable!("every probe held or broke"),
        };
    };
    let below = held.map(|i| probes[i].clone());
    let above = broke.map(|i| probes[i].clone());
    let rps = below.as_ref().map(|p| p.rate);
    Capacity {
        slo_p99_ms: plan.slo_p99.as_secs_f64() * 1000.0,
        max_error_ratio: plan.max_error_ratio,
        service_cpus,
        rps,
        rps_per_core: rps.map(|r| f64::from(r) / service_cpus.max(1) as f64),
        limit,
        cpu_ms_per_request: below.as_ref().and_then(|p| p.cpu_ms_per_request),
        below,
        above,
        probes,
        failure,
    }
}

/// The service's own limit, from the probe that did not hold.
fn service_limit(probe: &ProbeRecord) -> CapacityLimit {
    match probe.verdict {
        Some(Verdict::Errors) => CapacityLimit::Errors,
        _ => CapacityLimit::Slo,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A fake service: p99 rises past the SLO above `knee` rps; errors from `errors_from`; the
    /// generator saturated at the rates `generator` picks; Ctrl-C or a failure at a given probe.
    struct Fake {
        knee: u32,
        errors_from: u32,
        generator: fn(u32) -> bool,
        interrupt_at: Option<usize>,
        fail_at: Option<usize>,
        asked: Vec<u32>,
        judged: Vec<(usize, Verdict)>,
    }

    impl Fake {
        fn knee(knee: u32) -> Self {
            Self {
                knee,
                errors_from: u32::MAX,
                generator: |_| false,
                interrupt_at: None,
                fail_at: None,
                asked: Vec::new(),
                judged: Vec::new(),
            }
        }
    }

    impl Probe for Fake {
        fn run(&mut self, index: usize, rate: u32) -> Result<ProbeRecord, Stop> {
            if self.interrupt_at == Some(index) {
                return Err(Stop::Interrupted);
            }
            if self.fail_at == Some(index) {
                return Err(Stop::Failed("exited (signal 9)".into()));
            }
            self.asked.push(rate);
            let requests = u64::from(rate) * 10;
            let p99 = if rate > self.knee { 50_000 } else { 2_000 };
            Ok(ProbeRecord {
                achieved_rps: f64::from(rate),
                requests,
                errors: if rate >= self.errors_from {
                    requests / 100
                } else {
                    0
                },
                p50_us: 300,
                p99_us: p99 / 2,
                intended_p50_us: Some(400),
                intended_p99_us: Some(p99),
                generator_saturated: (self.generator)(rate),
                cpu_ms_per_request: Some(1000.0 / f64::from(rate.max(1))),
                ..ProbeRecord::default()
            })
        }

        fn judged(&mut self, index: usize, probe: &ProbeRecord) {
            self.judged.push((index, probe.verdict.unwrap()));
        }
    }

    fn plan(start_rps: u32, max_rps: u32) -> CapacityPlan {
        CapacityPlan {
            start_rps,
            max_rps,
            ..CapacityPlan::default()
        }
    }

    #[test]
    fn doubles_then_bisects_to_the_knee() {
        let mut fake = Fake::knee(3000);
        let c = search(&plan(500, 200_000), 1, &mut fake);
        // 500, 1000, 2000 hold; 4000 breaks; then 3000 holds, 3500, 3250 and 3125 break:
        // 3125 - 3000 = 125 is within 5 % of 3000.
        assert_eq!(fake.asked, [500, 1000, 2000, 4000, 3000, 3500, 3250, 3125]);
        assert_eq!(c.rps, Some(3000));
        assert_eq!(c.rps_per_core, Some(3000.0));
        assert_eq!(c.limit, CapacityLimit::Slo);
        assert!(c.limit.is_service());
        assert_eq!(c.below.as_ref().unwrap().rate, 3000);
        assert_eq!(c.above.as_ref().unwrap().rate, 3125);
        assert_eq!(c.above.as_ref().unwrap().verdict, Some(Verdict::Slo));
        assert_eq!(c.cpu_ms_per_request, Some(1000.0 / 3000.0));
        assert_eq!(c.probes.len(), 8);
        assert_eq!(c.slo_p99_ms, 10.0);
        // Every probe was seen once judged, in order.
        let seen: Vec<usize> = fake.judged.iter().map(|(i, _)| *i).collect();
        assert_eq!(seen, (0..8).collect::<Vec<_>>());
        assert_eq!(fake.judged[3].1, Verdict::Slo);
    }

    #[test]
    fn the_gap_ends_within_the_resolution() {
        for knee in [700, 1234, 9999, 150_000] {
            let mut fake = Fake::knee(knee);
            let p = plan(500, 200_000);
            let c = search(&p, 2, &mut fake);
            let (low, high) = (c.below.unwrap().rate, c.above.unwrap().rate);
            assert!(low <= knee && knee < high, "{knee}: {low}..{high}");
            assert!(
                f64::from(high - low) <= p.resolution * f64::from(low),
                "{knee}: {low}..{high}"
            );
            assert_eq!(c.rps_per_core, Some(f64::from(low) / 2.0), "per core");
        }
    }

    #[test]
    fn a_start_that_does_not_hold_halves_down() {
        let mut fake = Fake::knee(300);
        let c = search(&plan(1000, 200_000), 1, &mut fake);
        assert_eq!(&fake.asked[..3], [1000, 500, 250]);
        let low = c.rps.unwrap();
        assert!((286..=300).contains(&low), "{low}");
        // Nothing holds at all: no capacity, the service's limit.
        let mut dead = Fake::knee(0);
        let c = search(&plan(8, 100), 1, &mut dead);
        assert_eq!(dead.asked, [8, 4, 2, 1]);
        assert_eq!((c.rps, c.rps_per_core), (None, None));
        assert_eq!(c.limit, CapacityLimit::Slo);
        assert!(c.below.is_none() && c.above.unwrap().rate == 1);
    }

    #[test]
    fn errors_limit_like_the_slo_and_say_so() {
        let mut fake = Fake::knee(u32::MAX);
        fake.errors_from = 1500;
        let c = search(&plan(500, 200_000), 1, &mut fake);
        assert_eq!(c.limit, CapacityLimit::Errors);
        let (low, high) = (c.rps.unwrap(), c.above.unwrap().rate);
        assert!(low < 1500 && high >= 1500, "{low}..{high}");
    }

    #[test]
    fn the_generator_is_not_the_services_limit() {
        let mut fake = Fake::knee(50_000);
        fake.generator = |rate| rate >= 8000;
        let c = search(&plan(1000, 200_000), 1, &mut fake);
        // 1000, 2000, 4000 hold; 8000 saturates the generator: stop, at least 4000.
        assert_eq!(fake.asked, [1000, 2000, 4000, 8000]);
        assert_eq!(c.limit, CapacityLimit::Generator);
        assert!(!c.limit.is_service());
        assert_eq!(c.rps, Some(4000));
        assert!(c.above.is_none(), "no rate broke the service");
        assert_eq!(
            c.probes.last().unwrap().verdict,
            Some(Verdict::GeneratorLimit)
        );
        // Also while bisecting.
        let mut fake = Fake::knee(3000);
        fake.generator = |rate| rate == 3500;
        let c = search(&plan(500, 200_000), 1, &mut fake);
        assert_eq!(fake.asked, [500, 1000, 2000, 4000, 3000, 3500]);
        assert_eq!((c.limit, c.rps), (CapacityLimit::Generator, Some(3000)));
        assert_eq!(c.above.unwrap().rate, 4000, "the SLO broke above");
    }

    #[test]
    fn the_highest_rate_allowed_holding_is_a_lower_bound() {
        let mut fake = Fake::knee(u32::MAX);
        let c = search(&plan(300, 1000), 1, &mut fake);
        assert_eq!(fake.asked, [300, 600, 1000]);
        assert_eq!((c.limit, c.rps), (CapacityLimit::MaxRate, Some(1000)));
        assert!(!c.limit.is_service());
    }

    #[test]
    fn interruption_and_failure_keep_what_was_measured() {
        let mut fake = Fake::knee(3000);
        fake.interrupt_at = Some(4);
        let c = search(&plan(500, 200_000), 1, &mut fake);
        assert_eq!(c.limit, CapacityLimit::Interrupted);
        assert_eq!((c.probes.len(), c.rps), (4, Some(2000)));
        let mut fake = Fake::knee(3000);
        fake.fail_at = Some(1);
        let c = search(&plan(500, 200_000), 1, &mut fake);
        assert_eq!(c.limit, CapacityLimit::Failed);
        assert_eq!(c.failure.as_deref(), Some("exited (signal 9)"));
        assert_eq!(c.rps, Some(500));
    }

    #[test]
    fn verdicts_in_order_with_limits_inclusive() {
        let p = CapacityPlan {
            slo_p99: Duration::from_millis(10),
            max_error_ratio: 0.001,
            ..CapacityPlan::default()
        };
        let ok = ProbeRecord {
            requests: 10_000,
            errors: 10,
            p99_us: 50_000,
            intended_p99_us: Some(10_000),
            ..ProbeRecord::default()
        };
        assert_eq!(verdict(&ok, &p), Verdict::Holds, "at both limits");
        let slow = ProbeRecord {
            intended_p99_us: Some(10_001),
            ..ok.clone()
        };
        assert_eq!(verdict(&slow, &p), Verdict::Slo);
        let failing = ProbeRecord {
            errors: 11,
            ..slow.clone()
        };
        assert_eq!(verdict(&failing, &p), Verdict::Errors);
        let late = ProbeRecord {
            generator_late: true,
            ..failing.clone()
        };
        assert_eq!(verdict(&late, &p), Verdict::GeneratorLimit);
        let saturated = ProbeRecord {
            generator_saturated: true,
            ..ok.clone()
        };
        assert_eq!(verdict(&saturated, &p), Verdict::GeneratorLimit);
        // Without corrected figures, the raw p99 is judged; without requests, nothing held.
        let raw = ProbeRecord {
            intended_p99_us: None,
            ..ok.clone()
        };
        assert_eq!(verdict(&raw, &p), Verdict::Slo);
        assert_eq!(verdict(&ProbeRecord::default(), &p), Verdict::Errors);
    }

    #[test]
    fn planned_probes_cover_a_search() {
        assert_eq!(planned_probes(&plan(500, 200_000)), 9 + 5 + 1);
        assert_eq!(planned_probes(&plan(1000, 1000)), 5 + 1);
        assert_eq!(probe_name(0), "probe-1");
    }
}
