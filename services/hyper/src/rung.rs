//! The feature ladder's rungs of the hyper stack (`hyper@log`, `@metrics`, `@tracing`,
//! `@tracing-10`, `@all`): the same service, with the rung's [`Observer`] around each request in
//! the `service_fn`.

use std::convert::Infallible;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use footprint_core::observe::Observer;
use footprint_core::{AccountService, Boot, Config, host};
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue, SERVER};
use hyper::service::service_fn;
use hyper::{Response, StatusCode};

use crate::{STACK, handle};

/// Serves the rung called `name` with the observer `observe` makes, until `SIGTERM` or
/// `SIGINT`: a rung binary's whole `main`.
pub fn main(name: &'static str, observe: impl FnOnce() -> Observer) -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(name);
    let observer = Arc::new(observe());
    let service = Arc::new(AccountService::seeded(host::hostname()));
    let served = footprint_serve::runtime(&config).and_then(|runtime| {
        runtime.block_on(footprint_serve::serve(config, boot, name, || {
            let service = Arc::clone(&service);
            let observer = Arc::clone(&observer);
            service_fn(move |request| {
                let started = Instant::now();
                let (method, path) = (request.method().as_str(), request.uri().path());
                let response = match observer.exposition(method, path) {
                    Some(text) => exposition(text),
                    None => handle(&service, &request),
                };
                observer.answered(method, path, response.status().as_u16(), started.elapsed());
                async move { Ok::<_, Infallible>(response) }
            })
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

/// The answer to `GET /metrics`.
fn exposition(text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(footprint_core::observe::EXPOSITION_TYPE),
    );
    headers.insert(SERVER, HeaderValue::from_static(STACK));
    response
}
