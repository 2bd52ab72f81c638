//! The landscape section of the report: each landscape variant beside its base stack (what the
//! call to quotes costs: memory, CPU per request, latency, and what quotes itself used), and,
//! for a run that gave the downstream faults, the resilience of each variant: latency per step
//! against the contract's bound, when the breaker opened and closed, and the probes over time.

use std::path::Path;

use serde::Serialize;

use super::figure::Figure;
use super::plots::{self, Axis, Key, Line, Marker, Plot, PlotError, Point, Range, Series, XAxis};
use crate::model::{LandscapeRun, Observed, StackSummary, StepSummary, Summary};
use crate::results::{self, BreakerRow, Row};
use crate::stats::median;
use crate::table::sig3;

/// The slowest answer the contract allows a variant while quotes fails (L3): its default
/// timeout of one call, 200 ms, and 50 ms, ms.
pub const BOUND_MS: f64 = 250.0;

/// The landscape section.
#[derive(Debug, Serialize)]
pub struct LandscapeView {
    /// Where the downstream ran and how the variants found it.
    pub placement: String,
    /// One row per variant: it beside its base.
    pub rows: Vec<CostRow>,
    /// One row per variant and step, for a run with faults.
    pub resilience: Vec<StepRow>,
    /// One line per variant on its breaker, for a run with faults.
    pub breakers: Vec<String>,
    /// The probes over time, one figure per variant, for a run with faults.
    pub figures: Vec<Figure>,
}

/// A variant beside its base stack.
#[derive(Debug, Serialize)]
pub struct CostRow {
    /// The variant.
    pub name: String,
    /// Its colour.
    pub colour: String,
    /// The base stack, `-` when the run did not measure it.
    pub base: String,
    /// Memory under load, MiB: variant, then base.
    pub memory: String,
    /// CPU per 1000 requests, ms: variant, then base.
    pub cpu: String,
    /// p50 and p99 of the last step, µs: variant, then base.
    pub p50: String,
    /// The same for p99.
    pub p99: String,
    /// quotes' memory over the steps, MiB.
    pub quotes_memory: String,
    /// quotes' CPU per 1000 of the variant's answers, ms.
    pub quotes_cpu: String,
    /// Share of probes whose answer carried a quote.
    pub with_quote: String,
}

/// One step of a variant under the run's faults.
#[derive(Debug, Serialize)]
pub struct StepRow {
    /// The variant.
    pub name: String,
    /// Its colour.
    pub colour: String,
    /// The step.
    pub step: String,
    /// What the downstream was doing (the fault given at its start, or as before).
    pub fault: String,
    /// Raw p99 and slowest answer, ms.
    pub p99: String,
    /// The slowest answer, ms.
    pub max: String,
    /// Whether the slowest answer was within [`BOUND_MS`].
    pub bounded: bool,
    /// p99 counted from when each request was due, ms.
    pub intended_p99: String,
    /// Errors.
    pub errors: u64,
    /// Probes by what they saw: closed / failing / open / broken.
    pub seen: String,
}

/// The section, when the run deployed a downstream.
pub fn landscape_view(summary: &Summary, dir: &Path) -> Option<LandscapeView> {
    let info = summary.downstream.as_ref()?;
    let variants: Vec<&StackSummary> = summary.stacks.iter().filter(|s| s.is_variant()).collect();
    let rows = variants
        .iter()
        .map(|v| {
            let base = summary
                .stacks
                .iter()
                .find(|s| Some(&s.stack) == v.base.as_ref());
            cost_row(v, base, colour(summary, &v.stack))
        })
        .collect();
    let faulted: Vec<&StackSummary> = variants
        .into_iter()
        .filter(|v| landscapes(v).any(|l| !l.faults.is_empty()))
        .collect();
    let probes = results::read_rows::<BreakerRow>(&dir.join(BreakerRow::FILE)).ok();
    let mut resilience = Vec::new();
    let mut breakers = Vec::new();
    for v in &faulted {
        let Some(landscape) = v.runs.iter().find_map(|r| r.landscape.as_ref()) else {
            continue;
        };
        resilience.extend(step_rows(summary, v, probes.as_deref()));
        breakers.push(breaker_line(&v.stack, landscape));
    }
    let figures = faulted
        .iter()
        .map(|v| breaker_figure(v, probes.as_deref()))
        .collect();
    Some(LandscapeView {
        placement: format!(
            "{} ({} replica{}): {}",
            info.service,
            info.replicas,
            if info.replicas == 1 { "" } else { "s" },
            info.placement
        ),
        rows,
        resilience,
        breakers,
        figures,
    })
}

/// The colour of the stack called `name`: its index in the run's.
fn colour(summary: &Summary, name: &str) -> String {
    plots::css_colour(
        summary
            .stacks
            .iter()
            .position(|s| s.stack == name)
            .unwrap_or(0),
    )
}

/// The variant `v` beside its `base`, in `colour`: what the call to quotes costs, and what
/// quotes itself used.
fn cost_row(v: &StackSummary, base: Option<&StackSummary>, colour: String) -> CostRow {
    let pair = |f: &dyn Fn(&StackSummary) -> Option<f64>, digits: fn(f64) -> String| {
        let mine = f(v).map_or("-".to_owned(), digits);
        match base.and_then(f) {
            Some(theirs) => format!("{mine} ({})", digits(theirs)),
            None => mine,
        }
    };
    let steps = measured(v);
    let quotes_kb: Vec<f64> = steps
        .iter()
        .filter_map(|s| s.downstream.and_then(|d| d.rss_kb))
        .map(|kb| kb as f64)
        .collect();
    let (quotes_cpu_ms, served) = steps.iter().fold((0.0, 0.0), |(cpu, n), s| {
        let served = s.requests.saturating_sub(s.errors) as f64;
        match s.downstream.and_then(|d| d.cpu_ms_per_1000) {
            Some(per) => (cpu + per * served / 1000.0, n + served),
            None => (cpu, n),
        }
    });
    let (probes, closed) = landscapes(v).fold((0, 0), |(p, c), l| (p + l.probes, c + l.seen[0]));
    CostRow {
        name: v.stack.clone(),
        colour,
        base: base.map_or("-".to_owned(), |b| b.stack.clone()),
        memory: pair(&|s| s.load_kb.map(|kb| kb as f64 / 1024.0), |x| {
            format!("{x:.1}")
        }),
        cpu: pair(&|s| s.cpu_ms_per_1000, sig3),
        p50: pair(&|s| s.p50_us.map(|u| u as f64), |x| format!("{x:.0}")),
        p99: pair(&|s| s.p99_us.map(|u| u as f64), |x| format!("{x:.0}")),
        quotes_memory: median(&quotes_kb)
            .map_or("-".to_owned(), |kb| format!("{:.1}", kb / 1024.0)),
        quotes_cpu: if served > 0.0 {
            sig3(quotes_cpu_ms / served * 1000.0)
        } else {
            "-".to_owned()
        },
        with_quote: if probes > 0 {
            format!("{:.1} % of {probes}", 100.0 * closed as f64 / probes as f64)
        } else {
            "-".to_owned()
        },
    }
}

/// One row per measured step of the variant `v`'s first repeat under faults: the fault the
/// downstream had, latency against [`BOUND_MS`], and what the `probes` saw.
fn step_rows(summary: &Summary, v: &StackSummary, probes: Option<&[BreakerRow]>) -> Vec<StepRow> {
    let Some(run) = v.runs.iter().find(|r| r.landscape.is_some()) else {
        return Vec::new();
    };
    let landscape = run.landscape.as_ref().expect("found above");
    let mut rows = Vec::new();
    let mut fault = "as started".to_owned();
    for step in run.steps.iter().filter(|s| !s.warmup) {
        if let Some(f) = landscape.faults.iter().find(|f| f.step == step.name) {
            fault = f.fault.clone();
        }
        let seeded = step.kinds.iter().find(|k| k.kind == "seeded");
        let ms = |us: u64| sig3(us as f64 / 1000.0);
        let max_us = seeded.map_or(0, |k| k.max_us);
        rows.push(StepRow {
            name: v.stack.clone(),
            colour: colour(summary, &v.stack),
            step: step.name.clone(),
            fault: fault.clone(),
            p99: seeded.map_or("-".to_owned(), |k| ms(k.p99_us)),
            max: ms(max_us),
            bounded: (max_us as f64) <= BOUND_MS * 1000.0,
            intended_p99: seeded
                .and_then(|k| k.intended.as_ref())
                .map_or("-".to_owned(), |i| ms(i.p99_us)),
            errors: step.errors,
            seen: probes.map_or("-".to_owned(), |rows| seen_in(rows, &v.stack, &step.name)),
        });
    }
    rows
}

/// The variant `v`'s probes over time, from `probes` (`None`: the file could not be read).
fn breaker_figure(v: &StackSummary, probes: Option<&[BreakerRow]>) -> Figure {
    let drawn = match probes {
        Some(rows) => probes_over_time(&v.stack, rows),
        None => Err(PlotError {
            figure: format!("{} breaker", v.stack),
            message: format!("{} could not be read", BreakerRow::FILE),
        }),
    };
    let faults = v
        .runs
        .iter()
        .find_map(|r| r.landscape.as_ref())
        .map(fault_times)
        .unwrap_or_default();
    Figure::new(
        "breaker",
        "The breaker over time",
        format!(
            "{}: every probe (one seeded account on a fresh connection every probe interval), its answer's time in ms (log scale) against seconds since the first fault, coloured by what the answer said: a quote (closed), a failed call's warning (failing), the circuit-open warning (open, no call made), or no valid account (broken). The grey bars mark the faults the harness gave quotes{faults}.",
            v.stack
        ),
        drawn,
    )
}

/// The probes of `stack` in `step` by what they saw: `closed / failing / open / broken`.
fn seen_in(probes: &[BreakerRow], stack: &str, step: &str) -> String {
    let mut seen = [0u64; 4];
    for p in probes
        .iter()
        .filter(|p| p.stack == stack && p.step == step && p.event == "probe")
    {
        let i = ["closed", "failing", "open", "broken"]
            .iter()
            .position(|w| *w == p.what)
            .unwrap_or(3);
        seen[i] += 1;
    }
    format!("{} / {} / {} / {}", seen[0], seen[1], seen[2], seen[3])
}

/// The faults in words with their time from the first: `: healthy at 0 s, slow at 6.1 s, ...`.
fn fault_times(landscape: &LandscapeRun) -> String {
    let Some(origin) = landscape.faults.first().map(|f| f.at_s) else {
        return String::new();
    };
    let words: Vec<String> = landscape
        .faults
        .iter()
        .map(|f| {
            let what = if f.outcome.starts_with("started again") {
                "started again".to_owned()
            } else if f.fault == "down" {
                "stopped".to_owned()
            } else {
                f.fault.clone()
            };
            format!("{what} at {} s", sig3(f.at_s - origin))
        })
        .collect();
    format!(": {}", words.join(", "))
}

/// The measured steps of a stack's repeats.
fn measured(stack: &StackSummary) -> Vec<&StepSummary> {
    stack
        .runs
        .iter()
        .flat_map(|r| r.steps.iter().filter(|s| !s.warmup))
        .collect()
}

/// The landscape records of a stack's repeats.
fn landscapes(stack: &StackSummary) -> impl Iterator<Item = &LandscapeRun> {
    stack.runs.iter().filter_map(|r| r.landscape.as_ref())
}

/// One sentence on a variant's breaker: when it opened after quotes failed, when it closed
/// after quotes came back.
fn breaker_line(name: &str, landscape: &LandscapeRun) -> String {
    let mut parts = Vec::new();
    for (index, given) in landscape.faults.iter().enumerate() {
        let fault = given.fault.as_str();
        if fault == "healthy" {
            // A return to health after the first: when the breaker closed again.
            if index == 0 {
                continue;
            }
            let how = if given.outcome.starts_with("started again") {
                "was started again"
            } else {
                "was healthy again"
            };
            let closed = landscape
                .changes
                .iter()
                .find(|c| c.at_s >= given.at_s && c.to == Observed::Closed);
            parts.push(match closed {
                Some(c) => format!("closed {} s after quotes {how}", sig3(c.at_s - given.at_s)),
                None => format!("did not close after quotes {how}"),
            });
        } else if was_open_at(landscape, given.at_s) {
            parts.push(format!("was already open when quotes turned {fault}"));
        } else {
            let opened = landscape
                .changes
                .iter()
                .find(|c| c.at_s >= given.at_s && c.to == Observed::Open);
            parts.push(match opened {
                Some(c) => format!(
                    "opened {} s after quotes turned {fault}",
                    sig3(c.at_s - given.at_s)
                ),
                None => format!("did not open after quotes turned {fault}"),
            });
        }
    }
    let broken = landscape.seen[3];
    format!(
        "{name}: the breaker {}; {} probe{} of {} got no valid account.",
        if parts.is_empty() {
            "saw no fault".to_owned()
        } else {
            parts.join(", ")
        },
        broken,
        if broken == 1 { "" } else { "s" },
        landscape.probes
    )
}

/// Whether the last change before `at` left the breaker open.
fn was_open_at(landscape: &LandscapeRun, at: f64) -> bool {
    landscape
        .changes
        .iter()
        .rev()
        .find(|c| c.at_s < at)
        .is_some_and(|c| c.to == Observed::Open)
}

/// Colours of what the probes saw.
const STATES: [(&str, &str); 4] = [
    ("closed", "#15803d"),
    ("failing", "#d97706"),
    ("open", "#b91c1c"),
    ("broken", "#111827"),
];

/// A variant's probes over time: latency (ms, log) against seconds since the first fault, a
/// series per state, a grey bar per fault.
pub fn probes_over_time(stack: &str, rows: &[BreakerRow]) -> Result<String, PlotError> {
    let mine: Vec<&BreakerRow> = rows
        .iter()
        .filter(|r| r.stack == stack && r.repeat == 1)
        .collect();
    // Time from the first fault, as the caption counts it.
    let origin = mine
        .iter()
        .find(|r| r.event == "fault")
        .or(mine.first())
        .map_or(0.0, |r| r.t_ms as f64 / 1000.0);
    let mut plot = Plot::new(
        format!("{stack} breaker"),
        XAxis::Values(Axis::new(
            "seconds since the first fault",
            plots::Scale::Linear,
        )),
        Axis::new("probe answer ms (log scale)", plots::Scale::Log),
    );
    let probes: Vec<&&BreakerRow> = mine.iter().filter(|r| r.event == "probe").collect();
    let (low, high) =
        probes
            .iter()
            .filter_map(|r| r.latency_us)
            .fold((f64::MAX, 0.0f64), |(lo, hi), us| {
                let ms = (us as f64 / 1000.0).max(0.01);
                (lo.min(ms), hi.max(ms))
            });
    if high == 0.0 {
        return Err(PlotError {
            figure: format!("{stack} breaker"),
            message: "no probe was answered".to_owned(),
        });
    }
    for (state, colour) in STATES {
        let mut series = Series::new(state, colour, Line::None, Marker::Dot);
        series.points = probes
            .iter()
            .filter(|r| r.what == state)
            .map(|r| {
                let x = r.t_ms as f64 / 1000.0 - origin;
                let ms = r
                    .latency_us
                    .map_or(high, |us| (us as f64 / 1000.0).max(0.01));
                Point::new(
                    x,
                    ms,
                    format!("{} s, {}: {state}, {} ms", sig3(x), r.step, sig3(ms)),
                )
            })
            .collect();
        if !series.points.is_empty() {
            plot.legend.push(Key::colour(state, colour));
            plot.series.push(series);
        }
    }
    for fault in mine.iter().filter(|r| r.event == "fault") {
        let x = fault.t_ms as f64 / 1000.0 - origin;
        plot.ranges.push(Range {
            x,
            low,
            high,
            colour: plots::REFERENCE.to_owned(),
            title: format!(
                "{} s: quotes {} ({})",
                sig3(x),
                fault.what,
                fault.outcome.clone().unwrap_or_default()
            ),
        });
    }
    plot.svg()
}
