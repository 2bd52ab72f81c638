//! The service contract and the bad-input battery against the `jvm-spring-tuned` stack, built and launched
//! exactly as the harness does. CI installs its toolchain: without it these tests fail.

footprint_contract::contract_suite!(
    harness::stacks::contract_target("jvm-spring-tuned"),
    max_parallel = 3
);
