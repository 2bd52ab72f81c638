//! The stacks of a run: the names asked for (or the scenario's, or all) checked against the
//! stacks the harness knows, each landscape variant's base and each stack's rungs added, and
//! the declarations they name.

use super::{PlanArgs, PlanError};
use crate::scenario::Scenario;
use crate::stacks::{self, Stack};

/// The stacks `args` and `scenario` ask for, in order, and the notes saying which were added
/// to those named.
pub(super) fn resolve(
    args: &PlanArgs,
    scenario: &Scenario,
) -> Result<(Vec<&'static Stack>, Vec<String>), PlanError> {
    let names = named(args, scenario)?;
    let mut notes = Vec::new();
    let names = match &scenario.downstream {
        Some(downstream) if downstream.bases => {
            let (all, added) = stacks::with_bases(&names);
            if !added.is_empty() {
                notes.push(format!(
                    "measuring {} too: the report sets each landscape variant beside its base \
                     (`bases = false` in {}'s [downstream] leaves them out)",
                    added.join(", "),
                    scenario.source.display()
                ));
            }
            all
        }
        _ => names,
    };
    let names = if scenario.rungs {
        let (all, added) = stacks::with_rungs(&names);
        if !added.is_empty() {
            let why = if args.rungs {
                "--rungs measures each stack's rungs beside it".to_owned()
            } else {
                format!(
                    "{} measures each stack's rungs beside it (`rungs = false` leaves them out)",
                    scenario.source.display()
                )
            };
            notes.push(format!("measuring {} too: {why}", added.join(", ")));
        }
        all
    } else {
        names
    };
    let declared = names
        .iter()
        .map(|name| declared(name))
        .collect::<Result<_, _>>()?;
    Ok((declared, notes))
}

/// The names asked for (`--stacks`, else the scenario's, else every stack), each known, and
/// no landscape variant unless the scenario deploys its downstream.
fn named(args: &PlanArgs, scenario: &Scenario) -> Result<Vec<String>, PlanError> {
    let wanted = args
        .stacks
        .clone()
        .unwrap_or_else(|| scenario.stacks.clone());
    let names: Vec<String> = if wanted.is_empty() {
        stacks::stacks().iter().map(|s| s.name.to_owned()).collect()
    } else {
        wanted
    };
    for name in &names {
        declared(name)?;
    }
    if scenario.downstream.is_none()
        && let Some(variant) = names
            .iter()
            .find(|n| declared(n).is_ok_and(|s| s.calls_downstream()))
    {
        return Err(PlanError::VariantWithoutDownstream {
            variant: variant.clone(),
            file: scenario.source.clone(),
            base: variant.trim_end_matches(stacks::VARIANT_SUFFIX).to_owned(),
        });
    }
    Ok(names)
}

/// The declaration of the stack, variant or rung `name`.
fn declared(name: &str) -> Result<&'static Stack, PlanError> {
    stacks::lookup(name).ok_or_else(|| PlanError::UnknownStack {
        name: name.to_owned(),
        known: stacks::known_names().join(", "),
    })
}

/// The stack a calibration drives, which must be one of the stacks (not a variant or rung).
pub(super) fn calibrated(name: &str) -> Result<&'static Stack, PlanError> {
    stacks::find(name).ok_or_else(|| PlanError::UnknownStack {
        name: name.to_owned(),
        known: stacks::stacks()
            .iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
            .join(", "),
    })
}
