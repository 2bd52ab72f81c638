//! What each command does once its command line is parsed (`cli` parses and dispatches):
//! one file per command or group of commands, each handler printing what the user reads and
//! returning the exit status.

pub(crate) mod calibrate;
pub(crate) mod clean;
pub(crate) mod contract;
pub(crate) mod inspect;
pub(crate) mod publish;
pub(crate) mod scenario;
pub(crate) mod serve;

use std::path::Path;

use clap::ValueEnum;

use crate::backend::select;
use crate::cost;

/// The project's EC2 price table, or why it cannot be read.
fn load_prices(root: &Path) -> Result<Vec<cost::Price>, cost::PriceError> {
    cost::load_prices(&root.join(cost::PRICES_FILE))
}

/// `--backend`: where services run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BackendArg {
    /// The best available: swarm, docker, then local.
    Auto,
    /// Each service a child process of the harness.
    Local,
    /// Each service a container of its stack's minimal image.
    Docker,
    /// Each service a Docker Swarm service.
    Swarm,
}

impl BackendArg {
    /// The backend this names.
    pub(crate) fn kind(self) -> select::Kind {
        match self {
            Self::Auto => select::Kind::Auto,
            Self::Local => select::Kind::Local,
            Self::Docker => select::Kind::Docker,
            Self::Swarm => select::Kind::Swarm,
        }
    }
}
