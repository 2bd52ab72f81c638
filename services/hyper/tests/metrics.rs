//! The `metrics` rung's rule (contract F2) against the real `footprint-hyper-metrics` binary.

footprint_contract::metrics_suite!(footprint_contract::Target::new(
    "hyper@metrics",
    env!("CARGO_BIN_EXE_footprint-hyper-metrics")
));
