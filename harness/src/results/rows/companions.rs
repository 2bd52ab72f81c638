//! The files of what runs beside a stack: `downstream.csv` (its downstream's samples),
//! `breaker.csv` (the breaker probe and the faults) and `scrapes.csv` (Prometheus's scrapes).

use serde::{Deserialize, Serialize};

use super::{Fixed, Row};
use crate::model::{BreakerProbe, FaultRecord, Sample};

/// `downstream.csv`: one row per sample of the downstream deployed beside a landscape variant
/// (the variant's own samples are in `memory.csv` and `cpu.csv`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DownstreamRow {
    /// The variant it served.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// The downstream (`quotes`).
    pub service: String,
    /// Milliseconds since the run started.
    pub t_ms: u64,
    /// The variant's phase (`idle`, `warmup`, a step's name).
    pub phase: String,
    /// The downstream's memory, KiB (RSS, or container memory).
    pub rss_kb: u64,
    /// Its CPU time so far, ms.
    pub cpu_ms: Fixed<3>,
    /// Its threads.
    pub threads: u64,
}

impl Row for DownstreamRow {
    const FILE: &'static str = "downstream.csv";
}

impl DownstreamRow {
    /// The row of one sample.
    pub fn from_sample(
        stack: &str,
        repeat: u32,
        service: &str,
        phase: &str,
        sample: &Sample,
    ) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            service: service.to_owned(),
            t_ms: u64::try_from(sample.at.as_millis()).unwrap_or(u64::MAX),
            phase: phase.to_owned(),
            rss_kb: sample.service.rss_kb,
            cpu_ms: Fixed(sample.service.cpu_us as f64 / 1000.0),
            threads: sample.service.threads,
        }
    }
}

/// `breaker.csv`: one row per probe of a landscape variant, and one per fault given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BreakerRow {
    /// The variant.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// Milliseconds since the run started.
    pub t_ms: u64,
    /// The step it fell in.
    pub step: String,
    /// `probe` or `fault`.
    pub event: String,
    /// A probe's `closed`, `failing`, `open` or `broken`; a fault's name.
    pub what: String,
    /// A probe's latency, connect to last byte, µs.
    pub latency_us: Option<u64>,
    /// What giving a fault did.
    pub outcome: Option<String>,
}

impl Row for BreakerRow {
    const FILE: &'static str = "breaker.csv";
}

impl BreakerRow {
    /// The row of a probe.
    pub fn probe(stack: &str, repeat: u32, probe: &BreakerProbe) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            t_ms: (probe.at_s * 1000.0).round() as u64,
            step: probe.step.clone(),
            event: "probe".into(),
            what: probe.observed.as_str().into(),
            latency_us: probe.latency_us,
            outcome: None,
        }
    }

    /// The row of a fault.
    pub fn fault(stack: &str, repeat: u32, fault: &FaultRecord) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            t_ms: (fault.at_s * 1000.0).round() as u64,
            step: fault.step.clone(),
            event: "fault".into(),
            what: fault.fault.clone(),
            latency_us: None,
            outcome: Some(fault.outcome.clone()),
        }
    }
}

/// `scrapes.csv`: one row per scrape of a `metrics` rung by the run's Prometheus, as
/// Prometheus recorded it (`up`, `scrape_duration_seconds`, `scrape_samples_scraped`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScrapeRow {
    /// The rung scraped.
    pub stack: String,
    /// Its repeat (from 1).
    pub repeat: u32,
    /// Milliseconds since the run started.
    pub t_ms: i64,
    /// 1 when the scrape succeeded.
    pub up: u8,
    /// How long it took, ms; empty when Prometheus recorded none.
    pub duration_ms: Option<Fixed<3>>,
    /// The samples it read.
    pub samples: Option<u64>,
}

impl Row for ScrapeRow {
    const FILE: &'static str = "scrapes.csv";
}

impl ScrapeRow {
    /// The row of one scrape (its time already since the run's start).
    pub fn new(stack: &str, repeat: u32, scrape: &crate::model::Scrape) -> Self {
        Self {
            stack: stack.to_owned(),
            repeat,
            t_ms: (scrape.at_s * 1000.0).round() as i64,
            up: u8::from(scrape.up),
            duration_ms: scrape.duration_ms.map(Fixed),
            samples: scrape.samples,
        }
    }
}
