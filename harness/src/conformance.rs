//! `harness contract`: the contract suite of `footprint-contract` run against one stack outside
//! `cargo test` — a user's own stack, above all — rule by rule, each against a fresh instance,
//! with a verdict per rule and the words of what the stack got wrong.

use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use footprint_contract::{RULES, Rule, Target};

/// What one rule said of a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The rule (`seeded_ids`, `ready_line`...), as `docs/CONTRACT.md` and the test names say.
    pub rule: &'static str,
    /// Why the stack broke it; `None` when it held.
    pub broken: Option<String>,
    /// How long the check took.
    pub took: Duration,
}

/// Checks `target` against every rule, one after the other; `progress` hears each verdict as
/// it comes.
pub fn check(target: &Target, mut progress: impl FnMut(usize, &Verdict)) -> Vec<Verdict> {
    check_rules(target, RULES, &mut progress)
}

/// Checks `target` against `rules`.
fn check_rules(
    target: &Target,
    rules: &[Rule],
    progress: &mut dyn FnMut(usize, &Verdict),
) -> Vec<Verdict> {
    // A broken rule panics with its reason: kept as the verdict, not printed as a crash.
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let mut verdicts = Vec::with_capacity(rules.len());
    for (i, (rule, check)) in rules.iter().enumerate() {
        let start = Instant::now();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| check(target)));
        let verdict = Verdict {
            rule,
            broken: outcome.err().map(|payload| reason(payload.as_ref())),
            took: start.elapsed(),
        };
        progress(i, &verdict);
        verdicts.push(verdict);
    }
    panic::set_hook(hook);
    verdicts
}

/// The message a check panicked with.
fn reason(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "the check failed without a message".to_owned())
}

/// A check's message on one line (an assertion's `left` and `right` kept), cut at 240
/// characters.
fn one_line(why: &str) -> String {
    let joined = why
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let mut cut: String = joined.chars().take(240).collect();
    if cut.len() < joined.len() {
        cut.push('…');
    }
    cut
}

/// The verdicts as text: a line per rule, then how many held.
pub fn render(stack: &str, verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    for v in verdicts {
        match &v.broken {
            None => out.push_str(&format!(
                "  ok      {:<30} {:>6.1} s\n",
                v.rule,
                v.took.as_secs_f64()
            )),
            Some(why) => {
                out.push_str(&format!("  BROKEN  {:<30} {}\n", v.rule, one_line(why)));
            }
        }
    }
    let broken: Vec<&str> = verdicts
        .iter()
        .filter(|v| v.broken.is_some())
        .map(|v| v.rule)
        .collect();
    let held = verdicts.len() - broken.len();
    if broken.is_empty() {
        out.push_str(&format!("{stack}: all {held} rules of the contract hold\n"));
    } else {
        out.push_str(&format!(
            "{stack}: {held} of {} rules hold; broken: {} (docs/CONTRACT.md says what each asks)\n",
            verdicts.len(),
            broken.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(_: &Target) {}
    fn breaks(_: &Target) {
        panic!("GET /accounts/10000: 404\nmore");
    }

    #[test]
    fn a_broken_rule_is_a_verdict_with_its_reason_and_the_rest_still_run() {
        let target = Target::new("mine", "/bin/true");
        let rules: [Rule; 3] = [("a", holds), ("b", breaks), ("c", holds)];
        let mut heard = Vec::new();
        let verdicts = check_rules(&target, &rules, &mut |i, v| heard.push((i, v.rule)));
        assert_eq!(heard, [(0, "a"), (1, "b"), (2, "c")]);
        assert_eq!(verdicts[0].broken, None);
        assert_eq!(
            verdicts[1].broken.as_deref(),
            Some("GET /accounts/10000: 404\nmore")
        );
        let text = render("mine", &verdicts);
        assert!(text.contains("  BROKEN  b"), "{text}");
        assert!(text.contains("GET /accounts/10000: 404; more\n"), "{text}");
        assert!(
            text.ends_with(
                "mine: 2 of 3 rules hold; broken: b (docs/CONTRACT.md says what each asks)\n"
            ),
            "{text}"
        );
        let all = check_rules(&target, &rules[..1], &mut |_, _| {});
        assert!(render("mine", &all).ends_with("mine: all 1 rules of the contract hold\n"));
    }
}
