//! `footprint-hyper-quotes`: the landscape variant of the hyper stack; each account answer
//! carries a quote from the quotes service at `QUOTES_URL`.

use std::convert::Infallible;
use std::process::ExitCode;
use std::sync::Arc;

use footprint_core::{AccountService, Boot, Config, QuotesConfig, host};
use footprint_hyper::{STACK, handle_with_quotes};
use footprint_serve::quotes::Quotes;
use hyper::service::service_fn;

/// The variant's name, in its ready line.
const VARIANT: &str = "hyper+quotes";

fn main() -> ExitCode {
    let boot = Boot::start();
    let config = Config::from_env_or_exit(VARIANT);
    let quotes_config = QuotesConfig::from_env_or_exit(VARIANT);
    let service = Arc::new(AccountService::seeded(host::hostname()));
    let served = footprint_serve::runtime(&config).and_then(|runtime| {
        runtime.block_on(async {
            let quotes =
                Arc::new(Quotes::new(STACK, quotes_config).map_err(std::io::Error::other)?);
            footprint_serve::serve(config, boot, VARIANT, || {
                let (service, quotes) = (Arc::clone(&service), Arc::clone(&quotes));
                service_fn(move |request| {
                    let (service, quotes) = (Arc::clone(&service), Arc::clone(&quotes));
                    async move {
                        Ok::<_, Infallible>(handle_with_quotes(&service, &quotes, &request).await)
                    }
                })
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
