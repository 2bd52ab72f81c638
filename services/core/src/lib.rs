//! The account service of the footprint benchmark, without any HTTP stack.
//!
//! Every stack (`axum`, `actix`, `hyper`, `floor`) is a thin HTTP layer over this crate, so
//! that the only thing that differs between the measured services is the HTTP stack itself.
//! The contract it implements is the one in `docs/CONTRACT.md`.

#[cfg(feature = "log")]
pub mod access_log;
pub mod account;
pub mod breaker;
pub mod config;
pub mod host;
pub mod id;
#[cfg(feature = "metrics")]
pub mod metrics;
pub mod observe;
pub mod problem;
pub mod quote;
pub mod ready;
pub mod shutdown;
#[cfg(feature = "otel")]
pub mod spans;

pub use account::{Account, AccountService, AccountView};
pub use config::{Config, ConfigError};
pub use id::{IdError, classify};
pub use problem::{ErrorBody, Problem};
pub use quote::{AccountWithQuote, Quote, QuoteFailure, QuotesConfig};
pub use ready::Boot;

/// Methods allowed on every known path, as sent in the `Allow` header of a `405`.
pub const ALLOW: &str = "GET, HEAD";

/// `Content-Type` of every body the service sends.
pub const JSON: &str = "application/json";

/// Path of the health endpoint.
pub const HEALTH_PATH: &str = "/health";

/// Prefix of the account endpoint; the id is the single segment that follows it.
pub const ACCOUNTS_PREFIX: &str = "/accounts/";

/// Body of `GET /health`.
pub const HEALTH_BODY: &str = r#"{"status":"UP"}"#;

/// Path of the metrics endpoint of the `metrics` rung (contract F2).
pub const METRICS_PATH: &str = "/metrics";

/// The route a request's path matched, as the ladder's rungs label it (a metric's `route`, a
/// span's `http.route`): the template, so the set stays small whatever ids are asked, or
/// `other`.
pub fn route(path: &str) -> &'static str {
    match path {
        HEALTH_PATH => HEALTH_PATH,
        METRICS_PATH => METRICS_PATH,
        _ => match path.strip_prefix(ACCOUNTS_PREFIX) {
            Some(segment) if !segment.is_empty() && !segment.contains('/') => "/accounts/{id}",
            _ => "other",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::route;

    #[test]
    fn routes_are_templates() {
        assert_eq!(route("/accounts/10042"), "/accounts/{id}");
        assert_eq!(route("/accounts/abc"), "/accounts/{id}");
        assert_eq!(route("/accounts/"), "other");
        assert_eq!(route("/accounts/1/2"), "other");
        assert_eq!(route("/health"), "/health");
        assert_eq!(route("/metrics"), "/metrics");
        assert_eq!(route("/nothing"), "other");
    }
}
