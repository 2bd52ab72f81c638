//! What a rung of the feature ladder adds around each request, in one value every stack's
//! hook holds (hyper's `service_fn`, an axum middleware, actix's `wrap_fn`): the access log
//! (`log`, contract F1), the metrics (`metrics`, contract F2) and a span per request
//! (`tracing`, contract F3), each on when the rung's binary asks for it, whatever features the
//! package was built with.

use std::time::Duration;

/// `Content-Type` of the answer to `GET /metrics` (OpenMetrics text).
pub const EXPOSITION_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The concerns a rung's binary turns on.
#[derive(Default)]
pub struct Observer {
    #[cfg(feature = "log")]
    log: bool,
    #[cfg(feature = "metrics")]
    metrics: Option<crate::metrics::Metrics>,
    #[cfg(feature = "otel")]
    spans: Option<crate::spans::Spans>,
}

impl Observer {
    /// Nothing on.
    pub fn new() -> Self {
        Self::default()
    }

    /// With the access log: the JSON subscriber on stdout is installed now.
    #[cfg(feature = "log")]
    pub fn with_log(mut self) -> Self {
        crate::access_log::init();
        self.log = true;
        self
    }

    /// With the metrics and their endpoint, `GET /metrics`.
    #[cfg(feature = "metrics")]
    pub fn with_metrics(mut self) -> Self {
        self.metrics = Some(crate::metrics::Metrics::new());
        self
    }

    /// With a span per request exported over OTLP/HTTP, keeping the share `ratio` of traces,
    /// for the service `name`; a rung that cannot make its exporter says why and exits 2.
    #[cfg(feature = "otel")]
    pub fn with_spans(mut self, name: &'static str, ratio: f64) -> Self {
        match crate::spans::Spans::new(name, ratio) {
            Ok(spans) => self.spans = Some(spans),
            Err(why) => {
                eprintln!("{name}: {why}");
                std::process::exit(2);
            }
        }
        self
    }

    /// Ends what the rung runs beside the service (the span exporter flushes its queue).
    pub fn shutdown(&self) {
        #[cfg(feature = "otel")]
        if let Some(spans) = &self.spans {
            spans.shutdown();
        }
    }

    /// The answer to a request for the metrics, when it is one (`GET` of `/metrics`) and the
    /// rung exposes them; the hook sends it with [`EXPOSITION_TYPE`].
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub fn exposition(&self, method: &str, path: &str) -> Option<String> {
        #[cfg(feature = "metrics")]
        if let Some(metrics) = &self.metrics
            && method == "GET"
            && path == crate::METRICS_PATH
        {
            return Some(metrics.encode());
        }
        None
    }

    /// One answered request: logged, counted, traced, as the rung asks.
    #[cfg_attr(not(any(feature = "log", feature = "otel")), allow(unused_variables))]
    pub fn answered(&self, method: &str, path: &str, status: u16, took: Duration) {
        #[cfg(feature = "log")]
        if self.log {
            crate::access_log::request(method, path, status, took);
        }
        #[cfg(feature = "metrics")]
        if let Some(metrics) = &self.metrics {
            metrics.record(path, status, took);
        }
        #[cfg(feature = "otel")]
        if let Some(spans) = &self.spans {
            spans.answered(method, path, status, took);
        }
    }
}
