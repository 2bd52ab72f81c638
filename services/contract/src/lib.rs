//! The service contract of `DESIGN.md` as an executable suite.
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

pub mod bad_input;
pub mod checks;
pub mod client;
pub mod service;

pub use service::{ReadyLine, Service, ServiceError, Target};

/// Expands to one `#[test]` per contract rule and bad-input case, each against a fresh
/// instance of the target the expression builds.
#[macro_export]
macro_rules! contract_suite {
    ($target:expr) => {
        fn contract_target() -> $crate::Target {
            $target
        }
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
            bad_input::stalled_clients,
        );
    };
    (@tests $target:ident; $($module:ident :: $check:ident),+ $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::$module::$check(&$target());
            }
        )+
    };
}
