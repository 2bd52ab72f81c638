//! Cost projection: what a fleet of N services at R requests per second each costs on EC2 in
//! each stack, from a run's figures and the price table in `data/ec2-prices.csv`.
//!
//! [`prices`] reads and checks the price table; [`projection`] is the arithmetic, from a
//! [`Summary`](crate::model::Summary) and the prices to a [`CostReport`]. Neither knows how the
//! report is shown: that is [`crate::render`]'s. The conventions (a 730-hour month, the
//! sustained CPU of a burstable instance, aarch64 rows only for aarch64 builds) are those of
//! `data/README.md`.

#[cfg(test)]
pub(crate) mod fixtures;
pub mod prices;
pub mod projection;

pub use prices::{
    Arch, COLUMNS, Price, PriceError, SelectError, load_prices, parse_prices, select,
};
pub use projection::{
    Bound, Choice, CostReport, CpuSource, FargateLine, Fleet, InstanceRow, MemorySource, Need,
    Projection, StackCost, StackInput, fargate, fargate_sizes, need, project, project_instance,
    stack_input,
};

/// Version of the [`CostReport`] model; bumped on any incompatible change. Version 2: the
/// baseline is the stack declared with that role, and a run may have none.
pub const SCHEMA_VERSION: u32 = 2;
/// The price table, relative to the project's root.
pub const PRICES_FILE: &str = "data/ec2-prices.csv";
/// Hours in a month, the convention cost tools use (`data/README.md`).
pub const HOURS_PER_MONTH: f64 = 730.0;
/// Fargate, x86, us-east-1: USD per vCPU-hour (third-party summary, `data/README.md`).
pub const FARGATE_USD_PER_VCPU_HOUR: f64 = 0.04048;
/// Fargate, x86, us-east-1: USD per GB-hour of task memory (third-party summary).
pub const FARGATE_USD_PER_GB_HOUR: f64 = 0.004445;
/// Default fleet size: services, one replica each.
pub const DEFAULT_SERVICES: u32 = 10;
/// Default load on each service, requests per second.
pub const DEFAULT_RPS: f64 = 100.0;
/// Default headroom on memory and CPU, percent.
pub const DEFAULT_HEADROOM_PCT: f64 = 25.0;
/// Default memory the OS and container runtime keep on every instance, MiB.
pub const DEFAULT_OS_RESERVE_MIB: u64 = 256;
