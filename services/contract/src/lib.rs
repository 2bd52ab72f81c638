//! The service contract of `docs/CONTRACT.md` as an executable suite.
//!
//! The suite drives a program and a URL, never a Rust type: a [`Target`] is a command line,
//! so the same checks run against the Rust stacks, the JVM and the Go service. A stack's test
//! file is one line:
//!
//! ```text
//! footprint_contract::contract_suite!(
//!     footprint_contract::Target::new("axum", env!("CARGO_BIN_EXE_footprint-axum"))
//! );
//! ```

pub mod access_log;
pub mod bad_input;
pub mod checks;
pub mod client;
pub mod landscape;
pub mod metrics;
pub mod otlp;
pub mod service;
pub mod spans;

pub use service::{BIND_VALUE, PORT_VALUE, ReadyLine, Service, ServiceError, Target};

use std::sync::{Condvar, Mutex};

static RUNNING: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

/// Held while a check runs; see [`limit`].
#[derive(Debug)]
pub struct Permit(());

/// Waits until fewer than `max` checks hold a permit in this process, then takes one. Heavy
/// targets (a JVM each) are started a few at a time instead of all at once.
pub fn limit(max: usize) -> Permit {
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    while *running >= max.max(1) {
        running = FREED.wait(running).unwrap_or_else(|e| e.into_inner());
    }
    *running += 1;
    Permit(())
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        *running -= 1;
        FREED.notify_one();
    }
}

/// A rule of the contract: its name, and the check that panics, saying why, when a target
/// breaks it.
pub type Rule = (&'static str, fn(&Target));

/// Every rule and bad-input group [`contract_suite!`] turns into a test, in its order: for a
/// runner that checks a target outside `cargo test` (`harness contract`).
pub const RULES: &[Rule] = &[
    ("ready_line", checks::ready_line),
    ("seeded_ids", checks::seeded_ids),
    ("unknown_ids", checks::unknown_ids),
    ("invalid_ids", checks::invalid_ids),
    ("percent_encoded_ids", checks::percent_encoded_ids),
    ("query_string_ignored", checks::query_string_ignored),
    ("health", checks::health),
    ("unknown_paths", checks::unknown_paths),
    ("wrong_methods", checks::wrong_methods),
    ("head", checks::head),
    ("headers", checks::headers),
    ("keep_alive", checks::keep_alive),
    (
        "sigterm_finishes_in_flight",
        checks::sigterm_finishes_in_flight,
    ),
    ("sigint_exits_cleanly", checks::sigint_exits_cleanly),
    (
        "id_rules_agree_with_reference",
        checks::id_rules_agree_with_reference,
    ),
    ("malformed_requests", bad_input::malformed_requests),
    ("invalid_utf8", bad_input::invalid_utf8),
    ("oversized_requests", bad_input::oversized_requests),
    ("smuggling", bad_input::smuggling),
    ("pipelined_requests", bad_input::pipelined_requests),
    ("stalled_clients", bad_input::stalled_clients),
    ("connection_burst", bad_input::connection_burst),
    ("edge_cases", bad_input::edge_cases),
];

/// Expands to one `#[test]` per contract rule and bad-input case, each against a fresh
/// instance of the target the expression builds. With `max_parallel = N`, at most N checks
/// run at once (for targets that are heavy to start).
#[macro_export]
macro_rules! contract_suite {
    ($target:expr) => {
        $crate::contract_suite!($target, max_parallel = usize::MAX);
    };
    ($target:expr, max_parallel = $max:expr) => {
        fn contract_target() -> $crate::Target {
            $target
        }
        const CONTRACT_MAX_PARALLEL: usize = $max;
        $crate::contract_suite!(@tests contract_target;
            checks::ready_line,
            checks::seeded_ids,
            checks::unknown_ids,
            checks::invalid_ids,
            checks::percent_encoded_ids,
            checks::query_string_ignored,
            checks::health,
            checks::unknown_paths,
            checks::wrong_methods,
            checks::head,
            checks::headers,
            checks::keep_alive,
            checks::sigterm_finishes_in_flight,
            checks::sigint_exits_cleanly,
            checks::id_rules_agree_with_reference,
            bad_input::malformed_requests,
            bad_input::invalid_utf8,
            bad_input::oversized_requests,
            bad_input::smuggling,
            bad_input::pipelined_requests,
            bad_input::stalled_clients,
            bad_input::connection_burst,
            bad_input::edge_cases,
        );
    };
    (@tests $target:ident; $($module:ident :: $check:ident),+ $(,)?) => {
        $(
            #[test]
            fn $check() {
                let _permit = $crate::limit(CONTRACT_MAX_PARALLEL);
                $crate::$module::$check(&$target());
            }
        )+
    };
}

#[cfg(test)]
mod tests {
    /// The macro's list and [`super::RULES`] name the same checks in the same order.
    #[test]
    fn the_suite_and_the_rules_agree() {
        let source = include_str!("lib.rs");
        let start = source
            .find("$crate::contract_suite!(@tests contract_target;")
            .expect("the macro's list");
        let list = &source[start..];
        let list = &list[list.find(';').unwrap() + 1..list.find(");").unwrap()];
        let in_macro: Vec<&str> = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.rsplit("::").next().unwrap())
            .collect();
        let in_rules: Vec<&str> = super::RULES.iter().map(|(name, _)| *name).collect();
        assert_eq!(in_macro, in_rules);
    }
}
