//! `footprint-actix-all`: the `all` rung of the actix stack; the access log, the metrics
//! and a span per request (every one kept) together (contract F1, F2, F3).

use footprint_core::observe::Observer;

/// The rung's name, in its ready line and as the spans' service.
const RUNG: &str = "actix@all";

fn main() -> std::process::ExitCode {
    footprint_actix::rung::main(RUNG, || {
        Observer::new()
            .with_log()
            .with_metrics()
            .with_spans(RUNG, 1.0)
    })
}
