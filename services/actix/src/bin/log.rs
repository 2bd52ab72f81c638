//! `footprint-actix-log`: the `log` rung of the actix stack; each request is logged as one
//! JSON line on stdout (contract F1).

use footprint_core::observe::Observer;

fn main() -> std::process::ExitCode {
    footprint_actix::rung::main("actix@log", || Observer::new().with_log())
}
