//! `footprint-hyper-metrics`: the `metrics` rung of the hyper stack; requests counted and
//! timed by route and status, exposed on `GET /metrics` (contract F2).

use footprint_core::observe::Observer;

fn main() -> std::process::ExitCode {
    footprint_hyper::rung::main("hyper@metrics", || Observer::new().with_metrics())
}
