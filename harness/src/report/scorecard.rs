//! The report's headline: the blog series' claim (a Rust or Go service under load uses far less
//! memory than an idle Spring one, boots in milliseconds and ships small) tested on the run,
//! in one sentence, over a scorecard of every stack's memory, boot, size and CPU per request as
//! multiples of `jvm-spring` (the baseline) and of `floor` (the reference line).

use serde::Serialize;

use super::plots;
use super::tables::{Family, deployed_size, family, grouped};
use crate::model::{StackSummary, Status, Summary};
use crate::stacks::SETUP_COMMAND;

/// The blog series' claim, as the report states it.
pub const CLAIM: &str = "a Rust or Go service under load uses far less memory than an idle Spring one, starts in milliseconds and ships small, so a node fits many more.";
/// The stack the claim is made against.
pub const BASELINE: &str = "jvm-spring";
/// The reference line: a process and a socket.
pub const FLOOR: &str = "floor";

/// The headline and its scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    /// The claim under test, in words.
    pub claim: &'static str,
    /// One sentence: whether the claim held on this run, with the numbers.
    pub verdict: String,
    /// `held`, `not held` or `untested`: the verdict's CSS class.
    pub outcome: &'static str,
    /// What to do so the claim can be tested (the baseline missing).
    pub next_step: Option<NextStep>,
    /// Per Rust and Go stack measured: its memory against the baseline's, in words.
    pub highlights: Vec<String>,
    /// One row per stack, grouped Rust, Go, JVM.
    pub rows: Vec<ScoreRow>,
    /// What the size column counts on this backend.
    pub size_label: String,
    /// The run in a few words, for the index of runs.
    pub brief: String,
}

/// What to do so that the claim can be tested: a command, then words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NextStep {
    /// The command to run, when there is one.
    pub command: Option<String>,
    /// What it does, or what to do.
    pub then: String,
}

impl NextStep {
    fn words(then: &str) -> Self {
        Self {
            command: None,
            then: then.to_owned(),
        }
    }
}

/// One stack on the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreRow {
    /// Stack.
    pub name: String,
    /// Its colour in the figures.
    pub colour: String,
    /// Rust, Go, JVM.
    pub family: &'static str,
    /// Memory under load (idle where nothing was under load).
    pub memory: Score,
    /// Boot time.
    pub boot: Score,
    /// Size on disk or image size.
    pub size: Score,
    /// CPU per 1000 requests.
    pub cpu: Score,
}

/// One figure with its multiples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// The figure with its unit, or `-`.
    pub value: String,
    /// For sorting.
    pub sort: Option<f64>,
    /// Against the baseline, e.g. `94× less`.
    pub vs_baseline: Option<String>,
    /// Against `floor`, e.g. `1.2× floor`.
    pub vs_floor: Option<String>,
    /// The whole comparison in a sentence, shown on hover.
    pub title: String,
}

/// One metric: how to read it from a stack, and how to word it.
struct Metric {
    /// What it is, in the title.
    what: &'static str,
    /// The unit.
    unit: &'static str,
    /// Decimals shown.
    decimals: usize,
    /// Word for a smaller value, and for a larger one.
    less: &'static str,
    more: &'static str,
    /// What the baseline's figure is, in words (`jvm-spring idle`).
    baseline: &'static str,
    /// A stack's figure (on a container backend or not).
    value: fn(&StackSummary, bool) -> Option<f64>,
    /// The baseline's figure, from the baseline stack.
    base: fn(&StackSummary, bool) -> Option<f64>,
}

fn memory_value(s: &StackSummary, _: bool) -> Option<f64> {
    memory(s).map(|m| m.0)
}

fn idle_value(s: &StackSummary, _: bool) -> Option<f64> {
    s.idle_kb.map(mib)
}

fn boot_value(s: &StackSummary, _: bool) -> Option<f64> {
    s.boot_ms.map(|b| b.median)
}

/// The stack's one size (see [`deployed_size`]), MiB, when it is complete.
fn size_value(s: &StackSummary, containers: bool) -> Option<f64> {
    deployed_size(s, containers)
        .filter(|d| d.complete)
        .map(|d| d.bytes as f64 / (1024.0 * 1024.0))
}

fn cpu_value(s: &StackSummary, _: bool) -> Option<f64> {
    s.cpu_ms_per_1000
}

const MEMORY: Metric = Metric {
    what: "under load",
    unit: "MiB",
    decimals: 1,
    less: "less",
    more: "more",
    baseline: "jvm-spring idle",
    value: memory_value,
    base: idle_value,
};
const BOOT: Metric = Metric {
    what: "boot",
    unit: "ms",
    decimals: 1,
    less: "faster",
    more: "slower",
    baseline: "jvm-spring",
    value: boot_value,
    base: boot_value,
};
const SIZE: Metric = Metric {
    what: "size",
    unit: "MiB",
    decimals: 1,
    less: "smaller",
    more: "larger",
    baseline: "jvm-spring",
    value: size_value,
    base: size_value,
};
const CPU: Metric = Metric {
    what: "CPU per 1000 requests",
    unit: "ms",
    decimals: 1,
    less: "less",
    more: "more",
    baseline: "jvm-spring",
    value: cpu_value,
    base: cpu_value,
};

/// `value` against `base` in words: `94× less`, `1.3× more`, `about the same`.
pub fn multiple(value: f64, base: f64, less: &str, more: &str) -> String {
    if !(value > 0.0 && base > 0.0) {
        return "-".to_owned();
    }
    let r = value / base;
    if (0.95..=1.05).contains(&r) {
        "about the same".to_owned()
    } else if r < 1.0 {
        format!("{}× {less}", factor(1.0 / r))
    } else {
        format!("{}× {more}", factor(r))
    }
}

/// A multiple as people write it: `94`, `2.3`.
fn factor(x: f64) -> String {
    if x >= 9.95 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// Memory under load, MiB, or at idle when the stack was not under load; and which.
fn memory(s: &StackSummary) -> Option<(f64, bool)> {
    s.load_kb
        .map(|kb| (mib(kb), true))
        .or(s.idle_kb.map(|kb| (mib(kb), false)))
}

/// The scorecard of `summary`.
pub fn scorecard(summary: &Summary, containers: bool) -> Scorecard {
    let find = |name: &str| summary.stacks.iter().find(|s| s.stack == name);
    let baseline = find(BASELINE);
    let floor = find(FLOOR);
    let base_memory = baseline.and_then(|b| idle_value(b, containers));
    let metrics = [&MEMORY, &BOOT, &SIZE, &CPU];
    let rows = grouped(summary)
        .into_iter()
        .map(|(i, s)| {
            let [memory_score, boot_score, size_score, cpu_score] = metrics.map(|metric| {
                score(
                    s,
                    metric,
                    (metric.value)(s, containers),
                    baseline.and_then(|b| (metric.base)(b, containers)),
                    floor.and_then(|f| (metric.value)(f, containers)),
                )
            });
            ScoreRow {
                name: s.stack.clone(),
                colour: plots::css_colour(i),
                family: family(&s.stack).word(),
                memory: memory_score,
                boot: boot_score,
                size: size_score,
                cpu: cpu_score,
            }
        })
        .collect();
    let compared: Vec<(&StackSummary, f64, bool)> = summary
        .stacks
        .iter()
        .filter(|s| matches!(family(&s.stack), Family::Rust | Family::Go))
        .filter_map(|s| memory(s).map(|(m, loaded)| (s, m, loaded)))
        .collect();
    let (verdict, outcome, next_step) = verdict(summary, baseline, &compared, containers);
    let highlights = match base_memory {
        Some(base) => compared
            .iter()
            .map(|(s, m, loaded)| {
                let words = multiple(*m, base, "less", "more");
                let than = if words == "about the same" {
                    "as"
                } else {
                    "than"
                };
                format!(
                    "{} {}: {m:.1} MiB, {words} {than} jvm-spring idle",
                    s.stack,
                    if *loaded { "under load" } else { "idle" },
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let packing = summary
        .stacks
        .iter()
        .any(|s| s.fit.is_some() || s.density.is_some());
    let packed = packing.then(|| super::fit::headline(summary)).flatten();
    let brief = match (base_memory, range(compared.iter().map(|c| c.1))) {
        _ if packed.is_some() => packed.unwrap_or_default(),
        (Some(base), Some((lo, hi))) => {
            format!("Rust and Go {lo:.1}–{hi:.1} MiB; jvm-spring idle {base:.1} MiB")
        }
        (None, Some((lo, hi))) => format!("Rust and Go {lo:.1}–{hi:.1} MiB; no jvm-spring"),
        (Some(base), None) => format!("jvm-spring idle {base:.1} MiB"),
        (None, None) => "-".to_owned(),
    };
    Scorecard {
        claim: CLAIM,
        verdict,
        outcome,
        next_step,
        highlights,
        rows,
        size_label: size_label(containers).to_owned(),
        brief,
    }
}

/// What the size column counts on a backend.
pub fn size_label(containers: bool) -> &'static str {
    if containers { "image" } else { "on disk" }
}

/// The lowest and highest of `values`.
fn range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
    })
}

/// `lo× to hi× word`, or `x× word` when they agree.
fn multiples(ratios: impl Iterator<Item = f64>, word: &str) -> Option<String> {
    let (lo, hi) = range(ratios)?;
    Some(if factor(lo) == factor(hi) {
        format!("{}× {word}", factor(lo))
    } else {
        format!("{}× to {}× {word}", factor(lo), factor(hi))
    })
}

/// How many more a node holds, by the blog's words ("fit twice the amount of microservices").
pub const PACKING_FACTOR: u32 = 2;

/// On a fit or density run the claim's last clause is measured, not inferred: replicas per
/// node (density) or the smallest limit each stack survives (fit), Rust and Go against
/// jvm-spring's, at least [`PACKING_FACTOR`] times better. `None` on other runs.
fn packing_verdict(
    summary: &Summary,
    baseline: Option<&StackSummary>,
) -> Option<(String, &'static str, Option<NextStep>)> {
    const CLAIM: &str = "The blog's claim that a node fits many more";
    let rust_go = || {
        summary
            .stacks
            .iter()
            .filter(|s| matches!(family(&s.stack), Family::Rust | Family::Go))
    };
    let untested = |why: &str, then: &str| {
        (
            format!("{CLAIM} cannot be tested on this run: {why}."),
            "untested",
            Some(NextStep::words(then)),
        )
    };
    let again = "Run the scenario again with jvm-spring and a Rust or Go stack among its stacks (--stacks).";
    if summary.stacks.iter().any(|s| s.density.is_some()) {
        // Replicas that held by the fit's criteria, all loaded at once: a stack with a few
        // slow replicas still ran the others, which is what the claim is about.
        let held = |s: &StackSummary| s.density.as_ref().map(|d| (d.held, d.replicas));
        let measured = summary
            .stacks
            .iter()
            .filter_map(|s| held(s).map(|(h, n)| format!("{} {h} of {n}", s.stack)))
            .collect::<Vec<_>>()
            .join(", ");
        let Some(base) = baseline.and_then(|b| b.density.as_ref()) else {
            return Some(untested(
                &format!("jvm-spring's density was not measured ({measured})"),
                again,
            ));
        };
        let need = (PACKING_FACTOR * base.held).max(1);
        let others: Vec<(&str, u32)> = rust_go()
            .filter_map(|s| Some((s.stack.as_str(), held(s)?.0)))
            .collect();
        if others.is_empty() {
            return Some(untested(
                "no Rust or Go stack's density was measured",
                again,
            ));
        }
        let short: Vec<&str> = others
            .iter()
            .filter(|(_, n)| *n < need)
            .map(|(s, _)| *s)
            .collect();
        let node = base.node_mib;
        return Some(if short.is_empty() {
            (
                format!(
                    "{CLAIM} held on this run: on a {node} MiB node under load, every Rust and Go stack had at least {PACKING_FACTOR}× as many replicas holding as jvm-spring (replicas that held, of those deployed): {measured}."
                ),
                "held",
                None,
            )
        } else {
            (
                format!(
                    "{CLAIM} did not hold on this run: on a {node} MiB node under load, {} had fewer than {PACKING_FACTOR}× jvm-spring's {} replicas holding (replicas that held, of those deployed): {measured}.",
                    short.join(", "),
                    base.held
                ),
                "not held",
                None,
            )
        });
    }
    let fit_of = |s: &StackSummary| s.fit.as_ref().and_then(|f| f.fit_mib);
    if !summary.stacks.iter().any(|s| s.fit.is_some()) {
        return None;
    }
    let measured = summary
        .stacks
        .iter()
        .filter(|s| s.fit.is_some())
        .map(|s| {
            let fit = fit_of(s).map_or("none".to_owned(), |m| format!("{m} MiB"));
            format!("{} {fit}", s.stack)
        })
        .collect::<Vec<_>>()
        .join(", ");
    let Some(base_mib) = baseline.and_then(fit_of) else {
        return Some(untested(
            &format!("jvm-spring's fit was not measured ({measured})"),
            again,
        ));
    };
    let others: Vec<(&str, Option<u32>)> = rust_go()
        .filter(|s| s.fit.is_some())
        .map(|s| (s.stack.as_str(), fit_of(s)))
        .collect();
    if others.is_empty() {
        return Some(untested("no Rust or Go stack's fit was measured", again));
    }
    let short: Vec<&str> = others
        .iter()
        .filter(|(_, m)| m.is_none_or(|m| m * PACKING_FACTOR > base_mib))
        .map(|(s, _)| *s)
        .collect();
    Some(if short.is_empty() {
        (
            format!(
                "{CLAIM} held on this run: under load, every Rust and Go stack survived in at most 1/{PACKING_FACTOR} of jvm-spring's smallest memory limit: {measured}."
            ),
            "held",
            None,
        )
    } else {
        (
            format!(
                "{CLAIM} did not hold on this run: {} needed more than 1/{PACKING_FACTOR} of jvm-spring's smallest memory limit ({base_mib} MiB): {measured}.",
                short.join(", ")
            ),
            "not held",
            None,
        )
    })
}

/// The sentence on the claim, whether it held (`held`, `not held`, `untested`), and what to do
/// when it could not be tested.
fn verdict(
    summary: &Summary,
    baseline: Option<&StackSummary>,
    compared: &[(&StackSummary, f64, bool)],
    containers: bool,
) -> (String, &'static str, Option<NextStep>) {
    const CLAIM: &str = "The blog's claim";
    if let Some(packed) = packing_verdict(summary, baseline) {
        return packed;
    }
    let Some((base, base_kb)) = baseline.and_then(|b| Some((b, b.idle_kb?))) else {
        let (why, next) = match baseline {
            None => (
                "jvm-spring was not among this run's stacks".to_owned(),
                NextStep::words(
                    "Run the scenario again with jvm-spring among its stacks (--stacks).",
                ),
            ),
            Some(b) if b.status == Status::Skipped => (
                format!(
                    "jvm-spring was skipped: {}",
                    b.reason
                        .as_deref()
                        .map(|r| r.split("; run `").next().unwrap_or(r))
                        .unwrap_or("it cannot run here")
                ),
                NextStep {
                    command: Some(SETUP_COMMAND.to_owned()),
                    then: "installs what it needs; then run the scenario again to test the claim."
                        .to_owned(),
                },
            ),
            Some(b) => (
                format!(
                    "jvm-spring has no idle figure ({}{})",
                    b.status.word(),
                    b.reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
                NextStep::words(
                    "Run the scenario again; harness list says whether jvm-spring can run here.",
                ),
            ),
        };
        return (
            format!("{CLAIM} cannot be tested on this run: {why}."),
            "untested",
            Some(next),
        );
    };
    let base_mib = mib(base_kb);
    if compared.is_empty() {
        return (
            format!(
                "{CLAIM} cannot be tested on this run: jvm-spring used {base_mib:.1} MiB at idle, but no Rust or Go stack was measured."
            ),
            "untested",
            None,
        );
    }
    let loaded = compared.iter().any(|c| c.2);
    let over: Vec<String> = compared
        .iter()
        .filter(|c| c.1 >= base_mib)
        .map(|(s, m, _)| format!("{} used {m:.1} MiB", s.stack))
        .collect();
    if !loaded {
        let ratios = multiples(compared.iter().map(|c| base_mib / c.1), "less").unwrap_or_default();
        return (
            format!(
                "{CLAIM} is not tested by this run, which put no load on the services; at idle the Rust and Go stacks used {ratios} memory than jvm-spring ({base_mib:.1} MiB)."
            ),
            "untested",
            None,
        );
    }
    if !over.is_empty() {
        return (
            format!(
                "{CLAIM} did not hold on this run: under load {}, as much as or more than jvm-spring at idle ({base_mib:.1} MiB).",
                over.join(", ")
            ),
            "not held",
            None,
        );
    }
    let mut parts = vec![format!(
        "under load every Rust and Go stack used {} memory than jvm-spring at idle ({base_mib:.1} MiB)",
        multiples(compared.iter().map(|c| base_mib / c.1), "less").unwrap_or_default()
    )];
    let boots = range(
        compared
            .iter()
            .filter_map(|c| c.0.boot_ms.map(|b| b.median)),
    );
    if let (Some((lo, hi)), Some(b)) = (boots, base.boot_ms) {
        parts.push(format!(
            "started in {lo:.1}–{hi:.1} ms against its {:.0} ms",
            b.median
        ));
    }
    let size = |s: &StackSummary| size_value(s, containers);
    let sizes = range(compared.iter().filter_map(|c| size(c.0)));
    if let (Some((lo, hi)), Some(b)) = (sizes, size(base)) {
        parts.push(format!(
            "{} {lo:.1}–{hi:.1} MiB against its {b:.0} MiB",
            if containers {
                "shipped in images of"
            } else {
                "took on disk"
            }
        ));
    }
    let last = parts.pop().unwrap_or_default();
    let joined = if parts.is_empty() {
        last
    } else {
        format!("{}, and {last}", parts.join(", "))
    };
    (
        format!(
            "{CLAIM} held on this run{}: {joined}.",
            if summary.complete { "" } else { " so far" }
        ),
        "held",
        None,
    )
}

/// A stack's figure for `metric`, against the baseline's and floor's.
fn score(
    s: &StackSummary,
    metric: &Metric,
    value: Option<f64>,
    base: Option<f64>,
    floor: Option<f64>,
) -> Score {
    let Some(v) = value else {
        return Score {
            value: "-".to_owned(),
            sort: None,
            vs_baseline: None,
            vs_floor: None,
            title: String::new(),
        };
    };
    let shown = format!("{v:.*} {}", metric.decimals, metric.unit);
    let vs_baseline = base
        .filter(|_| s.stack != BASELINE)
        .map(|b| multiple(v, b, metric.less, metric.more));
    let vs_floor = floor
        .filter(|f| s.stack != FLOOR && *f > 0.0)
        .map(|f| format!("{}× floor", factor(v / f)));
    let mut title = format!("{} {}: {shown}", s.stack, metric.what);
    if let (Some(words), Some(b)) = (&vs_baseline, base) {
        let _ = std::fmt::Write::write_fmt(
            &mut title,
            format_args!(
                ", {words} than {} ({b:.*} {})",
                metric.baseline, metric.decimals, metric.unit
            ),
        );
    }
    if let (Some(words), Some(f)) = (&vs_floor, floor) {
        title.push_str(&format!(
            ", {words} ({f:.*} {})",
            metric.decimals, metric.unit
        ));
    }
    Score {
        value: shown,
        sort: Some(v),
        vs_baseline,
        vs_floor,
        title: title.replace("about the same than", "about the same as"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StackSummary;
    use crate::report::tests::{stack, summary};

    fn full() -> Summary {
        let mut floor = stack("floor", 1300, 1536, 2.0);
        floor.binary_bytes = Some(1 << 20);
        let mut axum = stack("axum", 1700, 2048, 3.0);
        axum.binary_bytes = Some(2 << 20);
        let mut go = stack("go", 6000, 8 * 1024, 5.0);
        go.binary_bytes = Some(5 << 20);
        let mut spring = stack("jvm-spring", 192 * 1024, 260 * 1024, 1600.0);
        spring.binary_bytes = Some(14 << 20);
        spring.runtime_bytes = Some(290 << 20);
        spring.cpu_ms_per_1000 = Some(160.0);
        summary("ramp", vec![floor, axum, go, spring])
    }

    #[test]
    fn multiples_read_as_words() {
        assert_eq!(multiple(2.0, 192.0, "less", "more"), "96× less");
        assert_eq!(multiple(3.0, 2.0, "less", "more"), "1.5× more");
        assert_eq!(multiple(1.0, 1.02, "less", "more"), "about the same");
        assert_eq!(multiple(0.0, 1.0, "less", "more"), "-");
    }

    #[test]
    fn with_the_baseline_the_verdict_says_whether_the_claim_held_with_ratios() {
        let card = scorecard(&full(), false);
        assert_eq!(card.outcome, "held");
        assert!(
            card.verdict.contains("held on this run"),
            "{}",
            card.verdict
        );
        assert!(
            card.verdict.contains(
                "held on this run: under load every Rust and Go stack used 24× to 128× less memory than jvm-spring at idle (192.0 MiB)"
            ),
            "{}",
            card.verdict
        );
        assert!(
            card.verdict
                .contains(", started in 2.0–5.0 ms against its 1600 ms, and")
        );
        assert!(
            card.verdict
                .contains("took on disk 1.0–5.0 MiB against its 304 MiB.")
        );
        assert_eq!(
            card.highlights,
            [
                "floor under load: 1.5 MiB, 128× less than jvm-spring idle",
                "axum under load: 2.0 MiB, 96× less than jvm-spring idle",
                "go under load: 8.0 MiB, 24× less than jvm-spring idle",
            ]
        );
        assert!(card.next_step.is_none());
        let axum = card.rows.iter().find(|r| r.name == "axum").unwrap();
        assert_eq!(axum.memory.value, "2.0 MiB");
        assert_eq!(axum.memory.vs_baseline.as_deref(), Some("96× less"));
        assert_eq!(axum.memory.vs_floor.as_deref(), Some("1.3× floor"));
        assert_eq!(axum.boot.vs_baseline.as_deref(), Some("533× faster"));
        assert_eq!(axum.size.vs_baseline.as_deref(), Some("152× smaller"));
        assert_eq!(axum.cpu.vs_baseline.as_deref(), Some("4.0× less"));
        assert!(
            axum.memory
                .title
                .contains("axum under load: 2.0 MiB, 96× less than jvm-spring idle (192.0 MiB)"),
            "{}",
            axum.memory.title
        );
        let spring = card.rows.iter().find(|r| r.name == "jvm-spring").unwrap();
        assert_eq!(
            spring.memory.vs_baseline, None,
            "the baseline is not its own multiple"
        );
        // Rust first, then Go, then the JVM.
        let order: Vec<&str> = card.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(order, ["floor", "axum", "go", "jvm-spring"]);
        assert_eq!(
            card.brief,
            "Rust and Go 1.5–8.0 MiB; jvm-spring idle 192.0 MiB"
        );
    }

    #[test]
    fn a_stack_over_the_baseline_breaks_the_claim() {
        let mut s = full();
        s.stacks[2].load_kb = Some(200 * 1024);
        let card = scorecard(&s, false);
        assert_eq!(card.outcome, "not held");
        assert!(
            card.verdict
                .contains("did not hold on this run: under load go used 200.0 MiB"),
            "{}",
            card.verdict
        );
    }

    #[test]
    fn without_the_baseline_it_says_why_and_which_command_installs_it() {
        let mut s = full();
        let mut skipped = StackSummary::new(
            "jvm-spring",
            Status::Skipped,
            Some("a JDK 17 (`javac`, `java`) is missing; run `cargo run -p harness -- setup` (or: sudo apt-get install openjdk-17-jdk-headless)".into()),
        );
        skipped.runs.clear();
        s.stacks[3] = skipped;
        let card = scorecard(&s, false);
        assert_eq!(card.outcome, "untested");
        assert!(
            card.verdict.ends_with(
                "cannot be tested on this run: jvm-spring was skipped: a JDK 17 (`javac`, `java`) is missing."
            ),
            "{}",
            card.verdict
        );
        let next = card.next_step.unwrap();
        assert_eq!(
            next.command.as_deref(),
            Some("cargo run -p harness -- setup")
        );
        assert_eq!(
            next.then,
            "installs what it needs; then run the scenario again to test the claim."
        );
        assert!(card.highlights.is_empty());
        let axum = card.rows.iter().find(|r| r.name == "axum").unwrap();
        assert_eq!(axum.memory.vs_baseline, None);
        assert_eq!(axum.memory.vs_floor.as_deref(), Some("1.3× floor"));

        s.stacks.remove(3);
        let card = scorecard(&s, false);
        assert!(
            card.verdict
                .contains("jvm-spring was not among this run's stacks")
        );
        assert!(card.next_step.unwrap().then.contains("--stacks"));
    }

    #[test]
    fn a_run_without_load_does_not_claim_a_verdict() {
        let mut s = full();
        for stack in &mut s.stacks {
            stack.load_kb = None;
        }
        let card = scorecard(&s, false);
        assert_eq!(card.outcome, "untested");
        assert!(card.verdict.contains("no load"), "{}", card.verdict);
    }

    #[test]
    fn the_size_is_the_image_on_container_backends() {
        let mut s = full();
        for (stack, mib) in s.stacks.iter_mut().zip([2u64, 3, 6, 60]) {
            stack.image = Some(crate::model::ImageRecord {
                tag: "t".into(),
                bytes: mib << 20,
                build_ms: 1.0,
                modules: Vec::new(),
            });
        }
        let card = scorecard(&s, true);
        assert_eq!(card.size_label, "image");
        assert!(
            card.verdict
                .contains("shipped in images of 2.0–6.0 MiB against its 60 MiB"),
            "{}",
            card.verdict
        );
    }
}
