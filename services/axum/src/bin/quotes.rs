//! `footprint-axum-quotes`: the landscape variant of the axum stack; each account answer
//! carries a quote from the quotes service at `QUOTES_URL`.

use std::process::ExitCode;
use std::sync::Arc;

use footprint_axum::{STACK, app_with_quotes};
use footprint_core::{AccountService, Boot, Config, QuotesConfig, host};
use footprint_serve::quotes::Quotes;
use hyper_util::service::TowerToHyperService;

/// The variant's name, in its ready line.
const VARIANT: &str = "axum+quotes";

fn main() -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(VARIANT);
    let quotes_config = QuotesConfig::from_env_or_exit(VARIANT);
    let served = footprint_serve::runtime(&config).and_then(|runtime| {
        runtime.block_on(async {
            let quotes = Quotes::new(STACK, quotes_config).map_err(std::io::Error::other)?;
            let app = app_with_quotes(
                Arc::new(AccountService::seeded(host::hostname())),
                Arc::new(quotes),
            );
            footprint_serve::serve(config, boot, VARIANT, || {
                TowerToHyperService::new(app.clone())
            })
            .await
        })
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{VARIANT}: cannot serve on {}: {e}", config.addr());
            ExitCode::FAILURE
        }
    }
}
