//! The landscape variant's downstream (contract L1-L6): the quotes service's answer, what the
//! account service says when it has none, its configuration from the environment, and the
//! quotes service's own answers. No HTTP client: each stack calls quotes its own way.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::account::AccountView;
use crate::breaker::BreakerConfig;
use crate::config::ConfigError;

/// The path and query every variant calls, as the blog's account service does.
pub const QUOTE_PATH: &str = "/api/quote?strength=4";

/// The quotes service's path.
pub const QUOTE_ROUTE: &str = "/api/quote";

/// A quote, as the quotes service sends it and the account JSON carries it (key order kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The quote.
    pub quote: String,
    /// The host name of the quotes instance that answered.
    #[serde(rename = "ipAddress")]
    pub ip_address: String,
    /// Always `en`.
    pub language: String,
}

impl Quote {
    /// Reads a quotes answer's body: a JSON object with the three string fields; anything
    /// else is a bad answer.
    pub fn parse(body: &[u8]) -> Result<Self, QuoteFailure> {
        serde_json::from_slice(body).map_err(|_| QuoteFailure::BadAnswer)
    }
}

/// Why an account has no quote (contract L3-L5): the `warning` of its JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteFailure {
    /// No complete answer within the timeout.
    TimedOut,
    /// No connection, or it broke before an answer.
    Unreachable,
    /// A status other than 200, or a body that is not a quote.
    BadAnswer,
    /// The circuit breaker is open: quotes was not called.
    CircuitOpen,
}

impl QuoteFailure {
    /// The `warning` field's value.
    pub fn warning(self) -> &'static str {
        match self {
            QuoteFailure::TimedOut => "quotes timed out",
            QuoteFailure::Unreachable => "quotes unreachable",
            QuoteFailure::BadAnswer => "quotes answered badly",
            QuoteFailure::CircuitOpen => "quotes circuit open",
        }
    }
}

/// The landscape variant's account JSON: the account's three keys, then `quote` (an object,
/// or `null` with a `warning`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountWithQuote<'a> {
    /// The account's id.
    pub id: &'a str,
    /// The account's name.
    pub name: &'a str,
    /// Host name of the machine or container that served the request.
    #[serde(rename = "servedBy")]
    pub served_by: &'a str,
    /// The quote, or `null`.
    pub quote: Option<Quote>,
    /// Why `quote` is `null`; absent when there is a quote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<&'static str>,
}

impl<'a> AccountWithQuote<'a> {
    /// The account with what the call to quotes gave.
    pub fn new(account: AccountView<'a>, quote: Result<Quote, QuoteFailure>) -> Self {
        let (quote, warning) = match quote {
            Ok(q) => (Some(q), None),
            Err(f) => (None, Some(f.warning())),
        };
        Self {
            id: account.id,
            name: account.name,
            served_by: account.served_by,
            quote,
            warning,
        }
    }
}

/// Default timeout of one call to quotes, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(200);

/// Where quotes is and how to call it: `QUOTES_URL`, `QUOTES_TIMEOUT_MS` and the breaker's
/// `BREAKER_FAILURES`, `BREAKER_WINDOW_MS`, `BREAKER_OPEN_MS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotesConfig {
    /// `host:port` of quotes (`QUOTES_URL=http://host:port`, required).
    pub authority: String,
    /// The host alone, for the `Host` header and name resolution.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The whole URL of a call: `http://host:port/api/quote?strength=4`.
    pub url: String,
    /// One call's timeout, connection included.
    pub timeout: Duration,
    /// The breaker's rules.
    pub breaker: BreakerConfig,
}

impl QuotesConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the process environment; on a bad or missing value prints `<stack>: <error>`
    /// and exits 2.
    pub fn from_env_or_exit(stack: &str) -> Self {
        Self::from_env().unwrap_or_else(|e| {
            eprintln!("{stack}: {e}");
            std::process::exit(2)
        })
    }

    /// Reads configuration through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        const URL_EXPECTED: &str = "http://host:port, the quotes service (no path, no https)";
        let raw = lookup("QUOTES_URL").unwrap_or_default();
        let bad_url = || ConfigError {
            var: "QUOTES_URL",
            value: raw.clone(),
            expected: URL_EXPECTED,
        };
        let authority = raw
            .trim()
            .strip_prefix("http://")
            .map(|rest| rest.trim_end_matches('/'))
            .filter(|a| !a.is_empty() && !a.contains(['/', '?', '#', '@', ' ']))
            .ok_or_else(bad_url)?;
        let (host, port) = authority.rsplit_once(':').ok_or_else(bad_url)?;
        let port: u16 = port.parse().ok().filter(|&p| p != 0).ok_or_else(bad_url)?;
        if host.is_empty() {
            return Err(bad_url());
        }
        let millis = |var: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            match lookup(var) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|&ms| ms > 0)
                    .map(Duration::from_millis)
                    .ok_or(ConfigError {
                        var,
                        value: v,
                        expected: "a whole number of milliseconds, 1 or more",
                    }),
            }
        };
        let defaults = BreakerConfig::default();
        let failures = match lookup("BREAKER_FAILURES") {
            None => defaults.failures,
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or(ConfigError {
                    var: "BREAKER_FAILURES",
                    value: v,
                    expected: "a whole number of failures, 1 or more",
                })?,
        };
        Ok(Self {
            authority: authority.to_owned(),
            host: host.to_owned(),
            port,
            url: format!("http://{authority}{QUOTE_PATH}"),
            timeout: millis("QUOTES_TIMEOUT_MS", DEFAULT_TIMEOUT)?,
            breaker: BreakerConfig {
                failures,
                window: millis("BREAKER_WINDOW_MS", defaults.window)?,
                open_for: millis("BREAKER_OPEN_MS", defaults.open_for)?,
            },
        })
    }
}

/// The quotes the quotes service serves, in turn.
pub const QUOTES: [&str; 4] = [
    "To be or not to be",
    "You, too, Brutus?",
    "The fool doth think he is wise, but the wise man knows himself to be a fool.",
    "Love all, trust a few, do wrong to none.",
];

/// The quotes service's answer number `n`, from the instance named `host`, as JSON.
pub fn quote_json(n: usize, host: &str) -> Vec<u8> {
    let quote = Quote {
        quote: QUOTES[n % QUOTES.len()].to_owned(),
        ip_address: host.to_owned(),
        language: "en".to_owned(),
    };
    serde_json::to_vec(&quote).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AccountService;

    fn config(vars: &[(&str, &str)]) -> Result<QuotesConfig, ConfigError> {
        QuotesConfig::from_lookup(|k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn the_url_names_host_and_port_and_the_rest_has_defaults() {
        let c = config(&[("QUOTES_URL", "http://quotes:8080/")]).unwrap();
        assert_eq!((c.host.as_str(), c.port), ("quotes", 8080));
        assert_eq!(c.url, "http://quotes:8080/api/quote?strength=4");
        assert_eq!(c.timeout, Duration::from_millis(200));
        assert_eq!(c.breaker, BreakerConfig::default());
        let c = config(&[
            ("QUOTES_URL", "http://127.0.0.1:9"),
            ("QUOTES_TIMEOUT_MS", "50"),
            ("BREAKER_FAILURES", "2"),
            ("BREAKER_OPEN_MS", "300"),
        ])
        .unwrap();
        assert_eq!(
            (c.timeout, c.breaker.failures, c.breaker.open_for),
            (Duration::from_millis(50), 2, Duration::from_millis(300))
        );
    }

    #[test]
    fn a_missing_or_bad_url_is_refused_with_the_variable_named() {
        for bad in [
            "",
            "quotes:8080",
            "https://quotes:8080",
            "http://quotes",
            "http://quotes:0",
            "http://:80",
            "http://quotes:80/api",
        ] {
            let e = config(&[("QUOTES_URL", bad)]).unwrap_err();
            assert_eq!(e.var, "QUOTES_URL", "{bad}");
        }
        let e = config(&[("QUOTES_URL", "http://q:1"), ("QUOTES_TIMEOUT_MS", "0")]).unwrap_err();
        assert_eq!(e.var, "QUOTES_TIMEOUT_MS");
    }

    #[test]
    fn the_account_json_carries_the_quote_or_null_and_a_warning() {
        let service = AccountService::seeded("node-1");
        let account = service.find("10042").unwrap();
        let quote = Quote::parse(&quote_json(0, "q-1")).unwrap();
        assert_eq!(
            serde_json::to_string(&AccountWithQuote::new(account, Ok(quote))).unwrap(),
            r#"{"id":"10042","name":"Person_42","servedBy":"node-1","quote":{"quote":"To be or not to be","ipAddress":"q-1","language":"en"}}"#
        );
        assert_eq!(
            serde_json::to_string(&AccountWithQuote::new(account, Err(QuoteFailure::TimedOut)))
                .unwrap(),
            r#"{"id":"10042","name":"Person_42","servedBy":"node-1","quote":null,"warning":"quotes timed out"}"#
        );
    }

    #[test]
    fn anything_but_a_quote_is_a_bad_answer() {
        for body in [
            &b""[..],
            b"garbage",
            b"{}",
            br#"{"quote":1,"ipAddress":"a","language":"en"}"#,
        ] {
            assert_eq!(Quote::parse(body), Err(QuoteFailure::BadAnswer));
        }
    }
}
