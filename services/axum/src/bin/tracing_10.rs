//! `footprint-axum-tracing-10`: the `tracing` rung of the axum stack sampling one trace in
//! ten; a span per request, exported over OTLP/HTTP (contract F3).

use footprint_core::observe::Observer;

/// The rung's name, in its ready line and as the spans' service.
const RUNG: &str = "axum@tracing-10";

fn main() -> std::process::ExitCode {
    footprint_axum::rung::main(RUNG, || Observer::new().with_spans(RUNG, 0.1))
}
