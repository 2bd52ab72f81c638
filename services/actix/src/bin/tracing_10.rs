//! `footprint-actix-tracing-10`: the `tracing` rung of the actix stack sampling one trace in
//! ten; a span per request, exported over OTLP/HTTP (contract F3).

use footprint_core::observe::Observer;

/// The rung's name, in its ready line and as the spans' service.
const RUNG: &str = "actix@tracing-10";

fn main() -> std::process::ExitCode {
    footprint_actix::rung::main(RUNG, || Observer::new().with_spans(RUNG, 0.1))
}
