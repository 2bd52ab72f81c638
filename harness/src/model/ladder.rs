//! The records of the feature ladder's rungs: what the run's Prometheus recorded of each
//! scrape of a `metrics` rung, and what the run's OTLP receiver got from a `tracing` rung.

/// One scrape, as Prometheus recorded it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scrape {
    /// When, seconds: Unix time as the scraper gives it, since the run's start once recorded.
    pub at_s: f64,
    /// Whether it succeeded (`up` was 1).
    pub up: bool,
    /// How long it took, ms (`scrape_duration_seconds`).
    pub duration_ms: Option<f64>,
    /// How many samples it read (`scrape_samples_scraped`).
    pub samples: Option<u64>,
}

/// What the scraper saw of one repeat of a `metrics` rung.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScrapeRun {
    /// What scraped (`prometheus, version 2.42.0 ...`).
    pub server: String,
    /// How often it scraped, seconds.
    pub interval_s: f64,
    /// The scrapes recorded.
    pub scrapes: u32,
    /// Those that succeeded.
    pub up: u32,
    /// Median scrape duration, ms.
    pub duration_ms_median: Option<f64>,
    /// Longest scrape, ms.
    pub duration_ms_max: Option<f64>,
    /// Samples in the last successful scrape.
    pub samples: Option<u64>,
    /// Why the scrapes could not be read back, when they could not.
    pub failure: Option<String>,
}

/// What the run's OTLP receiver got from one repeat of a `tracing` rung, against what the
/// rung served.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SpanRun {
    /// The share of traces the rung keeps.
    pub ratio: f64,
    /// Export requests received.
    pub exports: u64,
    /// Spans received, all names.
    pub spans: u64,
    /// Spans of the account route (`GET /accounts/{id}`).
    pub account_spans: u64,
    /// Account requests the load sent and the rung answered (warm-up and steps).
    pub account_requests: u64,
    /// Bytes of the export bodies (protobuf).
    pub bytes: u64,
    /// Exports refused as malformed.
    pub refused: u64,
    /// `account_spans / account_requests`, to set beside `ratio`.
    pub kept: Option<f64>,
    /// Whether `kept` agrees with `ratio` (within half of it either way, or exactly for 1.0).
    pub agrees: bool,
}
