//! The feature ladder section of the report: each rung (`axum@log`, ...) beside its base stack
//! in the same run, so that what one added concern costs reads off one row: memory idle and
//! under load, what it deploys, boot, latency at the last step and CPU per 1000 requests,
//! each as the rung's figure and its difference from the base.

use serde::Serialize;

use super::plots;
use crate::model::{StackSummary, Summary};
use crate::stacks;
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
}

/// The section, when the run measured a rung.
pub fn ladder_view(summary: &Summary) -> Option<LadderView> {
    let rows: Vec<RungRow> = summary
        .stacks
        .iter()
        .enumerate()
        .filter(|(_, s)| stacks::lookup(&s.stack).is_some_and(|st| st.rung().is_some()))
        .map(|(i, rung)| {
            let base_name = stacks::lookup(&rung.stack).map_or("", |s| s.base_name());
            let base = summary.stacks.iter().find(|s| s.stack == base_name);
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
            }
        })
        .collect();
    let scrapes = summary
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
        .collect();
    let spans = summary
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
        .collect();
    (!rows.is_empty()).then_some(LadderView {
        rows,
        scrapes,
        spans,
    })
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
    use crate::report::tests::{stack, summary};
    use crate::report::{MemorySeries, page, render};

    #[test]
    fn a_metrics_rungs_scrapes_have_a_line_per_repeat() {
        let mut rung = stack("go@metrics", 2048, 3072, 3.0);
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
        let mut rung = stack("axum@tracing-10", 2048, 3072, 3.0);
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
        let mut rung = stack("axum@log", 2048, 3072, 3.0);
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
    fn no_rung_no_section_and_a_rung_alone_has_no_difference() {
        let s = summary("ramp", vec![stack("axum", 1024, 2048, 2.5)]);
        assert!(ladder_view(&s).is_none());
        let s = summary("ladder", vec![stack("go@log", 1024, 2048, 2.5)]);
        let row = &ladder_view(&s).unwrap().rows[0];
        assert_eq!((row.base.as_str(), row.idle.as_str()), ("-", "1.0"));
    }
}
