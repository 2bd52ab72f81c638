//! `footprint-axum-log`: the `log` rung of the axum stack; each request is logged as one
//! JSON line on stdout (contract F1).

use std::process::ExitCode;
use std::sync::Arc;

use footprint_axum::app_with_access_log;
use footprint_core::{AccountService, Boot, Config, access_log, host};
use hyper_util::service::TowerToHyperService;

/// The rung's name, in its ready line.
const RUNG: &str = "axum@log";

fn main() -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(RUNG);
    access_log::init();
    let app = app_with_access_log(Arc::new(AccountService::seeded(host::hostname())));
    let served = footprint_serve::runtime(&config).and_then(|runtime| {
        runtime.block_on(footprint_serve::serve(config, boot, RUNG, || {
            TowerToHyperService::new(app.clone())
        }))
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{RUNG}: cannot serve on {}: {e}", config.addr());
            ExitCode::FAILURE
        }
    }
}
