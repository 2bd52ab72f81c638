//! The service contract and the bad-input battery against the real `footprint-actix` binary.

footprint_contract::contract_suite!(footprint_contract::Target::new(
    "actix",
    env!("CARGO_BIN_EXE_footprint-actix")
));
