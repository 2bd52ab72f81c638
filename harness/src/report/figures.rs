//! The report's figures: what each shows, one function per figure, drawn by
//! [`plots`](super::plots). Stacks sit in the tables' order (Rust, Go, JVM) in their own colour;
//! memory, latency and boot are on log axes, where a JVM and a static binary fit together.

use super::MemorySeries;
use super::figure::Figure;
use super::plots::{
    self, Axis, Bar, Key, Line, Marker, Plot, PlotError, Point, Range, Reference, Scale, Series,
    XAxis,
};
use super::roles;
use super::tables::grouped;
use crate::model::{StackSummary, StepSummary, Summary};

/// Most points drawn per line of the memory trace; longer traces keep every bucket's lowest
/// and highest sample, so their shape survives.
const MAX_TRACE_POINTS: usize = 400;

pub(super) fn figures(
    summary: &Summary,
    memory: &MemorySeries,
    interval_ms: Option<u64>,
) -> Vec<Figure> {
    let counter = &summary.memory_counter;
    vec![
        Figure::new(
            "memory",
            "Memory per stack",
            format!(
                "{counter} of the service, MiB, log scale: idle (ring), median under load (dot), peak (bar); the line joins idle to peak.{} Hover for the exact figures.",
                dashed(&memory_references(summary))
            ),
            memory_per_stack(summary),
        ),
        Figure::new(
            "memory-time",
            "Memory through the scenario",
            format!(
                "{counter} of each service from its start to its stop (first repeat){}, MiB, log scale: steps show as plateaus; a line that keeps climbing during a step is memory growing with load.",
                interval_ms
                    .map(|ms| format!(", sampled every {ms} ms"))
                    .unwrap_or_default()
            ),
            memory_over_time(summary, memory),
        ),
        Figure::new(
            "latency",
            "Latency per load step",
            "Seeded ids, first repeat: p50 (solid, dots) and p99 (dashed, rings), µs, log scale, as the load generator sees it.".to_owned(),
            latency(summary),
        ),
        Figure::new(
            "throughput",
            "Achieved throughput against the target",
            "Requests per second served per step (lines) against the target rate (grey dashed). A cross marks a step where the load generator was saturated: there the figure describes the generator, not the service.".to_owned(),
            throughput(summary),
        ),
        Figure::new(
            "boot",
            "Boot time",
            "Every cold start: ms from the start call to the first 200 from /health, polled every millisecond, log scale.".to_owned(),
            boot(summary),
        ),
        Figure::new(
            "cpu",
            "CPU per 1000 requests",
            "Service CPU time over the measured steps divided by the requests served, ms per 1000 requests.".to_owned(),
            cpu(summary),
        ),
    ]
}

/// The stacks as categories, grouped, with their colours.
fn stack_axis(summary: &Summary) -> (XAxis, Vec<(usize, &StackSummary)>) {
    let stacks = grouped(summary);
    let names = stacks.iter().map(|(_, s)| s.stack.clone()).collect();
    let mut groups: Vec<(String, usize, usize)> = Vec::new();
    for (k, (_, s)) in stacks.iter().enumerate() {
        let word = s.family.word();
        match groups.last_mut() {
            Some((name, _, last)) if name == word => *last = k,
            _ => groups.push((word.to_owned(), k, k)),
        }
    }
    (XAxis::Categories { names, groups }, stacks)
}

/// The stacks' colours, as a legend.
fn stack_keys(stacks: &[(usize, &StackSummary)]) -> Vec<Key> {
    stacks
        .iter()
        .map(|(i, s)| Key::colour(&s.stack, plots::css_colour(*i)))
        .collect()
}

/// KiB as MiB; a figure of 0 (nothing read) is left out, as a log axis has no zero.
fn mib(kb: Option<u64>) -> Option<f64> {
    kb.filter(|kb| *kb > 0).map(|kb| kb as f64 / 1024.0)
}

/// Idle, under load and peak per stack on a log axis, the floor and the baseline as lines.
fn memory_per_stack(summary: &Summary) -> Result<String, PlotError> {
    let (x, stacks) = stack_axis(summary);
    let mut plot = Plot::new(
        "memory per stack",
        x,
        Axis::new("MiB (log scale)", Scale::Log),
    );
    let marks = [
        ("idle", Marker::Ring),
        ("under load", Marker::Dot),
        ("peak", Marker::Dash),
    ];
    for (k, (i, s)) in stacks.iter().enumerate() {
        let colour = plots::css_colour(*i);
        let values = [mib(s.idle_kb), mib(s.load_kb), mib(s.peak_kb)];
        let known: Vec<f64> = values.iter().flatten().copied().collect();
        if let (Some(low), Some(high)) = (
            known.iter().copied().reduce(f64::min),
            known.iter().copied().reduce(f64::max),
        ) {
            plot.ranges.push(Range {
                x: k as f64,
                low,
                high,
                colour: colour.clone(),
                title: format!("{}: {low:.2} to {high:.2} MiB", s.stack),
            });
        }
        for ((what, marker), value) in marks.iter().zip(values) {
            let Some(v) = value else { continue };
            let mut series =
                Series::new(format!("{} {what}", s.stack), &colour, Line::None, *marker);
            series.points.push(Point::new(
                k as f64,
                v,
                format!("{} {what}: {v:.2} MiB", s.stack),
            ));
            plot.series.push(series);
        }
    }
    for line in memory_references(summary) {
        plot.references.push(Reference {
            y: line.mib,
            label: line.label,
            colour: plots::REFERENCE.to_owned(),
        });
    }
    plot.legend = marks
        .iter()
        .map(|(what, marker)| Key::style(*what, Line::None, *marker))
        .collect();
    plot.svg()
}

/// A dashed line of the memory figure: a stack the others are read against.
struct MemoryReference {
    /// Its height, MiB.
    mib: f64,
    /// Its label on the figure.
    label: String,
    /// What it is, in the caption.
    caption: String,
}

/// The memory figure's dashed lines: the floor under load (idle when it had no load) and the
/// baseline at idle, for those the run measured.
fn memory_references(summary: &Summary) -> Vec<MemoryReference> {
    let floor = roles::floor(summary).and_then(|s| Some((s, mib(s.load_kb.or(s.idle_kb))?)));
    let baseline = roles::baseline(summary).and_then(|s| Some((s, mib(s.idle_kb)?)));
    let floor = floor.map(|(s, mib)| MemoryReference {
        mib,
        label: format!("{} under load {mib:.1} MiB", s.stack),
        caption: format!("{} under load (a process and a socket)", s.stack),
    });
    let baseline = baseline.map(|(s, mib)| MemoryReference {
        mib,
        label: format!("{} idle {mib:.1} MiB", s.stack),
        caption: format!("{} at idle (the blog's baseline)", s.stack),
    });
    floor.into_iter().chain(baseline).collect()
}

/// The caption's sentence on the dashed lines, with a space before it; empty without one.
fn dashed(lines: &[MemoryReference]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let what: Vec<&str> = lines.iter().map(|l| l.caption.as_str()).collect();
    format!(" Dashed: {}.", what.join(" and "))
}

/// Keeps at most about `max` points: every bucket's lowest and highest, in time order.
fn thin(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max {
        return points.to_vec();
    }
    let size = points.len().div_ceil(max / 2);
    points
        .chunks(size)
        .flat_map(|chunk| {
            let low = chunk
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.1.total_cmp(&b.1.1));
            let high = chunk
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.1.total_cmp(&b.1.1));
            let mut both: Vec<(usize, (f64, f64))> =
                low.into_iter().chain(high).map(|(i, p)| (i, *p)).collect();
            both.sort_by_key(|(i, _)| *i);
            both.dedup_by_key(|(i, _)| *i);
            both.into_iter().map(|(_, p)| p)
        })
        .collect()
}

/// Each stack's memory from its start to its stop, log axis.
fn memory_over_time(summary: &Summary, memory: &MemorySeries) -> Result<String, PlotError> {
    let (_, stacks) = stack_axis(summary);
    let series = stacks
        .iter()
        .filter_map(|(i, s)| {
            let trace = memory.get(&s.stack).filter(|t| !t.is_empty())?;
            let mut series =
                Series::new(&s.stack, plots::css_colour(*i), Line::Solid, Marker::Hidden);
            series.points = thin(trace, MAX_TRACE_POINTS)
                .into_iter()
                .filter(|(_, v)| *v > 0.0)
                .map(|(t, v)| Point::new(t, v, format!("{} at {t:.1} s: {v:.2} MiB", s.stack)))
                .collect();
            Some(series)
        })
        .collect();
    plots::line_chart(
        "memory over time",
        XAxis::Values(Axis::new("seconds since the service started", Scale::Zero)),
        Axis::new("MiB (log scale)", Scale::Log),
        series,
        stack_keys(&stacks),
    )
}

/// The measured steps' names, from the first stack that ran any.
fn step_names(summary: &Summary) -> Vec<String> {
    summary
        .stacks
        .iter()
        .filter_map(|s| s.runs.first())
        .find(|r| r.steps.iter().any(|s| !s.warmup))
        .map(|r| {
            r.steps
                .iter()
                .filter(|s| !s.warmup)
                .map(|s| s.name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// A stack's measured step called `name` in its first repeat.
fn step<'a>(s: &'a StackSummary, name: &str) -> Option<&'a StepSummary> {
    s.runs
        .first()?
        .steps
        .iter()
        .find(|st| !st.warmup && st.name == name)
}

fn steps_axis(steps: &[String]) -> XAxis {
    XAxis::Categories {
        names: steps.to_vec(),
        groups: Vec::new(),
    }
}

/// p50 and p99 of seeded ids per step, log axis fitted to every p99.
fn latency(summary: &Summary) -> Result<String, PlotError> {
    let steps = step_names(summary);
    let (_, stacks) = stack_axis(summary);
    let mut series = Vec::new();
    for (i, s) in &stacks {
        let colour = plots::css_colour(*i);
        for (what, line, marker) in [
            ("p50", Line::Solid, Marker::Dot),
            ("p99", Line::Dashed, Marker::Ring),
        ] {
            let mut one = Series::new(format!("{} {what}", s.stack), &colour, line, marker);
            for (x, name) in steps.iter().enumerate() {
                let Some(seeded) =
                    step(s, name).and_then(|st| st.kinds.iter().find(|k| k.kind == "seeded"))
                else {
                    continue;
                };
                let us = if what == "p50" {
                    seeded.p50_us
                } else {
                    seeded.p99_us
                };
                if us > 0 {
                    one.points.push(Point::new(
                        x as f64,
                        us as f64,
                        format!("{} {name}: {what} {us} µs", s.stack),
                    ));
                }
            }
            series.push(one);
        }
    }
    let mut legend = stack_keys(&stacks);
    legend.push(Key::style("p50", Line::Solid, Marker::Dot));
    legend.push(Key::style("p99", Line::Dashed, Marker::Ring));
    plots::line_chart(
        "latency per step",
        steps_axis(&steps),
        Axis::new("µs (log scale)", Scale::Log),
        series,
        legend,
    )
}

/// Served requests per second per step, the target dashed, saturated steps crossed.
fn throughput(summary: &Summary) -> Result<String, PlotError> {
    let steps = step_names(summary);
    let (_, stacks) = stack_axis(summary);
    let mut plot = Plot::new(
        "throughput",
        steps_axis(&steps),
        Axis::new("requests per second", Scale::Zero),
    );
    let mut target = Series::new("target", plots::REFERENCE, Line::Dashed, Marker::Hidden);
    for (x, name) in steps.iter().enumerate() {
        let rate = summary
            .stacks
            .iter()
            .find_map(|s| step(s, name).and_then(|st| st.target_rps));
        if let Some(rate) = rate {
            target.points.push(Point::new(
                x as f64,
                f64::from(rate),
                format!("{name}: target {rate} rps"),
            ));
        }
    }
    plot.series.push(target);
    let mut saturated = Vec::new();
    for (i, s) in &stacks {
        let colour = plots::css_colour(*i);
        let mut line = Series::new(&s.stack, &colour, Line::Solid, Marker::Dot);
        let mut crosses = Series::new(
            format!("{} saturated", s.stack),
            &colour,
            Line::None,
            Marker::Cross,
        );
        crosses.class = Some("saturated");
        for (x, name) in steps.iter().enumerate() {
            let Some(st) = step(s, name) else { continue };
            let rps = st.achieved_rps;
            line.points.push(Point::new(
                x as f64,
                rps,
                format!("{} {name}: {rps:.0} rps", s.stack),
            ));
            if st.load_generator_bound {
                crosses.points.push(Point::new(
                    x as f64,
                    rps,
                    format!(
                        "{} {name}: {rps:.0} rps; the load generator was saturated",
                        s.stack
                    ),
                ));
            }
        }
        plot.series.push(line);
        if !crosses.points.is_empty() {
            saturated.push(crosses);
        }
    }
    // Crosses last, over the lines.
    plot.series.extend(saturated);
    plot.legend = stack_keys(&stacks);
    plot.legend
        .push(Key::style("target", Line::Dashed, Marker::Hidden));
    plot.legend.push(Key::style(
        "load generator saturated",
        Line::None,
        Marker::Cross,
    ));
    plot.svg()
}

/// Every cold start per stack as a dot, log axis.
fn boot(summary: &Summary) -> Result<String, PlotError> {
    let (x, stacks) = stack_axis(summary);
    let mut plot = Plot::new("boot time", x, Axis::new("ms (log scale)", Scale::Log));
    for (k, (i, s)) in stacks.iter().enumerate() {
        let boots: Vec<(u32, u32, f64)> = s
            .runs
            .iter()
            .flat_map(|r| r.boots.iter().map(move |b| (r.repeat, b.start, b.boot_ms)))
            .filter(|b| b.2 > 0.0)
            .collect();
        let spread = boots.len().max(1) as f64;
        let mut dots = Series::new(&s.stack, plots::css_colour(*i), Line::None, Marker::Dot);
        dots.points = boots
            .iter()
            .enumerate()
            .map(|(n, (repeat, start, ms))| {
                // Spread sideways by start number so equal values stay visible.
                let x = k as f64 - 0.25 + 0.5 * (n as f64 + 0.5) / spread;
                Point::new(
                    x,
                    *ms,
                    format!("{} repeat {repeat}, start {start}: {ms:.2} ms", s.stack),
                )
            })
            .collect();
        plot.series.push(dots);
    }
    plot.svg()
}

/// Service CPU per 1000 requests per stack, bars from zero.
fn cpu(summary: &Summary) -> Result<String, PlotError> {
    let (x, stacks) = stack_axis(summary);
    let mut plot = Plot::new(
        "CPU per 1000 requests",
        x,
        Axis::new("CPU ms per 1000 requests", Scale::Zero),
    );
    for (k, (i, s)) in stacks.iter().enumerate() {
        let Some(v) = s.cpu_ms_per_1000 else { continue };
        plot.bars.push(Bar {
            category: k,
            slot: 0,
            slots: 1,
            value: v,
            colour: plots::css_colour(*i),
            title: format!("{}: {v:.1} ms of CPU per 1000 requests", s.stack),
        });
    }
    plot.svg()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{baseline, floor, stack, summary};

    #[test]
    fn long_traces_are_thinned_keeping_their_extremes() {
        let trace: Vec<(f64, f64)> = (0..2000)
            .map(|i| (i as f64, if i == 1234 { 99.0 } else { 1.0 }))
            .collect();
        let thinned = thin(&trace, 400);
        assert!(thinned.len() <= 400, "{}", thinned.len());
        assert!(thinned.contains(&(1234.0, 99.0)), "the spike survives");
        assert!(thinned.windows(2).all(|w| w[0].0 < w[1].0), "in time order");
        assert_eq!(thin(&trace[..10], 400).len(), 10);
    }

    #[test]
    fn saturated_steps_and_only_those_are_crossed() {
        let mut a = stack("thin", 1300, 1500, 2.0);
        let mut second = a.runs[0].steps[0].clone();
        second.name = "users-8".into();
        second.load_generator_bound = true;
        second.achieved_rps = 900.0;
        a.runs[0].steps.push(second);
        let b = stack("axum", 1700, 2000, 3.0);
        let svg = throughput(&summary("ramp", vec![a, b])).unwrap();
        assert_eq!(
            svg.matches(r#"<path class="saturated""#).count(),
            1,
            "{svg}"
        );
        assert!(svg.contains("thin users-8: 900 rps; the load generator was saturated"));
        assert!(!svg.contains("axum users-4: 250 rps; the load generator was saturated"));
    }

    #[test]
    fn memory_shows_the_floor_and_the_baseline_by_their_roles() {
        let s = summary(
            "ramp",
            vec![
                floor(stack("thin", 1300, 1536, 2.0)),
                baseline(stack("spring-like", 192 * 1024, 260 * 1024, 1600.0)),
            ],
        );
        let svg = memory_per_stack(&s).unwrap();
        assert!(svg.contains("thin under load 1.5 MiB"));
        assert!(svg.contains("spring-like idle 192.0 MiB"));
        assert!(
            svg.contains("<title>spring-like peak: 260.10 MiB</title>"),
            "{svg}"
        );
        let caption = &figures(&s, &MemorySeries::new(), None)[0].caption;
        assert!(
            caption.contains(
                "Dashed: thin under load (a process and a socket) and spring-like at idle (the blog's baseline)."
            ),
            "{caption}"
        );
        // Without either, no line and nothing said of one.
        let plain = summary("ramp", vec![stack("axum", 1300, 1536, 2.0)]);
        assert!(
            !memory_per_stack(&plain)
                .unwrap()
                .contains("class=\"reference\"")
        );
        let caption = &figures(&plain, &MemorySeries::new(), None)[0].caption;
        assert!(!caption.contains("Dashed"), "{caption}");
    }
}
