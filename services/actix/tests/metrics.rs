//! The `metrics` rung's rule (contract F2) against the real `footprint-actix-metrics` binary.

footprint_contract::metrics_suite!(footprint_contract::Target::new(
    "actix@metrics",
    env!("CARGO_BIN_EXE_footprint-actix-metrics")
));
