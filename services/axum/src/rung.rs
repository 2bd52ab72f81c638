//! The feature ladder's rungs of the axum stack (`axum@log`, `@metrics`, `@tracing`, `@tracing-10`,
//! `@all`): the same application with the rung's observer in a middleware
//! ([`crate::app_observed`]).

use std::process::ExitCode;
use std::sync::Arc;

use footprint_core::observe::Observer;
use footprint_core::{AccountService, Boot, Config, host};
use hyper_util::service::TowerToHyperService;

use crate::app_observed;

/// Serves the rung called `name` with the observer `observe` makes, until `SIGTERM` or
/// `SIGINT`: a rung binary's whole `main`.
pub fn main(name: &'static str, observe: impl FnOnce() -> Observer) -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(name);
    let observer = Arc::new(observe());
    let app = app_observed(
        Arc::new(AccountService::seeded(host::hostname())),
        Arc::clone(&observer),
    );
    let served = footprint_serve::runtime(&config).and_then(|runtime| {
        runtime.block_on(footprint_serve::serve(config, boot, name, || {
            TowerToHyperService::new(app.clone())
        }))
    });
    observer.shutdown();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: cannot serve on {}: {e}", config.addr());
            ExitCode::FAILURE
        }
    }
}
