//! Graceful shutdown on `SIGTERM` or `SIGINT`.
//!
//! The contract: stop accepting, finish in-flight requests, exit 0 within 2 s. Every stack
//! gives in-flight work [`GRACE`] and then exits regardless, which leaves a margin for the
//! process to wind down.

use std::time::Duration;

/// How long in-flight requests may take after a stop signal before the service exits anyway.
pub const GRACE: Duration = Duration::from_millis(1500);

/// Signals that stop a service gracefully.
pub const SIGNALS: [i32; 2] = [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT];

/// Calls `on_stop` on a background thread when the first `SIGTERM` or `SIGINT` arrives.
///
/// For stacks without an async runtime. Fails only if the handlers cannot be installed.
pub fn on_signal(on_stop: impl FnOnce(i32) + Send + 'static) -> std::io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new(SIGNALS)?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                on_stop(signal);
            }
        })?;
    Ok(())
}

/// Resolves when the first `SIGTERM` or `SIGINT` arrives (for stacks on tokio).
#[cfg(feature = "tokio")]
pub async fn signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(term), Ok(int)) => (term, int),
        // Without handlers the default action (exit) applies; never resolve.
        _ => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
