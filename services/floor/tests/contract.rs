//! The service contract and the bad-input battery against the real `footprint-floor` binary.

footprint_contract::contract_suite!(footprint_contract::Target::new(
    "floor",
    env!("CARGO_BIN_EXE_footprint-floor")
));
