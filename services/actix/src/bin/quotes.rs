//! `footprint-actix-quotes`: the landscape variant of the actix stack; each account answer
//! carries a quote from the quotes service at `QUOTES_URL`, fetched with awc.

use std::process::ExitCode;

use actix_web::web;
use footprint_actix::landscape::{Shared, VARIANT, server};
use footprint_core::{AccountService, Boot, Config, QuotesConfig, host, shutdown};

fn main() -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(VARIANT);
    let quotes = Shared::new(QuotesConfig::from_env_or_exit(VARIANT));
    let service = web::Data::new(AccountService::seeded(host::hostname()));
    let served = actix_web::rt::System::new().block_on(async move {
        let server = server(config, boot, service, quotes)?;
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            shutdown::signal().await;
            // As the base stack: stop accepting, give in-flight requests the grace, stop.
            handle.pause().await;
            actix_web::rt::time::sleep(shutdown::GRACE).await;
            handle.stop(false).await;
        });
        server.await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{VARIANT}: cannot serve on {}: {e}", config.addr());
            ExitCode::FAILURE
        }
    }
}
