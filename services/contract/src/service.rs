//! Starting a stack's real program on a free port of 127.0.0.1 and waiting for its ready line.

use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

/// What the service printed when it became ready: `ready stack=<name> addr=<addr> boot_us=<µs>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyLine {
    /// The stack's name.
    pub stack: String,
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Microseconds from the start of `main` to ready, by the service's own clock.
    pub boot_us: u64,
}

impl ReadyLine {
    /// Parses one line of output; `None` unless it is a complete ready line.
    pub fn parse(line: &str) -> Option<Self> {
        let rest = line.trim_end().strip_prefix("ready ")?;
        let (mut stack, mut addr, mut boot_us) = (None, None, None);
        for field in rest.split(' ') {
            match field.split_once('=')? {
                ("stack", v) if !v.is_empty() => stack = Some(v.to_owned()),
                ("addr", v) => addr = Some(v.parse().ok()?),
                ("boot_us", v) => boot_us = Some(v.parse().ok()?),
                _ => return None,
            }
        }
        Some(Self {
            stack: stack?,
            addr: addr?,
            boot_us: boot_us?,
        })
    }
}

/// Why a service could not be started or stopped as the contract says.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The program could not be spawned.
    #[error("cannot start {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// No free port could be found on 127.0.0.1.
    #[error("no free port on 127.0.0.1: {0}")]
    NoPort(std::io::Error),
    /// The process ended before printing its ready line.
    #[error("{program} exited with {status} before it was ready; stderr: {stderr}")]
    ExitedEarly {
        /// The program.
        program: String,
        /// Its exit status.
        status: ExitStatus,
        /// What it printed on stderr.
        stderr: String,
    },
    /// No ready line within the time allowed.
    #[error("{program} printed no ready line within {waited:?}; stderr: {stderr}")]
    NotReady {
        /// The program.
        program: String,
        /// How long we waited.
        waited: Duration,
        /// What it printed on stderr.
        stderr: String,
    },
    /// Sending a signal failed.
    #[error("cannot signal pid {pid}: {source}")]
    Signal {
        /// The process.
        pid: u32,
        /// Why.
        source: std::io::Error,
    },
}

/// A value in a target's environment replaced by the port the service is given: for a service
/// that reads its port from a variable of its own (`APP_PORT = "${PORT}"`).
pub const PORT_VALUE: &str = "${PORT}";
/// As [`PORT_VALUE`], for the address it listens on.
pub const BIND_VALUE: &str = "${BIND}";

/// How to start one stack: a program, its arguments and environment. Nothing Rust-specific,
/// so the suite runs as well against a JVM or Go service as against the Rust stacks.
#[derive(Debug, Clone)]
pub struct Target {
    /// The stack's name, as in its ready line and `Server` header.
    pub stack: String,
    /// The program to run.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Extra environment (`PORT` and `BIND` are set by [`Target::start`]).
    pub env: Vec<(String, String)>,
    /// How long to wait for the ready line.
    pub ready_timeout: Duration,
    /// For a service that may print no ready line: the path that answers `200` once it
    /// serves, polled until the ready line or that answer comes. `None`: the ready line only.
    pub health: Option<String>,
}

impl Target {
    /// A target running `program` with no arguments.
    pub fn new(stack: impl Into<String>, program: impl Into<PathBuf>) -> Self {
        Self {
            stack: stack.into(),
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            ready_timeout: Duration::from_secs(30),
            health: None,
        }
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Starts the service on a free port of 127.0.0.1 and waits for its ready line.
    pub fn start(&self) -> Result<Service, ServiceError> {
        let port = free_port().map_err(ServiceError::NoPort)?;
        let program = self.program.display().to_string();
        let mut command = if stop_signals_ignored() {
            // Started at their defaults, as a supervisor starts a service.
            let mut env = Command::new("env");
            env.arg("--default-signal=INT,QUIT,TERM").arg(&self.program);
            env
        } else {
            Command::new(&self.program)
        };
        let (port_text, bind_text) = (port.to_string(), Ipv4Addr::LOCALHOST.to_string());
        let value = |v: &str| match v {
            PORT_VALUE => port_text.clone(),
            BIND_VALUE => bind_text.clone(),
            _ => v.to_owned(),
        };
        command
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k.clone(), value(v))))
            .env("PORT", port.to_string())
            .env("BIND", Ipv4Addr::LOCALHOST.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let spawned = Instant::now();
        let mut child = command.spawn().map_err(|source| ServiceError::Spawn {
            program: program.clone(),
            source,
        })?;
        let output = Output::watch(&mut child, spawned, 64 * 1024);
        let mut service = Service {
            child,
            output,
            ready: None,
            ready_raw: String::new(),
            ready_after: Duration::ZERO,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            program,
        };
        let deadline = Instant::now() + self.ready_timeout;
        let mut next_poll = Instant::now();
        loop {
            if let Some(seen) = service.output.ready() {
                service.addr = seen.line.addr;
                service.ready = Some(seen.line);
                service.ready_raw = seen.raw;
                service.ready_after = seen.after;
                return Ok(service);
            }
            if let Some(path) = self
                .health
                .as_deref()
                .filter(|_| Instant::now() >= next_poll)
            {
                next_poll = Instant::now() + Duration::from_millis(20);
                if serves(service.addr, path) {
                    service.ready_after = spawned.elapsed();
                    return Ok(service);
                }
            }
            let exited = matches!(service.child.try_wait(), Ok(Some(_)));
            if exited || Instant::now() >= deadline {
                // Give a dying process a moment so its status and stderr are complete.
                thread::sleep(Duration::from_millis(50));
                if let Ok(Some(status)) = service.child.try_wait() {
                    return Err(ServiceError::ExitedEarly {
                        program: service.program.clone(),
                        status,
                        stderr: service.stderr(),
                    });
                }
                return Err(ServiceError::NotReady {
                    program: service.program.clone(),
                    waited: self.ready_timeout,
                    stderr: service.stderr(),
                });
            }
            thread::sleep(Duration::from_millis(2));
        }
    }
}

/// A running service; killed and reaped when dropped.
#[derive(Debug)]
pub struct Service {
    child: Child,
    output: Output,
    ready: Option<ReadyLine>,
    ready_raw: String,
    ready_after: Duration,
    addr: SocketAddr,
    program: String,
}

/// Whether `GET path` answers `200` on a fresh connection.
fn serves(addr: SocketAddr, path: &str) -> bool {
    crate::client::Conn::open(addr, Duration::from_secs(1))
        .and_then(|mut conn| conn.request("GET", path))
        .is_ok_and(|r| r.status == 200)
}

impl Service {
    /// The parsed ready line.
    pub fn ready(&self) -> &ReadyLine {
        self.ready
            .as_ref()
            .expect("the service printed no ready line (`ready stack=<name> addr=<addr> boot_us=<µs>` on stdout); it was found serving on its health path instead")
    }

    /// The ready line exactly as printed.
    pub fn ready_raw(&self) -> &str {
        &self.ready_raw
    }

    /// Time from spawn until the ready line was read.
    pub fn ready_after(&self) -> Duration {
        self.ready_after
    }

    /// The address to send requests to: the ready line's, else the one it was given.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How many lines the service wrote to stdout after its ready line, and the last of them.
    pub fn stdout_after_ready(&self) -> (u64, Vec<String>) {
        self.output.stdout_after_ready()
    }

    /// What the service wrote to stderr so far (the last 64 KiB).
    pub fn stderr(&self) -> String {
        self.output.stderr()
    }

    /// Sends `SIGTERM` (`graceful`) or `SIGINT`.
    pub fn signal(&self, signal: Signal) -> Result<(), ServiceError> {
        let pid = self.child.id();
        let target = i32::try_from(pid).ok().and_then(Pid::from_raw);
        let result = match target {
            Some(target) => kill_process(target, signal).map_err(std::io::Error::from),
            None => Err(std::io::Error::other("not a valid pid")),
        };
        result.map_err(|source| ServiceError::Signal { pid, source })
    }

    /// Waits up to `limit` for the process to exit.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A ready line as it was seen on a service's stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenReady {
    /// Parsed.
    pub line: ReadyLine,
    /// As printed.
    pub raw: String,
    /// Time from spawn until it was read.
    pub after: Duration,
}

/// What a child process prints: its first ready line, the lines of stdout after it (counted,
/// the last [`STDOUT_LINES_KEPT`] kept: an access log), and the tail of its stderr. Two
/// threads drain the pipes so the child never blocks on a full one.
#[derive(Debug, Clone, Default)]
pub struct Output {
    ready: Arc<Mutex<Option<SeenReady>>>,
    after_ready: Arc<Mutex<StdoutTail>>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

/// Lines of stdout after the ready line that [`Output`] keeps.
pub const STDOUT_LINES_KEPT: usize = 256;

#[derive(Debug, Default)]
struct StdoutTail {
    count: u64,
    last: std::collections::VecDeque<String>,
}

impl Output {
    /// Takes the child's piped stdout and stderr (if piped) and starts draining them; keeps the
    /// last `keep` bytes of stderr.
    pub fn watch(child: &mut Child, spawned: Instant, keep: usize) -> Self {
        let output = Self::default();
        if let Some(stdout) = child.stdout.take() {
            let ready = Arc::clone(&output.ready);
            let after_ready = Arc::clone(&output.after_ready);
            thread::spawn(move || {
                let mut seen = false;
                for raw in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if seen {
                        let mut tail = after_ready.lock().unwrap_or_else(|e| e.into_inner());
                        tail.count += 1;
                        if tail.last.len() == STDOUT_LINES_KEPT {
                            tail.last.pop_front();
                        }
                        tail.last.push_back(raw);
                        continue;
                    }
                    if let Some(line) = ReadyLine::parse(&raw) {
                        *ready.lock().unwrap_or_else(|e| e.into_inner()) = Some(SeenReady {
                            line,
                            raw,
                            after: spawned.elapsed(),
                        });
                        seen = true;
                    }
                }
            });
        }
        if let Some(mut pipe) = child.stderr.take() {
            let sink = Arc::clone(&output.stderr);
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let mut kept = sink.lock().unwrap_or_else(|e| e.into_inner());
                    kept.extend_from_slice(&buf[..n]);
                    let excess = kept.len().saturating_sub(keep);
                    kept.drain(..excess);
                }
            });
        }
        output
    }

    /// The first ready line, once printed.
    pub fn ready(&self) -> Option<SeenReady> {
        self.ready.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How many lines stdout had after the ready line, and the last of them.
    pub fn stdout_after_ready(&self) -> (u64, Vec<String>) {
        let tail = self.after_ready.lock().unwrap_or_else(|e| e.into_inner());
        (tail.count, tail.last.iter().cloned().collect())
    }

    /// The kept tail of stderr.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// Whether this process inherited SIGINT, SIGQUIT or SIGTERM ignored (`SigIgn` in
/// `/proc/self/status`), as a shell's background job does with the first two. A service
/// inherits that too, and the JVM keeps an inherited ignored SIGINT ignored (the Rust and Go
/// stacks install their own handlers), so a check of C14 would fail for the way the suite was
/// started, not for the service; the suite then starts services through coreutils'
/// `env --default-signal`, which puts the three back to their defaults before the exec.
/// Read once: a process's inherited dispositions do not change under the suite.
fn stop_signals_ignored() -> bool {
    const STOP_SIGNALS: u64 = (1 << (2 - 1)) | (1 << (3 - 1)) | (1 << (15 - 1));
    static IGNORED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *IGNORED.get_or_init(|| {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix("SigIgn:"))
                    .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            })
            .is_some_and(|mask| mask & STOP_SIGNALS != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ready_lines() {
        let r = ReadyLine::parse("ready stack=axum addr=127.0.0.1:6767 boot_us=812").unwrap();
        assert_eq!(r.stack, "axum");
        assert_eq!(r.addr, "127.0.0.1:6767".parse().unwrap());
        assert_eq!(r.boot_us, 812);
        assert!(ReadyLine::parse("ready stack=axum addr=127.0.0.1:6767").is_none());
        assert!(ReadyLine::parse("ready stack=axum addr=nowhere boot_us=1").is_none());
        assert!(ReadyLine::parse("starting stack=axum addr=127.0.0.1:1 boot_us=1").is_none());
        assert!(ReadyLine::parse("ready stack=axum addr=[::1]:80 boot_us=1 extra=1").is_none());
    }
}
