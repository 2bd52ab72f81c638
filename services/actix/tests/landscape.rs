//! The landscape rules against the real `footprint-actix-quotes` binary and a fake quotes.

footprint_contract::landscape_suite!(footprint_contract::Target::new(
    "actix+quotes",
    env!("CARGO_BIN_EXE_footprint-actix-quotes")
));
