//! `footprint-hyper-log`: the `log` rung of the hyper stack; each request is logged as one
//! JSON line on stdout (contract F1).

use std::convert::Infallible;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use footprint_core::{AccountService, Boot, Config, access_log, host};
use footprint_hyper::handle;
use hyper::service::service_fn;

/// The rung's name, in its ready line.
const RUNG: &str = "hyper@log";

fn main() -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(RUNG);
    access_log::init();
    let service = Arc::new(AccountService::seeded(host::hostname()));
    let served = footprint_serve::runtime(&config).and_then(|runtime| {
        runtime.block_on(footprint_serve::serve(config, boot, RUNG, || {
            let service = Arc::clone(&service);
            service_fn(move |request| {
                let started = Instant::now();
                let response = handle(&service, &request);
                access_log::request(
                    request.method().as_str(),
                    request.uri().path(),
                    response.status().as_u16(),
                    started.elapsed(),
                );
                async move { Ok::<_, Infallible>(response) }
            })
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
