//! `footprint-axum-tracing`: the `tracing` rung of the axum stack; a span per request,
//! every one kept, exported over OTLP/HTTP (contract F3).

use footprint_core::observe::Observer;

/// The rung's name, in its ready line and as the spans' service.
const RUNG: &str = "axum@tracing";

fn main() -> std::process::ExitCode {
    footprint_axum::rung::main(RUNG, || Observer::new().with_spans(RUNG, 1.0))
}
