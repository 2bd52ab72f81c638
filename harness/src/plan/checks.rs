//! What a backend must be able to do for a scenario: checked from `--backend` alone where it
//! names a backend whose abilities are known (local and docker pack no replicas and run no
//! load workers), and against the backend a run got once it is chosen.

use super::{Plan, PlanArgs, PlanError};
use crate::backend::select::Kind;
use crate::backend::{Backend, docker, local};
use crate::scenario::Scenario;

/// Refuses, before anything starts, what the backend named by `--backend` cannot do, and load
/// workers with a `[density]`, whose replicas are loaded at once by one driver.
pub(super) fn check_known_backend(args: &PlanArgs, scenario: &Scenario) -> Result<(), PlanError> {
    let packless = match args.backend {
        Kind::Local => Some(local::NAME),
        Kind::Docker => Some(docker::NAME),
        Kind::Auto | Kind::Swarm => None,
    };
    if let Some(backend) = packless {
        density_on_node(scenario, backend, None)?;
        if let Some(count) = args.load_workers {
            return Err(PlanError::LoadWorkersBackend { count, backend });
        }
    }
    if args.load_workers.is_some() && scenario.density.is_some() {
        return Err(PlanError::DensityWithLoadWorkers {
            file: scenario.source.clone(),
        });
    }
    Ok(())
}

impl Plan {
    /// Refuses what the backend the run got cannot do: a `[fit]` whose smallest limit it cannot
    /// enforce, a `[density]` where it packs no replicas or on a node smaller than the budget,
    /// load workers where it cannot run them.
    pub(crate) fn check_backend(&self, backend: &dyn Backend) -> Result<(), PlanError> {
        let scenario = &self.scenario;
        let name = backend.name();
        if let Some(fit) = &scenario.fit {
            let floor = backend
                .memory_floor_mib()
                .map_err(|why| PlanError::FitWithoutLimit {
                    file: scenario.source.clone(),
                    backend: name,
                    why,
                })?;
            if fit.min_mib < floor {
                return Err(PlanError::FitUnderFloor {
                    file: scenario.source.clone(),
                    min_mib: fit.min_mib,
                    backend: name,
                    floor,
                });
            }
        }
        if scenario.density.is_some() {
            density_on_node(scenario, name, backend.node_memory_mib())?;
        }
        match self.load_workers {
            Some(workers) if !backend.runs_load_workers() => Err(PlanError::LoadWorkersBackend {
                count: workers.count,
                backend: name,
            }),
            _ => Ok(()),
        }
    }
}

/// Refuses a `[density]` on backend `name`, whose node has `node_memory_mib` (`None`: it packs
/// no replicas on a node), when it does not fit there.
fn density_on_node(
    scenario: &Scenario,
    backend: &'static str,
    node_memory_mib: Option<u64>,
) -> Result<(), PlanError> {
    let Some(density) = &scenario.density else {
        return Ok(());
    };
    let file = scenario.source.clone();
    let Some(node_memory_mib) = node_memory_mib else {
        return Err(PlanError::DensityWithoutNode { file, backend });
    };
    if u64::from(density.node_mib) > node_memory_mib {
        return Err(PlanError::NodeTooSmall {
            file,
            node_mib: density.node_mib,
            node_memory_mib,
        });
    }
    Ok(())
}

/// Refuses a calibration of a stack the harness does not know, or `--init-swarm` without
/// `--backend swarm`.
pub(crate) fn check_calibration(
    stack: &str,
    backend: Kind,
    init_swarm: bool,
) -> Result<(), PlanError> {
    super::stacks::calibrated(stack)?;
    if init_swarm && backend != Kind::Swarm {
        return Err(PlanError::InitSwarmWithoutSwarm);
    }
    Ok(())
}
