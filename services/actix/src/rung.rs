//! The feature ladder's rungs of the actix stack (`actix@log`, `@metrics`, `@tracing`,
//! `@tracing-10`, `@all`): the same server with the rung's observer in a `wrap_fn`
//! ([`crate::server_observed`]).

use std::process::ExitCode;
use std::sync::Arc;

use actix_web::web;
use footprint_core::observe::Observer;
use footprint_core::{AccountService, Boot, Config, host};

use crate::{run_until_signal, server_observed};

/// Serves the rung called `name` with the observer `observe` makes, until `SIGTERM` or
/// `SIGINT`: a rung binary's whole `main`.
pub fn main(name: &'static str, observe: impl FnOnce() -> Observer) -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(name);
    let observer = Arc::new(observe());
    let service = web::Data::new(AccountService::seeded(host::hostname()));
    let served =
        run_until_signal(|| server_observed(config, boot, service, Arc::clone(&observer), name));
    observer.shutdown();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: cannot serve on {}: {e}", config.addr());
            ExitCode::FAILURE
        }
    }
}
