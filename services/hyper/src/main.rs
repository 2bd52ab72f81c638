//! `footprint-hyper`: the account service on hyper 1.x, routed by hand.

use std::convert::Infallible;
use std::process::ExitCode;
use std::sync::Arc;

use footprint_core::{AccountService, Boot, Config, host};
use footprint_hyper::{STACK, handle};
use hyper::service::service_fn;

fn main() -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(STACK);
    let service = Arc::new(AccountService::seeded(host::hostname()));
    let served = footprint_serve::runtime(&config).and_then(|runtime| {
        runtime.block_on(footprint_serve::serve(config, boot, STACK, || {
            let service = Arc::clone(&service);
            service_fn(move |request| {
                let response = handle(&service, &request);
                async move { Ok::<_, Infallible>(response) }
            })
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
