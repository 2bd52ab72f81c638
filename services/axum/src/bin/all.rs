//! `footprint-axum-all`: the `all` rung of the axum stack; the access log, the metrics
//! and a span per request (every one kept) together (contract F1, F2, F3).

use footprint_core::observe::Observer;

/// The rung's name, in its ready line and as the spans' service.
const RUNG: &str = "axum@all";

fn main() -> std::process::ExitCode {
    footprint_axum::rung::main(RUNG, || {
        Observer::new()
            .with_log()
            .with_metrics()
            .with_spans(RUNG, 1.0)
    })
}
