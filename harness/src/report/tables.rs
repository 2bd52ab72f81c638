//! The report's tables: the stacks grouped Rust, Go, JVM, each figure a [`Cell`] (the median,
//! its spread on a second line and on hover, a sort key), one size column per backend, the
//! steps, and the noisy figures summed up once.

use serde::Serialize;

use super::plots;
use crate::model::{Estimates, Family, StackSummary, StepEstimate, Summary};
use crate::stats::{Estimate, Spread};

/// The run's stacks grouped by family (Rust, Go, JVM, then any other; the run's order within a
/// group), each with its index in the run (its colour).
pub fn grouped(summary: &Summary) -> Vec<(usize, &StackSummary)> {
    let mut stacks: Vec<(usize, &StackSummary)> = summary.stacks.iter().enumerate().collect();
    stacks.sort_by_key(|(_, s)| s.family);
    stacks
}

/// What a stack deploys, as its backend counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedSize {
    /// Bytes.
    pub bytes: u64,
    /// Whether it is the whole of it (a JVM stack whose run did not record its JDK is not).
    pub complete: bool,
    /// What it counts, in words.
    pub what: &'static str,
}

/// The one size of a stack: its image on the container backends; else the static binary, or
/// the JDK and the jars for the JVM stacks.
pub fn deployed_size(s: &StackSummary, containers: bool) -> Option<DeployedSize> {
    if containers {
        return s.image.as_ref().map(|i| DeployedSize {
            bytes: i.bytes,
            complete: true,
            what: "the whole image, runtime included",
        });
    }
    let binary = s.binary_bytes?;
    Some(match (s.runtime_bytes, s.family) {
        (Some(runtime), _) => DeployedSize {
            bytes: binary + runtime,
            complete: true,
            what: "the JDK and the jars",
        },
        (None, Family::Jvm) => DeployedSize {
            bytes: binary,
            complete: false,
            what: "the jars only: this run did not record the JDK's size",
        },
        (None, _) => DeployedSize {
            bytes: binary,
            complete: true,
            what: "the static binary",
        },
    })
}

/// A figure in a table: the median (with `*` when noisy), its spread for a second, muted line,
/// the sort key, and what hovering says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// The median, or `-`.
    pub text: String,
    /// The spread: `lo–hi`, with what it is.
    pub spread: Option<String>,
    /// The value sorted on; `None` sorts last.
    pub sort: Option<f64>,
    /// What the figure is made of.
    pub title: Option<String>,
}

impl Cell {
    /// No figure.
    pub fn missing() -> Self {
        Self {
            text: "-".to_owned(),
            spread: None,
            sort: None,
            title: None,
        }
    }

    /// One value.
    pub fn value(v: f64, decimals: usize) -> Self {
        Self {
            text: format!("{v:.decimals$}"),
            spread: None,
            sort: Some(v),
            title: None,
        }
    }

    /// A figure over repeats, times `scale`: the median, and beneath it the 95 % interval for
    /// the median or, with fewer repeats, min to max.
    pub fn estimate(e: &Estimate, scale: f64, decimals: usize, over: &str) -> Self {
        let v = |x: f64| format!("{:.decimals$}", x * scale);
        let mut text = v(e.median);
        if e.noisy {
            text.push('*');
        }
        let (spread, title) = if e.n < 2 {
            (None, None)
        } else if let Some(ci) = e.ci95 {
            (
                Some(format!("[{}–{}]", v(ci.low), v(ci.high))),
                Some(format!(
                    "median of {} {over}; 95 % confidence interval for the median {}–{}; min {}, max {}",
                    e.n,
                    v(ci.low),
                    v(ci.high),
                    v(e.min),
                    v(e.max)
                )),
            )
        } else {
            (
                Some(format!("({}–{})", v(e.min), v(e.max))),
                Some(format!(
                    "median of {} {over}; min {}, max {} (too few for a 95 % interval)",
                    e.n,
                    v(e.min),
                    v(e.max)
                )),
            )
        };
        let title = match (title, e.noisy, e.cv) {
            (Some(t), true, Some(cv)) => Some(format!(
                "{t}; * noisy: the repeats vary by {:.0} % (coefficient of variation)",
                cv * 100.0
            )),
            (t, _, _) => t,
        };
        Self {
            text,
            spread,
            sort: Some(e.median * scale),
            title,
        }
    }

    /// The spread of cold starts (or repeats), when there is no estimate.
    fn spread(s: &Spread, decimals: usize, over: &str) -> Self {
        let v = |x: f64| format!("{x:.decimals$}");
        Self {
            text: v(s.median),
            spread: (s.n > 1).then(|| format!("({}–{})", v(s.min), v(s.max))),
            sort: Some(s.median),
            title: (s.n > 1).then(|| format!("median of {} {over}", s.n)),
        }
    }
}

/// The estimate of a stack's figure, or its plain value.
fn figure(
    s: &StackSummary,
    pick: fn(&Estimates) -> Option<&Estimate>,
    plain: Option<f64>,
    scale: f64,
    decimals: usize,
) -> Cell {
    match s.estimates.as_ref().and_then(pick) {
        Some(e) => Cell::estimate(e, scale, decimals, "repeats"),
        None => plain.map_or_else(Cell::missing, |v| Cell::value(v * scale, decimals)),
    }
}

/// A group of stacks in the tables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// Rust, Go, JVM.
    pub name: &'static str,
    /// Its stacks.
    pub rows: Vec<StackRow>,
}

/// One stack in the report's table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackRow {
    /// Name.
    pub name: String,
    /// Its colour in every figure.
    pub colour: String,
    /// `ok`, `skipped`, `failed`, `partial`, `not run`.
    pub status: String,
    /// Why it was skipped or failed.
    pub reason: Option<String>,
    /// Idle memory, MiB.
    pub idle: Cell,
    /// Memory under load, MiB.
    pub load: Cell,
    /// Peak memory, MiB.
    pub peak: Cell,
    /// Boot, ms, over every cold start.
    pub boot: Cell,
    /// The service's own boot time, ms.
    pub self_boot: Cell,
    /// p50 of seeded ids in the last step, µs.
    pub p50: Cell,
    /// p99 of seeded ids in the last step, µs.
    pub p99: Cell,
    /// Achieved rps in the last step.
    pub rps: Cell,
    /// Service CPU per 1000 requests, ms.
    pub cpu: Cell,
    /// Its one size (see [`deployed_size`]), MiB.
    pub size: Cell,
    /// Boot from its container's start, ms (container backends).
    pub container_boot: Cell,
    /// How it was started.
    pub command: Option<String>,
}

/// The stacks table, grouped.
pub fn stack_groups(summary: &Summary, containers: bool) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (i, s) in grouped(summary) {
        let row = stack_row(i, s, containers);
        let name = s.family.word();
        match groups.last_mut() {
            Some(g) if g.name == name => g.rows.push(row),
            _ => groups.push(Group {
                name,
                rows: vec![row],
            }),
        }
    }
    groups
}

fn stack_row(i: usize, s: &StackSummary, containers: bool) -> StackRow {
    let to_mib = 1.0 / 1024.0;
    let kb = |v: Option<u64>| v.map(|v| v as f64);
    let last = s.estimates.as_ref().and_then(|e| e.steps.last());
    let step = |pick: fn(&StepEstimate) -> Option<&Estimate>, plain: Option<f64>| match last
        .and_then(pick)
    {
        Some(e) => Cell::estimate(e, 1.0, 0, "repeats"),
        None => plain.map_or_else(Cell::missing, |v| Cell::value(v, 0)),
    };
    let boot = match s.estimates.as_ref().and_then(|e| e.boot_ms.as_ref()) {
        Some(e) => Cell::estimate(e, 1.0, 1, "cold starts"),
        None => s
            .boot_ms
            .map_or_else(Cell::missing, |b| Cell::spread(&b, 1, "cold starts")),
    };
    let size = deployed_size(s, containers).map_or_else(Cell::missing, |d| {
        let v = d.bytes as f64 / (1024.0 * 1024.0);
        Cell {
            text: format!("{v:.1}"),
            spread: (!d.complete).then(|| "jars only".to_owned()),
            sort: Some(v),
            title: Some(format!("{}: {} bytes", d.what, d.bytes)),
        }
    });
    StackRow {
        name: s.stack.clone(),
        colour: plots::css_colour(i),
        status: s.status.word().to_owned(),
        reason: s.reason.clone(),
        idle: figure(s, |e| e.idle_kb.as_ref(), kb(s.idle_kb), to_mib, 1),
        load: figure(s, |e| e.load_kb.as_ref(), kb(s.load_kb), to_mib, 1),
        peak: figure(s, |e| e.peak_kb.as_ref(), kb(s.peak_kb), to_mib, 1),
        boot,
        self_boot: s
            .self_boot_ms
            .map_or_else(Cell::missing, |b| Cell::spread(&b, 2, "cold starts")),
        p50: step(|e| e.p50_us.as_ref(), s.p50_us.map(|v| v as f64)),
        p99: step(|e| e.p99_us.as_ref(), s.p99_us.map(|v| v as f64)),
        rps: step(|e| e.achieved_rps.as_ref(), s.achieved_rps),
        cpu: figure(s, |e| e.cpu_ms_per_1000.as_ref(), s.cpu_ms_per_1000, 1.0, 1),
        size,
        container_boot: s
            .container_boot_ms
            .map_or_else(Cell::missing, |b| Cell::spread(&b, 1, "cold starts")),
        command: s.command.clone(),
    }
}

/// A stack's noisy figures, and what the run can tell about why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Noise {
    /// The stack.
    pub stack: String,
    /// Its colour.
    pub colour: String,
    /// The figures whose repeats disagree.
    pub figures: Vec<String>,
    /// The likely causes the run recorded; empty when it saw none.
    pub causes: Vec<String>,
}

/// Every stack with a noisy figure, in the tables' order.
pub fn noise(summary: &Summary) -> Vec<Noise> {
    grouped(summary)
        .into_iter()
        .filter_map(|(i, s)| {
            let e = s.estimates.as_ref()?;
            (!e.noisy.is_empty()).then(|| Noise {
                stack: s.stack.clone(),
                colour: plots::css_colour(i),
                figures: e.noisy.clone(),
                causes: e.causes.clone(),
            })
        })
        .collect()
}

/// One measured step of one stack.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRow {
    /// Stack.
    pub stack: String,
    /// Its colour.
    pub colour: String,
    /// Step name.
    pub step: String,
    /// Its position among the steps (to sort by).
    pub order: usize,
    /// Users.
    pub users: usize,
    /// Target rps, or `unthrottled`.
    pub target: Cell,
    /// Achieved rps: the first repeat's, over the repeats beneath.
    pub achieved: Cell,
    /// Percentiles of seeded ids, µs: the first repeat's, p50 and p99 over the repeats beneath.
    pub p50: Cell,
    /// 90th.
    pub p90: u64,
    /// 99th.
    pub p99: Cell,
    /// 99.9th.
    pub p999: u64,
    /// Slowest.
    pub max: u64,
    /// Requests not answered as the contract says.
    pub errors: u64,
    /// The load generator was saturated.
    pub load_generator_bound: bool,
    /// The load generator fell behind its own schedule (constant-rate).
    pub generator_late: bool,
    /// Constant-rate steps: p50 / p99 counted from when each request was due (corrected for
    /// coordinated omission), beside the raw figures counted from when it was sent.
    pub intended: Option<String>,
}

/// Every measured step of every stack's first repeat, the stacks grouped.
pub fn step_rows(summary: &Summary) -> Vec<StepRow> {
    let mut rows = Vec::new();
    for (i, s) in grouped(summary) {
        let Some(run) = s.runs.first() else { continue };
        for (order, st) in run.steps.iter().filter(|st| !st.warmup).enumerate() {
            let Some(seeded) = st.kinds.iter().find(|k| k.kind == "seeded") else {
                continue;
            };
            let over = s
                .estimates
                .as_ref()
                .and_then(|e| e.steps.iter().find(|e| e.name == st.name));
            let with_repeats = |first: f64, pick: fn(&StepEstimate) -> Option<&Estimate>| {
                let mut cell = Cell::value(first, 0);
                if let Some(e) = over.and_then(pick).filter(|e| e.n > 1) {
                    let all = Cell::estimate(e, 1.0, 0, "repeats");
                    cell.spread = Some(format!("{} {}", all.text, all.spread.unwrap_or_default()));
                    cell.title = all
                        .title
                        .map(|t| format!("first repeat; over the repeats: {t}"));
                    if e.noisy {
                        cell.text.push('*');
                    }
                }
                cell
            };
            rows.push(StepRow {
                stack: s.stack.clone(),
                colour: plots::css_colour(i),
                step: st.name.clone(),
                order,
                users: st.users,
                target: st.target_rps.map_or(
                    Cell {
                        text: "unthrottled".to_owned(),
                        ..Cell::missing()
                    },
                    |t| Cell::value(f64::from(t), 0),
                ),
                achieved: with_repeats(st.achieved_rps, |e| e.achieved_rps.as_ref()),
                p50: with_repeats(seeded.p50_us as f64, |e| e.p50_us.as_ref()),
                p90: seeded.p90_us,
                p99: with_repeats(seeded.p99_us as f64, |e| e.p99_us.as_ref()),
                p999: seeded.p999_us,
                max: seeded.max_us,
                errors: st.errors,
                load_generator_bound: st.load_generator_bound,
                generator_late: st.generator_late,
                intended: seeded
                    .intended
                    .map(|p| format!("{} / {}", p.p50_us, p.p99_us)),
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ImageRecord;
    use crate::report::tests::{built_on, of, stack, summary};

    #[test]
    fn stacks_are_grouped_by_family_keeping_their_colours() {
        let s = summary(
            "ramp",
            vec![
                of(Family::Jvm, stack("jvm-plain", 40_000, 50_000, 200.0)),
                of(Family::Go, stack("go", 6000, 8000, 5.0)),
                stack("mystery", 6000, 8000, 5.0),
                of(Family::Rust, stack("thin", 1300, 1500, 2.0)),
                of(Family::Rust, stack("axum", 1700, 2000, 3.0)),
                built_on(
                    of(Family::Rust, stack("axum+quotes", 1900, 2200, 3.0)),
                    "axum",
                    None,
                ),
            ],
        );
        let groups = stack_groups(&s, false);
        let names: Vec<(&str, Vec<&str>)> = groups
            .iter()
            .map(|g| (g.name, g.rows.iter().map(|r| r.name.as_str()).collect()))
            .collect();
        assert_eq!(
            names,
            [
                ("Rust", vec!["thin", "axum", "axum+quotes"]),
                ("Go", vec!["go"]),
                ("JVM", vec!["jvm-plain"]),
                ("Other", vec!["mystery"])
            ],
            "a variant sits with its base's family"
        );
        assert_eq!(
            groups[0].rows[0].colour,
            plots::css_colour(3),
            "thin keeps its colour"
        );
    }

    #[test]
    fn one_size_per_backend_with_the_jdk_counted() {
        let mut jvm = of(Family::Jvm, stack("jvm-plain", 40_000, 50_000, 200.0));
        jvm.binary_bytes = Some(20 << 10);
        let jars = deployed_size(&jvm, false).unwrap();
        assert!(!jars.complete && jars.what.contains("did not record"));
        jvm.runtime_bytes = Some(300 << 20);
        let whole = deployed_size(&jvm, false).unwrap();
        assert_eq!(whole.bytes, (300 << 20) + (20 << 10));
        assert!(whole.complete && whole.what.contains("JDK"));
        jvm.image = Some(ImageRecord {
            tag: "t".into(),
            bytes: 60 << 20,
            build_ms: 1.0,
            modules: Vec::new(),
        });
        assert_eq!(deployed_size(&jvm, true).unwrap().bytes, 60 << 20);
        let mut thin = of(Family::Rust, stack("thin", 1, 1, 1.0));
        thin.binary_bytes = Some(1 << 20);
        assert_eq!(
            deployed_size(&thin, false).unwrap().what,
            "the static binary"
        );
        let row = stack_row(0, &jvm, false);
        assert_eq!(row.size.text, "300.0");
    }

    #[test]
    fn a_cell_shows_the_median_and_its_spread_beneath() {
        let e = crate::stats::estimate(&[10.0, 12.0, 20.0]).unwrap();
        let cell = Cell::estimate(&e, 1.0, 1, "repeats");
        assert_eq!(cell.text, "12.0*", "noisy keeps its star");
        assert_eq!(cell.spread.as_deref(), Some("(10.0–20.0)"));
        assert_eq!(cell.sort, Some(12.0));
        let title = cell.title.unwrap();
        assert!(
            title.starts_with("median of 3 repeats; min 10.0, max 20.0"),
            "{title}"
        );
        assert!(title.contains("* noisy"), "{title}");
        let many = crate::stats::estimate(&[10.0; 7]).unwrap();
        let cell = Cell::estimate(&many, 1.0, 0, "cold starts");
        assert_eq!(cell.spread.as_deref(), Some("[10–10]"));
        let one = crate::stats::estimate(&[3.0]).unwrap();
        assert_eq!(Cell::estimate(&one, 1.0, 0, "repeats").spread, None);
    }
}
