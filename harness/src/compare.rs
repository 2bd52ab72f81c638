//! Two runs side by side: per stack and metric, both values, their ratio, and whether the
//! difference is larger than the noise the runs themselves show across their repeats. The
//! renderers (`crate::render`) show it as a table or a page.

use serde::Serialize;

use crate::aggregate::cpu_per_1000;
use crate::model::{StackRun, StackSummary, Summary};
use crate::stats::median;

/// One metric of one stack in both runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The stack.
    pub stack: String,
    /// The metric's name, with its unit.
    pub metric: &'static str,
    /// Median in run A.
    pub a: Option<f64>,
    /// Median in run B.
    pub b: Option<f64>,
    /// B / A.
    pub ratio: Option<f64>,
    /// The larger relative spread ((max - min) / median) of the two runs' repeats.
    pub noise: Option<f64>,
    /// What the difference means.
    pub verdict: Verdict,
}

/// Whether a difference stands out from the noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Larger than the spread of either run's repeats.
    Changed,
    /// Within that spread.
    WithinNoise,
    /// A run has a single repeat (or start): its noise is unknown.
    NoiseUnknown,
    /// A value is missing in one of the runs.
    Missing,
}

impl Verdict {
    /// The word shown in tables.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Changed => "changed",
            Verdict::WithinNoise => "within noise",
            Verdict::NoiseUnknown => "noise unknown (one repeat)",
            Verdict::Missing => "missing",
        }
    }
}

/// The metrics compared, each read per repeat (or per cold start, for boot time).
type Metric = (&'static str, fn(&StackSummary) -> Vec<f64>);

const METRICS: [Metric; 8] = [
    ("idle memory KiB", |s| {
        per_run(s, |r| r.idle_kb.map(|v| v as f64))
    }),
    ("memory under load KiB", |s| {
        per_run(s, |r| r.load_kb.map(|v| v as f64))
    }),
    ("peak memory KiB", |s| {
        per_run(s, |r| r.peak_kb.map(|v| v as f64))
    }),
    ("boot ms", |s| {
        s.runs
            .iter()
            .flat_map(|r| r.boots.iter().map(|b| b.boot_ms))
            .collect()
    }),
    ("p50 µs (last step)", |s| {
        per_run(s, |r| last_seeded(r, |k| k.p50_us))
    }),
    ("p99 µs (last step)", |s| {
        per_run(s, |r| last_seeded(r, |k| k.p99_us))
    }),
    ("rps (last step)", |s| {
        per_run(s, |r| {
            r.steps
                .iter()
                .rfind(|st| !st.warmup)
                .map(|st| st.achieved_rps)
        })
    }),
    ("CPU ms per 1000 requests", |s| {
        per_run(s, |r| cpu_per_1000(&r.steps))
    }),
];

fn per_run(stack: &StackSummary, pick: impl Fn(&StackRun) -> Option<f64>) -> Vec<f64> {
    stack
        .runs
        .iter()
        .filter(|r| r.failure.is_none())
        .filter_map(pick)
        .collect()
}

fn last_seeded(run: &StackRun, pick: fn(&crate::model::KindResult) -> u64) -> Option<f64> {
    let step = run.steps.iter().rfind(|st| !st.warmup)?;
    step.kinds
        .iter()
        .find(|k| k.kind == "seeded")
        .map(|k| pick(k) as f64)
}

/// Relative spread of repeated values: (max - min) / median; `None` for fewer than two.
pub fn relative_spread(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = median(values)?;
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    (m != 0.0).then(|| (hi - lo) / m.abs())
}

/// Which run a side of a comparison is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRef {
    /// The run's id.
    pub run_id: String,
    /// Its scenario.
    pub scenario: String,
}

impl RunRef {
    fn of(summary: &Summary) -> Self {
        Self {
            run_id: summary.run_id.clone(),
            scenario: summary.scenario.clone(),
        }
    }
}

/// Two runs compared: which they are, and a row per stack and metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Run A.
    pub a: RunRef,
    /// Run B; ratios are B / A.
    pub b: RunRef,
    /// Per stack (in A's order, then B's new ones) and metric.
    pub rows: Vec<Row>,
    /// Why the two runs may not be comparable (another backend, memory counter or
    /// scenario), and what the verdicts rest on; shown above the rows.
    pub warnings: Vec<String>,
}

impl Comparison {
    /// Compares run `a` with run `b`.
    pub fn of(a: &Summary, b: &Summary) -> Self {
        Self {
            a: RunRef::of(a),
            b: RunRef::of(b),
            rows: compare(a, b),
            warnings: warnings(a, b),
        }
    }

    /// Compares each of the feature ladder's rungs in `run` with its base in the same run: A
    /// is the base (`axum`), B the rung (`axum@log`), so B / A is what the concern costs.
    pub fn rungs_of(run: &Summary) -> Self {
        let mut warnings = vec![format!(
            "A is each rung's base stack and B the rung, both from run {}: one machine, backend \
             and scenario, the stacks measured one after the other",
            run.run_id
        )];
        let rows = compare_rungs(run);
        if rows.is_empty() {
            warnings.push(
                "the run has no rung beside its base (run `harness scenario ladder`, or a \
                 scenario with --rungs)"
                    .to_owned(),
            );
        }
        warnings.extend(warnings_of_repeats(run, run));
        Self {
            a: RunRef::of(run),
            b: RunRef::of(run),
            rows,
            warnings,
        }
    }
}

/// Every rung of `run` whose base the run measured too, against that base.
pub fn compare_rungs(run: &Summary) -> Vec<Row> {
    run.stacks
        .iter()
        .filter_map(|rung| {
            rung.rung.as_ref()?;
            let base = run
                .stacks
                .iter()
                .find(|s| Some(&s.stack) == rung.base.as_ref())?;
            Some(metric_rows(
                &format!("{} (A: {})", rung.stack, base.stack),
                Some(base),
                Some(rung),
            ))
        })
        .flatten()
        .collect()
}

/// What a reader must know before trusting the ratios of `a` and `b`: differences in how the
/// two runs measured (backend, memory counter, scenario), and how many repeats the noise, and
/// so every verdict, rests on.
pub fn warnings(a: &Summary, b: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    let mut differs = |what: &str, x: &str, y: &str, why: &str| {
        if x != y {
            out.push(format!("the runs differ in {what} (A: {x}, B: {y}): {why}"));
        }
    };
    differs(
        "backend",
        &a.backend,
        &b.backend,
        "memory, boot and CPU are measured differently on each, so a ratio mixes the stack with the backend",
    );
    differs(
        "memory counter",
        &a.memory_counter,
        &b.memory_counter,
        "memory ratios compare two different counters",
    );
    differs(
        "scenario",
        &a.scenario,
        &b.scenario,
        "latency, throughput and memory under load come from different load",
    );
    out.extend(warnings_of_repeats(a, b));
    out
}

/// How many repeats the noise, and so every verdict, rests on.
fn warnings_of_repeats(a: &Summary, b: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    let repeats = |s: &Summary| s.stacks.iter().map(|x| x.runs.len()).max().unwrap_or(0);
    let (ra, rb) = (repeats(a), repeats(b));
    if ra < 2 || rb < 2 {
        out.push(format!(
            "A has {ra} repeat(s), B {rb}: with fewer than 2 a run's noise is unknown and no verdict is given"
        ));
    } else {
        out.push(format!(
            "verdicts rest on the min-max spread of {ra} (A) and {rb} (B) repeats: with so few, \
             \"changed\" means outside the range seen, not a significance test"
        ));
    }
    out
}

/// Compares every stack present in either run.
pub fn compare(a: &Summary, b: &Summary) -> Vec<Row> {
    let mut names: Vec<&str> = a.stacks.iter().map(|s| s.stack.as_str()).collect();
    for s in &b.stacks {
        if !names.contains(&s.stack.as_str()) {
            names.push(&s.stack);
        }
    }
    names
        .into_iter()
        .flat_map(|name| {
            let in_a = a.stacks.iter().find(|s| s.stack == name);
            let in_b = b.stacks.iter().find(|s| s.stack == name);
            metric_rows(name, in_a, in_b)
        })
        .collect()
}

/// One row per metric for a stack as A and a stack as B (the same stack in two runs, or a
/// base and its rung), labelled `label`.
fn metric_rows(label: &str, in_a: Option<&StackSummary>, in_b: Option<&StackSummary>) -> Vec<Row> {
    METRICS
        .iter()
        .map(|(metric, read)| {
            let va = in_a.map(read).unwrap_or_default();
            let vb = in_b.map(read).unwrap_or_default();
            let (ma, mb) = (median(&va), median(&vb));
            let ratio = ma.zip(mb).filter(|(a, _)| *a != 0.0).map(|(a, b)| b / a);
            let noise = match (relative_spread(&va), relative_spread(&vb)) {
                (Some(x), Some(y)) => Some(x.max(y)),
                _ => None,
            };
            let verdict = match (ratio, noise) {
                (None, _) => Verdict::Missing,
                (Some(_), None) => Verdict::NoiseUnknown,
                (Some(r), Some(n)) if (r - 1.0).abs() > n => Verdict::Changed,
                (Some(_), Some(_)) => Verdict::WithinNoise,
            };
            Row {
                stack: label.to_owned(),
                metric,
                a: ma,
                b: mb,
                ratio,
                noise,
                verdict,
            }
        })
        .collect()
}

/// A compared value as shown: whole numbers from 100 up, two decimals below, `-` if missing.
pub fn format_value(value: Option<f64>) -> String {
    value.map_or("-".to_owned(), |v| {
        if v.abs() >= 100.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HarnessCost, Status};
    use crate::render::{Renderer, TerminalTable};
    use chrono::Utc;

    fn run(idle_kb: u64) -> StackRun {
        StackRun {
            idle_kb: Some(idle_kb),
            ..StackRun::new(1, 1, "1".into())
        }
    }

    fn summary(id: &str, stacks: Vec<(&str, Vec<u64>)>) -> Summary {
        Summary {
            schema_version: crate::model::SCHEMA_VERSION,
            run_id: id.into(),
            scenario: "idle".into(),
            backend: "local".into(),
            memory_counter: "RSS".into(),
            started: Utc::now(),
            finished: None,
            complete: true,
            interrupted: false,
            stacks: stacks
                .into_iter()
                .map(|(name, idles)| {
                    let mut s = StackSummary::new(name, Status::Ok, None);
                    s.runs = idles.into_iter().map(run).collect();
                    s
                })
                .collect(),
            harness: HarnessCost::default(),
            cleanup: Vec::new(),
            left_behind: Vec::new(),
            backend_traits: None,
            downstream: None,
            load_workers: None,
        }
    }

    /// `run` with its stack `name` declared as the ladder's `rung` built on `base`.
    fn climbing(mut run: Summary, name: &str, base: &str, rung: &str) -> Summary {
        let s = run.stacks.iter_mut().find(|s| s.stack == name).unwrap();
        s.base = Some(base.to_owned());
        s.rung = Some(rung.to_owned());
        run
    }

    fn idle_row<'a>(rows: &'a [Row], stack: &str) -> &'a Row {
        rows.iter()
            .find(|r| r.stack == stack && r.metric == "idle memory KiB")
            .unwrap()
    }

    #[test]
    fn each_rung_is_compared_with_its_base_in_the_same_run() {
        let run = summary(
            "ladder",
            vec![
                ("axum", vec![1000, 1010, 990]),
                ("axum@log", vec![1500, 1510, 1490]),
                ("go@metrics", vec![4000, 4100, 3900]),
                ("thin", vec![500, 500, 500]),
            ],
        );
        let run = climbing(run, "axum@log", "axum", "log");
        let run = climbing(run, "go@metrics", "go", "metrics");
        let comparison = Comparison::rungs_of(&run);
        let labels: Vec<&str> = comparison.rows.iter().map(|r| r.stack.as_str()).collect();
        assert!(
            labels.iter().all(|l| *l == "axum@log (A: axum)"),
            "{labels:?}"
        );
        let log = idle_row(&comparison.rows, "axum@log (A: axum)");
        assert_eq!((log.a, log.b), (Some(1000.0), Some(1500.0)));
        assert!((log.ratio.unwrap() - 1.5).abs() < 1e-12);
        assert_eq!(log.verdict, Verdict::Changed);
        assert!(comparison.warnings[0].contains("both from run ladder"));
        // No rung beside its base: nothing to compare, and it says so.
        let lone = climbing(
            summary("lone", vec![("go@metrics", vec![4000])]),
            "go@metrics",
            "go",
            "metrics",
        );
        let comparison = Comparison::rungs_of(&lone);
        assert!(comparison.rows.is_empty());
        assert!(
            comparison
                .warnings
                .iter()
                .any(|w| w.contains("no rung beside its base"))
        );
    }

    #[test]
    fn spread_is_range_over_median() {
        assert_eq!(relative_spread(&[90.0, 100.0, 110.0]), Some(0.2));
        assert_eq!(relative_spread(&[5.0]), None);
    }

    #[test]
    fn a_change_beyond_the_spread_is_flagged() {
        // A: 1000, 1010, 990 (spread 2 %); B: 1200, 1210, 1190 (spread 1.7 %): ratio 1.2.
        let a = summary(
            "a",
            vec![
                ("axum", vec![1000, 1010, 990]),
                ("go", vec![1000, 1100, 900]),
            ],
        );
        let b = summary(
            "b",
            vec![
                ("axum", vec![1200, 1210, 1190]),
                ("go", vec![1050, 1000, 1100]),
            ],
        );
        let rows = compare(&a, &b);
        let axum = idle_row(&rows, "axum");
        assert_eq!((axum.a, axum.b), (Some(1000.0), Some(1200.0)));
        assert!((axum.ratio.unwrap() - 1.2).abs() < 1e-12);
        assert_eq!(axum.verdict, Verdict::Changed);
        // go: ratio 1.05 against a 20 % spread.
        assert_eq!(idle_row(&rows, "go").verdict, Verdict::WithinNoise);
    }

    #[test]
    fn single_repeats_and_missing_stacks_say_so() {
        let a = summary("a", vec![("axum", vec![1000])]);
        let b = summary("b", vec![("axum", vec![1100]), ("go", vec![900])]);
        let rows = compare(&a, &b);
        assert_eq!(idle_row(&rows, "axum").verdict, Verdict::NoiseUnknown);
        assert_eq!(idle_row(&rows, "go").verdict, Verdict::Missing);
        let table = TerminalTable.render(&Comparison::of(&a, &b));
        assert!(
            table.contains("noise unknown") && table.contains("missing"),
            "{table}"
        );
        insta::assert_snapshot!(table);
    }

    #[test]
    fn runs_measured_differently_are_flagged_and_the_verdict_basis_is_said() {
        let a = summary("a", vec![("axum", vec![1000, 1100, 1050])]);
        let mut b = summary("b", vec![("axum", vec![2000, 2100, 2050])]);
        let same = Comparison::of(&a, &b);
        assert_eq!(same.warnings.len(), 1, "{:?}", same.warnings);
        assert!(same.warnings[0].contains("3 (A) and 3 (B) repeats"));
        b.backend = "docker".into();
        b.memory_counter = "container memory".into();
        b.scenario = "ramp".into();
        let differ = Comparison::of(&a, &b);
        let text = differ.warnings.join("\n");
        for what in [
            "backend (A: local, B: docker)",
            "memory counter",
            "scenario (A: idle, B: ramp)",
        ] {
            assert!(text.contains(what), "{what} not in {text}");
        }
        let table = TerminalTable.render(&differ);
        assert!(
            table.contains("note: the runs differ in backend"),
            "{table}"
        );
        let one = summary("c", vec![("axum", vec![1000])]);
        assert!(Comparison::of(&one, &a).warnings[0].contains("no verdict"));
    }
}
