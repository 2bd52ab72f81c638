//! The landscape rules (contract L1-L6) against `jvm-spring+quotes`, the Spring service built
//! with `build.sh OUT --quotes` exactly as the harness builds it, and a fake quotes service.

footprint_contract::landscape_suite!(harness::stacks::contract_target("jvm-spring+quotes"));
