//! The `log` rung (contract F1): one structured JSON access-log line per request on stdout,
//! written the way a Rust service usually logs in production: a `tracing` event per request,
//! formatted as one JSON object per line by `tracing-subscriber`'s JSON formatter.
//!
//! ```text
//! {"timestamp":"2026-12-03T15:02:11.123456Z","level":"INFO","fields":{"message":"request","method":"GET","path":"/accounts/10042","status":200,"duration_us":41},"target":"access"}
//! ```

use std::time::Duration;

/// The target of every access-log event, so a reader can tell them from other events.
pub const TARGET: &str = "access";

/// Installs the JSON formatter on stdout as the process's subscriber. Call once, before the
/// first request; a second call is refused by `tracing` and ignored here.
pub fn init() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stdout)
        .with_current_span(false)
        .with_span_list(false)
        .with_ansi(false)
        .try_init();
}

/// Logs one answered request: its method, its path as sent (without the query), the status
/// and how long the service took, head read to answer written.
pub fn request(method: &str, path: &str, status: u16, took: Duration) {
    let duration_us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
    tracing::info!(target: TARGET, method, path, status, duration_us, "request");
}
