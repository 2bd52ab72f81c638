//! The fit and density section of the report: per stack the smallest memory limit it served its
//! load under (marked where the search reached its smallest allowed limit), the limit just
//! below it and how the limit was set, every probe's p99 against its limit; and where replicas
//! were packed, how many at that limit one node held under load, opened by one sentence with
//! the counts, with a bar chart of them.

use serde::Serialize;

use super::figure::Figure;
use super::plots::{
    self, Axis, Bar, Key, Line, Marker, Plot, PlotError, Point, Reference, Scale, Series, XAxis,
};
use crate::model::{
    Density, Fit, FitLimit, FitProbe, FitSummary, FitVerdict, LimitFrom, StackSummary, Summary,
};
use crate::table::sig3;

/// Failed replicas named in a density line before the rest are counted.
const NAMED_FAILURES: usize = 3;

/// Characters of a reason kept in a hover title.
const REASON_CHARS: usize = 120;

/// Characters of a failed replica's reason kept in its table cell (the whole is its title).
const CELL_REASON_CHARS: usize = 48;

/// How far apart, as a factor of the limit, the marks of stacks that did not serve at one limit
/// are spread (about a marker's width on an axis of three decades).
const NUDGE: f64 = 1.09;

/// Per stack in the run's order (its colour), every probe of its first search; a stack without
/// one has none.
pub type ProbeSets<'a> = [(String, &'a [FitProbe])];

/// The fit and density section: the replicas per node in a sentence, a line per stack that
/// searched with the probes' figure, and the density part when replicas were packed.
#[derive(Debug, Serialize)]
pub struct FitView {
    /// The replicas per node of every stack that packed them, in the run's order, as one
    /// sentence.
    pub headline: Option<String>,
    /// What a probe had to do to hold, in words (from the first search); `None` without a
    /// search.
    pub criteria: Option<String>,
    /// One line per stack with a fit.
    pub rows: Vec<FitLine>,
    /// Whether some fit is an upper bound (`≤`).
    pub at_most: bool,
    /// Whether there were several repeats (the probes drawn are the first repeat's).
    pub first_repeat_only: bool,
    /// p99 against the limit for every probe; empty without a search.
    pub figures: Vec<Figure>,
    /// Replicas per node, when any stack packed them.
    pub density: Option<DensityView>,
}

/// One stack's fit.
#[derive(Debug, Serialize)]
pub struct FitLine {
    /// Stack.
    pub name: String,
    /// Its colour in every figure.
    pub colour: String,
    /// The fit, MiB: `≤ ` before an upper bound, `-` without one.
    pub fit: String,
    /// Whether the fit is an upper bound (the smallest limit allowed held, or Ctrl-C).
    pub at_most: bool,
    /// Why there is no fit, or why it is an upper bound, in a few words.
    pub note: Option<String>,
    /// Why the search failed, in full (shown beneath the table).
    pub failure: Option<String>,
    /// Memory used at the fit (the probe's peak), MiB.
    pub used: String,
    /// The maximum heap the JVM chose at the fit, MiB; `-` for other runtimes.
    pub heap: String,
    /// The largest limit that did not hold: `MiB: verdict`.
    pub below: String,
    /// Why it did not hold (its hover title).
    pub below_reason: Option<String>,
    /// Who enforced the limit at the fit: `engine` or `cgroup`.
    pub limit_by: String,
    /// Probes in the first repeat.
    pub probes: usize,
}

/// The density part: a line per stack that packed replicas, and the bars of replicas per node.
#[derive(Debug, Serialize)]
pub struct DensityView {
    /// The node's budget, when every stack had the same: `2048 MiB`.
    pub node: Option<String>,
    /// One line per stack with a density run.
    pub rows: Vec<DensityLine>,
    /// Whether there were several repeats (each line is the one that held fewest).
    pub worst_repeat: bool,
    /// Replicas per node (bars).
    pub figures: Vec<Figure>,
}

/// One stack's density run.
#[derive(Debug, Serialize)]
pub struct DensityLine {
    /// Stack.
    pub name: String,
    /// Its colour in every figure.
    pub colour: String,
    /// Replicas per node: every replica deployed when all held, else `-`.
    pub per_node: String,
    /// Replicas that held of those deployed: `5 of 6`.
    pub held: String,
    /// Whether every replica held.
    pub all_held: bool,
    /// Each replica's limit, MiB.
    pub limit: String,
    /// Where that limit came from, in words.
    pub limit_from: String,
    /// Memory the replicas used together at the end of the load against the node's budget:
    /// `412 of 2048`, MiB.
    pub used: String,
    /// The rate each replica was given, requests per second.
    pub rate: String,
    /// The highest p99 of any replica, ms.
    pub worst_p99: String,
    /// The replicas that did not hold with their reasons cut short (a few, then how many
    /// more), and why the run failed; `-` when none.
    pub failed: String,
    /// Those reasons in full, a line each (the cell's title).
    pub failed_reasons: Option<String>,
}

/// The fit and density section, when any stack ran a fit search or packed replicas.
pub(super) fn fit_view(summary: &Summary) -> Option<FitView> {
    let searched = summary.stacks.iter().any(|s| s.fit.is_some());
    let packed = summary.stacks.iter().any(|s| s.density.is_some());
    if !searched && !packed {
        return None;
    }
    let rows: Vec<FitLine> = summary
        .stacks
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some(fit_line(i, s, s.fit.as_ref()?)))
        .collect();
    let criteria = summary
        .stacks
        .iter()
        .find_map(first_search)
        .map(|f| {
            format!(
                "with its p99 at most {} × the {} MiB probe's (or at most {} ms), searched from {} MiB down to {} MiB",
                sig3(f.latency_factor),
                f.max_mib,
                sig3(f.latency_floor_us as f64 / 1000.0),
                f.max_mib,
                f.min_mib
            )
        });
    let probes: Vec<(String, &[FitProbe])> = summary
        .stacks
        .iter()
        .map(|s| {
            (
                s.stack.clone(),
                first_search(s).map_or(&[][..], |f| f.probes.as_slice()),
            )
        })
        .collect();
    let figures = if probes.iter().any(|(_, p)| !p.is_empty()) {
        vec![Figure::new(
            "fit-probes",
            "p99 against the memory limit",
            "Every probe of the first repeat: p99 counted from when each request was due, ms, against the memory limit, MiB (both log scales). A filled dot held, and the stack's line joins those; a probe that did not hold is drawn by what it showed (see the legend). A probe that did not serve has no p99: it sits on the dashed line at the bottom, moved a little sideways per stack so none hides another. Hover a mark for its limit, p99 and verdict.".to_owned(),
            p99_against_limit(&probes),
        )]
    } else {
        Vec::new()
    };
    Some(FitView {
        headline: headline(summary),
        criteria,
        at_most: rows.iter().any(|r| r.at_most),
        rows,
        first_repeat_only: summary
            .stacks
            .iter()
            .any(|s| s.runs.iter().filter(|r| r.fit.is_some()).count() > 1),
        figures,
        density: packed.then(|| density_view(summary)),
    })
}

/// A stack's first repeat's search.
fn first_search(stack: &StackSummary) -> Option<&Fit> {
    stack.runs.iter().find_map(|r| r.fit.as_ref())
}

/// The search of the repeat that gave the stack's fit (the last with that fit, as the summary
/// chose it), else the first.
fn fit_search<'a>(stack: &'a StackSummary, fit: &FitSummary) -> Option<&'a Fit> {
    stack
        .runs
        .iter()
        .filter_map(|r| r.fit.as_ref())
        .rfind(|f| f.fit_mib == fit.fit_mib && f.limit == fit.limit)
        .or_else(|| first_search(stack))
}

/// The line of the stack at `index` in the run.
fn fit_line(index: usize, stack: &StackSummary, fit: &FitSummary) -> FitLine {
    let search = fit_search(stack, fit);
    let at_most =
        fit.fit_mib.is_some() && matches!(fit.limit, FitLimit::Minimum | FitLimit::Interrupted);
    let note = match (fit.fit_mib, fit.limit) {
        (Some(_), FitLimit::Minimum) => Some("the smallest limit allowed held".to_owned()),
        (Some(_), FitLimit::Interrupted) => Some("interrupted".to_owned()),
        (Some(_), _) => None,
        (None, FitLimit::AboveMaximum) => Some(search.map_or_else(
            || "not even the largest limit held".to_owned(),
            |f| format!("not even {} MiB held", f.max_mib),
        )),
        (None, FitLimit::Interrupted) => Some("interrupted before a limit held".to_owned()),
        (None, FitLimit::Failed) => Some("the search failed".to_owned()),
        (None, limit) => Some(limit.word().to_owned()),
    };
    let below = search.and_then(|f| f.below.as_ref());
    FitLine {
        name: stack.stack.clone(),
        colour: plots::css_colour(index),
        fit: match fit.fit_mib {
            Some(mib) if at_most => format!("≤ {mib}"),
            Some(mib) => mib.to_string(),
            None => "-".to_owned(),
        },
        at_most,
        note,
        failure: search.and_then(|f| f.failure.clone()),
        used: fit
            .used_kb
            .map_or("-".to_owned(), |kb| format!("{:.1}", kb as f64 / 1024.0)),
        heap: fit
            .jvm_heap_max_mib
            .map_or("-".to_owned(), |h| h.to_string()),
        below: match (fit.below_mib, fit.below) {
            (Some(mib), Some(verdict)) => format!("{mib}: {}", verdict.word()),
            _ => "-".to_owned(),
        },
        below_reason: below
            .and_then(|p| p.reason.as_deref())
            .map(|r| short(r, REASON_CHARS)),
        limit_by: search
            .and_then(|f| f.at.as_ref())
            .and_then(|p| p.limit_by)
            .map_or("-".to_owned(), |by| by.word().to_owned()),
        probes: first_search(stack).map_or(0, |f| f.probes.len()),
    }
}

/// `reason`'s first line, cut to `chars` characters.
fn short(reason: &str, chars: usize) -> String {
    let line = reason.lines().next().unwrap_or_default().trim();
    if line.chars().count() > chars {
        let cut: String = line.chars().take(chars).collect();
        format!("{}…", cut.trim_end())
    } else {
        line.to_owned()
    }
}

/// `n replicas` (or `1 replica`).
fn replicas(n: u32) -> String {
    format!("{n} replica{}", if n == 1 { "" } else { "s" })
}

/// The measured claim: every stack that packed replicas, in the run's order, with its
/// replicas per node; a node's budget is named at its first mention.
pub(crate) fn headline(summary: &Summary) -> Option<String> {
    let mut named: Vec<u32> = Vec::new();
    let parts: Vec<String> = summary
        .stacks
        .iter()
        .filter_map(|s| {
            let d = s.density.as_ref()?;
            let name = &s.stack;
            if d.replicas == 0 {
                return Some(format!("{name}: none (the run failed)"));
            }
            let first = !named.contains(&d.node_mib);
            if first {
                named.push(d.node_mib);
            }
            Some(match (d.replicas_per_node(), first) {
                (Some(n), true) => format!("{name}: {} per {} MiB node", replicas(n), d.node_mib),
                (Some(n), false) => format!("{name}: {n}"),
                (None, true) => format!(
                    "{name}: none ({} of {} held on a {} MiB node)",
                    d.held,
                    replicas(d.replicas),
                    d.node_mib
                ),
                (None, false) => format!("{name}: none ({} of {} held)", d.held, d.replicas),
            })
        })
        .collect();
    (!parts.is_empty()).then(|| format!("{}.", parts.join(", ")))
}

/// The density part of the section.
fn density_view(summary: &Summary) -> DensityView {
    let budgets: Vec<u32> = summary
        .stacks
        .iter()
        .filter_map(|s| s.density.as_ref().map(|d| d.node_mib))
        .collect();
    let node = budgets
        .first()
        .filter(|&&b| budgets.iter().all(|&o| o == b))
        .map(|b| format!("{b} MiB"));
    let rows = summary
        .stacks
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some(density_line(i, s, s.density.as_ref()?)))
        .collect();
    let bars: Vec<(String, Option<&Density>)> = summary
        .stacks
        .iter()
        .map(|s| (s.stack.clone(), s.density.as_ref()))
        .collect();
    DensityView {
        figures: vec![Figure::new(
            "density",
            "Replicas one node held under load",
            format!(
                "Replicas of each stack that one {} node held, every one serving its share of the load at once. A cross at zero: not every replica held, so the stack is not that dense (hover for how many did).",
                node.as_deref().unwrap_or("of the run's")
            ),
            replicas_bars(&bars),
        )],
        node,
        rows,
        worst_repeat: summary
            .stacks
            .iter()
            .any(|s| s.runs.iter().filter(|r| r.density.is_some()).count() > 1),
    }
}

/// The density line of the stack at `index` in the run.
fn density_line(index: usize, stack: &StackSummary, d: &Density) -> DensityLine {
    let limit_from = match d.limit_from {
        LimitFrom::EngineMinimum => {
            let fits = match stack.fit.as_ref().map(|f| (f.fit_mib, f.limit)) {
                Some((Some(mib), FitLimit::Minimum | FitLimit::Interrupted)) => {
                    format!("in at most {mib} MiB")
                }
                Some((Some(mib), _)) => format!("in {mib} MiB"),
                _ => "in less".to_owned(),
            };
            format!("the engine's minimum (the stack fits {fits})")
        }
        from => from.words().to_owned(),
    };
    let failures: Vec<_> = d
        .per_replica
        .iter()
        .filter(|r| r.verdict != Some(FitVerdict::Holds))
        .collect();
    let named = failures.iter().take(NAMED_FAILURES);
    let mut failed: Vec<String> = d
        .failure
        .as_deref()
        .map(|f| short(f, CELL_REASON_CHARS))
        .into_iter()
        .collect();
    let mut reasons: Vec<String> = d.failure.iter().cloned().collect();
    for r in named {
        let verdict = r.verdict.map_or("not judged", FitVerdict::word);
        match r.reason.as_deref() {
            Some(reason) => {
                failed.push(format!(
                    "{}: {verdict} ({})",
                    r.name,
                    short(reason, CELL_REASON_CHARS)
                ));
                reasons.push(format!("{}: {verdict}: {reason}", r.name));
            }
            None => failed.push(format!("{}: {verdict}", r.name)),
        }
    }
    if failures.len() > NAMED_FAILURES {
        failed.push(format!("and {} more", failures.len() - NAMED_FAILURES));
    }
    DensityLine {
        name: stack.stack.clone(),
        colour: plots::css_colour(index),
        per_node: d
            .replicas_per_node()
            .map_or("-".to_owned(), |n| n.to_string()),
        held: format!("{} of {}", d.held, d.replicas),
        all_held: d.replicas_per_node().is_some(),
        limit: d.limit_mib.to_string(),
        limit_from,
        used: format!(
            "{} of {}",
            d.node_used_kb
                .map_or("-".to_owned(), |kb| format!("{:.0}", kb as f64 / 1024.0)),
            d.node_mib
        ),
        rate: d.rate_per_replica.map_or("-".to_owned(), |r| r.to_string()),
        worst_p99: d
            .per_replica
            .iter()
            .filter_map(|r| r.p99_us)
            .max()
            .map_or("-".to_owned(), |us| format!("{:.2}", us as f64 / 1000.0)),
        failed: if failed.is_empty() {
            "-".to_owned()
        } else {
            failed.join("; ")
        },
        failed_reasons: (!reasons.is_empty()).then(|| reasons.join("\n")),
    }
}

/// How a probe's mark looks, and the legend's words for it.
fn style(verdict: Option<FitVerdict>) -> (Marker, &'static str) {
    match verdict {
        Some(FitVerdict::Holds) => (Marker::Dot, "held"),
        Some(FitVerdict::Latency) => (Marker::Ring, "p99 too high"),
        Some(FitVerdict::Errors) => (Marker::Triangle, "errors"),
        Some(FitVerdict::OomKilled) => (Marker::Cross, "OOM-killed"),
        Some(FitVerdict::Refused) => (Marker::Square, "refused"),
        Some(FitVerdict::Exited) => (Marker::Diamond, "exited"),
        Some(FitVerdict::Timeout) => (Marker::Dash, "timed out"),
        None => (Marker::Dash, "not judged"),
    }
}

/// Every verdict, in the legend's order (`None`, not judged, last).
const VERDICTS: [Option<FitVerdict>; 8] = [
    Some(FitVerdict::Holds),
    Some(FitVerdict::Latency),
    Some(FitVerdict::Errors),
    Some(FitVerdict::OomKilled),
    Some(FitVerdict::Refused),
    Some(FitVerdict::Exited),
    Some(FitVerdict::Timeout),
    None,
];

/// Each probe's p99 (ms, log scale) against its limit (MiB, log scale), one colour per stack:
/// the probes that held joined by a line, the others marked by their verdict. A probe without
/// a p99 (it did not serve) sits on a dashed line beneath the lowest p99; the marks of several
/// stacks at one limit there are spread sideways around it so none covers another.
pub fn p99_against_limit(stacks: &ProbeSets<'_>) -> Result<String, PlotError> {
    let mut plot = Plot::new(
        "p99 against the memory limit",
        XAxis::Values(Axis::new("memory limit MiB (log scale)", Scale::Log)),
        Axis::new("p99 ms (log scale)", Scale::Log),
    );
    let silent = Silent::of(stacks);
    let mut shown: Vec<Option<FitVerdict>> = Vec::new();
    for (i, (name, probes)) in stacks.iter().enumerate() {
        if probes.is_empty() {
            continue;
        }
        plot.legend
            .push(Key::colour(name.clone(), plots::css_colour(i)));
        for series in verdict_series(i, name, probes, &silent) {
            if !shown.contains(&series.0) {
                shown.push(series.0);
            }
            plot.series.push(series.1);
        }
    }
    for verdict in VERDICTS.iter().filter(|v| shown.contains(v)) {
        let (marker, words) = style(*verdict);
        let line = if *verdict == Some(FitVerdict::Holds) {
            Line::Solid
        } else {
            Line::None
        };
        plot.legend.push(Key::style(words, line, marker));
    }
    if !silent.at.is_empty() {
        plot.references.push(Reference {
            y: silent.bottom,
            label: "no p99: did not serve".to_owned(),
            colour: plots::REFERENCE.to_owned(),
        });
    }
    plot.svg()
}

/// A p99 in µs as ms on a log axis (never 0).
fn probe_ms(us: u64) -> f64 {
    (us as f64 / 1000.0).max(0.001)
}

/// Where the probes without a p99 go: on a line beneath every p99, spread apart per limit.
struct Silent {
    /// The line's height, ms: just above the bottom decade beneath half the lowest p99, apart
    /// from every real p99.
    bottom: f64,
    /// Per limit, the stacks (by index) with a probe there that did not serve.
    at: Vec<(u32, Vec<usize>)>,
}

impl Silent {
    /// The line and the silent probes of `stacks`.
    fn of(stacks: &ProbeSets<'_>) -> Self {
        let lowest = stacks
            .iter()
            .flat_map(|(_, probes)| probes.iter().filter_map(|p| p.p99_us))
            .map(probe_ms)
            .fold(f64::INFINITY, f64::min);
        let bottom = if lowest.is_finite() {
            10f64.powf((lowest / 2.0).log10().floor()) * 1.1
        } else {
            1.1
        };
        let mut at: Vec<(u32, Vec<usize>)> = Vec::new();
        for (i, (_, probes)) in stacks.iter().enumerate() {
            for p in probes.iter().filter(|p| p.p99_us.is_none()) {
                match at.iter_mut().find(|(mib, _)| *mib == p.limit_mib) {
                    Some((_, stacks)) if stacks.contains(&i) => {}
                    Some((_, stacks)) => stacks.push(i),
                    None => at.push((p.limit_mib, vec![i])),
                }
            }
        }
        Self { bottom, at }
    }

    /// The factor that moves the mark of stack `stack` at `limit_mib` sideways from its
    /// neighbours' (1 when it has none).
    fn nudge(&self, stack: usize, limit_mib: u32) -> f64 {
        self.at
            .iter()
            .find(|(mib, _)| *mib == limit_mib)
            .and_then(|(_, at)| {
                let place = at.iter().position(|&i| i == stack)?;
                Some(NUDGE.powf(place as f64 - (at.len() - 1) as f64 / 2.0))
            })
            .unwrap_or(1.0)
    }
}

/// The probes of stack `i` called `name`, a series per verdict (in the legend's order) with
/// the verdict it shows.
fn verdict_series(
    i: usize,
    name: &str,
    probes: &[FitProbe],
    silent: &Silent,
) -> Vec<(Option<FitVerdict>, Series)> {
    let colour = plots::css_colour(i);
    let mut all = Vec::new();
    for verdict in VERDICTS {
        let mut marks: Vec<&FitProbe> = probes.iter().filter(|p| p.verdict == verdict).collect();
        if marks.is_empty() {
            continue;
        }
        marks.sort_by_key(|p| p.limit_mib);
        let (marker, words) = style(verdict);
        let held = verdict == Some(FitVerdict::Holds);
        let mut series = Series::new(
            if held {
                name.to_owned()
            } else {
                format!("{name} ({words})")
            },
            colour.clone(),
            if held { Line::Solid } else { Line::None },
            marker,
        );
        series.class = Some(verdict.map_or("not-judged", FitVerdict::word));
        series.points = marks
            .into_iter()
            .map(|p| probe_point(name, p, silent.nudge(i, p.limit_mib), silent.bottom))
            .collect();
        all.push((verdict, series));
    }
    all
}

/// One probe of the stack `name`: at its p99, or, without one, on the line at `bottom`, moved
/// sideways by `nudge`; its title says the limit, the p99 and the verdict.
fn probe_point(name: &str, p: &FitProbe, nudge: f64, bottom: f64) -> Point {
    let verdict = p.verdict.map_or("not judged", FitVerdict::word);
    match p.p99_us {
        Some(us) => Point::new(
            f64::from(p.limit_mib),
            probe_ms(us),
            format!(
                "{name}: {} MiB, p99 {} ms, {verdict}",
                p.limit_mib,
                sig3(us as f64 / 1000.0)
            ),
        ),
        None => Point::new(
            f64::from(p.limit_mib) * nudge,
            bottom,
            match p.reason.as_deref() {
                Some(reason) => format!(
                    "{name}: {} MiB, no p99, {verdict}: {}",
                    p.limit_mib,
                    short(reason, REASON_CHARS)
                ),
                None => format!("{name}: {} MiB, no p99, {verdict}", p.limit_mib),
            },
        ),
    }
}

/// Replicas per node per stack (bars), each stack in its colour; a stack whose replicas did
/// not all hold has a cross at zero instead of a bar.
pub fn replicas_bars(stacks: &[(String, Option<&Density>)]) -> Result<String, PlotError> {
    let budgets: Vec<u32> = stacks
        .iter()
        .filter_map(|(_, d)| d.map(|d| d.node_mib))
        .collect();
    let label = match budgets.first() {
        Some(&b) if budgets.iter().all(|&o| o == b) => format!("replicas per {b} MiB node"),
        _ => "replicas per node".to_owned(),
    };
    let mut plot = Plot::new(
        "replicas per node",
        XAxis::Categories {
            names: stacks.iter().map(|(s, _)| s.clone()).collect(),
            groups: Vec::new(),
        },
        Axis::new(label, Scale::Zero),
    );
    let mut short_of = Series::new(
        "not every replica held",
        plots::REFERENCE,
        Line::None,
        Marker::Cross,
    );
    for (i, (name, density)) in stacks.iter().enumerate() {
        let Some(d) = density else { continue };
        match d.replicas_per_node() {
            Some(n) => plot.bars.push(Bar {
                category: i,
                slot: 0,
                slots: 1,
                value: f64::from(n),
                colour: plots::css_colour(i),
                title: format!(
                    "{name}: {} of {} MiB on a {} MiB node, every one held under load",
                    replicas(n),
                    d.limit_mib,
                    d.node_mib
                ),
            }),
            None => short_of.points.push(Point::new(
                i as f64,
                0.0,
                match (&d.failure, d.replicas) {
                    (Some(failure), 0) => format!("{name}: none, {}", short(failure, REASON_CHARS)),
                    _ => format!(
                        "{name}: not every replica held ({} of {} of {} MiB)",
                        d.held, d.replicas, d.limit_mib
                    ),
                },
            )),
        }
    }
    if !short_of.points.is_empty() {
        plot.legend.push(Key::style(
            "not every replica held",
            Line::None,
            Marker::Cross,
        ));
        plot.series.push(short_of);
    }
    plot.svg()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::fit_summary;
    use crate::cost::fixtures::{measured, summary};
    use crate::model::{Family, LimitBy, ReplicaRecord, StackRun};
    use crate::report::tests::{baseline, of};

    /// A probe at `limit_mib` that showed `verdict`, with a p99 when it served.
    fn probe(limit_mib: u32, verdict: FitVerdict, p99_ms: Option<f64>) -> FitProbe {
        FitProbe {
            limit_mib,
            limit_by: Some(if limit_mib < 6 {
                LimitBy::Cgroup
            } else {
                LimitBy::Engine
            }),
            verdict: Some(verdict),
            reason: p99_ms
                .is_none()
                .then(|| "container init was OOM-killed (memory limit too low?)".to_owned()),
            requests: 1000,
            p99_us: p99_ms.map(|ms| (ms * 1000.0) as u64),
            peak_kb: p99_ms.map(|_| u64::from(limit_mib) * 512),
            jvm_heap_max_mib: None,
            ..FitProbe::default()
        }
    }

    /// `stack` with one repeat's search of `probes`, whose fit is the smallest that held.
    fn with_fit(mut stack: StackSummary, probes: Vec<FitProbe>, limit: FitLimit) -> StackSummary {
        let held = |p: &&FitProbe| p.verdict == Some(FitVerdict::Holds);
        let at = probes
            .iter()
            .filter(held)
            .min_by_key(|p| p.limit_mib)
            .cloned();
        let below = at.as_ref().and_then(|at| {
            probes
                .iter()
                .filter(|p| !held(p) && p.limit_mib < at.limit_mib)
                .max_by_key(|p| p.limit_mib)
                .cloned()
        });
        let mut run = StackRun::new(1, 1, "1".into());
        run.fit = Some(Fit {
            max_mib: 512,
            min_mib: 2,
            latency_factor: 2.0,
            latency_floor_us: 1000,
            reference_p99_us: probes.first().and_then(|p| p.p99_us),
            fit_mib: at.as_ref().map(|p| p.limit_mib),
            limit,
            at,
            below,
            probes,
            failure: None,
        });
        stack.fit = fit_summary(&[&run]);
        stack.runs.push(run);
        stack
    }

    /// `stack` with a density run of `replicas` at `limit_mib` on a `node_mib` node, of which
    /// the first `held` held and the rest were OOM-killed.
    fn with_density(
        mut stack: StackSummary,
        (node_mib, limit_mib, from): (u32, u32, LimitFrom),
        replicas: u32,
        held: u32,
    ) -> StackSummary {
        let density = Density {
            node_mib,
            limit_mib,
            limit_from: from,
            replicas,
            held,
            node_used_kb: Some(u64::from(replicas * limit_mib) * 700),
            rate_per_replica: Some(2000 / replicas.max(1)),
            per_replica: (0..replicas)
                .map(|i| ReplicaRecord {
                    name: format!("replica-{}", i + 1),
                    p99_us: (i < held).then_some(1500 + u64::from(i)),
                    verdict: Some(if i < held {
                        FitVerdict::Holds
                    } else {
                        FitVerdict::OomKilled
                    }),
                    reason: (i >= held).then(|| "exited (exit status: 137)".to_owned()),
                    ..ReplicaRecord::default()
                })
                .collect(),
            failure: None,
        };
        stack.runs.last_mut().unwrap().density = Some(density.clone());
        stack.density = Some(density);
        stack
    }

    /// A Rust stack that fits in 4 MiB.
    fn rust(name: &str) -> StackSummary {
        with_fit(
            of(Family::Rust, measured(name, 5, 10.0)),
            vec![
                probe(512, FitVerdict::Holds, Some(0.9)),
                probe(8, FitVerdict::Holds, Some(1.1)),
                probe(4, FitVerdict::Holds, Some(1.3)),
                probe(2, FitVerdict::Refused, None),
            ],
            FitLimit::Service,
        )
    }

    fn jvm() -> StackSummary {
        let mut probes = vec![
            probe(512, FitVerdict::Holds, Some(12.0)),
            probe(128, FitVerdict::Errors, Some(43.0)),
            probe(192, FitVerdict::Latency, Some(73.0)),
            probe(200, FitVerdict::Holds, Some(7.8)),
            probe(64, FitVerdict::OomKilled, None),
        ];
        for p in &mut probes {
            p.jvm_heap_max_mib = Some(u64::from(p.limit_mib) / 2);
        }
        with_fit(
            of(Family::Jvm, measured("jvm-plain", 200, 90.0)),
            probes,
            FitLimit::Service,
        )
    }

    /// thin and axum fit in 4 MiB (packed at the engine's minimum), go did not run a fit,
    /// jvm-plain in 200 MiB with 2 of its 10 replicas killed.
    fn run() -> Summary {
        summary(vec![
            with_density(rust("thin"), (2048, 6, LimitFrom::EngineMinimum), 341, 341),
            with_density(rust("axum"), (2048, 6, LimitFrom::EngineMinimum), 341, 341),
            measured("go", 10, 20.0),
            with_density(jvm(), (2048, 200, LimitFrom::Fit), 10, 8),
        ])
    }

    /// Every mark of `svg`'s series, parsed: its class and title.
    fn marks(svg: &str) -> Vec<(String, String)> {
        let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
        doc.descendants()
            .filter(|n| {
                n.attribute("class")
                    .is_some_and(|c| c.split(' ').any(|c| c == "series" || c == "bars"))
            })
            .flat_map(|g| g.children().filter(|n| n.is_element()))
            .filter(|n| n.tag_name().name() != "polyline")
            .map(|n| {
                let title = n
                    .children()
                    .find(|c| c.tag_name().name() == "title")
                    .and_then(|t| t.text())
                    .unwrap_or_default();
                (
                    n.attribute("class").unwrap_or_default().to_owned(),
                    title.to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn the_fit_table_has_a_line_per_search() {
        let view = fit_view(&run()).unwrap();
        let names: Vec<&str> = view.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["thin", "axum", "jvm-plain"]);
        let (floor, jvm) = (&view.rows[0], &view.rows[2]);
        assert_eq!(
            (floor.fit.as_str(), floor.used.as_str(), floor.heap.as_str()),
            ("4", "2.0", "-")
        );
        assert_eq!(
            (floor.below.as_str(), floor.limit_by.as_str(), floor.probes),
            ("2: refused", "cgroup", 4)
        );
        assert!(
            floor
                .below_reason
                .as_deref()
                .unwrap()
                .contains("OOM-killed")
        );
        assert_eq!(
            (jvm.fit.as_str(), jvm.heap.as_str(), jvm.below.as_str()),
            ("200", "100", "192: latency")
        );
        assert_eq!((jvm.limit_by.as_str(), jvm.probes), ("engine", 5));
        assert_eq!(
            jvm.colour,
            plots::css_colour(3),
            "the stack's colour in the run"
        );
        assert!(!view.at_most && view.rows.iter().all(|r| r.note.is_none()));
        assert_eq!(
            view.criteria.as_deref(),
            Some(
                "with its p99 at most 2 × the 512 MiB probe's (or at most 1 ms), searched from 512 MiB down to 2 MiB"
            )
        );
        assert!(fit_view(&summary(vec![measured("go", 5, 10.0)])).is_none());
    }

    #[test]
    fn a_fit_at_the_minimum_is_an_upper_bound_and_none_says_why() {
        let at_minimum = with_fit(
            measured("thin", 1, 1.0),
            vec![
                probe(512, FitVerdict::Holds, Some(0.9)),
                probe(2, FitVerdict::Holds, Some(1.0)),
            ],
            FitLimit::Minimum,
        );
        let none = with_fit(
            measured("spring-like", 300, 1.0),
            vec![probe(512, FitVerdict::OomKilled, None)],
            FitLimit::AboveMaximum,
        );
        let view = fit_view(&summary(vec![at_minimum, none])).unwrap();
        let (floor, spring) = (&view.rows[0], &view.rows[1]);
        assert_eq!((floor.fit.as_str(), floor.at_most), ("≤ 2", true));
        assert_eq!(
            floor.note.as_deref(),
            Some("the smallest limit allowed held")
        );
        assert_eq!(floor.below, "-");
        assert_eq!((spring.fit.as_str(), spring.at_most), ("-", false));
        assert_eq!(spring.note.as_deref(), Some("not even 512 MiB held"));
        assert_eq!((spring.used.as_str(), spring.limit_by.as_str()), ("-", "-"));
        assert!(view.at_most && view.density.is_none() && view.headline.is_none());
    }

    #[test]
    fn the_headline_counts_replicas_per_node_in_the_runs_order() {
        let view = fit_view(&run()).unwrap();
        assert_eq!(
            view.headline.as_deref(),
            Some(
                "thin: 341 replicas per 2048 MiB node, axum: 341, jvm-plain: none (8 of 10 held)."
            )
        );
        let all_held = summary(vec![
            with_density(rust("axum"), (512, 6, LimitFrom::EngineMinimum), 85, 85),
            with_density(jvm(), (512, 80, LimitFrom::Fit), 6, 6),
        ]);
        let view = fit_view(&all_held).unwrap();
        assert_eq!(
            view.headline.as_deref(),
            Some("axum: 85 replicas per 512 MiB node, jvm-plain: 6.")
        );
    }

    /// spring-like, the fits' JVM declared as the claim's baseline.
    fn spring() -> StackSummary {
        let mut s = baseline(jvm());
        s.stack = "spring-like".into();
        s
    }

    #[test]
    fn a_density_run_tests_the_claim_with_replicas_per_node() {
        use crate::report::scorecard::scorecard;
        let held = summary(vec![
            with_density(rust("axum"), (512, 6, LimitFrom::EngineMinimum), 85, 85),
            with_density(rust("go"), (512, 9, LimitFrom::Fit), 56, 56),
            with_density(spring(), (512, 128, LimitFrom::Fit), 4, 4),
        ]);
        let card = scorecard(&held, true);
        assert_eq!(card.outcome, "held", "{}", card.verdict);
        assert_eq!(
            card.verdict,
            "The blog's claim that a node fits many more held on this run: on a 512 MiB node under load, every Rust and Go stack had at least 2× as many replicas holding as spring-like (replicas that held, of those deployed): axum 85 of 85, go 56 of 56, spring-like 4 of 4."
        );
        assert_eq!(
            card.brief,
            "axum: 85 replicas per 512 MiB node, go: 56, spring-like: 4."
        );
        // go with only 7 replicas holding: fewer than twice spring-like's 4.
        let short = summary(vec![
            with_density(rust("axum"), (512, 6, LimitFrom::EngineMinimum), 85, 85),
            with_density(rust("go"), (512, 9, LimitFrom::Fit), 56, 7),
            with_density(spring(), (512, 128, LimitFrom::Fit), 4, 4),
        ]);
        let card = scorecard(&short, true);
        assert_eq!(card.outcome, "not held");
        assert!(
            card.verdict.contains(
                "did not hold on this run: on a 512 MiB node under load, go had fewer than 2× spring-like's 4 replicas holding (replicas that held, of those deployed): axum 85 of 85, go 7 of 56"
            ),
            "{}",
            card.verdict
        );
        // No spring-like replica held: a Rust stack with most of its replicas holding beats it;
        // one with none holding does not.
        let none = summary(vec![
            with_density(rust("thin"), (512, 6, LimitFrom::EngineMinimum), 85, 67),
            with_density(spring(), (512, 128, LimitFrom::Fit), 4, 0),
        ]);
        assert_eq!(scorecard(&none, true).outcome, "held");
        let nothing = summary(vec![
            with_density(rust("thin"), (512, 6, LimitFrom::EngineMinimum), 85, 0),
            with_density(spring(), (512, 128, LimitFrom::Fit), 4, 0),
        ]);
        assert_eq!(scorecard(&nothing, true).outcome, "not held");
        // Without the baseline the claim is untested and the report says why.
        let alone = summary(vec![with_density(
            rust("thin"),
            (512, 6, LimitFrom::EngineMinimum),
            85,
            85,
        )]);
        let card = scorecard(&alone, true);
        assert_eq!(card.outcome, "untested");
        assert!(
            card.verdict
                .contains("the baseline (the stack declared with role = \"baseline\") was not among this run's stacks (density measured: thin 85 of 85)"),
            "{}",
            card.verdict
        );
        assert!(card.next_step.is_some());
    }

    #[test]
    fn a_fit_run_tests_the_claim_with_the_smallest_limits() {
        use crate::report::scorecard::scorecard;
        let card = scorecard(&summary(vec![rust("axum"), spring()]), true);
        assert_eq!(card.outcome, "held", "{}", card.verdict);
        assert!(
            card.verdict.ends_with(
                "every Rust and Go stack survived in at most 1/2 of spring-like's smallest memory limit: axum 4 MiB, spring-like 200 MiB."
            ),
            "{}",
            card.verdict
        );
        let mut heavy = rust("go");
        heavy.fit.as_mut().unwrap().fit_mib = Some(150);
        let card = scorecard(&summary(vec![rust("axum"), heavy, spring()]), true);
        assert_eq!(card.outcome, "not held");
        assert!(
            card.verdict.contains(
                "go needed more than 1/2 of spring-like's smallest memory limit (200 MiB): axum 4 MiB, go 150 MiB, spring-like 200 MiB."
            ),
            "{}",
            card.verdict
        );
    }

    #[test]
    fn the_density_table_names_the_limits_source_and_the_failed_replicas() {
        let view = fit_view(&run()).unwrap();
        let density = view.density.unwrap();
        assert_eq!(density.node.as_deref(), Some("2048 MiB"));
        let names: Vec<&str> = density.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["thin", "axum", "jvm-plain"]);
        let (floor, jvm) = (&density.rows[0], &density.rows[2]);
        assert_eq!(
            (floor.per_node.as_str(), floor.held.as_str(), floor.all_held),
            ("341", "341 of 341", true)
        );
        assert_eq!(
            floor.limit_from,
            "the engine's minimum (the stack fits in 4 MiB)"
        );
        assert_eq!(
            (
                floor.used.as_str(),
                floor.rate.as_str(),
                floor.failed.as_str()
            ),
            ("1399 of 2048", "5", "-")
        );
        assert_eq!(floor.worst_p99, "1.84");
        assert_eq!(
            (jvm.per_node.as_str(), jvm.held.as_str(), jvm.all_held),
            ("-", "8 of 10", false)
        );
        assert_eq!(
            (jvm.limit.as_str(), jvm.limit_from.as_str()),
            ("200", "the stack's fit")
        );
        assert_eq!(
            jvm.failed,
            "replica-9: oom-killed (exited (exit status: 137)); replica-10: oom-killed (exited (exit status: 137))"
        );
        assert_eq!(
            jvm.failed_reasons.as_deref(),
            Some(
                "replica-9: oom-killed: exited (exit status: 137)\nreplica-10: oom-killed: exited (exit status: 137)"
            )
        );
        assert_eq!(floor.failed_reasons, None);
        // More than a few: the rest are counted.
        let many = summary(vec![with_density(
            rust("axum"),
            (2048, 6, LimitFrom::EngineMinimum),
            20,
            10,
        )]);
        let view = fit_view(&many).unwrap();
        let failed = &view.density.unwrap().rows[0].failed;
        assert!(failed.starts_with("replica-11: oom-killed"), "{failed}");
        assert!(failed.ends_with("; and 7 more"), "{failed}");
        assert_eq!(failed.matches("replica-").count(), 3);
    }

    #[test]
    fn the_probes_figure_marks_every_probe_by_its_verdict() {
        let view = fit_view(&run()).unwrap();
        assert_eq!(view.figures.len(), 1);
        let svg = view.figures[0].svg.as_deref().expect("drawn");
        let marks = marks(svg);
        assert_eq!(marks.len(), 4 + 4 + 5, "every probe of every stack, once");
        let count = |class: &str| marks.iter().filter(|(c, _)| c == class).count();
        assert_eq!(count("holds"), 3 + 3 + 2);
        assert_eq!(count("refused"), 2);
        assert_eq!(
            (count("errors"), count("latency"), count("oom-killed")),
            (1, 1, 1)
        );
        assert!(
            marks
                .iter()
                .any(|(_, t)| t == "jvm-plain: 192 MiB, p99 73 ms, latency"),
            "{marks:?}"
        );
        assert!(
            marks.iter().any(|(_, t)| t
                .starts_with("thin: 2 MiB, no p99, refused: container init was OOM-killed")),
            "{marks:?}"
        );
        assert!(svg.contains("memory limit MiB (log scale)"));
        assert!(svg.contains("no p99: did not serve"));
        for words in ["held", "p99 too high", "errors", "OOM-killed", "refused"] {
            assert!(svg.contains(&format!(">{words}</text>")), "legend: {words}");
        }
        assert!(!svg.contains(">exited</text>"), "only the verdicts seen");
        // The x and the y axes are both logarithmic.
        assert!(svg.contains(r#"data-y-scale="log""#));
        let ticks: Vec<&str> = svg
            .split(r#"class="tick x""#)
            .skip(1)
            .map(|t| &t[t.find('>').unwrap() + 1..t.find('<').unwrap()])
            .collect();
        assert_eq!(ticks, ["1", "10", "100", "1000"]);
    }

    #[test]
    fn probes_without_a_p99_sit_beneath_every_p99_and_apart_per_stack() {
        let refused = |name: &str| {
            (
                name.to_owned(),
                vec![
                    probe(4, FitVerdict::Holds, Some(0.3)),
                    probe(2, FitVerdict::Refused, None),
                ],
            )
        };
        let (a, b) = (refused("a"), refused("b"));
        let svg = p99_against_limit(&[(a.0, a.1.as_slice()), (b.0, b.1.as_slice())]).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let at = |class: &str| -> Vec<(f64, f64)> {
            doc.descendants()
                .filter(|n| n.tag_name().name() == "rect" && n.attribute("class") == Some(class))
                .chain(doc.descendants().filter(|n| {
                    n.tag_name().name() == "circle" && n.attribute("class") == Some(class)
                }))
                .map(|n| {
                    let v = |k| n.attribute(k).unwrap().parse::<f64>().unwrap();
                    match n.tag_name().name() {
                        "rect" => (v("x") + 4.0, v("y") + 4.0),
                        _ => (v("cx"), v("cy")),
                    }
                })
                .collect()
        };
        let (held, refused) = (at("holds"), at("refused"));
        assert_eq!((held.len(), refused.len()), (2, 2));
        assert!(refused.iter().all(|r| r.1 > held[0].1 + 20.0), "beneath");
        assert!((refused[0].0 - refused[1].0).abs() > 8.0, "apart");
        assert_eq!(refused[0].1, refused[1].1, "on one row");
        assert!(p99_against_limit(&[]).is_ok());
    }

    #[test]
    fn the_bars_count_replicas_and_cross_a_stack_short_of_them() {
        let s = run();
        let bars: Vec<(String, Option<&Density>)> = s
            .stacks
            .iter()
            .map(|s| (s.stack.clone(), s.density.as_ref()))
            .collect();
        let svg = replicas_bars(&bars).unwrap();
        let marks = marks(&svg);
        assert_eq!(marks.len(), 3, "two bars and a cross: {marks:?}");
        assert!(marks.iter().any(|(_, t)| t
            == "thin: 341 replicas of 6 MiB on a 2048 MiB node, every one held under load"));
        assert!(
            marks
                .iter()
                .any(|(_, t)| t == "jvm-plain: not every replica held (8 of 10 of 200 MiB)")
        );
        assert!(svg.contains("replicas per 2048 MiB node"));
        assert!(replicas_bars(&[]).is_ok());
    }

    #[test]
    fn the_page_has_the_section_and_its_files_only_with_a_fit() {
        use crate::report::{MemorySeries, page, render};
        let html = |s| render("report.html", &page(&s, None, &MemorySeries::new(), ".")).unwrap();
        let fitted = html(run());
        let section = &fitted[fitted.find("id=\"fit\"").expect("the section")..];
        let section = &section[..section.find("id=\"cost\"").unwrap()];
        assert!(
            section.contains(
                "<p class=\"verdict\">thin: 341 replicas per 2048 MiB node, axum: 341, jvm-plain: none (8 of 10 held).</p>"
            ),
            "{section}"
        );
        assert!(section.contains("id=\"figure-fit-probes\""));
        assert!(section.contains("id=\"figure-density\""));
        assert!(section.contains("id=\"density\""));
        assert_eq!(section.matches("<svg").count(), 2);
        assert!(section.contains("<td class=\"num\">200</td>"), "{section}");
        assert!(fitted.contains(">fit.csv</a>") && fitted.contains(">density.csv</a>"));
        // A fit without density: no density part, no density.csv.
        let alone = html(summary(vec![rust("axum")]));
        assert!(alone.contains("id=\"fit\"") && alone.contains(">fit.csv</a>"));
        assert!(!alone.contains("id=\"density\"") && !alone.contains("density.csv"));
        assert!(!alone.contains("class=\"verdict\">axum"));
        let plain = html(summary(vec![measured("axum", 5, 10.0)]));
        assert!(!plain.contains("id=\"fit\"") && !plain.contains("fit.csv"));
    }
}
