//! Load drivers: what sends requests to a running service during a step and says what it
//! measured. The run loop and `calibrate` see only [`LoadDriver`]; the Goose closed-loop
//! driver, the constant-rate (open-loop) driver and the external tools (`wrk`) implement it.

pub mod constant_rate;
#[cfg(test)]
pub mod fake;
pub mod goose;
pub mod http;
pub mod oha;
pub mod record;
pub mod request;
#[cfg(test)]
pub mod test_server;
pub mod wrk;

use std::net::SocketAddr;

use crate::cancel::Cancel;
use crate::model::StepLoad;
use crate::scenario::{IdMix, LoadMode, Scenario, Step};

/// Why a step's load could not run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Goose refused the configuration or failed.
    #[error("load generator: {0}")]
    Goose(String),
    /// The harness failed on its own side (out of file descriptors): not the service's error.
    #[error("{0}")]
    Client(String),
    /// The load generator's runtime could not be made.
    #[error("cannot start the load generator's runtime: {0}")]
    Runtime(std::io::Error),
    /// The load workers could not send the step.
    #[error("load workers: {0}")]
    Workers(String),
    /// An external tool could not be run or printed nothing usable.
    #[error("{tool}: {why}")]
    Tool {
        /// The tool.
        tool: &'static str,
        /// What went wrong.
        why: String,
    },
}

/// Something that drives one step of load at a service and returns its figures.
pub trait LoadDriver {
    /// What it is, recorded with the results (`goose 0.19, closed loop`, ...).
    fn describe(&self) -> String;

    /// Runs `step` against `addr`; stops early (with what it measured so far) when `cancel`
    /// is cancelled.
    fn run_step(
        &self,
        addr: SocketAddr,
        step: &Step,
        cancel: &Cancel,
    ) -> Result<StepLoad, LoadError>;

    /// Runs `step` against every address of `targets` at once, each with its own connections
    /// (a density run's replicas); the results in the order of `targets`. This default runs
    /// them one after the other, for drivers that cannot run steps side by side (the test
    /// doubles); the scenario's driver runs them at once.
    fn run_steps(
        &self,
        targets: &[SocketAddr],
        step: &Step,
        cancel: &Cancel,
    ) -> Vec<Result<StepLoad, LoadError>> {
        targets
            .iter()
            .map(|addr| self.run_step(*addr, step, cancel))
            .collect()
    }

    /// CPU the driver has used so far, seconds: the harness process's own for the drivers
    /// that run inside it, the children's for an external tool.
    fn cpu_seconds(&self) -> Option<f64> {
        use crate::sample::Source as _;
        crate::sample::ProcSource::current()
            .read()
            .ok()
            .map(|r| r.cpu_us as f64 / 1e6)
    }
}

/// The driver a scenario asks for: Goose for closed-loop steps, the constant-rate driver for
/// the rate-limited steps of a `load = "constant-rate"` scenario.
pub struct ScenarioDriver {
    goose: goose::Goose,
    constant_rate: Option<constant_rate::ConstantRate>,
}

impl ScenarioDriver {
    /// The drivers of `scenario`, on a runtime of `threads` worker threads (`0`: as many as
    /// the CPUs available, see [`generator_cpus`]).
    pub fn new(scenario: &Scenario, threads: usize) -> Result<Self, LoadError> {
        Self::of(scenario.load, scenario.ids, threads)
    }

    /// The drivers of a scenario whose load is `load` with `ids`, on a runtime of `threads`
    /// worker threads (`0`: every CPU available): what a load worker runs its share with.
    pub fn of(load: LoadMode, ids: IdMix, threads: usize) -> Result<Self, LoadError> {
        let runtime = std::sync::Arc::new(runtime(threads)?);
        Ok(Self {
            goose: goose::Goose::new(std::sync::Arc::clone(&runtime), ids),
            constant_rate: (load == LoadMode::ConstantRate)
                .then(|| constant_rate::ConstantRate::new(runtime, ids)),
        })
    }
}

impl LoadDriver for ScenarioDriver {
    fn describe(&self) -> String {
        match &self.constant_rate {
            Some(open) => format!(
                "{} for rate-limited steps, {} for the others",
                open.describe(),
                self.goose.describe()
            ),
            None => self.goose.describe(),
        }
    }

    fn run_step(
        &self,
        addr: SocketAddr,
        step: &Step,
        cancel: &Cancel,
    ) -> Result<StepLoad, LoadError> {
        match (&self.constant_rate, step.rate) {
            (Some(open), Some(_)) => open.run_step(addr, step, cancel),
            _ => self.goose.run_step(addr, step, cancel),
        }
    }

    /// A constant-rate step runs against every target at once, on one schedule and one clock
    /// ([`constant_rate::run_steps`]); closed-loop steps (Goose runs one attack at a time) one
    /// after the other.
    fn run_steps(
        &self,
        targets: &[SocketAddr],
        step: &Step,
        cancel: &Cancel,
    ) -> Vec<Result<StepLoad, LoadError>> {
        match self.constant_rate.as_ref().filter(|_| step.rate.is_some()) {
            Some(open) => open.run_steps(targets, step, cancel),
            // Goose's own: the trait's one-after-the-other.
            None => self.goose.run_steps(targets, step, cancel),
        }
    }
}

/// How many CPUs the load generator may use, given how many the placement pinned it to
/// (`placement.harness_cpus.len()`): those when it is pinned; when it is not (`0`: placement
/// fell back to unpinned), every CPU the process may run on
/// ([`std::thread::available_parallelism`], which follows the affinity mask and a cgroup's
/// CPU quota), and 1 if even that cannot be read. The driver's runtime threads and the
/// saturation flag ([`crate::aggregate::step_summary`]) both count from it.
pub fn generator_cpus(pinned: usize) -> usize {
    match pinned {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// A multi-threaded runtime for the async drivers, with [`generator_cpus`]`(threads)` worker
/// threads: `threads` is the number of CPUs the harness is pinned to, `0` when it is not.
pub fn runtime(threads: usize) -> Result<tokio::runtime::Runtime, LoadError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(generator_cpus(threads))
        .enable_all()
        .build()
        .map_err(LoadError::Runtime)
}

/// Only seeded ids (what calibration asks for).
pub const SEEDED_ONLY: IdMix = IdMix {
    seeded: 1.0,
    unknown: 0.0,
    malformed: 0.0,
};

/// The coordinated-omission setting recorded for a constant-rate step: latency counted from
/// each request's scheduled send time, beside the raw figures.
pub const CONSTANT_RATE_CO: &str = "constant-rate: corrected from the intended send time";

/// The coordinated-omission setting recorded for a Goose step: none, each user waits for its
/// answer before its next request (a closed loop).
pub const GOOSE_CO: &str = "none (closed loop)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpinned_the_generator_may_use_every_cpu_the_process_may() {
        let available = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(generator_cpus(0), available);
        assert_eq!(generator_cpus(3), 3);
        let workers = |threads| runtime(threads).unwrap().metrics().num_workers();
        assert_eq!(workers(0), available);
        assert_eq!(workers(2), 2);
    }
}
