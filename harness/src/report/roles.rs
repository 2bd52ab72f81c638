//! The stacks a run is read against, found by what their declarations say and never by name:
//! the baseline the blog's claims are measured against and the floor (the reference line), by
//! their [`Role`]; and the stacks the claims speak of, by their [`Family`].

use crate::model::{Family, Role, StackSummary, Summary};

/// The baseline in words, for a run that did not measure it.
pub(crate) const NO_BASELINE: &str = "the baseline (the stack declared with role = \"baseline\")";

/// The floor in words, for a run that did not measure it.
pub(crate) const NO_FLOOR: &str = "the floor (the stack declared with role = \"floor\")";

/// The stack of `summary` declared with `role`, if the run measured it.
fn with_role(summary: &Summary, role: Role) -> Option<&StackSummary> {
    summary.stacks.iter().find(|s| s.role == Some(role))
}

/// The run's baseline: the stack the blog's claims are measured against.
pub(crate) fn baseline(summary: &Summary) -> Option<&StackSummary> {
    with_role(summary, Role::Baseline)
}

/// The run's floor: the reference line, the least a service can cost.
pub(crate) fn floor(summary: &Summary) -> Option<&StackSummary> {
    with_role(summary, Role::Floor)
}

/// Whether the blog's claims speak of `stack`: a Rust or Go stack, not a landscape variant
/// nor a ladder rung (those are measured against their base, not against the baseline).
pub(crate) fn claimed(stack: &StackSummary) -> bool {
    matches!(stack.family, Family::Rust | Family::Go) && stack.base.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{
        baseline as spring_like, built_on, floor as thin, of, stack, summary,
    };

    #[test]
    fn roles_and_families_come_from_the_declarations_not_the_names() {
        let s = summary(
            "ramp",
            vec![
                thin(stack("thin", 1, 2, 1.0)),
                of(Family::Rust, stack("axum", 1, 2, 1.0)),
                built_on(
                    of(Family::Rust, stack("axum@log", 1, 2, 1.0)),
                    "axum",
                    Some("log"),
                ),
                built_on(of(Family::Go, stack("go+quotes", 1, 2, 1.0)), "go", None),
                spring_like(stack("spring-like", 1, 2, 1.0)),
                stack("other", 1, 2, 1.0),
            ],
        );
        assert_eq!(baseline(&s).map(|b| b.stack.as_str()), Some("spring-like"));
        assert_eq!(floor(&s).map(|f| f.stack.as_str()), Some("thin"));
        let claimed: Vec<&str> = s
            .stacks
            .iter()
            .filter(|s| claimed(s))
            .map(|s| s.stack.as_str())
            .collect();
        assert_eq!(
            claimed,
            ["thin", "axum"],
            "no variant, rung or other family"
        );
        assert!(baseline(&summary("ramp", vec![stack("axum", 1, 2, 1.0)])).is_none());
    }
}
