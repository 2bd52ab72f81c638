//! The ready line every stack prints once it can serve.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The moment `main` started, kept to report `boot_us`.
#[derive(Debug, Clone, Copy)]
pub struct Boot(Instant);

impl Boot {
    /// Call first thing in `main`.
    pub fn start() -> Self {
        Self(Instant::now())
    }

    /// Time since `main` started.
    pub fn elapsed(self) -> Duration {
        self.0.elapsed()
    }

    /// Prints `ready stack=<name> addr=<addr> boot_us=<µs since main>` to stdout and flushes it.
    pub fn announce(self, stack: &str, addr: SocketAddr) {
        let line = ready_line(stack, addr, self.elapsed());
        let mut out = std::io::stdout().lock();
        // A closed stdout must not stop the service from serving.
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    }
}

/// The ready line, without its newline.
pub fn ready_line(stack: &str, addr: SocketAddr, boot: Duration) -> String {
    format!(
        "ready stack={stack} addr={addr} boot_us={}",
        boot.as_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_contract_line() {
        let line = ready_line(
            "axum",
            "127.0.0.1:6767".parse().unwrap(),
            Duration::from_micros(1234),
        );
        assert_eq!(line, "ready stack=axum addr=127.0.0.1:6767 boot_us=1234");
    }
}
