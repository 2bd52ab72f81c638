//! The call to the quotes service of the landscape variants built on hyper (`hyper+quotes`,
//! `axum+quotes`): hyper-util's pooled client (connections kept alive and reused), one
//! timeout over the whole call (connection, head and body), and the core's circuit breaker.
//! Each change of the breaker's state is one line on stderr:
//! `breaker stack=<stack> from=<state> to=<state>`.

use std::time::Instant;

use bytes::Bytes;
use footprint_core::breaker::{Admission, Breaker, Transition};
use footprint_core::{Quote, QuoteFailure, QuotesConfig};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::Uri;
use hyper::header::HOST;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Largest quotes answer read; a longer one is a bad answer.
pub const MAX_ANSWER: usize = 16 * 1024;

/// The quotes service, as one account service instance calls it.
#[derive(Debug)]
pub struct Quotes {
    stack: &'static str,
    client: Client<HttpConnector, Empty<Bytes>>,
    uri: Uri,
    config: QuotesConfig,
    breaker: Breaker,
}

impl Quotes {
    /// A client for `config`, logging breaker changes as `stack`; needs a tokio runtime.
    pub fn new(stack: &'static str, config: QuotesConfig) -> Result<Self, hyper::http::Error> {
        let uri: Uri = config.url.parse()?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(config.timeout));
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(usize::MAX)
            .build(connector);
        Ok(Self {
            stack,
            client,
            uri,
            breaker: Breaker::new(config.breaker),
            config,
        })
    }

    /// One quote, or why there is none; never waits longer than the timeout.
    pub async fn fetch(&self) -> Result<Quote, QuoteFailure> {
        let (admission, change) = self.breaker.admit(Instant::now());
        self.log(change);
        if admission == Admission::Rejected {
            return Err(QuoteFailure::CircuitOpen);
        }
        let result = tokio::time::timeout(self.config.timeout, self.call())
            .await
            .unwrap_or(Err(QuoteFailure::TimedOut));
        self.log(
            self.breaker
                .record(admission, result.is_ok(), Instant::now()),
        );
        result
    }

    async fn call(&self) -> Result<Quote, QuoteFailure> {
        let request = hyper::Request::get(self.uri.clone())
            .header(HOST, &self.config.authority)
            .body(Empty::new())
            .map_err(|_| QuoteFailure::Unreachable)?;
        let response = self.client.request(request).await.map_err(|e| {
            if e.is_connect() {
                QuoteFailure::Unreachable
            } else {
                // The connection broke or the answer was not HTTP.
                QuoteFailure::BadAnswer
            }
        })?;
        if response.status() != hyper::StatusCode::OK {
            return Err(QuoteFailure::BadAnswer);
        }
        let body = Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|_| QuoteFailure::BadAnswer)?
            .to_bytes();
        Quote::parse(&body)
    }

    fn log(&self, change: Option<Transition>) {
        if let Some(t) = change {
            eprintln!(
                "breaker stack={} from={} to={}",
                self.stack,
                t.from.word(),
                t.to.word()
            );
        }
    }
}
