//! What a run builds before it measures: each stack, the downstream its landscape variants
//! call, and the OTLP receiver its tracing rungs export to where they cannot reach the
//! harness. What cannot be built fails the stacks that need it, with why.

use std::collections::HashMap;

use super::World;
use crate::model::{DownstreamInfo, Status, Summary};
use crate::plan::Plan;
use crate::prepare::NotBuilt;
use crate::prepare::Prepared;
use crate::stacks;

/// Builds every stack of the summary through the builder; marks those that cannot run
/// skipped and those that fail to build failed.
pub(super) fn build(
    world: &World<'_>,
    plan: &Plan,
    summary: &mut Summary,
) -> HashMap<String, Prepared> {
    let mut programs = HashMap::new();
    for record in &mut summary.stacks {
        if world.cancel.is_cancelled() {
            break;
        }
        let Some(stack) = plan.stack(&record.stack) else {
            continue;
        };
        match world
            .builder
            .build(stack, world.backend, plan.scenario.workers)
        {
            Ok(built) => {
                record.binary_bytes = built.binary_bytes;
                record.runtime_bytes = built.runtime_bytes;
                record.command = Some(built.command);
                record.image = built.image;
                programs.insert(stack.name.to_owned(), built.prepared);
            }
            Err(NotBuilt::Skipped(reason)) => {
                world
                    .reporter
                    .warn(&format!("skipping {}: {reason}", stack.name));
                record.status = Status::Skipped;
                record.reason = Some(reason);
            }
            Err(NotBuilt::Failed(reason)) => {
                world.reporter.warn(&format!("{}: {reason}", stack.name));
                record.status = Status::Failed;
                record.reason = Some(reason);
            }
        }
    }
    programs
}

/// Builds the downstream when the scenario deploys one and a landscape variant is to run, and
/// records it in the summary; a downstream that cannot be built fails every variant, with why.
pub(super) fn build_downstream(
    world: &World<'_>,
    plan: &Plan,
    summary: &mut Summary,
) -> Option<Prepared> {
    let downstream = plan.scenario.downstream.as_ref()?;
    let calls = |name: &str| plan.stack(name).is_some_and(|s| s.calls_downstream());
    if world.cancel.is_cancelled() || !any_pending(summary, calls) {
        return None;
    }
    match world
        .builder
        .build(&stacks::QUOTES, world.backend, plan.scenario.workers)
    {
        Ok(built) => {
            summary.downstream = Some(DownstreamInfo {
                service: downstream.service.clone(),
                replicas: downstream.replicas,
                placement: world.backend.downstream_placement(),
                binary_bytes: built.binary_bytes,
                image_bytes: built.image.as_ref().map(|i| i.bytes),
            });
            Some(built.prepared)
        }
        Err(NotBuilt::Skipped(reason) | NotBuilt::Failed(reason)) => {
            let reason = format!(
                "its downstream, {}, was not built: {reason}",
                downstream.service
            );
            fail_pending(world, summary, calls, &reason);
            None
        }
    }
}

/// Whether a stack `chosen` accepts is still to run.
pub(super) fn any_pending(summary: &Summary, chosen: impl Fn(&str) -> bool) -> bool {
    summary
        .stacks
        .iter()
        .any(|s| s.status == Status::Pending && chosen(&s.stack))
}

/// Fails every stack still to run that `chosen` accepts, with `reason`: what it needs beside
/// it (a downstream, an OTLP receiver) could not be built.
pub(super) fn fail_pending(
    world: &World<'_>,
    summary: &mut Summary,
    chosen: impl Fn(&str) -> bool,
    reason: &str,
) {
    for record in summary
        .stacks
        .iter_mut()
        .filter(|s| s.status == Status::Pending && chosen(&s.stack))
    {
        world.reporter.warn(&format!("{}: {reason}", record.stack));
        record.status = Status::Failed;
        record.reason = Some(reason.to_owned());
    }
}

/// Builds the OTLP receiver's image when a `tracing` rung is to run on a backend whose
/// services cannot reach the harness's 127.0.0.1 (a container's is its own): the rung's spans
/// then go to the receiver in a container of the run's network. A receiver that cannot be
/// built fails every tracing rung, with why.
pub(super) fn build_receiver(
    world: &World<'_>,
    plan: &Plan,
    summary: &mut Summary,
) -> Option<Prepared> {
    let traced = |name: &str| plan.stack(name).is_some_and(|s| s.span_ratio().is_some());
    if world.cancel.is_cancelled()
        || world.backend.reaches_harness()
        || !any_pending(summary, traced)
    {
        return None;
    }
    match world
        .builder
        .build(&stacks::RECEIVER, world.backend, plan.scenario.workers)
    {
        Ok(built) => Some(built.prepared),
        Err(NotBuilt::Skipped(reason) | NotBuilt::Failed(reason)) => {
            let reason = format!(
                "its spans go to an OTLP receiver in a container ({}), which was not built: \
                 {reason}",
                stacks::RECEIVER.name
            );
            fail_pending(world, summary, traced, &reason);
            None
        }
    }
}
