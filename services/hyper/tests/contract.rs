//! The service contract and the bad-input battery against the real `footprint-hyper` binary.

footprint_contract::contract_suite!(footprint_contract::Target::new(
    "hyper",
    env!("CARGO_BIN_EXE_footprint-hyper")
));
