//! `footprint-actix`: the account service on actix-web 4.

use std::process::ExitCode;

use actix_web::web;
use footprint_actix::{STACK, server};
use footprint_core::{AccountService, Boot, Config, host, shutdown};

fn main() -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(STACK);
    let service = web::Data::new(AccountService::seeded(host::hostname()));
    let served = actix_web::rt::System::new().block_on(async move {
        let server = server(config, boot, service)?;
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            shutdown::signal().await;
            // Stop accepting at once, give in-flight requests the grace period, then stop.
            // (`stop(true)` alone was seen to drop a connection whose request was half
            // received when the stop began.)
            handle.pause().await;
            actix_web::rt::time::sleep(shutdown::GRACE).await;
            handle.stop(false).await;
        });
        server.await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{STACK}: cannot serve on {}: {e}", config.addr());
            ExitCode::FAILURE
        }
    }
}
