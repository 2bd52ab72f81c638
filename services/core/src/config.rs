//! Configuration from the environment only: `PORT`, `BIND`, `WORKERS`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroUsize;

/// Port used when `PORT` is unset.
pub const DEFAULT_PORT: u16 = 6767;

/// How a service is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Address to bind (`BIND`, default `0.0.0.0`).
    pub bind: IpAddr,
    /// Port to listen on (`PORT`, default `6767`; `0` lets the system choose).
    pub port: u16,
    /// Threads that serve requests (`WORKERS`, default: the CPUs this process may use).
    pub workers: NonZeroUsize,
}

/// A variable of the environment that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}={value:?} is not valid: expected {expected}")]
pub struct ConfigError {
    /// The variable's name.
    pub var: &'static str,
    /// What it held.
    pub value: String,
    /// What it should hold.
    pub expected: &'static str,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        fn parse<T: std::str::FromStr>(
            lookup: &impl Fn(&str) -> Option<String>,
            var: &'static str,
            expected: &'static str,
        ) -> Result<Option<T>, ConfigError> {
            match lookup(var) {
                None => Ok(None),
                Some(value) => value.trim().parse().map(Some).map_err(|_| ConfigError {
                    var,
                    value,
                    expected,
                }),
            }
        }
        let port = parse(&lookup, "PORT", "a port number from 0 to 65535")?.unwrap_or(DEFAULT_PORT);
        let bind = parse(&lookup, "BIND", "an IPv4 or IPv6 address such as 0.0.0.0")?
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let workers = match parse(&lookup, "WORKERS", "a whole number of threads, 1 or more")? {
            Some(n) => n,
            None => available_cpus(),
        };
        Ok(Self {
            bind,
            port,
            workers,
        })
    }

    /// Reads the process environment; on a bad value prints `<stack>: <error>` and exits 2.
    pub fn from_env_or_exit(stack: &str) -> Self {
        Self::from_env().unwrap_or_else(|e| {
            eprintln!("{stack}: {e}");
            std::process::exit(2)
        })
    }

    /// The socket address to listen on.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }
}

/// CPUs this process may run on (affinity and cgroup quota honoured), at least 1.
pub fn available_cpus() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_follow_the_contract() {
        let c = config(&[]).unwrap();
        assert_eq!(c.addr(), "0.0.0.0:6767".parse().unwrap());
        assert_eq!(c.workers, available_cpus());
    }

    #[test]
    fn reads_every_variable() {
        let c = config(&[("PORT", "8080"), ("BIND", "127.0.0.1"), ("WORKERS", "3")]).unwrap();
        assert_eq!(c.addr(), "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.workers.get(), 3);
    }

    #[test]
    fn refuses_bad_values_naming_the_variable() {
        let e = config(&[("WORKERS", "0")]).unwrap_err();
        assert_eq!(e.var, "WORKERS");
        assert!(e.to_string().contains("WORKERS=\"0\""), "{e}");
        assert_eq!(config(&[("PORT", "70000")]).unwrap_err().var, "PORT");
        assert_eq!(config(&[("BIND", "localhost")]).unwrap_err().var, "BIND");
    }
}
