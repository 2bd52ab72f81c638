//! `footprint-quotes`: the quotes service the landscape variants call.

use std::convert::Infallible;
use std::process::ExitCode;
use std::sync::Arc;

use footprint_core::{Boot, Config, host};
use footprint_quotes::{QuotesService, STACK};
use hyper::service::service_fn;

fn main() -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(STACK);
    let service = Arc::new(QuotesService::new(host::hostname()));
    let served = footprint_serve::runtime(&config).and_then(|runtime| {
        runtime.block_on(footprint_serve::serve(config, boot, STACK, || {
            let service = Arc::clone(&service);
            service_fn(move |request| {
                let service = Arc::clone(&service);
                async move { Ok::<_, Infallible>(service.handle(request).await) }
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
