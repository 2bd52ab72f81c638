//! The searches as terminal tables: the capacity per service CPU, the fit (the smallest memory
//! limit each stack served under) and the density (replicas per node), each where the run made
//! one.

use super::{figure, grid, sig3};
use crate::model::Summary;

/// The capacity search in a few lines, when the run had one: per stack the capacity per
/// service CPU over the repeats (`≥` where the search stopped before the service's limit), why
/// it stopped, the CPU per request there, and the first repeat's probes just below and just
/// above it.
pub fn capacity(summary: &Summary) -> Option<String> {
    let headers = [
        "stack",
        "rps/core",
        "limit",
        "CPU ms/req",
        "below: rps, p50 / p99 ms (raw)",
        "above: rps, p50 / p99 ms (raw)",
        "probes",
    ];
    let mut objective = None;
    let rows: Vec<Vec<String>> = summary
        .stacks
        .iter()
        .filter_map(|s| {
            let c = s.capacity.as_ref()?;
            objective.get_or_insert((c.slo_p99_ms, c.max_error_ratio));
            let first = s.runs.iter().find_map(|r| r.capacity.as_ref());
            let bound = if c.at_least { "≥ " } else { "" };
            Some(vec![
                s.stack.clone(),
                c.rps_per_core
                    .as_ref()
                    .map_or("-".to_owned(), |e| format!("{bound}{}", figure(e, 1.0, 0))),
                c.limit.word().to_owned(),
                c.cpu_ms_per_request
                    .as_ref()
                    .map_or("-".to_owned(), |e| figure(e, 1.0, 4)),
                probe_cell(first.and_then(|f| f.below.as_ref())),
                probe_cell(first.and_then(|f| f.above.as_ref())),
                first.map_or(0, |f| f.probes.len()).to_string(),
            ])
        })
        .collect();
    let (slo_ms, errors) = objective?;
    let mut out = format!(
        "capacity: the highest rate with p99 counted from when each request was due at most {} ms and at most {} % errors, per service CPU (every probe in capacity.csv)\n",
        sig3(slo_ms),
        sig3(errors * 100.0)
    );
    grid(&mut out, "", &headers, &rows, "lrlrllr");
    if summary
        .stacks
        .iter()
        .any(|s| s.capacity.as_ref().is_some_and(|c| c.at_least))
    {
        out.push_str(
            "≥: the search stopped before the service's limit, so the capacity is at least this: generator: the load generator was behind its schedule or saturated; max-rate: the highest rate allowed held; interrupted: Ctrl-C\n",
        );
    }
    Some(out)
}

/// The fit of each stack that ran a fit search: the smallest memory limit it served its step
/// under, the memory used there, what the limit just below it showed, and the probes.
pub fn fit(summary: &Summary) -> Option<String> {
    let headers = [
        "stack",
        "fit MiB",
        "used MiB",
        "JVM heap MiB",
        "just below",
        "probes (MiB: verdict)",
    ];
    let mut plan = None;
    let rows: Vec<Vec<String>> = summary
        .stacks
        .iter()
        .filter_map(|s| {
            let fit = s.fit.as_ref()?;
            let first = s.runs.iter().find_map(|r| r.fit.as_ref());
            plan = plan
                .or(first.map(|f| (f.max_mib, f.min_mib, f.latency_factor, f.latency_floor_us)));
            let fit_cell = match (fit.fit_mib, fit.limit) {
                (Some(mib), crate::model::FitLimit::Minimum) => format!("≤ {mib}"),
                (Some(mib), crate::model::FitLimit::Interrupted) => {
                    format!("≤ {mib} (interrupted)")
                }
                (Some(mib), _) => mib.to_string(),
                (None, limit) => format!("- ({})", limit.word()),
            };
            let below = match (fit.below_mib, fit.below) {
                (Some(mib), Some(verdict)) => format!("{mib}: {}", verdict.word()),
                _ => "-".to_owned(),
            };
            let probes = first.map_or(String::new(), |f| {
                f.probes
                    .iter()
                    .map(|p| format!("{}: {}", p.limit_mib, p.verdict.map_or("-", |v| v.word())))
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            Some(vec![
                s.stack.clone(),
                fit_cell,
                fit.used_kb
                    .map_or("-".to_owned(), |kb| format!("{:.1}", kb as f64 / 1024.0)),
                fit.jvm_heap_max_mib
                    .map_or("-".to_owned(), |h| h.to_string()),
                below,
                probes,
            ])
        })
        .collect();
    let (max_mib, min_mib, factor, floor_us) = plan?;
    let mut out = format!(
        "fit: the smallest memory limit (swap off) under which each stack started, was not killed and served the step with p99 at most {} x the {max_mib} MiB probe's (or under {} ms), searched down to {min_mib} MiB (every probe in fit.csv)\n",
        sig3(factor),
        sig3(floor_us as f64 / 1000.0),
    );
    grid(&mut out, "", &headers, &rows, "lrrrll");
    if summary.stacks.iter().any(|s| {
        s.fit
            .as_ref()
            .is_some_and(|f| f.limit == crate::model::FitLimit::Minimum)
    }) {
        out.push_str("≤: the smallest limit the search was allowed held, so the stack fits in at most this\n");
    }
    Some(out)
}

/// Replicas per node of each stack that ran a density run.
pub fn density(summary: &Summary) -> Option<String> {
    let headers = [
        "stack",
        "replicas/node",
        "held",
        "limit MiB",
        "limit from",
        "node used MiB",
        "rps each",
        "worst p99 ms",
        "failed replicas",
    ];
    let mut budget = None;
    let rows: Vec<Vec<String>> = summary
        .stacks
        .iter()
        .filter_map(|s| {
            let d = s.density.as_ref()?;
            budget.get_or_insert(d.node_mib);
            let failed: Vec<String> = d
                .per_replica
                .iter()
                .filter(|r| r.verdict != Some(crate::model::FitVerdict::Holds))
                .take(3)
                .map(|r| format!("{}: {}", r.name, r.verdict.map_or("-", |v| v.word())))
                .chain(d.failure.clone())
                .collect();
            let worst = d.per_replica.iter().filter_map(|r| r.p99_us).max();
            Some(vec![
                s.stack.clone(),
                d.replicas_per_node()
                    .map_or("-".to_owned(), |n| n.to_string()),
                format!("{} of {}", d.held, d.replicas),
                d.limit_mib.to_string(),
                d.limit_from.words().to_owned(),
                d.node_used_kb
                    .map_or("-".to_owned(), |kb| format!("{:.0}", kb as f64 / 1024.0)),
                d.rate_per_replica.map_or("-".to_owned(), |r| r.to_string()),
                worst.map_or("-".to_owned(), |us| format!("{:.2}", us as f64 / 1000.0)),
                if failed.is_empty() {
                    "-".to_owned()
                } else {
                    failed.join("; ")
                },
            ])
        })
        .collect();
    let node_mib = budget?;
    let mut out = format!(
        "density: replicas of each stack limited and reserved at its fit, up to a {node_mib} MiB node, all loaded at once (every replica in density.csv)\n"
    );
    grid(&mut out, "", &headers, &rows, "lrrrlrrrl");
    Some(out)
}

/// A probe as `rate: p50 / p99 ms (raw p50 / p99)`, the first pair counted from when each
/// request was due; `-` without one.
pub fn probe_cell(probe: Option<&crate::model::ProbeRecord>) -> String {
    let Some(p) = probe else {
        return "-".to_owned();
    };
    let ms = |us: u64| format!("{:.2}", us as f64 / 1000.0);
    let corrected = p
        .intended_p50_us
        .zip(p.intended_p99_us)
        .map_or("-".to_owned(), |(a, b)| format!("{} / {}", ms(a), ms(b)));
    format!(
        "{}: {corrected} ({} / {})",
        p.rate,
        ms(p.p50_us),
        ms(p.p99_us)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::fixtures::{measured, summary};

    #[test]
    fn the_capacity_table_says_where_the_service_or_the_generator_stopped() {
        use crate::cost::fixtures::with_capacity;
        use crate::model::CapacityLimit;
        let s = summary(vec![
            with_capacity(
                measured("hyper", 5, 10.0),
                4000,
                CapacityLimit::Generator,
                None,
            ),
            with_capacity(
                measured("spring-like", 200, 100.0),
                1000,
                CapacityLimit::Slo,
                Some(0.02),
            ),
            measured("go", 5, 10.0),
        ]);
        let t = capacity(&s).unwrap();
        assert!(
            t.contains("at most 10 ms and at most 0.1 % errors, per service CPU"),
            "{t}"
        );
        let line = |stack: &str| t.lines().find(|l| l.starts_with(stack)).unwrap().to_owned();
        let hyper = line("hyper");
        assert!(
            hyper.contains("≥ 4000") && hyper.contains("generator"),
            "{t}"
        );
        let jvm = line("spring-like");
        assert!(!jvm.contains('≥') && jvm.contains(" slo "), "{t}");
        assert!(
            jvm.contains("1000: 0.30 / 4.00 (0.20 / 2.00)"),
            "below: {t}"
        );
        assert!(
            jvm.contains("2000: 0.30 / 40.00 (0.20 / 20.00)"),
            "above: {t}"
        );
        assert!(jvm.contains("1.0000"), "CPU per request at capacity: {t}");
        assert!(!t.contains("go "), "no search, no line: {t}");
        assert!(t.contains("≥: the search stopped before the service's limit"));
        assert!(capacity(&summary(vec![measured("go", 5, 10.0)])).is_none());
    }
}
