//! The feature ladder's rules against the Go service's rungs, built exactly as the harness
//! builds them (GOPATH mode against Debian's Go libraries): the `log` rule (contract F1)
//! against `go@log` (`-tags log`, slog's JSON handler) and the `metrics` rule (contract F2)
//! against `go@metrics` (`-tags metrics`, the Prometheus project's `client_golang`).

footprint_contract::access_log_suite!(harness::stacks::contract_target("go@log"));
footprint_contract::metrics_suite!(harness::stacks::contract_target("go@metrics"));
