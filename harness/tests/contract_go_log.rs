//! The `log` rung's rule (contract F1) against `go@log`, the Go service built with
//! `-tags log` in GOPATH mode against Debian's `golang.org/x/exp/slog`, exactly as the harness
//! builds it.

footprint_contract::access_log_suite!(harness::stacks::contract_target("go@log"));
