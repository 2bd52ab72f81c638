//! Tables for a terminal: the stacks of a run (printed at its end), the robustness battery,
//! the cost projection and the comparison of two runs.

use std::fmt::Write as _;

use serde::Serialize;

use crate::backend::traits_of;
use crate::compare::Comparison;
use crate::cost::{Bound, Choice, CostReport, CpuSource, MemorySource, StackInput};
use crate::model::{StackSummary, Summary};
use crate::stats::Estimate;

/// A figure over the repeats as table text: `median` for one repeat; `median [low-high]` with
/// a 95 % interval for the median; `median (min-max)` when the repeats are too few for one;
/// `*` after a noisy figure. `scale` turns the stored unit into the shown one.
pub fn figure(e: &Estimate, scale: f64, decimals: usize) -> String {
    let v = |x: f64| format!("{:.*}", decimals, x * scale);
    let mut text = v(e.median);
    if let Some(ci) = e.ci95 {
        text = format!("{text} [{}-{}]", v(ci.low), v(ci.high));
    } else if e.n > 1 {
        text = format!("{text} ({}-{})", v(e.min), v(e.max));
    }
    if e.noisy {
        text.push('*');
    }
    text
}

/// The noisy figures of a stack and their likely causes, as one line; `None` when quiet.
pub fn noise_line(stack: &StackSummary) -> Option<String> {
    let e = stack.estimates.as_ref()?;
    if e.noisy.is_empty() {
        return None;
    }
    let cause = if e.causes.is_empty() {
        "the run recorded no cause (no saturation, steal or busy machine seen)".to_owned()
    } else {
        format!("likely cause: {}", e.causes.join("; "))
    };
    Some(format!(
        "noisy {}: {}; {cause}",
        stack.stack,
        e.noisy.join(", ")
    ))
}

/// Every table the terminal shows at the end of a run, each followed by a blank line: the
/// stacks' (but for a fit or density run, which has no steps of its own), then the battery's,
/// the load workers', capacity's, fit's and density's where the run has them.
pub fn all(summary: &Summary) -> String {
    let searched_memory = summary
        .stacks
        .iter()
        .any(|s| s.fit.is_some() || s.density.is_some());
    let mut out = String::new();
    let tables = [
        (!searched_memory).then(|| render(summary)),
        battery(summary),
        load_workers(summary),
        capacity(summary),
        fit(summary),
        density(summary),
    ];
    for table in tables.into_iter().flatten() {
        out.push_str(&table);
        out.push('\n');
    }
    out
}

/// The summary as a plain-text table, one row per stack, with skip and failure reasons below.
pub fn render(summary: &Summary) -> String {
    let counter = &summary.memory_counter;
    let headers = [
        "stack".to_owned(),
        "status".to_owned(),
        format!("idle {counter} MiB"),
        format!("load {counter} MiB"),
        "peak MiB".to_owned(),
        "boot ms".to_owned(),
        "p50 µs".to_owned(),
        "p99 µs".to_owned(),
        "rps".to_owned(),
        "CPU ms/1k req".to_owned(),
    ];
    let mib =
        |kb: Option<u64>| kb.map_or("-".to_owned(), |kb| format!("{:.1}", kb as f64 / 1024.0));
    let num = |v: Option<u64>| v.map_or("-".to_owned(), |v| v.to_string());
    let rows: Vec<Vec<String>> = summary
        .stacks
        .iter()
        .map(|s| {
            let mut row = vec![
                s.stack.clone(),
                s.status.word().to_owned(),
                mib(s.idle_kb),
                mib(s.load_kb),
                mib(s.peak_kb),
                s.boot_ms
                    .map_or("-".to_owned(), |b| format!("{:.1}", b.median)),
                num(s.p50_us),
                num(s.p99_us),
                s.achieved_rps.map_or("-".to_owned(), |r| format!("{r:.0}")),
                s.cpu_ms_per_1000
                    .map_or("-".to_owned(), |c| format!("{c:.1}")),
            ];
            if let Some(e) = &s.estimates {
                let mut put = |i: usize, est: Option<&Estimate>, scale: f64, decimals: usize| {
                    if let Some(est) = est {
                        row[i] = figure(est, scale, decimals);
                    }
                };
                let to_mib = 1.0 / 1024.0;
                put(2, e.idle_kb.as_ref(), to_mib, 1);
                put(3, e.load_kb.as_ref(), to_mib, 1);
                put(4, e.peak_kb.as_ref(), to_mib, 1);
                put(5, e.boot_ms.as_ref(), 1.0, 1);
                if let Some(last) = e.steps.last() {
                    // Corrected for coordinated omission where the driver gave both; the raw
                    // figures then go below the table.
                    put(
                        6,
                        last.intended_p50_us.as_ref().or(last.p50_us.as_ref()),
                        1.0,
                        0,
                    );
                    put(
                        7,
                        last.intended_p99_us.as_ref().or(last.p99_us.as_ref()),
                        1.0,
                        0,
                    );
                    put(8, last.achieved_rps.as_ref(), 1.0, 0);
                }
                put(9, e.cpu_ms_per_1000.as_ref(), 1.0, 1);
            }
            row
        })
        .collect();
    let mut out = String::new();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    grid(&mut out, "", &headers, &rows, "llrrrrrrrr");
    for s in &summary.stacks {
        if let Some(reason) = &s.reason {
            let _ = writeln!(out, "{} {}: {reason}", s.status.word(), s.stack);
        }
    }
    for s in &summary.stacks {
        if let Some(line) = noise_line(s) {
            let _ = writeln!(out, "{line}");
        }
    }
    let raw: Vec<String> = summary
        .stacks
        .iter()
        .filter_map(|s| {
            let last = s.estimates.as_ref()?.steps.last()?;
            last.intended_p50_us.as_ref()?;
            let (p50, p99) = (last.p50_us.as_ref()?, last.p99_us.as_ref()?);
            Some(format!(
                "{} {} / {}",
                s.stack,
                figure(p50, 1.0, 0),
                figure(p99, 1.0, 0)
            ))
        })
        .collect();
    if !raw.is_empty() {
        let _ = writeln!(
            out,
            "p50 and p99 above are corrected for coordinated omission (counted from when each request was due, or with the load generator's back-filled times); raw, from each send, p50 / p99 µs: {}",
            raw.join(", ")
        );
    }
    let repeats = summary
        .stacks
        .iter()
        .filter_map(|s| s.estimates.as_ref()?.idle_kb.map(|e| e.n))
        .max()
        .unwrap_or(0);
    if repeats > 1 {
        let _ = writeln!(out, "{}", repeats_note(repeats));
    }
    let traits = traits_of(summary);
    let _ = writeln!(
        out,
        "memory: {counter} (median idle, median under load, {}); boot: median of {} start(s) from {} to the first 200 from /health; p50/p99: seeded ids, rps: every request served, last step",
        traits.peak_counter,
        summary
            .stacks
            .iter()
            .filter_map(|s| s.boot_ms.map(|b| b.n))
            .max()
            .unwrap_or(0),
        traits.boot_from
    );
    out
}

/// The bad-input battery in a few lines, when the run had one: per stack (its first repeat
/// with a battery) the cases passed, concerns, whether it stayed up and its memory around it.
pub fn battery(summary: &Summary) -> Option<String> {
    let headers = [
        "stack",
        "passed",
        "concerns",
        "stayed up",
        "idle MiB",
        "during MiB",
        "after MiB",
        "after - idle",
        "near idle",
        "grew most after",
    ];
    let mib =
        |kb: Option<u64>| kb.map_or("-".to_owned(), |kb| format!("{:.1}", kb as f64 / 1024.0));
    let rows: Vec<Vec<String>> = summary
        .stacks
        .iter()
        .filter_map(|s| {
            let b = s.runs.iter().find_map(|r| r.battery.as_ref())?;
            let f = crate::aggregate::battery_figures(b);
            Some(vec![
                s.stack.clone(),
                format!("{} of {}", f.passed, f.cases),
                f.concerns.to_string(),
                if f.stayed_up { "yes" } else { "no" }.to_owned(),
                mib(b.before_kb),
                mib(b.during_kb),
                mib(b.after_kb),
                f.retained_kb
                    .map_or("-".to_owned(), |kb| format!("{:+.1}", kb as f64 / 1024.0)),
                f.near_idle
                    .map_or("-".to_owned(), |n| if n { "yes" } else { "no" }.to_owned()),
                f.grew_most.map_or("-".to_owned(), |(group, kb)| {
                    format!("{group} +{:.1}", kb as f64 / 1024.0)
                }),
            ])
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let mut out = String::from("robustness: the bad-input battery (every case in battery.csv)\n");
    grid(&mut out, "", &headers, &rows, "lrrrrrrrrr");
    Some(out)
}

/// Each load worker's part of each measured step of each repeat, as cells (shared with the
/// HTML report): stack, repeat, step, worker, node, users, rate, requests, p50 / p99 µs (raw,
/// its own), p99 µs intended, cores of CPUs, and what to know (saturated, late, lost).
pub fn worker_rows(summary: &Summary) -> Vec<[String; 11]> {
    let mut rows = Vec::new();
    for stack in &summary.stacks {
        for run in &stack.runs {
            for step in run.steps.iter().filter(|s| !s.warmup) {
                for w in &step.workers {
                    let mut notes: Vec<String> = Vec::new();
                    if w.saturated {
                        notes.push("saturated".into());
                    }
                    if w.late {
                        notes.push(match w.generator_late_p99_us {
                            Some(l) if l > crate::aggregate::GENERATOR_LATE_US => {
                                format!("late: clock {} µs at p99", l)
                            }
                            _ => format!("late: started {} µs after the instant", w.start_late_us),
                        });
                    }
                    if let Some(lost) = &w.lost {
                        notes.push(format!("missing: {lost}"));
                    }
                    rows.push([
                        stack.stack.clone(),
                        run.repeat.to_string(),
                        step.name.clone(),
                        w.name.clone(),
                        w.node.clone(),
                        format!(
                            "{} users{}",
                            w.users,
                            w.target_rps.map_or(String::new(), |r| format!(", {r} rps"))
                        ),
                        w.requests.to_string(),
                        format!("{} / {}", w.p50_us, w.p99_us),
                        w.intended_p99_us.map_or("-".into(), |us| us.to_string()),
                        w.cores
                            .map_or("-".into(), |c| format!("{c:.2} of {}", w.cpus)),
                        if notes.is_empty() {
                            "-".into()
                        } else {
                            notes.join("; ")
                        },
                    ]);
                }
            }
        }
    }
    rows
}

/// The load workers' table: who sent what in each measured step; `None` for a run without
/// load workers.
pub fn load_workers(summary: &Summary) -> Option<String> {
    let info = summary.load_workers.as_ref()?;
    let headers = [
        "stack",
        "repeat",
        "step",
        "worker",
        "node",
        "share",
        "requests",
        "p50 / p99 µs",
        "p99 µs intended",
        "cores",
        "",
    ];
    let rows: Vec<Vec<String>> = worker_rows(summary)
        .into_iter()
        .map(|r| r.to_vec())
        .collect();
    let mut out = format!(
        "load workers: {} of {} ({}), reporting to {}; each step's figures above are their \
         histograms merged, a worker's own percentiles are its alone (never averaged)\n",
        info.workers.len(),
        info.service,
        info.placement,
        info.coordinator
    );
    grid(&mut out, "", &headers, &rows, "lrllllrrrrl");
    Some(out)
}

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

/// Appends a table: `align` holds `l` or `r` per column.
pub fn grid(out: &mut String, indent: &str, headers: &[&str], rows: &[Vec<String>], align: &str) {
    let align: Vec<char> = align.chars().collect();
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([headers[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let headers: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    for cells in std::iter::once(&headers).chain(rows) {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &w))| {
                let pad = " ".repeat(w.saturating_sub(cell.chars().count()));
                if align.get(i) == Some(&'r') {
                    format!("{pad}{cell}")
                } else {
                    format!("{cell}{pad}")
                }
            })
            .collect();
        let _ = writeln!(out, "{indent}{}", padded.join("  ").trim_end());
    }
}

/// What the brackets after a figure mean, for `repeats` repeats.
pub fn repeats_note(repeats: usize) -> String {
    let e = crate::stats::estimate(&vec![0.0; repeats]);
    let coverage = e.map_or(0.0, |e| e.range_coverage) * 100.0;
    if repeats >= 6 {
        format!(
            "over {repeats} repeats: median [95 % confidence interval for the median, from order statistics]; * noisy: the repeats' coefficient of variation is above 10 %"
        )
    } else {
        format!(
            "over {repeats} repeats: median (min-max); no 95 % interval for the median from fewer than 6 repeats: min-max holds it with {coverage:.0} % confidence; * noisy: the repeats' coefficient of variation is above 10 %"
        )
    }
}

/// Rows of cells under a header, and how each column is aligned: the shape both the terminal
/// and the HTML report give a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grid {
    /// Column headers.
    pub headers: Vec<String>,
    /// One row of cells per line.
    pub rows: Vec<Vec<String>>,
    /// Per column: text (left-aligned, `true`) or a figure (right-aligned).
    pub text: Vec<bool>,
}

impl Grid {
    fn new(headers: &[&str], rows: Vec<Vec<String>>, align: &str) -> Self {
        Self {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows,
            text: align.chars().map(|c| c == 'l').collect(),
        }
    }

    /// Appends the grid to `out`, each line after `indent`.
    pub fn write(&self, out: &mut String, indent: &str) {
        let headers: Vec<&str> = self.headers.iter().map(String::as_str).collect();
        let align: String = self
            .text
            .iter()
            .map(|&t| if t { 'l' } else { 'r' })
            .collect();
        grid(out, indent, &headers, &self.rows, &align);
    }
}

/// The cost projection as text for people: what the terminal prints and the HTML report lays
/// out, so both show the same figures in the same columns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostTable {
    /// Which run, scenario and backend.
    pub title: String,
    /// The fleet, where memory and CPU come from, and the prices, a line each.
    pub about: Vec<String>,
    /// Per stack: the cheapest choice, its 2017 t2 counterpart, the ratio to the baseline and
    /// Fargate.
    pub stacks: Grid,
    /// Stacks without figures, and why.
    pub missing: Vec<String>,
    /// Why the ratio to the baseline is unavailable, if it is.
    pub baseline_note: Option<String>,
    /// Per stack with figures: every instance type.
    pub details: Vec<CostDetail>,
    /// Assumptions and sources.
    pub notes: Vec<String>,
}

/// One stack on every instance type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostDetail {
    /// The stack.
    pub stack: String,
    /// What was measured and what is planned per replica.
    pub heading: String,
    /// One row per instance type.
    pub grid: Grid,
}

/// `x` to three significant digits, trailing zeros dropped (0.00625, 0.05, 12.3).
pub fn sig3(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (2 - x.abs().log10().floor() as i32).clamp(0, 9) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

fn usd(v: Option<f64>) -> String {
    v.map_or("-".to_owned(), |v| format!("{v:.2}"))
}

fn memory_source_word(source: MemorySource) -> &'static str {
    source.word()
}

/// CPU per request as the projection took it: `0.05 ms`, or from a capacity search
/// `0.05 ms (capacity 20000/core)`, `≤` before it when that capacity was a lower bound.
fn cpu_cell(input: &StackInput) -> String {
    let ms = sig3(input.cpu_ms_per_request);
    match (input.cpu_source, input.capacity_rps_per_core) {
        (CpuSource::Capacity, Some(per_core)) => format!(
            "{}{ms} ms (capacity {}{per_core:.0}/core)",
            if input.capacity_at_least { "≤ " } else { "" },
            if input.capacity_at_least { "≥ " } else { "" },
        ),
        _ => format!("{ms} ms"),
    }
}

fn bound_word(bound: Bound) -> &'static str {
    match bound {
        Bound::Memory => "memory",
        Bound::Cpu => "CPU",
    }
}

/// The cells of a cost report.
pub fn cost_table(report: &CostReport) -> CostTable {
    let fleet = &report.fleet;
    let about = vec![
        format!(
            "fleet: {} services, one replica each, {} req/s each; planned at {}% of what was measured (headroom {}%); {} MiB per instance kept for the OS and container runtime",
            fleet.services,
            sig3(fleet.rps_per_service),
            sig3(fleet.factor() * 100.0),
            sig3(fleet.headroom_pct),
            fleet.os_reserve_mib
        ),
        format!(
            "memory per replica: peak {counter} (high-water mark) where measured, else median {counter} under load; CPU per request: CPU ms per 1000 requests / 1000",
            counter = report.memory_counter
        ),
        format!(
            "prices: EC2 on-demand, Linux, us-east-1 ({}): 2026-07, and 2017-02 for t2 (the blog's comparison); a month is {} h",
            report.prices_file, report.hours_per_month
        ),
    ];
    let baseline_header = format!("vs {}", report.baseline.as_deref().unwrap_or("baseline"));
    let headers = [
        "stack",
        "status",
        "memory/replica",
        "CPU/request",
        "cheapest (2026)",
        "USD/month",
        baseline_header.as_str(),
        "t2 at 2017 prices",
        "USD/month",
        "Fargate (x86)",
        "USD/month",
    ];
    let rows: Vec<Vec<String>> = report
        .stacks
        .iter()
        .map(|s| {
            let mut row = vec![s.stack.clone(), s.status.word().to_owned()];
            let Some(p) = &s.projection else {
                row.push("no figures".to_owned());
                row.extend(std::iter::repeat_n("-".to_owned(), headers.len() - 3));
                return row;
            };
            let choice = |c: &Option<Choice>| {
                c.as_ref()
                    .map_or(("does not fit".to_owned(), "-".to_owned()), |c| {
                        (
                            format!("{} × {}", c.instances, c.instance_type),
                            usd(Some(c.usd_per_month)),
                        )
                    })
            };
            let (now, now_usd) = choice(&p.cheapest);
            let (then, then_usd) = choice(&p.cheapest_2017);
            let then = if p.rows.iter().any(|r| r.usd_per_hour_2017.is_some()) {
                then
            } else {
                "-".to_owned()
            };
            let (fargate, fargate_usd) =
                p.fargate
                    .map_or(("does not fit".to_owned(), "-".to_owned()), |f| {
                        (
                            format!(
                                "{} × {} vCPU/{} GB",
                                f.tasks,
                                sig3(f.task_vcpu),
                                sig3(f.task_gb)
                            ),
                            usd(Some(f.usd_per_month)),
                        )
                    });
            row.extend([
                format!(
                    "{:.1} MiB {}",
                    p.input.memory_mib,
                    memory_source_word(p.input.memory_source)
                ),
                cpu_cell(&p.input),
                now,
                now_usd,
                p.ratio_to_baseline
                    .map_or("-".to_owned(), |r| format!("{r:.2}×")),
                then,
                then_usd,
                fargate,
                fargate_usd,
            ]);
            row
        })
        .collect();
    let missing = report
        .stacks
        .iter()
        .filter(|s| s.projection.is_none())
        .map(|s| {
            let why = s.reason.as_deref().or(s.missing.as_deref()).unwrap_or("");
            format!("no figures for {} ({}): {why}", s.stack, s.status.word())
        })
        .collect();
    let details = report
        .stacks
        .iter()
        .filter_map(|s| Some((s, s.projection.as_ref()?)))
        .map(|(s, p)| {
            let rows = p
                .rows
                .iter()
                .map(|r| {
                    let fits = r.fits();
                    vec![
                        r.instance_type.clone(),
                        r.vcpu.to_string(),
                        sig3(r.memory_gib),
                        sig3(r.sustained_vcpu),
                        r.replicas_by_memory.to_string(),
                        r.replicas_by_cpu
                            .map_or("no limit".to_owned(), |n| n.to_string()),
                        bound_word(r.bound).to_owned(),
                        r.instances
                            .map_or("does not fit".to_owned(), |n| n.to_string()),
                        if fits {
                            usd(r.usd_per_month_2026)
                        } else {
                            "-".to_owned()
                        },
                        if fits {
                            usd(r.usd_per_month_2017)
                        } else {
                            "-".to_owned()
                        },
                    ]
                })
                .collect();
            CostDetail {
                stack: s.stack.clone(),
                heading: format!(
                    "{}: {:.1} MiB ({}) and {} CPU per request{} -> planned per replica: {:.1} MiB and {} vCPU at {} req/s",
                    s.stack,
                    p.input.memory_mib,
                    memory_source_word(p.input.memory_source),
                    cpu_cell(&p.input),
                    p.input
                        .idle_vcpu
                        .map(|idle| format!(" plus {} vCPU at idle", sig3(idle)))
                        .unwrap_or_default(),
                    p.need.memory_mib,
                    sig3(p.need.cpu_vcpu),
                    sig3(fleet.rps_per_service)
                ),
                grid: Grid::new(
                    &[
                        "instance",
                        "vCPU",
                        "GiB",
                        "sustained vCPU",
                        "by memory",
                        "by CPU",
                        "bound",
                        "instances",
                        "USD/month 2026",
                        "USD/month 2017",
                    ],
                    rows,
                    "lrrrrrlrrr",
                ),
            }
        })
        .collect();
    CostTable {
        title: format!(
            "Cost projection of run {} (scenario {}, backend {})",
            report.run_id, report.scenario, report.backend
        ),
        about,
        stacks: Grid::new(&headers, rows, "llrrlrrlrlr"),
        missing,
        baseline_note: report.baseline_note.clone(),
        details,
        notes: report.notes.clone(),
    }
}

/// The cost report for a terminal: the title and what was priced; per stack the cheapest
/// choice, its 2017 t2 counterpart, the ratio to the baseline and Fargate; then each stack's
/// detail on every instance type; then the notes.
pub fn cost(report: &CostReport) -> String {
    let t = cost_table(report);
    let mut out = String::new();
    let _ = writeln!(out, "{}", t.title);
    for line in &t.about {
        let _ = writeln!(out, "{line}");
    }
    out.push('\n');
    t.stacks.write(&mut out, "");
    for line in t.missing.iter().chain(&t.baseline_note) {
        let _ = writeln!(out, "{line}");
    }
    for d in &t.details {
        out.push('\n');
        let _ = writeln!(out, "{}", d.heading);
        d.grid.write(&mut out, "  ");
    }
    out.push('\n');
    for note in &t.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

/// The comparison of two runs for a terminal.
pub fn compare(c: &Comparison) -> String {
    let mut out = format!(
        "A: {} ({})\nB: {} ({})\n\n",
        c.a.run_id, c.a.scenario, c.b.run_id, c.b.scenario
    );
    for w in &c.warnings {
        let _ = writeln!(out, "note: {w}");
    }
    if !c.warnings.is_empty() {
        out.push('\n');
    }
    let num = crate::compare::format_value;
    let _ = writeln!(
        out,
        "{:<18} {:<26} {:>12} {:>12} {:>7} {:>7}  verdict",
        "stack", "metric", "A", "B", "B/A", "noise"
    );
    for r in &c.rows {
        let _ = writeln!(
            out,
            "{:<18} {:<26} {:>12} {:>12} {:>7} {:>7}  {}",
            r.stack,
            r.metric,
            num(r.a),
            num(r.b),
            r.ratio.map_or("-".to_owned(), |x| format!("{x:.2}")),
            r.noise
                .map_or("-".to_owned(), |n| format!("{:.0}%", n * 100.0)),
            r.verdict.word()
        );
    }
    out.push_str("\nnoise: the larger (max - min) / median over either run's repeats; a ratio further from 1 than that is \"changed\".\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::fixtures::{
        baseline, measured, partly_measured, summary, t2_nano, t3_micro, t3_nano,
    };
    use crate::cost::{Fleet, project};
    use crate::model::{StackSummary, Status};
    use crate::stats::estimate;

    #[test]
    fn figures_show_interval_range_or_nothing() {
        assert_eq!(
            figure(&estimate(&[2048.0]).unwrap(), 1.0 / 1024.0, 1),
            "2.0"
        );
        assert_eq!(
            figure(&estimate(&[100.0, 104.0, 98.0]).unwrap(), 1.0, 0),
            "100 (98-104)"
        );
        assert_eq!(
            figure(&estimate(&[100.0, 150.0, 98.0]).unwrap(), 1.0, 0),
            "100 (98-150)*"
        );
        let ten: Vec<f64> = (1..=10).map(|v| 100.0 + f64::from(v)).collect();
        assert_eq!(
            figure(&estimate(&ten).unwrap(), 1.0, 1),
            "105.5 [102.0-109.0]"
        );
    }

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

    #[test]
    fn the_cost_table_says_which_cpu_figure_it_used() {
        use crate::cost::fixtures::with_capacity;
        use crate::model::CapacityLimit;
        let report = project(
            &summary(vec![
                with_capacity(
                    measured("axum", 20, 50.0),
                    4000,
                    CapacityLimit::Slo,
                    Some(0.01),
                ),
                with_capacity(
                    measured("hyper", 20, 50.0),
                    8000,
                    CapacityLimit::Generator,
                    None,
                ),
                measured("go", 20, 50.0),
            ]),
            &[t3_micro()],
            &Fleet::default(),
        );
        let t = cost(&report);
        assert!(t.contains("0.25 ms (capacity 4000/core)"), "{t}");
        assert!(t.contains("≤ 0.125 ms (capacity ≥ 8000/core)"), "{t}");
        assert!(
            t.contains(" 0.05 ms "),
            "go at its measured CPU per request: {t}"
        );
        assert!(
            t.contains("0.25 ms (capacity 4000/core) CPU per request plus 0.01 vCPU at idle"),
            "{t}"
        );
    }

    #[test]
    fn the_note_says_what_three_repeats_can_tell() {
        assert!(repeats_note(3).contains("min-max holds it with 75 % confidence"));
        assert!(repeats_note(6).contains("[95 % confidence interval"));
    }

    #[test]
    fn the_cost_table_has_the_cheapest_line_and_the_detail() {
        let report = project(
            &summary(vec![
                measured("axum", 20, 50.0),
                baseline(measured("spring-like", 300, 200.0)),
            ]),
            &[t2_nano(), t3_nano(), t3_micro()],
            &Fleet::default(),
        );
        let table = cost(&report);
        // axum: t2.nano 2 × 0.0058 × 730 = 8.468; t3.nano: memory 10, CPU 0.1 / 0.00625 = 16
        // -> 10 per instance, 1 instance, 0.0052 × 730 = 3.796; t3.micro 7.592 -> t3.nano.
        // spring-like (375 MiB, 0.025 cores): t2.nano and t3.nano do not fit; t3.micro:
        // floor(768 / 375) = 2, floor(0.2 / 0.025) = 8 -> 2, 5 instances, 5 × 0.0104 × 730 =
        // 37.96. Ratio 3.796 / 37.96 = 0.10. The 2017 t2 figure for axum: 2 × 0.0059 × 730 = 8.61.
        let axum = table.lines().find(|l| l.starts_with("axum ")).unwrap();
        for cell in [
            "20.0 MiB peak",
            "0.05 ms",
            "1 × t3.nano",
            "3.80",
            "0.10×",
            "2 × t2.nano",
            "8.61",
            "10 × 0.25 vCPU/0.5 GB",
            "90.10",
        ] {
            assert!(axum.contains(cell), "{cell:?} not in {axum:?}");
        }
        let jvm = table
            .lines()
            .find(|l| l.starts_with("spring-like "))
            .unwrap();
        for cell in ["5 × t3.micro", "37.96", "1.00×", "does not fit"] {
            assert!(jvm.contains(cell), "{cell:?} not in {jvm:?}");
        }
        assert!(
            table.contains("planned per replica: 375.0 MiB and 0.025 vCPU"),
            "{table}"
        );
        let detail = table
            .lines()
            .find(|l| l.trim_start().starts_with("t3.nano") && l.contains("does not fit"))
            .unwrap();
        assert!(detail.contains("memory"), "{detail}");
        assert!(table.contains("not checked against AWS"), "{table}");
        assert!(table.contains("x86_64 types only"), "{table}");
        insta::assert_snapshot!(table);
    }

    #[test]
    fn the_cost_table_says_why_a_stack_has_no_figures() {
        let report = project(&partly_measured(), &[t3_micro()], &Fleet::default());
        let table = cost(&report);
        assert!(
            table.contains("no figures for go (skipped): go is missing; apt-get install golang-go"),
            "{table}"
        );
        assert!(
            table.contains("no figures for spring-like (failed): did not start"),
            "{table}"
        );
        assert!(
            table.contains("no figures for actix (ok): no CPU figure"),
            "{table}"
        );
        assert!(
            table.contains("spring-like has no figures (failed): the ratio to it is unavailable"),
            "{table}"
        );
    }

    #[test]
    fn three_significant_digits() {
        assert_eq!(sig3(0.00625), "0.00625");
        assert_eq!(sig3(0.05), "0.05");
        assert_eq!(sig3(0.2), "0.2");
        assert_eq!(sig3(125.0), "125");
        assert_eq!(sig3(12.345), "12.3");
        assert_eq!(sig3(0.0), "0");
    }

    #[test]
    fn the_headline_shows_corrected_percentiles_and_the_raw_ones_below() {
        let mut stack = StackSummary::new("hyper", Status::Ok, None);
        stack.estimates = Some(crate::model::Estimates {
            steps: vec![crate::model::StepEstimate {
                name: "steady".into(),
                p50_us: estimate(&[70.0]),
                p99_us: estimate(&[160.0]),
                intended_p50_us: estimate(&[140.0]),
                intended_p99_us: estimate(&[570.0]),
                achieved_rps: estimate(&[2000.0]),
            }],
            ..Default::default()
        });
        let text = render(&summary(vec![stack]));
        let row = text.lines().find(|l| l.contains("hyper")).unwrap();
        assert!(row.contains("140") && row.contains("570"), "{row}");
        assert!(!row.contains(" 70 "), "{row}");
        assert!(
            text.contains("raw, from each send, p50 / p99 µs: hyper 70 / 160"),
            "{text}"
        );
    }
}
