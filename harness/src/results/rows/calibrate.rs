//! `calibrate.csv`, the rows of `harness calibrate`.

use serde::{Deserialize, Serialize};

use super::{Fixed, Row};

/// `calibrate.csv`: one row per tool and round, then one per tool over every round.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalibrateRow {
    /// `goose` or `wrk`.
    pub tool: String,
    /// The round (from 1), or `all`.
    pub round: String,
    /// The stack driven.
    pub stack: String,
    /// Where it ran (`local`, `docker`, `swarm`); rows written before the column existed
    /// were all `local`.
    #[serde(default)]
    pub backend: String,
    /// Connections.
    pub connections: u64,
    /// Seconds of the measured window.
    pub seconds: Fixed<3>,
    /// Requests answered.
    pub requests: u64,
    /// Requests per second.
    pub rps: Fixed<1>,
    /// Median, µs.
    pub p50_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// Requests that failed.
    pub errors: u64,
    /// CPU the tool itself used, cores, where it can be told apart.
    pub tool_cores: Option<Fixed<3>>,
}

impl Row for CalibrateRow {
    const FILE: &'static str = "calibrate.csv";
}
