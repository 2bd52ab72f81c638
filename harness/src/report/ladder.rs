//! The feature ladder section of the report: each rung (`axum@log`, ...) beside its base stack
//! in the same run, so that what one added concern costs reads off one row: memory idle and
//! under load, what it deploys, boot, latency at the last step and CPU per 1000 requests,
//! each as the rung's figure and its difference from the base.

use serde::Serialize;

use super::figure::Figure;
use super::plots::{self, Axis, Key, Line, Marker, Point, Scale, Series, XAxis};
use crate::model::{StackSummary, Summary};
use crate::table::sig3;

/// The ladder section.
#[derive(Debug, Serialize)]
pub struct LadderView {
    /// One row per rung the run measured.
    pub rows: Vec<RungRow>,
    /// One row per repeat of a `metrics` rung: what the run's Prometheus recorded.
    pub scrapes: Vec<ScrapeLine>,
    /// One row per repeat of a `tracing` rung: what the run's OTLP receiver got.
    pub spans: Vec<SpanLine>,
    /// One figure per metric: the rungs along x, a line per stack.
    pub figures: Vec<Figure>,
    /// Whether the run searched for capacity (the table then has its column).
    pub capacity: bool,
}

/// What the OTLP receiver got from one repeat of a `tracing` rung.
#[derive(Debug, Serialize)]
pub struct SpanLine {
    /// The rung.
    pub name: String,
    /// Its colour.
    pub colour: String,
    /// The repeat.
    pub repeat: u32,
    /// The share the rung keeps, percent.
    pub ratio: String,
    /// Account requests served.
    pub requests: u64,
    /// Account spans received.
    pub spans: u64,
    /// Their share, percent.
    pub kept: String,
    /// Whether it agrees with the ratio.
    pub agrees: bool,
    /// Exports and their bytes per span.
    pub exports: u64,
    /// Bytes per span exported.
    pub bytes_per_span: String,
}

/// What Prometheus recorded of one repeat of a `metrics` rung.
#[derive(Debug, Serialize)]
pub struct ScrapeLine {
    /// The rung.
    pub name: String,
    /// Its colour.
    pub colour: String,
    /// The repeat.
    pub repeat: u32,
    /// Successful scrapes, `up` as Prometheus counts it.
    pub up: u32,
    /// All scrapes.
    pub scrapes: u32,
    /// Median scrape, ms.
    pub median: String,
    /// Longest scrape, ms.
    pub longest: String,
    /// Samples in the last good scrape.
    pub samples: String,
    /// What scraped, or why the scrapes could not be read.
    pub server: String,
}

/// A rung beside its base.
#[derive(Debug, Serialize)]
pub struct RungRow {
    /// The rung's row (`axum@log`).
    pub name: String,
    /// Its colour.
    pub colour: String,
    /// The base stack, `-` when the run did not measure it.
    pub base: String,
    /// Idle memory, MiB, and the difference from the base.
    pub idle: String,
    /// Memory under load, MiB.
    pub load: String,
    /// What it deploys (the image on a container backend, else the binary), MB.
    pub size: String,
    /// Boot, ms (median).
    pub boot: String,
    /// p50 and p99 of seeded ids in the last step, µs.
    pub p50: String,
    /// The same for p99.
    pub p99: String,
    /// CPU per 1000 requests, ms.
    pub cpu: String,
    /// Memory's drift through the last step, KiB per minute.
    pub drift: String,
    /// Capacity per core at the latency objective, requests per second, when the run searched
    /// for it (`≥` when the search stopped before the service's limit).
    pub capacity: String,
}

/// The section, when the run measured a rung.
pub fn ladder_view(summary: &Summary) -> Option<LadderView> {
    let rows = rung_rows(summary);
    let capacity = rows.iter().any(|r| r.capacity != "-");
    (!rows.is_empty()).then(|| LadderView {
        capacity,
        rows,
        scrapes: scrape_lines(summary),
        spans: span_lines(summary),
        figures: figures(summary),
    })
}

/// One row per rung of the run, beside its base when the run measured it.
fn rung_rows(summary: &Summary) -> Vec<RungRow> {
    summary
        .stacks
        .iter()
        .enumerate()
        .filter(|(_, s)| s.rung.is_some())
        .map(|(i, rung)| {
            let base = summary
                .stacks
                .iter()
                .find(|s| Some(&s.stack) == rung.base.as_ref());
            rung_row(i, rung, base)
        })
        .collect()
}

/// The rung at index `i` of the run beside `base`: each figure, and its difference from the
/// base's.
fn rung_row(i: usize, rung: &StackSummary, base: Option<&StackSummary>) -> RungRow {
    let pair = |f: &dyn Fn(&StackSummary) -> Option<f64>, digits: fn(f64) -> String| match (
        f(rung),
        base.and_then(f),
    ) {
        (Some(mine), Some(theirs)) => {
            let delta = mine - theirs;
            let sign = if delta >= 0.0 { "+" } else { "-" };
            format!("{} ({sign}{})", digits(mine), digits(delta.abs()))
        }
        (Some(mine), None) => digits(mine),
        (None, _) => "-".to_owned(),
    };
    let mib = |kb: Option<u64>| kb.map(|kb| kb as f64 / 1024.0);
    RungRow {
        name: rung.stack.clone(),
        colour: plots::css_colour(i),
        base: base.map_or("-".to_owned(), |b| b.stack.clone()),
        idle: pair(&|s| mib(s.idle_kb), |x| format!("{x:.1}")),
        load: pair(&|s| mib(s.load_kb), |x| format!("{x:.1}")),
        size: pair(&deployed_mb, |x| format!("{x:.2}")),
        boot: pair(&|s| s.boot_ms.as_ref().map(|b| b.median), sig3),
        p50: pair(&|s| s.p50_us.map(|u| u as f64), |x| format!("{x:.0}")),
        p99: pair(&|s| s.p99_us.map(|u| u as f64), |x| format!("{x:.0}")),
        cpu: pair(&|s| s.cpu_ms_per_1000, sig3),
        drift: pair(&|s| s.drift_kb_per_min, |x| format!("{x:.0}")),
        capacity: match rung.capacity.as_ref() {
            Some(c) if c.at_least => format!("≥ {}", pair(&rps_per_core, sig3)),
            _ => pair(&rps_per_core, sig3),
        },
    }
}

/// One line per repeat that Prometheus scraped (a `metrics` rung's).
fn scrape_lines(summary: &Summary) -> Vec<ScrapeLine> {
    summary
        .stacks
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.runs.iter().filter_map(move |run| {
                let scraped = run.scrapes.as_ref()?;
                let ms = |v: Option<f64>| v.map_or("-".to_owned(), sig3);
                Some(ScrapeLine {
                    name: s.stack.clone(),
                    colour: plots::css_colour(i),
                    repeat: run.repeat,
                    up: scraped.up,
                    scrapes: scraped.scrapes,
                    median: ms(scraped.duration_ms_median),
                    longest: ms(scraped.duration_ms_max),
                    samples: scraped.samples.map_or("-".to_owned(), |n| n.to_string()),
                    server: match &scraped.failure {
                        Some(why) => format!("not read back: {why}"),
                        None => format!("{}, every {} s", scraped.server, scraped.interval_s),
                    },
                })
            })
        })
        .collect()
}

/// One line per repeat whose spans the OTLP receiver got (a `tracing` rung's).
fn span_lines(summary: &Summary) -> Vec<SpanLine> {
    summary
        .stacks
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.runs.iter().filter_map(move |run| {
                let got = run.spans.as_ref()?;
                Some(SpanLine {
                    name: s.stack.clone(),
                    colour: plots::css_colour(i),
                    repeat: run.repeat,
                    ratio: format!("{}", got.ratio * 100.0),
                    requests: got.account_requests,
                    spans: got.account_spans,
                    kept: got
                        .kept
                        .map_or("-".to_owned(), |k| format!("{:.1}", k * 100.0)),
                    agrees: got.agrees,
                    exports: got.exports,
                    bytes_per_span: if got.spans > 0 {
                        format!("{:.0}", got.bytes as f64 / got.spans as f64)
                    } else {
                        "-".to_owned()
                    },
                })
            })
        })
        .collect()
}

/// The rungs in the order a stack climbs them; the figures' x axis keeps those the run has.
const RUNG_ORDER: [&str; 6] = ["base", "log", "metrics", "tracing", "tracing-10", "all"];

/// One metric of the ladder's figures: where it is, what it is, and how to read it off a row.
struct Metric {
    id: &'static str,
    title: &'static str,
    axis: &'static str,
    unit: &'static str,
    caption: &'static str,
    value: fn(&StackSummary) -> Option<f64>,
}

const METRICS: [Metric; 6] = [
    Metric {
        id: "ladder-load",
        title: "Memory under load, per rung",
        axis: "MiB (log scale)",
        unit: "MiB",
        caption: "Median memory under load of each stack (a line) at each rung it has (x), MiB, log scale.",
        value: |s| s.load_kb.map(|kb| kb as f64 / 1024.0),
    },
    Metric {
        id: "ladder-idle",
        title: "Idle memory, per rung",
        axis: "MiB (log scale)",
        unit: "MiB",
        caption: "Memory before the load, MiB, log scale: what the concern holds before any request (a metrics registry, an exporter's threads and buffers).",
        value: |s| s.idle_kb.map(|kb| kb as f64 / 1024.0),
    },
    Metric {
        id: "ladder-cpu",
        title: "CPU per 1000 requests, per rung",
        axis: "ms of CPU per 1000 requests (log scale)",
        unit: "ms",
        caption: "The service's CPU time over every measured step divided by the requests it answered, ms per 1000, log scale: the cost of the concern on every request.",
        value: |s| s.cpu_ms_per_1000,
    },
    Metric {
        id: "ladder-p99",
        title: "p99 at the last step, per rung",
        axis: "µs (log scale)",
        unit: "µs",
        caption: "p99 of seeded ids in the last step, from each request's send, µs, log scale.",
        value: |s| s.p99_us.map(|us| us as f64),
    },
    Metric {
        id: "ladder-size",
        title: "What each rung deploys",
        axis: "MB (log scale)",
        unit: "MB",
        caption: "The image on a container backend, else the binary (or the jars), MB, log scale: the libraries the concern brings.",
        value: deployed_mb,
    },
    Metric {
        id: "ladder-boot",
        title: "Boot, per rung",
        axis: "ms (log scale)",
        unit: "ms",
        caption: "Median boot, from the start to the first answer, ms, log scale.",
        value: |s| s.boot_ms.as_ref().map(|b| b.median),
    },
];

/// One figure per metric: the rungs the run measured along x, a line per stack that has a
/// rung, in the colour of the stack's first row.
fn figures(summary: &Summary) -> Vec<Figure> {
    // Each row's index in the run (its colour), base stack and rung.
    let climbed: Vec<(usize, &str, &str)> = summary
        .stacks
        .iter()
        .enumerate()
        .filter_map(|(i, s)| rung_of(s).map(|(base, rung)| (i, base, rung)))
        .collect();
    let names: Vec<&str> = RUNG_ORDER
        .into_iter()
        .filter(|rung| climbed.iter().any(|(_, _, r)| r == rung))
        .collect();
    // A line per stack with a rung in the run, in the colour of the stack's first row.
    let mut lines: Vec<(&str, usize)> = Vec::new();
    for (_, base, rung) in &climbed {
        if *rung != "base" && !lines.iter().any(|(b, _)| b == base) {
            let first = climbed
                .iter()
                .find(|(_, b, _)| b == base)
                .map_or(0, |(i, _, _)| *i);
            lines.push((base, first));
        }
    }
    lines.sort_by_key(|(_, first)| *first);
    METRICS
        .iter()
        .map(|metric| {
            let series = lines
                .iter()
                .map(|(base, first)| {
                    let mut line =
                        Series::new(*base, plots::css_colour(*first), Line::Solid, Marker::Dot);
                    let base_value = summary
                        .stacks
                        .iter()
                        .find(|s| s.stack == *base)
                        .and_then(metric.value);
                    for (x, rung) in names.iter().enumerate() {
                        let Some(row) = summary
                            .stacks
                            .iter()
                            .find(|s| rung_of(s) == Some((base, rung)))
                        else {
                            continue;
                        };
                        let Some(v) = (metric.value)(row).filter(|v| *v > 0.0) else {
                            continue;
                        };
                        let over = match base_value {
                            Some(b) if *rung != "base" => {
                                format!(" ({} over {base})", signed(v - b))
                            }
                            _ => String::new(),
                        };
                        line.points.push(Point::new(
                            x as f64,
                            v,
                            format!("{}: {} {}{over}", row.stack, sig3(v), metric.unit),
                        ));
                    }
                    line
                })
                .filter(|line| !line.points.is_empty())
                .collect();
            let legend = lines
                .iter()
                .map(|(base, first)| Key::colour(*base, plots::css_colour(*first)))
                .collect();
            let x = XAxis::Categories {
                names: names.iter().map(|n| (*n).to_owned()).collect(),
                groups: Vec::new(),
            };
            Figure::new(
                metric.id,
                metric.title,
                format!(
                    "{} Hover a point for the figure and its difference from the base.",
                    metric.caption
                ),
                plots::line_chart(
                    metric.title,
                    x,
                    Axis::new(metric.axis, Scale::Log),
                    series,
                    legend,
                ),
            )
        })
        .collect()
}

/// A row's base stack and its rung on the ladder: `base` for a stack itself; `None` for a
/// landscape variant, which is on no ladder.
fn rung_of(s: &StackSummary) -> Option<(&str, &str)> {
    match (&s.base, &s.rung) {
        (Some(base), Some(rung)) => Some((base, rung)),
        (None, _) => Some((&s.stack, "base")),
        (Some(_), None) => None,
    }
}

/// A difference in three significant figures, with its sign.
fn signed(delta: f64) -> String {
    let sign = if delta >= 0.0 { "+" } else { "-" };
    format!("{sign}{}", sig3(delta.abs()))
}

/// Requests per second per core at the latency objective, from a capacity search.
fn rps_per_core(stack: &StackSummary) -> Option<f64> {
    let capacity = stack.capacity.as_ref()?;
    capacity.rps_per_core.as_ref().map(|e| e.median)
}

/// What a stack deploys, MB: its image where it had one, else its binary or jars.
fn deployed_mb(stack: &StackSummary) -> Option<f64> {
    stack
        .image
        .as_ref()
        .map(|i| i.bytes)
        .or(stack.binary_bytes)
        .map(|b| b as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{built_on, stack, summary};
    use crate::report::{MemorySeries, page, render};

    #[test]
    fn a_metrics_rungs_scrapes_have_a_line_per_repeat() {
        let mut rung = built_on(stack("go@metrics", 2048, 3072, 3.0), "go", Some("metrics"));
        rung.runs[0].scrapes = Some(crate::model::ScrapeRun {
            server: "prometheus, version 2.42.0".into(),
            interval_s: 1.0,
            scrapes: 31,
            up: 30,
            duration_ms_median: Some(1.234),
            duration_ms_max: Some(4.5),
            samples: Some(40),
            failure: None,
        });
        let s = summary("ladder", vec![stack("go", 1024, 2048, 2.5), rung]);
        let view = ladder_view(&s).unwrap();
        let line = &view.scrapes[0];
        assert_eq!((line.up, line.scrapes), (30, 31));
        assert_eq!(
            (
                line.median.as_str(),
                line.longest.as_str(),
                line.samples.as_str()
            ),
            ("1.23", "4.5", "40")
        );
        let mut page = page(&s, None, &MemorySeries::new(), ".");
        page.ladder = Some(view);
        let html = render("report.html", &page).unwrap();
        assert!(html.contains("Prometheus's scrapes"), "the scrapes table");
        assert!(html.contains("<td class=\"num\">30 / 31</td>"), "{html}");
    }

    #[test]
    fn a_tracing_rungs_spans_are_set_against_its_requests() {
        let mut rung = built_on(
            stack("axum@tracing-10", 2048, 3072, 3.0),
            "axum",
            Some("tracing-10"),
        );
        rung.runs[0].spans = Some(crate::aggregate::span_run(0.1, 4, 130, 98, 1000, 26_000, 0));
        let s = summary("ladder", vec![stack("axum", 1024, 2048, 2.5), rung]);
        let view = ladder_view(&s).unwrap();
        let line = &view.spans[0];
        assert_eq!((line.ratio.as_str(), line.kept.as_str()), ("10", "9.8"));
        assert_eq!((line.requests, line.spans, line.agrees), (1000, 98, true));
        assert_eq!(line.bytes_per_span, "200");
        let mut page = page(&s, None, &MemorySeries::new(), ".");
        page.ladder = Some(view);
        let html = render("report.html", &page).unwrap();
        assert!(
            html.contains("Spans the OTLP receiver got"),
            "the spans table"
        );
    }

    #[test]
    fn a_rung_is_set_beside_its_base_with_the_difference() {
        let mut rung = built_on(stack("axum@log", 2048, 3072, 3.0), "axum", Some("log"));
        rung.cpu_ms_per_1000 = Some(55.0);
        rung.p50_us = Some(140);
        let mut base = stack("axum", 1024, 2048, 2.5);
        base.p50_us = Some(100);
        let s = summary("ladder", vec![base, rung, stack("go", 4096, 8192, 2.0)]);
        let view = ladder_view(&s).unwrap();
        assert_eq!(view.rows.len(), 1, "one row per rung, none for a stack");
        assert!(view.scrapes.is_empty(), "no metrics rung, no scrapes");
        assert!(view.spans.is_empty(), "no tracing rung, no spans");
        let row = &view.rows[0];
        assert_eq!((row.name.as_str(), row.base.as_str()), ("axum@log", "axum"));
        assert_eq!(row.idle, "2.0 (+1.0)");
        assert_eq!(row.load, "3.0 (+1.0)");
        assert_eq!(row.cpu, "55 (+15)");
        assert_eq!(row.p50, "140 (+40)");
        let mut page = page(&s, None, &MemorySeries::new(), ".");
        page.ladder = Some(view);
        let html = render("report.html", &page).unwrap();
        assert!(html.contains("Feature ladder: what each added concern costs"));
        assert!(html.contains("2.0 (+1.0)"));
    }

    #[test]
    fn one_figure_per_metric_with_the_rungs_along_x_and_a_line_per_stack() {
        let s = summary(
            "ladder",
            vec![
                stack("axum", 1024, 2048, 2.5),
                built_on(stack("axum@log", 1024, 3072, 2.5), "axum", Some("log")),
                built_on(
                    stack("axum@tracing", 1024, 5120, 2.5),
                    "axum",
                    Some("tracing"),
                ),
                stack("go", 4096, 8192, 2.0),
                built_on(stack("go@log", 4096, 9216, 2.0), "go", Some("log")),
                stack("thin", 512, 1024, 1.0),
            ],
        );
        let view = ladder_view(&s).unwrap();
        let ids: Vec<&str> = view.figures.iter().map(|f| f.id).collect();
        assert_eq!(
            ids,
            [
                "ladder-load",
                "ladder-idle",
                "ladder-cpu",
                "ladder-p99",
                "ladder-size",
                "ladder-boot"
            ]
        );
        let load = view.figures[0].svg.as_deref().expect("drawn");
        for rung in [">base<", ">log<", ">tracing<"] {
            assert!(load.contains(rung), "x has {rung}: {load}");
        }
        assert!(
            !load.contains(">metrics<"),
            "no metrics rung, no place for it"
        );
        assert!(
            load.contains("axum@tracing: 5 MiB (+3 over axum)"),
            "{load}"
        );
        assert!(load.contains("go@log: 9 MiB (+1 over go)"), "{load}");
        assert!(!load.contains("thin"), "a stack without rungs has no line");
        let mut page = page(&s, None, &MemorySeries::new(), ".");
        page.ladder = Some(view);
        let html = render("report.html", &page).unwrap();
        assert!(html.contains("id=\"figure-ladder-cpu\""));
    }

    #[test]
    fn no_rung_no_section_and_a_rung_alone_has_no_difference() {
        let s = summary("ramp", vec![stack("axum", 1024, 2048, 2.5)]);
        assert!(ladder_view(&s).is_none());
        let s = summary(
            "ladder",
            vec![built_on(
                stack("go@log", 1024, 2048, 2.5),
                "go",
                Some("log"),
            )],
        );
        let row = &ladder_view(&s).unwrap().rows[0];
        assert_eq!((row.base.as_str(), row.idle.as_str()), ("-", "1.0"));
    }
}
