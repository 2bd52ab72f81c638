//! `footprint-floor`: the account service on the standard library alone.

use std::process::ExitCode;

use footprint_core::{Boot, Config};

fn main() -> ExitCode {
    let boot = Boot::start();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("floor: {e}");
            return ExitCode::from(2);
        }
    };
    match footprint_floor::server::run(config, boot) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("floor: cannot serve on {}: {e}", config.addr());
            ExitCode::FAILURE
        }
    }
}
