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

pub use service::{ReadyLine, Service, ServiceError, Target};

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
