//! Boot time: from the backend's start call to the first `200` from `/health`, polled every
//! millisecond by an in-process client.

use std::thread;
use std::time::{Duration, Instant};

use footprint_contract::client::Conn;

use crate::backend::Instance;
use crate::cancel::Cancel;

/// Interval between two polls of `/health`.
pub const POLL: Duration = Duration::from_millis(1);

/// Why a service did not become ready.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    /// The process ended first.
    #[error("exited with {status} before answering /health; stderr: {stderr}")]
    Exited {
        /// How it ended.
        status: String,
        /// The end of its stderr.
        stderr: String,
    },
    /// No `200` within the time allowed.
    #[error("no 200 from /health within {0:?}")]
    Timeout(Duration),
    /// Ctrl-C.
    #[error("interrupted")]
    Interrupted,
}

/// Whether a service answers `200` on `/health`: over HTTP for real services, a double in
/// tests of the run loop.
pub trait HealthCheck {
    /// One poll.
    fn healthy(&self, addr: std::net::SocketAddr) -> bool;
}

/// The real check: a fresh connection, `GET /health`, `200` or not.
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpHealth;

impl HealthCheck for HttpHealth {
    fn healthy(&self, addr: std::net::SocketAddr) -> bool {
        healthy(addr)
    }
}

/// Polls `/health` until it answers `200`; returns the time since the instance was started.
pub fn wait_healthy(
    instance: &mut dyn Instance,
    timeout: Duration,
    check: &dyn HealthCheck,
    cancel: &Cancel,
) -> Result<Duration, BootError> {
    let addr = instance.addr();
    let started = instance.started();
    let mut next = Instant::now();
    loop {
        if check.healthy(addr) {
            return Ok(started.elapsed());
        }
        if let Some(status) = instance.exited() {
            return Err(BootError::Exited {
                status,
                stderr: instance.stderr_tail(),
            });
        }
        if started.elapsed() > timeout {
            return Err(BootError::Timeout(timeout));
        }
        if cancel.is_cancelled() {
            return Err(BootError::Interrupted);
        }
        next += POLL;
        let now = Instant::now();
        if next > now {
            thread::sleep(next - now);
        } else {
            next = now;
        }
    }
}

/// One poll: a fresh connection, `GET /health`, `200` or not.
fn healthy(addr: std::net::SocketAddr) -> bool {
    Conn::open(addr, Duration::from_secs(1))
        .and_then(|mut conn| conn.request("GET", "/health"))
        .is_ok_and(|r| r.status == 200)
}
