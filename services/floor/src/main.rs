//! `footprint-floor`: the account service on the standard library alone.

use std::process::ExitCode;

use footprint_core::{Boot, Config};
use footprint_floor::STACK;

fn main() -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(STACK);
    match footprint_floor::server::run(config, boot) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{STACK}: cannot serve on {}: {e}", config.addr());
            ExitCode::FAILURE
        }
    }
}
