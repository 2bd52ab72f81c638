//! The service contract and the bad-input battery against the `go` stack, built and launched
//! exactly as the harness does. CI installs its toolchain: without it these tests fail.

footprint_contract::contract_suite!(harness::stacks::contract_target("go"), max_parallel = 8);
