//! Where a service runs. Only this module starts service processes (or, later, containers).

pub mod local;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use footprint_contract::ReadyLine;

use crate::sample::Source;

/// What to start: a stack's program with its environment, on which CPUs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    /// The stack's name.
    pub stack: String,
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Environment beyond `PORT` and `BIND`, which the backend sets.
    pub env: Vec<(String, String)>,
    /// CPUs the service may use; empty for no pinning.
    pub cpus: Vec<usize>,
}

/// Why a service could not be started or read.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The program could not be started.
    #[error("cannot start {stack} ({program}): {source}")]
    Spawn {
        /// The stack.
        stack: String,
        /// The program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// No free port.
    #[error("no free port on 127.0.0.1: {0}")]
    Port(std::io::Error),
    /// CPU pinning failed.
    #[error("cannot pin {stack} to CPUs {cpus:?}: {source}")]
    Pin {
        /// The stack.
        stack: String,
        /// The CPUs asked for.
        cpus: Vec<usize>,
        /// Why.
        source: std::io::Error,
    },
}

/// A place services run.
pub trait Backend {
    /// The backend's name (`local`, `docker`, `swarm`).
    fn name(&self) -> &'static str;

    /// Starts a service and returns at once; `Instance::started` is the moment of the start call.
    fn start(&self, spec: &ServiceSpec) -> Result<Box<dyn Instance>, BackendError>;

    /// Name of the memory counter its samples use (`RSS` for processes).
    fn memory_counter(&self) -> &'static str;
}

/// One started service.
pub trait Instance {
    /// Where to send requests.
    fn addr(&self) -> SocketAddr;

    /// When the backend started it.
    fn started(&self) -> Instant;

    /// Process id, where there is one on this machine.
    fn pid(&self) -> Option<u32>;

    /// A reader of its memory and CPU.
    fn source(&self) -> Box<dyn Source>;

    /// The ready line, once printed.
    fn ready_line(&self) -> Option<ReadyLine>;

    /// `Some(description)` when it has exited (crash, kill, or end).
    fn exited(&mut self) -> Option<String>;

    /// What it wrote to stderr (the last few KiB).
    fn stderr_tail(&self) -> String;

    /// Stops it gracefully (`SIGTERM`), killing it if it does not exit in time; returns how it
    /// ended.
    fn stop(&mut self) -> String;
}
