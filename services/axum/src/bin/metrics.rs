//! `footprint-axum-metrics`: the `metrics` rung of the axum stack; requests counted and timed
//! by route and status, exposed on `GET /metrics` (contract F2).

use footprint_core::observe::Observer;

fn main() -> std::process::ExitCode {
    footprint_axum::rung::main("axum@metrics", || Observer::new().with_metrics())
}
