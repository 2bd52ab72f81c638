//! `footprint-actix-log`: the `log` rung of the actix stack; each request is logged as one
//! JSON line on stdout (contract F1).

use std::process::ExitCode;

use actix_web::web;
use footprint_actix::{run_until_signal, server_with_access_log};
use footprint_core::{AccountService, Boot, Config, access_log, host};

/// The rung's name, in its ready line.
const RUNG: &str = "actix@log";

fn main() -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(RUNG);
    access_log::init();
    let service = web::Data::new(AccountService::seeded(host::hostname()));
    match run_until_signal(|| server_with_access_log(config, boot, service)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{RUNG}: cannot serve on {}: {e}", config.addr());
            ExitCode::FAILURE
        }
    }
}
