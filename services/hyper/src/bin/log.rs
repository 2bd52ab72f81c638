//! `footprint-hyper-log`: the `log` rung of the hyper stack; each request is logged as one
//! JSON line on stdout (contract F1).

use footprint_core::observe::Observer;

fn main() -> std::process::ExitCode {
    footprint_hyper::rung::main("hyper@log", || Observer::new().with_log())
}
