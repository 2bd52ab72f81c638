//! `footprint-actix-quotes`: the landscape variant of the actix stack; each account answer
//! carries a quote from the quotes service at `QUOTES_URL`, fetched with awc.

use std::process::ExitCode;

use actix_web::web;
use footprint_actix::landscape::{Shared, VARIANT, server};
use footprint_actix::run_until_signal;
use footprint_core::{AccountService, Boot, Config, QuotesConfig, host};

fn main() -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(VARIANT);
    let quotes = Shared::new(QuotesConfig::from_env_or_exit(VARIANT));
    let service = web::Data::new(AccountService::seeded(host::hostname()));
    match run_until_signal(|| server(config, boot, service, quotes)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{VARIANT}: cannot serve on {}: {e}", config.addr());
            ExitCode::FAILURE
        }
    }
}
