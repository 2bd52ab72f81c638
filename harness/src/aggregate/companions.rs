//! What the services beside a stack come to in one repeat: its downstream's figures per step,
//! Prometheus's scrapes of a `metrics` rung, the spans of a `tracing` rung.

use crate::model::{DownstreamStep, Sample, Scrape, ScrapeRun, SpanRun};
use crate::stats::{median, median_u64, rate};

/// A downstream's figures over a step's `window` (seconds since the run's epoch) from its own
/// samples, with `served` the variant's requests served in the step: its median memory, its
/// CPU in cores, and that CPU per 1000 of the variant's answers.
pub fn downstream_step(samples: &[Sample], window: (f64, f64), served: u64) -> DownstreamStep {
    let inside: Vec<&Sample> = samples
        .iter()
        .filter(|s| (window.0..=window.1).contains(&s.at.as_secs_f64()))
        .collect();
    let points: Vec<(f64, f64)> = inside
        .iter()
        .map(|s| (s.at.as_secs_f64(), s.service.cpu_us as f64 / 1e6))
        .collect();
    let cores = rate(&points);
    let seconds = window.1 - window.0;
    let rss: Vec<u64> = inside.iter().map(|s| s.service.rss_kb).collect();
    DownstreamStep {
        rss_kb: median_u64(&rss),
        cores,
        cpu_ms_per_1000: cores
            .filter(|_| served > 0 && seconds > 0.0)
            .map(|c| c * seconds * 1000.0 / served as f64 * 1000.0),
    }
}

/// What the scraper saw of one repeat of a `metrics` rung: how many scrapes, how many
/// succeeded, their duration (median, longest) and the samples the last good one read.
pub fn scrape_run(server: String, interval_s: f64, scrapes: &[Scrape]) -> ScrapeRun {
    let durations: Vec<f64> = scrapes.iter().filter_map(|s| s.duration_ms).collect();
    ScrapeRun {
        server,
        interval_s,
        scrapes: u32::try_from(scrapes.len()).unwrap_or(u32::MAX),
        up: u32::try_from(scrapes.iter().filter(|s| s.up).count()).unwrap_or(u32::MAX),
        duration_ms_median: median(&durations),
        duration_ms_max: durations.iter().copied().reduce(f64::max),
        samples: scrapes.iter().rev().find(|s| s.up).and_then(|s| s.samples),
        failure: None,
    }
}

/// A `tracing` rung's spans against the account requests it answered (warm-up and steps):
/// the share kept, and whether it agrees with the rung's ratio. Every span kept (ratio 1) must
/// be every request; a sampled share within half of the ratio either way (for the thousands
/// of requests of a run, many standard deviations).
#[allow(clippy::too_many_arguments)]
pub fn span_run(
    ratio: f64,
    exports: u64,
    spans: u64,
    account_spans: u64,
    account_requests: u64,
    bytes: u64,
    refused: u64,
) -> SpanRun {
    let kept = (account_requests > 0).then(|| account_spans as f64 / account_requests as f64);
    let agrees = refused == 0
        && kept.is_some_and(|k| {
            if ratio >= 1.0 {
                account_spans == account_requests
            } else {
                (ratio * 0.5..=ratio * 1.5).contains(&k)
            }
        });
    SpanRun {
        ratio,
        exports,
        spans,
        account_spans,
        account_requests,
        bytes,
        refused,
        kept,
        agrees,
    }
}
