//! The report's headline: the blog series' claim (a Rust or Go service under load uses far less
//! memory than an idle Spring one, boots in milliseconds and ships small) tested on the run,
//! in one sentence ([`verdict`]), over a scorecard of every stack's memory, boot, size and CPU
//! per request as multiples of the baseline and of the floor (the stacks declared with those
//! roles, found by `report::roles`).

mod verdict;

use serde::Serialize;

use super::plots;
use super::roles::{self, NO_BASELINE, NO_FLOOR};
use super::tables::{deployed_size, grouped};
use crate::model::{Role, StackSummary, Summary};

/// The blog series' claim, as the report states it.
pub const CLAIM: &str = "a Rust or Go service under load uses far less memory than an idle Spring one, starts in milliseconds and ships small, so a node fits many more.";

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
    /// What the multiples beneath each figure are of, in a sentence naming the stacks.
    pub multiples_of: String,
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
    /// Against the floor, named: e.g. `1.2× floor`.
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
    /// Whether the baseline's figure is the one at idle (memory: the claim sets every stack
    /// against an idle Spring service), which its name then says.
    baseline_idle: bool,
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
    baseline_idle: true,
    value: memory_value,
    base: idle_value,
};
const BOOT: Metric = Metric {
    what: "boot",
    unit: "ms",
    decimals: 1,
    less: "faster",
    more: "slower",
    baseline_idle: false,
    value: boot_value,
    base: boot_value,
};
const SIZE: Metric = Metric {
    what: "size",
    unit: "MiB",
    decimals: 1,
    less: "smaller",
    more: "larger",
    baseline_idle: false,
    value: size_value,
    base: size_value,
};
const CPU: Metric = Metric {
    what: "CPU per 1000 requests",
    unit: "ms",
    decimals: 1,
    less: "less",
    more: "more",
    baseline_idle: false,
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

/// A stack the claim speaks of, with its memory (MiB) and whether that was under load.
pub(crate) type Compared<'a> = (&'a StackSummary, f64, bool);

/// The stacks the claim speaks of (see [`roles::claimed`]) that have a memory figure, in the
/// run's order, each with that figure, MiB, and whether it was under load (else idle).
pub(crate) fn compared(summary: &Summary) -> Vec<Compared<'_>> {
    summary
        .stacks
        .iter()
        .filter(|s| roles::claimed(s))
        .filter_map(|s| memory(s).map(|(m, loaded)| (s, m, loaded)))
        .collect()
}

/// The scorecard of `summary`.
pub fn scorecard(summary: &Summary, containers: bool) -> Scorecard {
    let baseline = roles::baseline(summary);
    let floor = roles::floor(summary);
    let compared = compared(summary);
    let (verdict, outcome, next_step) = verdict::verdict(summary, baseline, &compared, containers);
    // The baseline at idle, named: what the claim sets every Rust and Go stack against.
    let base_memory = baseline.and_then(|b| Some((b.stack.as_str(), idle_value(b, containers)?)));
    Scorecard {
        claim: CLAIM,
        verdict,
        outcome,
        next_step,
        highlights: base_memory.map_or_else(Vec::new, |base| highlights(&compared, base)),
        rows: score_rows(summary, baseline, floor, containers),
        size_label: size_label(containers).to_owned(),
        multiples_of: multiples_of(baseline, floor),
        brief: brief(summary, baseline, &compared, base_memory),
    }
}

/// One row per stack, grouped by family: each figure with its multiples of the baseline's and
/// the floor's.
fn score_rows(
    summary: &Summary,
    baseline: Option<&StackSummary>,
    floor: Option<&StackSummary>,
    containers: bool,
) -> Vec<ScoreRow> {
    let metrics = [&MEMORY, &BOOT, &SIZE, &CPU];
    grouped(summary)
        .into_iter()
        .map(|(i, s)| {
            let [memory, boot, size, cpu] = metrics.map(|metric| {
                score(
                    s,
                    metric,
                    (metric.value)(s, containers),
                    baseline.and_then(|b| Some((b.stack.as_str(), (metric.base)(b, containers)?))),
                    floor.and_then(|f| Some((f.stack.as_str(), (metric.value)(f, containers)?))),
                )
            });
            ScoreRow {
                name: s.stack.clone(),
                colour: plots::css_colour(i),
                family: s.family.word(),
                memory,
                boot,
                size,
                cpu,
            }
        })
        .collect()
}

/// Per stack the claim speaks of: its memory against the baseline's at idle (`name`, MiB).
fn highlights(compared: &[Compared<'_>], (name, base): (&str, f64)) -> Vec<String> {
    compared
        .iter()
        .map(|(s, m, loaded)| {
            let words = multiple(*m, base, "less", "more");
            let than = if words == "about the same" {
                "as"
            } else {
                "than"
            };
            format!(
                "{} {}: {m:.1} MiB, {words} {than} {name} idle",
                s.stack,
                if *loaded { "under load" } else { "idle" },
            )
        })
        .collect()
}

/// The run in a few words: replicas per node on a run that packed them, else the range of
/// the Rust and Go stacks' memory and the baseline's at idle (`base_memory`, named).
fn brief(
    summary: &Summary,
    baseline: Option<&StackSummary>,
    compared: &[Compared<'_>],
    base_memory: Option<(&str, f64)>,
) -> String {
    let packing = summary
        .stacks
        .iter()
        .any(|s| s.fit.is_some() || s.density.is_some());
    if let Some(packed) = packing.then(|| super::fit::headline(summary)).flatten() {
        return packed;
    }
    let no_baseline = || match baseline {
        Some(b) => format!("no idle figure for {}", b.stack),
        None => "no baseline".to_owned(),
    };
    match (base_memory, range(compared.iter().map(|c| c.1))) {
        (Some((name, base)), Some((lo, hi))) => {
            format!("Rust and Go {lo:.1}–{hi:.1} MiB; {name} idle {base:.1} MiB")
        }
        (None, Some((lo, hi))) => format!("Rust and Go {lo:.1}–{hi:.1} MiB; {}", no_baseline()),
        (Some((name, base)), None) => format!("{name} idle {base:.1} MiB"),
        (None, None) => "-".to_owned(),
    }
}

/// What the multiples beneath the scorecard's figures are of, naming the stacks; for a run
/// without the baseline or the floor, which stack that would be.
fn multiples_of(baseline: Option<&StackSummary>, floor: Option<&StackSummary>) -> String {
    match (baseline.map(|b| &b.stack), floor.map(|f| &f.stack)) {
        (Some(b), Some(f)) => format!(
            "Beneath each figure: its multiple of {b} (memory: of {b} at idle, the blog's baseline) and of {f} (a process and a socket)."
        ),
        (Some(b), None) => format!(
            "Beneath each figure: its multiple of {b} (memory: of {b} at idle, the blog's baseline); this run did not measure {NO_FLOOR}."
        ),
        (None, Some(f)) => format!(
            "Beneath each figure: its multiple of {f} (a process and a socket); this run did not measure {NO_BASELINE}, so there is no multiple of it."
        ),
        (None, None) => format!(
            "No figure has a multiple beneath it: this run measured neither {NO_BASELINE} nor {NO_FLOOR}."
        ),
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

/// A stack's figure for `metric`, against the baseline's and the floor's (each named).
fn score(
    s: &StackSummary,
    metric: &Metric,
    value: Option<f64>,
    base: Option<(&str, f64)>,
    floor: Option<(&str, f64)>,
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
    let base = base.filter(|_| s.role != Some(Role::Baseline));
    let floor = floor.filter(|(_, f)| s.role != Some(Role::Floor) && *f > 0.0);
    let vs_baseline = base.map(|(_, b)| multiple(v, b, metric.less, metric.more));
    let vs_floor = floor.map(|(name, f)| format!("{}× {name}", factor(v / f)));
    let mut title = format!("{} {}: {shown}", s.stack, metric.what);
    if let (Some(words), Some((name, b))) = (&vs_baseline, base) {
        let idle = if metric.baseline_idle { " idle" } else { "" };
        title.push_str(&format!(
            ", {words} than {name}{idle} ({b:.*} {})",
            metric.decimals, metric.unit
        ));
    }
    if let (Some(words), Some((_, f))) = (&vs_floor, floor) {
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
    use crate::model::{Family, StackSummary, Status};
    use crate::report::tests::{baseline, built_on, floor, of, stack, summary};

    /// `thin` (the floor), `axum` and `go`, and `spring-like` (the baseline).
    fn full() -> Summary {
        let mut thin = floor(stack("thin", 1300, 1536, 2.0));
        thin.binary_bytes = Some(1 << 20);
        let mut axum = of(Family::Rust, stack("axum", 1700, 2048, 3.0));
        axum.binary_bytes = Some(2 << 20);
        let mut go = of(Family::Go, stack("go", 6000, 8 * 1024, 5.0));
        go.binary_bytes = Some(5 << 20);
        let mut spring = baseline(stack("spring-like", 192 * 1024, 260 * 1024, 1600.0));
        spring.binary_bytes = Some(14 << 20);
        spring.runtime_bytes = Some(290 << 20);
        spring.cpu_ms_per_1000 = Some(160.0);
        summary("ramp", vec![thin, axum, go, spring])
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
                "held on this run: under load every Rust and Go stack used 24× to 128× less memory than spring-like at idle (192.0 MiB)"
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
                "thin under load: 1.5 MiB, 128× less than spring-like idle",
                "axum under load: 2.0 MiB, 96× less than spring-like idle",
                "go under load: 8.0 MiB, 24× less than spring-like idle",
            ]
        );
        assert!(card.next_step.is_none());
        let axum = card.rows.iter().find(|r| r.name == "axum").unwrap();
        assert_eq!(axum.memory.value, "2.0 MiB");
        assert_eq!(axum.memory.vs_baseline.as_deref(), Some("96× less"));
        assert_eq!(axum.memory.vs_floor.as_deref(), Some("1.3× thin"));
        assert_eq!(axum.boot.vs_baseline.as_deref(), Some("533× faster"));
        assert_eq!(axum.size.vs_baseline.as_deref(), Some("152× smaller"));
        assert_eq!(axum.cpu.vs_baseline.as_deref(), Some("4.0× less"));
        assert!(
            axum.memory
                .title
                .contains("axum under load: 2.0 MiB, 96× less than spring-like idle (192.0 MiB)"),
            "{}",
            axum.memory.title
        );
        let spring = card.rows.iter().find(|r| r.name == "spring-like").unwrap();
        assert_eq!(
            spring.memory.vs_baseline, None,
            "the baseline is not its own multiple"
        );
        // Rust first, then Go, then the JVM.
        let order: Vec<&str> = card.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(order, ["thin", "axum", "go", "spring-like"]);
        assert_eq!(
            card.brief,
            "Rust and Go 1.5–8.0 MiB; spring-like idle 192.0 MiB"
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
        let mut skipped = baseline(StackSummary::new(
            "spring-like",
            Status::Skipped,
            Some("a JDK 17 (`javac`, `java`) is missing; run `cargo run -p harness -- setup` (or: sudo apt-get install openjdk-17-jdk-headless)".into()),
        ));
        skipped.runs.clear();
        s.stacks[3] = skipped;
        let card = scorecard(&s, false);
        assert_eq!(card.outcome, "untested");
        assert!(
            card.verdict.ends_with(
                "cannot be tested on this run: spring-like was skipped: a JDK 17 (`javac`, `java`) is missing."
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
        assert_eq!(axum.memory.vs_floor.as_deref(), Some("1.3× thin"));

        // A reason without a command to run says what is missing, whole.
        s.stacks[3].reason = Some("a JDK 17 is missing; install one from your distribution".into());
        let card = scorecard(&s, false);
        assert!(
            card.verdict.ends_with(
                "spring-like was skipped: a JDK 17 is missing; install one from your distribution."
            ),
            "{}",
            card.verdict
        );
        assert_eq!(card.next_step.unwrap().command, None);

        s.stacks.remove(3);
        let card = scorecard(&s, false);
        assert!(
            card.verdict.contains(
                "the baseline (the stack declared with role = \"baseline\") was not among this run's stacks"
            ),
            "{}",
            card.verdict
        );
        assert!(card.next_step.unwrap().then.contains("--stacks"));
        assert_eq!(card.brief, "Rust and Go 1.5–8.0 MiB; no baseline");
        assert!(
            card.multiples_of
                .starts_with("Beneath each figure: its multiple of thin (a process and a socket)"),
            "{}",
            card.multiples_of
        );
    }

    #[test]
    fn the_claim_speaks_of_rust_and_go_stacks_not_their_variants_or_rungs() {
        let mut s = full();
        let variant = built_on(
            of(Family::Rust, stack("axum+quotes", 1700, 300 * 1024, 3.0)),
            "axum",
            None,
        );
        let rung = built_on(
            of(Family::Go, stack("go@all", 6000, 300 * 1024, 5.0)),
            "go",
            Some("all"),
        );
        s.stacks.extend([variant, rung]);
        let card = scorecard(&s, false);
        assert_eq!(card.outcome, "held", "{}", card.verdict);
        assert_eq!(card.highlights.len(), 3, "{:?}", card.highlights);
        let families: Vec<(&str, &str)> = card
            .rows
            .iter()
            .map(|r| (r.name.as_str(), r.family))
            .collect();
        assert_eq!(
            families,
            [
                ("thin", "Rust"),
                ("axum", "Rust"),
                ("axum+quotes", "Rust"),
                ("go", "Go"),
                ("go@all", "Go"),
                ("spring-like", "JVM")
            ],
            "each under its base's family"
        );
        assert_eq!(
            card.multiples_of,
            "Beneath each figure: its multiple of spring-like (memory: of spring-like at idle, the blog's baseline) and of thin (a process and a socket)."
        );
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
