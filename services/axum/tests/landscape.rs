//! The landscape rules against the real `footprint-axum-quotes` binary and a fake quotes.

footprint_contract::landscape_suite!(footprint_contract::Target::new(
    "axum+quotes",
    env!("CARGO_BIN_EXE_footprint-axum-quotes")
));
