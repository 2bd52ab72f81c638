//! `footprint-actix`: the account service on actix-web 4.

use std::process::ExitCode;

use actix_web::web;
use footprint_actix::{STACK, run_until_signal, server};
use footprint_core::{AccountService, Boot, Config, host};

fn main() -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(STACK);
    let service = web::Data::new(AccountService::seeded(host::hostname()));
    match run_until_signal(|| server(config, boot, service)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{STACK}: cannot serve on {}: {e}", config.addr());
            ExitCode::FAILURE
        }
    }
}
