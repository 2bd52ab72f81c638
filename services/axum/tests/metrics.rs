//! The `metrics` rung's rule (contract F2) against the real `footprint-axum-metrics` binary.

footprint_contract::metrics_suite!(footprint_contract::Target::new(
    "axum@metrics",
    env!("CARGO_BIN_EXE_footprint-axum-metrics")
));
