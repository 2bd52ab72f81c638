//! The `tracing` rung (contract F3): one OpenTelemetry span per request with the standard HTTP
//! attributes, exported in batches over OTLP/HTTP (protobuf) by the OpenTelemetry SDK's batch
//! processor and `opentelemetry-otlp`, the way a Rust service is usually traced.
//!
//! The exporter sends to `OTEL_EXPORTER_OTLP_ENDPOINT` (`/v1/traces` appended; by default
//! `http://localhost:4318`), as every OpenTelemetry SDK does; the batch processor keeps its
//! defaults (and reads the standard `OTEL_BSP_*` variables). The sampling ratio is the rung's:
//! `tracing` keeps every span, `tracing-10` one trace in ten (trace-id ratio, parent-based).

use std::time::{Duration, SystemTime};

use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, SpanKind, Tracer as _, TracerProvider as _};
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{Sampler, SdkTracer, SdkTracerProvider};

use crate::route;

/// How long the stop may spend exporting the spans still queued.
pub const FLUSH: Duration = Duration::from_millis(300);

/// The rung's tracer and the provider that exports its spans.
pub struct Spans {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
}

impl Spans {
    /// The tracer of the service `name`, keeping the share `ratio` of traces (1.0: all).
    pub fn new(name: &'static str, ratio: f64) -> Result<Self, String> {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .build()
            .map_err(|e| format!("the OTLP exporter: {e}"))?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
                ratio,
            ))))
            .with_resource(Resource::builder().with_service_name(name).build())
            .build();
        let tracer = provider.tracer("footprint");
        Ok(Self { provider, tracer })
    }

    /// The span of one answered request, from when its head was read to its answer: a
    /// server span named by its method and route, with the semantic conventions' attributes.
    pub fn answered(&self, method: &str, path: &str, status: u16, took: Duration) {
        let end = SystemTime::now();
        let route = route(path);
        let mut span = self
            .tracer
            .span_builder(format!("{method} {route}"))
            .with_kind(SpanKind::Server)
            .with_start_time(end.checked_sub(took).unwrap_or(end))
            .with_attributes([
                KeyValue::new("http.request.method", method.to_owned()),
                KeyValue::new("url.path", path.to_owned()),
                KeyValue::new("http.route", route),
                KeyValue::new("http.response.status_code", i64::from(status)),
            ])
            .start(&self.tracer);
        span.end_with_timestamp(end);
    }

    /// Exports what is queued and stops the exporter, within [`FLUSH`].
    pub fn shutdown(&self) {
        let _ = self.provider.shutdown_with_timeout(FLUSH);
    }
}
