//! The capacity section of the report: per stack the capacity per core found by the search
//! (marked where the search stopped before the service's limit), the probes either side of it,
//! a bar chart of the capacities and the corrected p99 of every probe against its rate.

use serde::Serialize;

use super::figure::Figure;
use super::plots::{
    self, Axis, Bar, Key, Line, Marker, Plot, PlotError, Point, Reference, Scale, Series, XAxis,
};
use crate::model::{Capacity, StackSummary, Summary, Verdict};
use crate::table::{figure, probe_cell, sig3};

/// Per stack, every probe of its first search: rate asked for, p99 ms, verdict.
pub type RateCurves = [(String, Vec<(f64, f64, Verdict)>)];

/// The capacity section: the objective, a line per stack that searched, and two figures.
#[derive(Debug, Serialize)]
pub struct CapacityView {
    /// The objective in words.
    pub objective: String,
    /// One line per stack that ran a search.
    pub rows: Vec<CapacityLine>,
    /// The capacity per core (bars), then p99 against rate (lines).
    pub figures: Vec<Figure>,
    /// Whether there were several repeats (the probes shown are the first repeat's).
    pub first_repeat_only: bool,
}

/// One stack's capacity.
#[derive(Debug, Serialize)]
pub struct CapacityLine {
    /// Stack.
    pub name: String,
    /// Its colour in every figure.
    pub colour: String,
    /// Requests per second per core over the repeats, `≥ ` before a lower bound.
    pub per_core: String,
    /// Whether the figure is a lower bound.
    pub at_least: bool,
    /// What stopped the search (`slo`, `errors`, `generator`, `max-rate`, ...).
    pub limit: String,
    /// Service CPU per request at the capacity, ms.
    pub cpu: String,
    /// The probe at the capacity: rate, p50 / p99 ms from the intended send time (raw).
    pub below: String,
    /// The lowest probe that did not hold, the same way.
    pub above: String,
    /// Probes in the first repeat.
    pub probes: usize,
}

/// The capacity section, when any stack ran a search.
pub(super) fn capacity_view(summary: &Summary) -> Option<CapacityView> {
    let searched: Vec<(usize, &StackSummary)> = summary
        .stacks
        .iter()
        .enumerate()
        .filter(|(_, s)| s.capacity.is_some())
        .collect();
    let (_, first) = searched.first()?;
    let objective = first.capacity.as_ref()?;
    let rows = searched
        .iter()
        .map(|&(i, s)| {
            let c = s.capacity.as_ref().expect("filtered above");
            let search = first_search(s);
            CapacityLine {
                name: s.stack.clone(),
                colour: plots::css_colour(i),
                per_core: c.rps_per_core.as_ref().map_or("-".to_owned(), |e| {
                    format!(
                        "{}{}",
                        if c.at_least { "≥ " } else { "" },
                        figure(e, 1.0, 0)
                    )
                }),
                at_least: c.at_least,
                limit: c.limit.word().to_owned(),
                cpu: c
                    .cpu_ms_per_request
                    .as_ref()
                    .map_or("-".to_owned(), |e| figure(e, 1.0, 4)),
                below: probe_cell(search.and_then(|f| f.below.as_ref())),
                above: probe_cell(search.and_then(|f| f.above.as_ref())),
                probes: search.map_or(0, |f| f.probes.len()),
            }
        })
        .collect();
    // Every stack of the run keeps its colour; those without a search have no bar or line.
    let bars: Vec<(String, Option<f64>, bool)> = summary
        .stacks
        .iter()
        .map(|s| {
            let c = s.capacity.as_ref();
            (
                s.stack.clone(),
                c.and_then(|c| c.rps_per_core.as_ref()).map(|e| e.median),
                c.is_some_and(|c| c.at_least),
            )
        })
        .collect();
    let curves: Vec<_> = summary
        .stacks
        .iter()
        .map(|s| {
            let mut points: Vec<(f64, f64, Verdict)> = first_search(s)
                .map(|c| {
                    c.probes
                        .iter()
                        .filter_map(|p| {
                            let p99 = p.intended_p99_us.unwrap_or(p.p99_us);
                            Some((f64::from(p.rate), p99 as f64 / 1000.0, p.verdict?))
                        })
                        .collect()
                })
                .unwrap_or_default();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (s.stack.clone(), points)
        })
        .collect();
    let drawn = Figure::new;
    let slo_ms = objective.slo_p99_ms;
    Some(CapacityView {
        objective: format!(
            "p99 counted from when each request was due at most {} ms, and at most {} % of the requests failed",
            sig3(slo_ms),
            sig3(objective.max_error_ratio * 100.0)
        ),
        rows,
        figures: vec![
            drawn(
                "capacity",
                "Capacity per core at the objective",
                "Requests per second per service CPU at the highest rate that held, median over the repeats. A pale bar with a triangle is a lower bound: the search stopped before the service's limit (the load generator was late or saturated, or the highest rate allowed held).".to_owned(),
                capacity_bars(&bars),
            ),
            drawn(
                "capacity-latency",
                "p99 against rate",
                format!(
                    "Every probe of the first repeat: p99 counted from when each request was due, ms (log scale), against the rate asked for; the dashed line is the objective ({} ms). A cross marks a probe where the load generator was late or saturated.",
                    sig3(slo_ms)
                ),
                latency_vs_rate(&curves, slo_ms),
            ),
        ],
        first_repeat_only: summary
            .stacks
            .iter()
            .any(|s| s.runs.iter().filter(|r| r.capacity.is_some()).count() > 1),
    })
}

/// A stack's first repeat's search.
fn first_search(stack: &StackSummary) -> Option<&Capacity> {
    stack.runs.iter().find_map(|r| r.capacity.as_ref())
}

/// Capacity per core per stack (bars, requests per second); a lower bound is pale, with an
/// open circle on top.
pub fn capacity_bars(stacks: &[(String, Option<f64>, bool)]) -> Result<String, PlotError> {
    let names: Vec<String> = stacks.iter().map(|(s, _, _)| s.clone()).collect();
    let mut plot = Plot::new(
        "capacity per core",
        XAxis::Categories {
            names,
            groups: Vec::new(),
        },
        Axis::new("requests per second per core", Scale::Zero),
    );
    let mut bounds = Series::new("lower bound", plots::REFERENCE, Line::None, Marker::Ring);
    for (i, (name, value, at_least)) in stacks.iter().enumerate() {
        let Some(value) = value else { continue };
        let colour = plots::css_colour(i);
        plot.bars.push(Bar {
            category: i,
            slot: 0,
            slots: 1,
            value: *value,
            // A lower bound is the stack's colour at a third of its strength.
            colour: if *at_least {
                format!("{colour}55")
            } else {
                colour
            },
            title: format!(
                "{name}: {}{value:.0} requests per second per core",
                if *at_least { "at least " } else { "" }
            ),
        });
        if *at_least {
            bounds.points.push(Point::new(
                i as f64,
                *value,
                format!("{name}: a lower bound, the search stopped before the service's limit"),
            ));
        }
    }
    if !bounds.points.is_empty() {
        plot.legend
            .push(Key::style("lower bound", Line::None, Marker::Ring));
        plot.series.push(bounds);
    }
    plot.svg()
}

/// The corrected p99 of each probe against its rate, one line per stack (ms, log scale), the
/// objective as a dashed line; a probe the generator could not drive is a cross.
pub fn latency_vs_rate(stacks: &RateCurves, slo_ms: f64) -> Result<String, PlotError> {
    let mut plot = Plot::new(
        "p99 against rate",
        XAxis::Values(Axis::new("requests per second asked for", Scale::Zero)),
        Axis::new("p99 ms (log scale)", Scale::Log),
    );
    plot.references.push(Reference {
        y: slo_ms,
        label: format!("objective {} ms", sig3(slo_ms)),
        colour: plots::REFERENCE.to_owned(),
    });
    for (i, (name, probes)) in stacks.iter().enumerate() {
        if probes.is_empty() {
            continue;
        }
        let colour = plots::css_colour(i);
        let title = |&(rate, ms, verdict): &(f64, f64, Verdict)| {
            Point::new(
                rate,
                ms.max(0.001),
                format!(
                    "{name}: {rate:.0} rps asked, p99 {} ms, {}",
                    sig3(ms),
                    verdict.word()
                ),
            )
        };
        let mut line = Series::new(name.clone(), colour.clone(), Line::Solid, Marker::Dot);
        line.points = probes
            .iter()
            .filter(|p| p.2 != Verdict::GeneratorLimit)
            .map(title)
            .collect();
        let mut late = Series::new(
            format!("{name} (generator)"),
            colour.clone(),
            Line::None,
            Marker::Cross,
        );
        late.points = probes
            .iter()
            .filter(|p| p.2 == Verdict::GeneratorLimit)
            .map(title)
            .collect();
        plot.legend.push(Key::colour(name.clone(), colour));
        plot.series.push(line);
        if !late.points.is_empty() {
            plot.series.push(late);
        }
    }
    plot.svg()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::fixtures::{measured, summary, with_capacity};
    use crate::model::CapacityLimit;

    #[test]
    fn the_section_has_a_line_per_search_and_marks_a_lower_bound() {
        let s = summary(vec![
            with_capacity(
                measured("hyper", 5, 10.0),
                4000,
                CapacityLimit::Generator,
                None,
            ),
            measured("go", 5, 10.0),
            with_capacity(
                measured("spring-like", 200, 90.0),
                1000,
                CapacityLimit::Slo,
                None,
            ),
        ]);
        let view = capacity_view(&s).unwrap();
        assert!(
            view.objective.contains("at most 10 ms"),
            "{}",
            view.objective
        );
        let names: Vec<&str> = view.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["hyper", "spring-like"]);
        let (hyper, jvm) = (&view.rows[0], &view.rows[1]);
        assert_eq!((hyper.per_core.as_str(), hyper.at_least), ("≥ 4000", true));
        assert_eq!(
            (hyper.limit.as_str(), hyper.above.as_str()),
            ("generator", "-")
        );
        assert_eq!((jvm.per_core.as_str(), jvm.limit.as_str()), ("1000", "slo"));
        assert_eq!(
            jvm.colour,
            plots::css_colour(2),
            "the stack's colour in the run"
        );
        assert_eq!(jvm.probes, 4);
        assert_eq!(jvm.above, "2000: 0.30 / 40.00 (0.20 / 20.00)");
        assert_eq!(view.figures.len(), 2);
        assert!(view.figures.iter().all(|f| f.svg.is_some()), "both drawn");
        assert!(capacity_view(&summary(vec![measured("go", 5, 10.0)])).is_none());
    }

    #[test]
    fn the_page_has_the_section_and_the_file_only_with_a_search() {
        use crate::report::{MemorySeries, page, render};
        let html = |s| render("report.html", &page(&s, None, &MemorySeries::new(), ".")).unwrap();
        let searched = html(summary(vec![with_capacity(
            measured("hyper", 5, 10.0),
            4000,
            CapacityLimit::Generator,
            None,
        )]));
        assert!(searched.contains("id=\"capacity\""));
        assert!(searched.contains("<td>≥ 4000</td>"), "{searched}");
        assert!(searched.contains("id=\"figure-capacity-latency\""));
        assert!(searched.contains(">capacity.csv</a>"));
        let plain = html(summary(vec![measured("hyper", 5, 10.0)]));
        assert!(!plain.contains("id=\"capacity\"") && !plain.contains("capacity.csv"));
    }

    #[test]
    fn the_figures_draw_bars_markers_and_the_objective() {
        let svg = capacity_bars(&[
            ("thin".into(), Some(20_000.0), true),
            ("go".into(), None, false),
            ("axum".into(), Some(9000.0), false),
        ])
        .unwrap();
        assert!(svg.contains("thin: at least 20000 requests per second per core"));
        assert!(svg.contains("axum: 9000 requests per second per core"));
        assert!(svg.contains("a lower bound, the search stopped"));
        let svg = latency_vs_rate(
            &[(
                "axum".into(),
                vec![
                    (1000.0, 0.8, Verdict::Holds),
                    (2000.0, 30.0, Verdict::Slo),
                    (4000.0, 5000.0, Verdict::GeneratorLimit),
                ],
            )],
            10.0,
        )
        .unwrap();
        assert!(svg.contains("axum: 2000 rps asked, p99 30 ms"), "{svg}");
        assert!(svg.contains("requests per second asked for"));
        assert!(svg.contains("objective 10 ms"), "{svg}");
        assert!(latency_vs_rate(&[], 10.0).is_ok() && capacity_bars(&[]).is_ok());
    }
}
