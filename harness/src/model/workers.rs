//! What the load workers of a run were and what each did in a step: the coordinator's records
//! (`WorkerLoad`, beside the merged figures of a [`super::StepLoad`]) and the figures made of
//! them (`WorkerStep`, in a step's summary), and the fleet as the summary names it.

/// One load worker's part of a step, as the coordinator received it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WorkerLoad {
    /// The worker's name: its swarm task's (`<service>.<slot>`).
    pub name: String,
    /// The node it ran on.
    pub node: String,
    /// CPUs its load generator may use there.
    pub cpus: usize,
    /// Its share of the step's users.
    pub users: usize,
    /// Its share of the step's rate, requests per second.
    pub rate: Option<u32>,
    /// How far past the step's start instant it began, µs (its clock, or a late assignment).
    pub start_late_us: u64,
    /// CPU its process used over its part, seconds.
    pub cpu_seconds: Option<f64>,
    /// What it measured (without the histograms, which went into the merge); `None` when it
    /// never reported.
    pub load: Option<super::StepLoad>,
    /// Why its part is missing: the worker lost (connection closed, no report by the deadline)
    /// with its task's state, or its load generator's own failure.
    pub lost: Option<String>,
}

/// One load worker's figures in a step.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WorkerStep {
    /// The worker's name (`<service>.<slot>`).
    pub name: String,
    /// The node it ran on.
    pub node: String,
    /// Its share of the users.
    pub users: usize,
    /// Its share of the rate, requests per second.
    pub target_rps: Option<u32>,
    /// Requests it measured.
    pub requests: u64,
    /// Of those, not the contract's answer.
    pub errors: u64,
    /// Its served requests per second over its own window.
    pub achieved_rps: f64,
    /// Its own median and 99th percentile (raw, every kind), µs. Not to be averaged into the
    /// step's: the step's come from the merged histograms.
    pub p50_us: u64,
    /// See `p50_us`.
    pub p99_us: u64,
    /// Its 99th percentile from the intended send times (constant-rate steps), µs.
    pub intended_p99_us: Option<u64>,
    /// Cores its process used over its window.
    pub cores: Option<f64>,
    /// CPUs it may use.
    pub cpus: usize,
    /// It used at least [`crate::aggregate::SATURATED`] of its CPUs: its figures are its own
    /// limit's.
    pub saturated: bool,
    /// 99th percentile of its clock's lateness (constant-rate steps), µs.
    pub generator_late_p99_us: Option<u64>,
    /// How far past the step's start instant it began, µs.
    pub start_late_us: u64,
    /// It was late: its clock behind its schedule, or its start past the instant by more
    /// than [`crate::aggregate::WORKER_START_LATE_US`].
    pub late: bool,
    /// Why its part is missing, when it is.
    pub lost: Option<String>,
}

/// The load workers of a run, when it had them.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LoadWorkersInfo {
    /// Where they ran (`a swarm service, host network`).
    pub placement: String,
    /// The swarm service's name.
    pub service: String,
    /// How many were asked for.
    pub replicas: u32,
    /// Where they report: the coordinator's address.
    pub coordinator: String,
    /// The workers that said hello, in slot order.
    pub workers: Vec<WorkerInfo>,
    /// Their image's size, bytes.
    pub image_bytes: Option<u64>,
}

/// One load worker as it introduced itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WorkerInfo {
    /// Its name (`<service>.<slot>`).
    pub name: String,
    /// Its node.
    pub node: String,
    /// CPUs its load generator may use.
    pub cpus: usize,
}
