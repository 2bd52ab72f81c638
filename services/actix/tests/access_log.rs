//! The `log` rung's rule (contract F1) against the real `footprint-actix-log` binary.

footprint_contract::access_log_suite!(footprint_contract::Target::new(
    "actix@log",
    env!("CARGO_BIN_EXE_footprint-actix-log")
));
