//! The sampler's files: `memory.csv` and `cpu.csv`, one row per sample.

use serde::{Deserialize, Serialize};

use super::{Fixed, Row, ms};
use crate::model::Sample;

/// `memory.csv`: one row per sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryRow {
    /// The stack.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// Time since the run started, ms.
    pub t_ms: u64,
    /// The phase's name (`idle`, `warmup`, a step's name, `battery`, `settle`, `stop`).
    pub phase: String,
    /// The service's resident set, KiB.
    pub rss_kb: u64,
    /// The service's proportional set, KiB, where it is read.
    pub pss_kb: Option<u64>,
    /// The service's peak resident set so far, KiB.
    pub hwm_kb: u64,
    /// The service's threads.
    pub threads: u64,
    /// The harness's resident set, KiB.
    pub harness_rss_kb: u64,
}

impl Row for MemoryRow {
    const FILE: &'static str = "memory.csv";
}

impl MemoryRow {
    /// The row of `sample`, taken in the phase named `phase`.
    pub fn from_sample(stack: &str, repeat: u32, phase: &str, sample: &Sample) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            t_ms: u64::try_from(sample.at.as_millis()).unwrap_or(u64::MAX),
            phase: phase.to_owned(),
            rss_kb: sample.service.rss_kb,
            pss_kb: sample.service.pss_kb,
            hwm_kb: sample.service.hwm_kb,
            threads: sample.service.threads,
            harness_rss_kb: sample.harness.rss_kb,
        }
    }
}

/// `cpu.csv`: one row per sample.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuRow {
    /// The stack.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// Time since the run started, ms.
    pub t_ms: u64,
    /// The phase's name.
    pub phase: String,
    /// The service's CPU time so far, ms.
    pub service_cpu_ms: Fixed<3>,
    /// The same from the kernel's tick counts, ms.
    pub service_cpu_ticks_ms: Fixed<3>,
    /// The harness's CPU time so far, ms.
    pub harness_cpu_ms: Fixed<3>,
    /// What taking this sample cost the sampler, CPU µs.
    pub sampler_cost_us: u64,
}

impl Row for CpuRow {
    const FILE: &'static str = "cpu.csv";
}

impl CpuRow {
    /// The row of `sample`, taken in the phase named `phase`.
    pub fn from_sample(stack: &str, repeat: u32, phase: &str, sample: &Sample) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            t_ms: u64::try_from(sample.at.as_millis()).unwrap_or(u64::MAX),
            phase: phase.to_owned(),
            service_cpu_ms: ms(sample.service.cpu_us),
            service_cpu_ticks_ms: ms(sample.service.cpu_tick_us),
            harness_cpu_ms: ms(sample.harness.cpu_us),
            sampler_cost_us: sample.cost_us,
        }
    }
}
