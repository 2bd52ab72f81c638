//! The `log` rung's rule (contract F1) against the real `footprint-axum-log` binary.

footprint_contract::access_log_suite!(footprint_contract::Target::new(
    "axum@log",
    env!("CARGO_BIN_EXE_footprint-axum-log")
));
