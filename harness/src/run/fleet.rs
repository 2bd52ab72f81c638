//! The load workers of a run sent from elsewhere (`--load-workers`): their image built, the
//! coordinator listening, the workers started through the backend and heard from.

use std::time::Duration;

use super::World;
use super::build::fail_pending;
use crate::backend::WorkerSpec;
use crate::fleet::{Channel, Fleet};
use crate::model::{LoadWorkersInfo, Summary};
use crate::plan::{LoadWorkersPlan, Plan};
use crate::prepare::NotBuilt;
use crate::stacks;

/// How long the load workers may take to start and report, from their service's creation.
const WORKERS_WITHIN: Duration = Duration::from_secs(90);

/// Builds the load workers' image, listens for them, starts them through the backend and
/// waits until each has reported; the run's load then goes through them. Load workers that
/// cannot be built, started or heard from fail every stack still to run, with why.
pub(super) fn start_fleet(
    world: &World<'_>,
    plan: &Plan,
    summary: &mut Summary,
    workers: LoadWorkersPlan,
    harness_cpus: &[usize],
) -> Option<Fleet> {
    let scenario = &plan.scenario;
    if world.cancel.is_cancelled() || !super::build::any_pending(summary, |_| true) {
        return None;
    }
    let fail = |summary: &mut Summary, why: String| {
        let reason = format!(
            "its load goes through {} load workers: {why}",
            workers.count
        );
        fail_pending(world, summary, |_| true, &reason);
        None
    };
    let built = match world
        .builder
        .build(&stacks::WORKER, world.backend, scenario.workers)
    {
        Ok(built) => built,
        Err(NotBuilt::Skipped(reason) | NotBuilt::Failed(reason)) => {
            return fail(summary, format!("their image was not built: {reason}"));
        }
    };
    let channel = match Channel::bind(workers.coordinator) {
        Ok(channel) => channel,
        Err(e) => {
            return fail(
                summary,
                format!(
                    "cannot listen for them on {}: {e}; choose another address with                      --coordinator HOST:PORT",
                    workers.coordinator
                ),
            );
        }
    };
    let coordinator = channel.local_addr().unwrap_or(workers.coordinator);
    let spec = WorkerSpec {
        stack: stacks::WORKER.name.to_owned(),
        image: built.prepared.image.clone(),
        args: built.prepared.launch.args.clone(),
        replicas: workers.count,
        coordinator,
        token: channel.token().clone(),
        spread: workers.spread,
        // On one node, where the in-process driver would run; on several, each node's own.
        cpus: if workers.spread {
            Vec::new()
        } else {
            harness_cpus.to_vec()
        },
    };
    let tasks = match world.backend.start_load_workers(&spec) {
        Ok(tasks) => tasks,
        Err(e) => return fail(summary, format!("they did not start: {e}")),
    };
    world.reporter.say(&format!(
        "load workers: {} tasks of {} starting, to report to {coordinator}",
        workers.count,
        tasks.service()
    ));
    let fleet = match Fleet::gather(
        &channel,
        workers.count as usize,
        tasks,
        scenario.load,
        scenario.ids,
        world.driver.describe(),
        WORKERS_WITHIN,
        world.cancel,
        &|line| world.reporter.warn(line),
    ) {
        Ok(fleet) => fleet,
        // Ctrl-C while they started: the stacks are interrupted, not failed.
        Err(_) if world.cancel.is_cancelled() => return None,
        Err(why) => return fail(summary, why),
    };
    let (service, placement) = fleet.service();
    let reported = fleet.workers();
    world.reporter.say(&format!(
        "load workers: {}",
        reported
            .iter()
            .map(|w| format!("{} on {} ({} CPUs)", w.name, w.node, w.cpus))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    summary.load_workers = Some(LoadWorkersInfo {
        placement,
        service,
        replicas: workers.count,
        coordinator: coordinator.to_string(),
        workers: reported,
        image_bytes: built.image.as_ref().map(|i| i.bytes),
    });
    Some(fleet)
}
