//! The `metrics` rung's rule (contract F2) against `go@metrics`, the Go service built with
//! `-tags metrics` in GOPATH mode against Debian's Prometheus client (`client_golang`), exactly
//! as the harness builds it.

footprint_contract::metrics_suite!(harness::stacks::contract_target("go@metrics"));
