//! `footprint-axum-log`: the `log` rung of the axum stack; each request is logged as one
//! JSON line on stdout (contract F1).

use footprint_core::observe::Observer;

fn main() -> std::process::ExitCode {
    footprint_axum::rung::main("axum@log", || Observer::new().with_log())
}
