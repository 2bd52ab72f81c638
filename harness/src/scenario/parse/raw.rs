//! A scenario file's tables as serde reads them: every key optional and kept with its place
//! in the file, unknown keys refused; `super` checks the values and fills in the defaults.

use serde::Deserialize;
use toml::Spanned;

use crate::scenario::fields::Field;

/// A scenario file's top level.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a scenario table")]
pub(super) struct RawScenario {
    pub(super) description: Field,
    pub(super) stacks: Field,
    pub(super) rungs: Field,
    pub(super) repeat: Field,
    pub(super) sample_interval_ms: Field,
    pub(super) workers: Field,
    pub(super) idle_seconds: Field,
    pub(super) coordinated_omission: Field,
    pub(super) load: Field,
    pub(super) placement: Option<Spanned<RawPlacement>>,
    pub(super) ids: Option<Spanned<RawIds>>,
    pub(super) boot: Option<Spanned<RawBoot>>,
    pub(super) container: Option<Spanned<RawContainer>>,
    pub(super) warmup: Option<Spanned<RawWarmup>>,
    pub(super) battery: Option<Spanned<RawBattery>>,
    pub(super) capacity: Option<Spanned<RawCapacity>>,
    pub(super) fit: Option<Spanned<RawFit>>,
    pub(super) density: Option<Spanned<RawDensity>>,
    pub(super) downstream: Option<Spanned<RawDownstream>>,
    #[serde(default)]
    pub(super) step: Vec<Spanned<RawStep>>,
}

/// `[capacity]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [capacity] table")]
pub(super) struct RawCapacity {
    pub(super) slo_p99_ms: Field,
    pub(super) max_error_ratio: Field,
    pub(super) start_rps: Field,
    pub(super) max_rps: Field,
    pub(super) probe_seconds: Field,
    pub(super) resolution: Field,
    pub(super) users: Field,
}

/// `[fit]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [fit] table")]
pub(super) struct RawFit {
    pub(super) max_mib: Field,
    pub(super) min_mib: Field,
    pub(super) resolution_mib: Field,
    pub(super) latency_factor: Field,
    pub(super) latency_floor_ms: Field,
    pub(super) max_error_ratio: Field,
    pub(super) probe_timeout_seconds: Field,
}

/// `[density]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [density] table")]
pub(super) struct RawDensity {
    pub(super) node_mib: Field,
    pub(super) max_replicas: Field,
    pub(super) limit_mib: Field,
}

/// `[battery]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [battery] table")]
pub(super) struct RawBattery {
    pub(super) pipelined: Field,
    pub(super) stalled: Field,
    pub(super) burst: Field,
    pub(super) settle_seconds: Field,
}

/// `[placement]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [placement] table")]
pub(super) struct RawPlacement {
    pub(super) service_cpus: Field,
    pub(super) harness_cpus: Field,
}

/// `[ids]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an [ids] table")]
pub(super) struct RawIds {
    pub(super) seeded: Field,
    pub(super) unknown: Field,
    pub(super) malformed: Field,
}

/// `[boot]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [boot] table")]
pub(super) struct RawBoot {
    pub(super) starts: Field,
    pub(super) timeout_seconds: Field,
}

/// `[container]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [container] table")]
pub(super) struct RawContainer {
    pub(super) memory_mb: Field,
    pub(super) millicpus: Field,
    pub(super) pids: Field,
    pub(super) replicas: Field,
}

/// `[warmup]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [warmup] table")]
pub(super) struct RawWarmup {
    pub(super) seconds: Field,
    pub(super) users: Field,
    pub(super) rate: Field,
    pub(super) pause_ms: Field,
}

/// One `[[step]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[step]] table")]
pub(super) struct RawStep {
    pub(super) name: Field,
    pub(super) users: Field,
    pub(super) rate: Field,
    pub(super) seconds: Field,
    pub(super) ramp_seconds: Field,
    pub(super) pause_ms: Field,
    pub(super) downstream: Field,
}

/// `[downstream]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [downstream] table")]
pub(super) struct RawDownstream {
    pub(super) service: Field,
    pub(super) replicas: Field,
    pub(super) slow_ms: Field,
    pub(super) probe_ms: Field,
    pub(super) bases: Field,
}
