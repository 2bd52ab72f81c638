//! `footprint-actix-metrics`: the `metrics` rung of the actix stack; requests counted and timed
//! by route and status, exposed on `GET /metrics` (contract F2).

use footprint_core::observe::Observer;

fn main() -> std::process::ExitCode {
    footprint_actix::rung::main("actix@metrics", || Observer::new().with_metrics())
}
