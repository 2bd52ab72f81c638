//! The service contract and the bad-input battery against the real `footprint-axum` binary.

footprint_contract::contract_suite!(footprint_contract::Target::new(
    "axum",
    env!("CARGO_BIN_EXE_footprint-axum")
));
