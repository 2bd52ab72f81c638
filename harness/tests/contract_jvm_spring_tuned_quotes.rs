//! The landscape rules (contract L1-L6) against `jvm-spring-tuned+quotes`: the same jar as
//! `jvm-spring+quotes` with the tuned JVM's options (a 64 MiB heap, the serial collector),
//! launched exactly as the harness launches it, and a fake quotes service.

footprint_contract::landscape_suite!(harness::stacks::contract_target("jvm-spring-tuned+quotes"));
