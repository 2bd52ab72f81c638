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

use crate::cost;

/// The project's EC2 price table, or why it cannot be read.
fn load_prices(root: &Path) -> Result<Vec<cost::Price>, cost::PriceError> {
    cost::load_prices(&root.join(cost::PRICES_FILE))
}
