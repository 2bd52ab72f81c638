//! Accepting connections, a thread each, and stopping gracefully.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use footprint_core::{AccountService, Boot, Config, Problem, host, shutdown};

use crate::http::{self, Body, Head, ParseError};
use crate::{STACK, problem, route};

/// How long a client may take to send a request head (and how long a kept-alive
/// connection may sit idle) before the connection is closed.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest request body read (and discarded); the contract's requests have none.
pub const MAX_BODY: u64 = 1 << 20;
/// How often a blocked read wakes up to notice a shutdown.
const POLL: Duration = Duration::from_millis(50);

/// Serves until `SIGTERM` or `SIGINT`, then lets in-flight requests finish for up to
/// [`shutdown::GRACE`].
pub fn run(config: Config, boot: Boot) -> io::Result<()> {
    let service = Arc::new(AccountService::seeded(host::hostname()));
    let listener = TcpListener::bind(config.addr())?;
    let addr = listener.local_addr()?;
    let stopping = Arc::new(AtomicBool::new(false));
    let open = Arc::new(AtomicUsize::new(0));
    let flag = Arc::clone(&stopping);
    shutdown::on_signal(move |_| {
        flag.store(true, Ordering::SeqCst);
        // Wake the blocked `accept` so the listener closes now.
        let _ = TcpStream::connect_timeout(&wake_addr(addr), Duration::from_secs(1));
    })?;
    boot.announce(STACK, addr);
    for stream in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let (service, stopping, open) = (
            Arc::clone(&service),
            Arc::clone(&stopping),
            Arc::clone(&open),
        );
        open.fetch_add(1, Ordering::SeqCst);
        let spawned = thread::Builder::new().spawn(move || {
            serve(stream, &service, &stopping);
            open.fetch_sub(1, Ordering::SeqCst);
        });
        if spawned.is_err() {
            // Out of threads: this connection is dropped, the others go on.
            eprintln!("floor: cannot start a thread for a connection");
        }
    }
    drop(listener);
    let deadline = Instant::now() + shutdown::GRACE;
    while open.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

fn wake_addr(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
    } else {
        addr
    }
}

/// One connection: requests in sequence until the client or a shutdown closes it.
fn serve(mut stream: TcpStream, service: &AccountService, stopping: &AtomicBool) {
    if stream.set_read_timeout(Some(POLL)).is_err()
        || stream.set_write_timeout(Some(HEAD_TIMEOUT)).is_err()
    {
        return;
    }
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(1024);
    let mut out = Vec::with_capacity(256);
    loop {
        let head_len = match read_head(&mut stream, &mut buf, stopping) {
            Ok(Some(len)) => len,
            Ok(None) => return,
            Err(status) => {
                let _ = refuse(&mut stream, &mut out, status);
                return;
            }
        };
        let (response, with_body, keep_alive, body) = match Head::parse(&buf[..head_len]) {
            Ok(head) => match head.body() {
                Ok(body) => (
                    route(service, head.method, head.path()),
                    head.method != "HEAD",
                    head.keep_alive(),
                    body,
                ),
                Err(e) => (refusal(e), true, false, Body::None),
            },
            Err(e) => (refusal(e), true, false, Body::None),
        };
        buf.drain(..head_len + 4);
        if let Err(status) = discard_body(&mut stream, &mut buf, body) {
            let _ = refuse(&mut stream, &mut out, status);
            return;
        }
        let close = !keep_alive || stopping.load(Ordering::SeqCst);
        out.clear();
        http::write_response(&mut out, &response, with_body, close, SystemTime::now());
        if stream.write_all(&out).is_err() || close {
            return;
        }
    }
}

fn refusal(error: ParseError) -> http::Response {
    let mut response = problem(Problem::BadRequest);
    response.status = error.status();
    response
}

fn refuse(stream: &mut TcpStream, out: &mut Vec<u8>, status: u16) -> io::Result<()> {
    let mut response = problem(Problem::BadRequest);
    response.status = status;
    out.clear();
    http::write_response(out, &response, true, true, SystemTime::now());
    stream.write_all(out)
}

/// Reads until `buf` holds a complete head; returns its length (without the blank line).
/// `Ok(None)`: the client left, stayed idle too long, or the service is stopping while idle.
/// `Err(status)`: refuse with that status and close.
fn read_head(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    stopping: &AtomicBool,
) -> Result<Option<usize>, u16> {
    let started = Instant::now();
    loop {
        // RFC 9112 section 2.2: ignore empty lines before a request line.
        let blank = buf
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        buf.drain(..blank);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(Some(end));
        }
        if buf.len() > http::MAX_HEAD {
            return Err(431);
        }
        if buf.is_empty() && stopping.load(Ordering::SeqCst) {
            return Ok(None);
        }
        if started.elapsed() > HEAD_TIMEOUT {
            return if buf.is_empty() { Ok(None) } else { Err(408) };
        }
        if read_some(stream, buf) == Ok(0) {
            return Ok(None);
        }
    }
}

/// Reads what is available; `Ok(0)` means the peer closed, a timeout is not an error.
fn read_some(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<usize, ()> {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk) {
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(n)
        }
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
            ) =>
        {
            Err(())
        }
        Err(_) => Ok(0),
    }
}

/// Reads until `buf` holds `n` bytes, within the head timeout.
fn fill_to(stream: &mut TcpStream, buf: &mut Vec<u8>, n: usize) -> Result<(), u16> {
    let started = Instant::now();
    while buf.len() < n {
        if started.elapsed() > HEAD_TIMEOUT {
            return Err(408);
        }
        if read_some(stream, buf) == Ok(0) {
            return Err(400);
        }
    }
    Ok(())
}

/// Reads and drops the request body, so the next request on the connection starts clean.
fn discard_body(stream: &mut TcpStream, buf: &mut Vec<u8>, body: Body) -> Result<(), u16> {
    match body {
        Body::None => Ok(()),
        Body::Length(n) if n > MAX_BODY => Err(413),
        Body::Length(n) => {
            let n = usize::try_from(n).map_err(|_| 413u16)?;
            fill_to(stream, buf, n)?;
            buf.drain(..n);
            Ok(())
        }
        Body::Chunked => {
            let mut total = 0u64;
            loop {
                let line = loop {
                    if let Some(end) = buf.windows(2).position(|w| w == b"\r\n") {
                        break end;
                    }
                    if buf.len() > 1024 {
                        return Err(400);
                    }
                    fill_to(stream, buf, buf.len() + 1)?;
                };
                let size = std::str::from_utf8(&buf[..line])
                    .ok()
                    .and_then(|l| u64::from_str_radix(l.split(';').next()?.trim(), 16).ok())
                    .ok_or(400u16)?;
                total = total.saturating_add(size);
                if total > MAX_BODY {
                    return Err(413);
                }
                buf.drain(..line + 2);
                if size == 0 {
                    // No trailers are accepted: the blank line ends the body.
                    fill_to(stream, buf, 2)?;
                    return if buf.drain(..2).as_slice() == b"\r\n" {
                        Ok(())
                    } else {
                        Err(400)
                    };
                }
                let chunk = usize::try_from(size).map_err(|_| 413u16)? + 2;
                fill_to(stream, buf, chunk)?;
                buf.drain(..chunk);
            }
        }
    }
}
