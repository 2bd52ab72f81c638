//! The verdict on the claim: one sentence on whether it held on the run, with the numbers, and
//! what to do when the run cannot tell. On a fit or density run the claim's last clause (a node
//! fits many more) is measured; on any other, memory, boot and size against the baseline's.

use super::{Compared, NextStep, PACKING_FACTOR, mib, multiples, range, size_value};
use crate::model::{StackSummary, Status, Summary};
use crate::report::roles::{self, NO_BASELINE};

/// The sentence on the claim, whether it held (`held`, `not held`, `untested`), and what to do
/// when it could not be tested.
pub(super) type Verdict = (String, &'static str, Option<NextStep>);

/// How the verdict on memory, boot and size begins.
const CLAIM: &str = "The blog's claim";

/// How the verdict on packing begins.
const PACKING_CLAIM: &str = "The blog's claim that a node fits many more";

/// The verdict of `summary`: on packing where the run measured it, else on memory, boot and
/// size of the `compared` stacks against `baseline`.
pub(super) fn verdict(
    summary: &Summary,
    baseline: Option<&StackSummary>,
    compared: &[Compared<'_>],
    containers: bool,
) -> Verdict {
    if let Some(packed) = packing_verdict(summary, baseline) {
        return packed;
    }
    let Some((base, base_kb)) = baseline.and_then(|b| Some((b, b.idle_kb?))) else {
        return without_baseline(baseline);
    };
    let base_mib = mib(base_kb);
    let name = &base.stack;
    if compared.is_empty() {
        return (
            format!(
                "{CLAIM} cannot be tested on this run: {name} used {base_mib:.1} MiB at idle, but no Rust or Go stack was measured."
            ),
            "untested",
            None,
        );
    }
    if !compared.iter().any(|c| c.2) {
        let ratios = multiples(compared.iter().map(|c| base_mib / c.1), "less").unwrap_or_default();
        return (
            format!(
                "{CLAIM} is not tested by this run, which put no load on the services; at idle the Rust and Go stacks used {ratios} memory than {name} ({base_mib:.1} MiB)."
            ),
            "untested",
            None,
        );
    }
    let over: Vec<String> = compared
        .iter()
        .filter(|c| c.1 >= base_mib)
        .map(|(s, m, _)| format!("{} used {m:.1} MiB", s.stack))
        .collect();
    if !over.is_empty() {
        return (
            format!(
                "{CLAIM} did not hold on this run: under load {}, as much as or more than {name} at idle ({base_mib:.1} MiB).",
                over.join(", ")
            ),
            "not held",
            None,
        );
    }
    held(summary, base, base_mib, compared, containers)
}

/// Why the claim cannot be tested when the baseline has no idle figure (or is not in the run),
/// and what to do.
fn without_baseline(baseline: Option<&StackSummary>) -> Verdict {
    let (why, next) = match baseline {
        None => (
            format!("{NO_BASELINE} was not among this run's stacks"),
            NextStep::words(&format!(
                "Run the scenario again with {NO_BASELINE} among its stacks (--stacks)."
            )),
        ),
        Some(b) if b.status == Status::Skipped => {
            // A skip's reason says what is missing, then `; run `COMMAND` (...)` to install it.
            let reason = b.reason.as_deref().unwrap_or("it cannot run here");
            let (missing, install) = match reason.split_once("; run `") {
                Some((missing, rest)) => (missing, rest.split_once('`').map(|(cmd, _)| cmd)),
                None => (reason, None),
            };
            let next = match install {
                Some(command) => NextStep {
                    command: Some(command.to_owned()),
                    then: "installs what it needs; then run the scenario again to test the claim."
                        .to_owned(),
                },
                None => NextStep::words(
                    "Install what it lacks; then run the scenario again to test the claim.",
                ),
            };
            (format!("{} was skipped: {missing}", b.stack), next)
        }
        Some(b) => (
            format!(
                "{} has no idle figure ({}{})",
                b.stack,
                b.status.word(),
                b.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            NextStep::words(&format!(
                "Run the scenario again; harness list says whether {} can run here.",
                b.stack
            )),
        ),
    };
    (
        format!("{CLAIM} cannot be tested on this run: {why}."),
        "untested",
        Some(next),
    )
}

/// The claim held under load: memory, then boot and size where both sides have them.
fn held(
    summary: &Summary,
    base: &StackSummary,
    base_mib: f64,
    compared: &[Compared<'_>],
    containers: bool,
) -> Verdict {
    let mut parts = vec![format!(
        "under load every Rust and Go stack used {} memory than {} at idle ({base_mib:.1} MiB)",
        multiples(compared.iter().map(|c| base_mib / c.1), "less").unwrap_or_default(),
        base.stack
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

/// On a fit or density run the claim's last clause is measured, not inferred: replicas per
/// node (density) or the smallest limit each stack survives (fit), Rust and Go against the
/// baseline's, at least [`PACKING_FACTOR`] times better. `None` on other runs.
fn packing_verdict(summary: &Summary, baseline: Option<&StackSummary>) -> Option<Verdict> {
    if summary.stacks.iter().any(|s| s.density.is_some()) {
        Some(density_verdict(summary, baseline))
    } else if summary.stacks.iter().any(|s| s.fit.is_some()) {
        Some(fit_verdict(summary, baseline))
    } else {
        None
    }
}

/// The packing claim untested: `why`, and how to test it with `baseline`.
fn untested(why: &str, baseline: Option<&StackSummary>) -> Verdict {
    let name = baseline.map_or(NO_BASELINE, |b| b.stack.as_str());
    (
        format!("{PACKING_CLAIM} cannot be tested on this run: {why}."),
        "untested",
        Some(NextStep::words(&format!(
            "Run the scenario again with {name} and a Rust or Go stack among its stacks (--stacks)."
        ))),
    )
}

/// Why the baseline's `what` (`density`, `fit`) is not there to compare with; `measured`
/// lists the other stacks' figures.
fn not_measured(baseline: Option<&StackSummary>, what: &str, measured: &str) -> String {
    match baseline {
        Some(b) => format!("{}'s {what} was not measured ({measured})", b.stack),
        None => {
            format!("{NO_BASELINE} was not among this run's stacks ({what} measured: {measured})")
        }
    }
}

/// Replicas that held by the fit's criteria, all loaded at once, of those deployed: a stack
/// with a few slow replicas still ran the others, which is what the claim is about.
fn held_replicas(s: &StackSummary) -> Option<(u32, u32)> {
    s.density.as_ref().map(|d| (d.held, d.replicas))
}

/// The packing claim on a density run: every Rust and Go stack held at least
/// [`PACKING_FACTOR`] times as many replicas on the node as the baseline.
fn density_verdict(summary: &Summary, baseline: Option<&StackSummary>) -> Verdict {
    let measured = summary
        .stacks
        .iter()
        .filter_map(|s| held_replicas(s).map(|(h, n)| format!("{} {h} of {n}", s.stack)))
        .collect::<Vec<_>>()
        .join(", ");
    let Some((name, base)) = baseline.and_then(|b| Some((&b.stack, b.density.as_ref()?))) else {
        return untested(&not_measured(baseline, "density", &measured), baseline);
    };
    let need = (PACKING_FACTOR * base.held).max(1);
    let others: Vec<(&str, u32)> = summary
        .stacks
        .iter()
        .filter(|s| roles::claimed(s))
        .filter_map(|s| Some((s.stack.as_str(), held_replicas(s)?.0)))
        .collect();
    if others.is_empty() {
        return untested("no Rust or Go stack's density was measured", baseline);
    }
    let short: Vec<&str> = others
        .iter()
        .filter(|(_, n)| *n < need)
        .map(|(s, _)| *s)
        .collect();
    let node = base.node_mib;
    if short.is_empty() {
        (
            format!(
                "{PACKING_CLAIM} held on this run: on a {node} MiB node under load, every Rust and Go stack had at least {PACKING_FACTOR}× as many replicas holding as {name} (replicas that held, of those deployed): {measured}."
            ),
            "held",
            None,
        )
    } else {
        (
            format!(
                "{PACKING_CLAIM} did not hold on this run: on a {node} MiB node under load, {} had fewer than {PACKING_FACTOR}× {name}'s {} replicas holding (replicas that held, of those deployed): {measured}.",
                short.join(", "),
                base.held
            ),
            "not held",
            None,
        )
    }
}

/// The smallest memory limit a stack served its load under, MiB.
fn fit_of(s: &StackSummary) -> Option<u32> {
    s.fit.as_ref().and_then(|f| f.fit_mib)
}

/// The packing claim on a fit run: every Rust and Go stack survived in at most
/// 1/[`PACKING_FACTOR`] of the baseline's smallest memory limit.
fn fit_verdict(summary: &Summary, baseline: Option<&StackSummary>) -> Verdict {
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
    let Some((name, base_mib)) = baseline.and_then(|b| Some((&b.stack, fit_of(b)?))) else {
        return untested(&not_measured(baseline, "fit", &measured), baseline);
    };
    let others: Vec<(&str, Option<u32>)> = summary
        .stacks
        .iter()
        .filter(|s| roles::claimed(s) && s.fit.is_some())
        .map(|s| (s.stack.as_str(), fit_of(s)))
        .collect();
    if others.is_empty() {
        return untested("no Rust or Go stack's fit was measured", baseline);
    }
    let short: Vec<&str> = others
        .iter()
        .filter(|(_, m)| m.is_none_or(|m| m * PACKING_FACTOR > base_mib))
        .map(|(s, _)| *s)
        .collect();
    if short.is_empty() {
        (
            format!(
                "{PACKING_CLAIM} held on this run: under load, every Rust and Go stack survived in at most 1/{PACKING_FACTOR} of {name}'s smallest memory limit: {measured}."
            ),
            "held",
            None,
        )
    } else {
        (
            format!(
                "{PACKING_CLAIM} did not hold on this run: {} needed more than 1/{PACKING_FACTOR} of {name}'s smallest memory limit ({base_mib} MiB): {measured}.",
                short.join(", ")
            ),
            "not held",
            None,
        )
    }
}
