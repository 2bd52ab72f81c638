//! The `metrics` rung (contract F2): a request counter and a latency histogram by route and
//! status, exposed on `GET /metrics` in the OpenMetrics text format, with the Prometheus
//! project's own Rust client (`prometheus-client`).
//!
//! `prometheus-client` keeps one counter and one fixed set of bucket counters per label set,
//! so memory does not grow with the requests served, scraped or not: there is no upkeep to
//! schedule (unlike exporters that keep samples for summaries until a scrape drains them).
//!
//! ```text
//! # TYPE http_requests counter
//! http_requests_total{route="/accounts/{id}",status="200"} 1042
//! # TYPE http_request_duration_seconds histogram
//! http_request_duration_seconds_bucket{le="0.0001",route="/accounts/{id}",status="200"} 17
//! ```

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::route;

/// The counter's name; the exposition adds `_total`.
pub const REQUESTS: &str = "http_requests";

/// The histogram's name.
pub const DURATION: &str = "http_request_duration_seconds";

/// The histogram's first upper bound, in seconds (100 µs); each next one doubles it.
pub const FIRST_BUCKET_S: f64 = 0.000_1;

/// How many upper bounds the histogram has (100 µs to 0.82 s, then `+Inf`).
pub const BUCKETS: u16 = 14;

/// The labels of both metrics: the route the request matched (its template, so the set stays
/// small whatever ids are asked) and the status sent.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Labels {
    route: &'static str,
    status: u16,
}

/// The rung's metrics and their registry.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    duration: Family<Labels, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// The counter and the histogram, registered.
    pub fn new() -> Self {
        let requests = Family::<Labels, Counter>::default();
        let duration: Family<Labels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(FIRST_BUCKET_S, 2.0, BUCKETS))
            });
        let mut registry = Registry::default();
        registry.register(REQUESTS, "Requests answered", requests.clone());
        registry.register(
            DURATION,
            "Time from the request's head to its answer",
            duration.clone(),
        );
        Self {
            registry,
            requests,
            duration,
        }
    }

    /// Counts one answered request and its duration.
    pub fn record(&self, path: &str, status: u16, took: Duration) {
        let labels = Labels {
            route: route(path),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.duration
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
    }

    /// The exposition: every metric in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::with_capacity(4096);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_counts_by_route_and_status() {
        let metrics = Metrics::new();
        for _ in 0..3 {
            metrics.record("/accounts/10042", 200, Duration::from_micros(150));
        }
        metrics.record("/accounts/abc", 400, Duration::from_micros(50));
        let text = metrics.encode();
        assert!(
            text.contains(r#"http_requests_total{route="/accounts/{id}",status="200"} 3"#),
            "{text}"
        );
        assert!(
            text.contains(r#"http_requests_total{route="/accounts/{id}",status="400"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"http_request_duration_seconds_bucket{le="0.0002",route="/accounts/{id}",status="200"} 3"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"http_request_duration_seconds_count{route="/accounts/{id}",status="200"} 3"#
            ),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
