//! The landscape rules (contract L1-L6) against `go+quotes`, the Go service built with
//! `-tags quotes` exactly as the harness builds it, and a fake quotes service.

footprint_contract::landscape_suite!(harness::stacks::contract_target("go+quotes"));
