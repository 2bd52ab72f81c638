//! The landscape rules against the real `footprint-hyper-quotes` binary and a fake quotes.

footprint_contract::landscape_suite!(footprint_contract::Target::new(
    "hyper+quotes",
    env!("CARGO_BIN_EXE_footprint-hyper-quotes")
));
