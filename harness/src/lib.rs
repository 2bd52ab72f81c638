//! The footprint harness: runs load scenarios against each stack's service, measures what it
//! uses, and writes the results. `main.rs` only calls [`cli::main`]; tests call the same code.

pub mod aggregate;
pub mod backend;
pub mod boot;
pub mod calibrate;
pub mod cancel;
pub mod capacity;
pub mod cli;
pub(crate) mod commands;
pub mod compare;
pub mod conformance;
pub mod cost;
pub mod driver;
pub mod env;
pub mod fit;
pub mod fleet;
pub mod lock;
pub mod measure;
pub mod model;
pub mod placement;
pub(crate) mod plan;
pub mod prepare;
pub mod progress;
pub mod publish;
pub mod render;
pub mod report;
pub mod results;
pub(crate) mod run;
pub mod sample;
pub mod scenario;
pub mod scrape;
pub mod setup;
pub mod stacks;
pub mod stats;
pub mod table;
