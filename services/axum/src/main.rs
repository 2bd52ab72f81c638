//! `footprint-axum`: the account service on axum 0.8.

use std::process::ExitCode;
use std::sync::Arc;

use footprint_axum::{STACK, app};
use footprint_core::{AccountService, Boot, Config, host};
use hyper_util::service::TowerToHyperService;

fn main() -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(STACK);
    let app = app(Arc::new(AccountService::seeded(host::hostname())));
    let served = footprint_serve::runtime(&config).and_then(|runtime| {
        runtime.block_on(footprint_serve::serve(config, boot, STACK, || {
            TowerToHyperService::new(app.clone())
        }))
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{STACK}: cannot serve on {}: {e}", config.addr());
            ExitCode::FAILURE
        }
    }
}
