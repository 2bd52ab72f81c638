//! The `log` rung's rule (contract F1) against the real `footprint-hyper-log` binary.

footprint_contract::access_log_suite!(footprint_contract::Target::new(
    "hyper@log",
    env!("CARGO_BIN_EXE_footprint-hyper-log")
));
