//! The `all` rung against the real `footprint-actix-all` binary: the rules of each rung it
//! combines (contract F1, F2, F3).

/// The rung, as each suite starts it.
fn target() -> footprint_contract::Target {
    footprint_contract::Target::new("actix@all", env!("CARGO_BIN_EXE_footprint-actix-all"))
}

footprint_contract::access_log_suite!(target());
footprint_contract::metrics_suite!(target());
footprint_contract::spans_suite!(target());
