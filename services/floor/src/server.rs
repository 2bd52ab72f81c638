//! Accepting connections, a thread each, and stopping gracefully.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use footprint_core::{AccountService, Boot, Config, Problem, host, shutdown};

use crate::http::{self, Body, Chunked, Head, ParseError};
use crate::{STACK, problem, route};

/// How long a client may take to send a request head (and how long a kept-alive
/// connection may sit idle) before the connection is closed.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client may take to send a whole request body, counted from the end of its
/// head: a body drip-fed a byte at a time holds a thread no longer than this. The
/// contract's requests have no body; 1 MiB in 10 s is 100 KB/s.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request body read (and discarded); the contract's requests have none.
pub const MAX_BODY: u64 = 1 << 20;
/// Most connections served at once, a thread each; see [`serve`] for what happens to the
/// next one. Above every load the scenarios drive (64 clients at most) and the battery's
/// burst of 500, far below the file descriptors a process is given.
pub const MAX_CONNECTIONS: usize = 1024;
/// How often a blocked read wakes up to notice a shutdown.
const POLL: Duration = Duration::from_millis(50);

/// The bounds every client is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a client may take to send a request head, and a kept-alive connection may
    /// sit idle.
    pub head: Duration,
    /// How long a client may take to send a whole request body.
    pub body: Duration,
    /// Most connections served at once.
    pub connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            head: HEAD_TIMEOUT,
            body: BODY_TIMEOUT,
            connections: MAX_CONNECTIONS,
        }
    }
}

/// Serves until `SIGTERM` or `SIGINT`, then lets in-flight requests finish for up to
/// [`shutdown::GRACE`].
pub fn run(config: Config, boot: Boot) -> io::Result<()> {
    let service = Arc::new(AccountService::seeded(host::hostname()));
    let listener = TcpListener::bind(config.addr())?;
    let addr = listener.local_addr()?;
    let stopping = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stopping);
    shutdown::on_signal(move |_| {
        flag.store(true, Ordering::SeqCst);
        // Wake the blocked `accept` so the listener closes now.
        let _ = TcpStream::connect_timeout(&wake_addr(addr), Duration::from_secs(1));
    })?;
    boot.announce(STACK, addr);
    serve(listener, service, Limits::default(), &stopping);
    Ok(())
}

/// Accepts connections on `listener`, a thread each, until `stopping` is set and a
/// connection wakes the accept; then gives open connections up to [`shutdown::GRACE`].
///
/// A connection beyond `limits.connections` is closed at once, unread and unanswered. A
/// `503` would be kinder to read, but only after the request has been read: closing on an
/// unread request resets the connection, and the client may never see the answer. Reading
/// it takes a thread or a wait, which is what the cap refuses, and a client that sends
/// nothing would hold up the accept loop itself. A close costs nothing and looks to the
/// client like a connection that failed before any answer.
pub fn serve(
    listener: TcpListener,
    service: Arc<AccountService>,
    limits: Limits,
    stopping: &Arc<AtomicBool>,
) {
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        // Only this loop adds to `open`, so the count cannot pass the cap between the check
        // and the add.
        if open.load(Ordering::SeqCst) >= limits.connections {
            drop(stream);
            continue;
        }
        let counted = Counted::new(&open);
        let (service, stopping) = (Arc::clone(&service), Arc::clone(stopping));
        let spawned = thread::Builder::new().spawn(move || {
            let _counted = counted;
            connection(stream, &service, limits, &stopping);
        });
        if spawned.is_err() {
            // Out of threads: this connection is dropped (and uncounted), the others go on.
            eprintln!("floor: cannot start a thread for a connection");
        }
    }
    drop(listener);
    let deadline = Instant::now() + shutdown::GRACE;
    while open.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
}

/// One open connection in the count, until dropped: when its thread ends, panics, or never
/// starts.
struct Counted(Arc<AtomicUsize>);

impl Counted {
    fn new(open: &Arc<AtomicUsize>) -> Self {
        open.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(open))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn wake_addr(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
    } else {
        addr
    }
}

/// One connection: requests in sequence until the client or a shutdown closes it.
fn connection(
    mut stream: TcpStream,
    service: &AccountService,
    limits: Limits,
    stopping: &AtomicBool,
) {
    if stream.set_read_timeout(Some(POLL)).is_err()
        || stream.set_write_timeout(Some(limits.head)).is_err()
    {
        return;
    }
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(1024);
    let mut out = Vec::with_capacity(256);
    loop {
        let head_len = match read_head(&mut stream, &mut buf, limits, stopping) {
            Ok(Some(len)) => len,
            Ok(None) => return,
            Err(status) => {
                let _ = refuse(&mut stream, &mut out, status);
                return;
            }
        };
        let mut continues = false;
        let (response, with_body, keep_alive, body) = match Head::parse(&buf[..head_len]) {
            Ok(head) => match head.check_host().and_then(|()| head.body()) {
                Ok(body) => {
                    continues = head.expects_continue();
                    (
                        route(service, head.method, head.path()),
                        head.method != "HEAD",
                        head.keep_alive(),
                        body,
                    )
                }
                Err(e) => (refusal(e), true, false, Body::None),
            },
            Err(e) => (refusal(e), true, false, Body::None),
        };
        buf.drain(..head_len + 4);
        // RFC 9110 section 10.1.1: the client holds the body back until told to go on. A
        // body too large to read is refused at once instead.
        let readable = match body {
            Body::None => false,
            Body::Length(n) => n > 0 && n <= MAX_BODY,
            Body::Chunked => true,
        };
        if continues && readable && stream.write_all(http::CONTINUE).is_err() {
            return;
        }
        if let Err(status) = discard_body(&mut stream, &mut buf, body, limits) {
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
    limits: Limits,
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
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n");
        // RFC 9112 section 2.2 lets a server read a bare LF as a line end; floor refuses it
        // at once rather than wait out the head timeout for a CRLF that is not coming.
        let head = &buf[..end.unwrap_or(buf.len())];
        if head.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r') {
            return Err(400);
        }
        if let Some(end) = end {
            return Ok(Some(end));
        }
        if buf.len() > http::MAX_HEAD {
            return Err(431);
        }
        if buf.is_empty() && stopping.load(Ordering::SeqCst) {
            return Ok(None);
        }
        if started.elapsed() > limits.head {
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

/// Reads until `buf` holds `n` bytes, by `deadline`.
fn fill_to(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    n: usize,
    deadline: Instant,
) -> Result<(), u16> {
    while buf.len() < n {
        if Instant::now() > deadline {
            return Err(408);
        }
        if read_some(stream, buf) == Ok(0) {
            return Err(400);
        }
    }
    Ok(())
}

/// Reads and drops the request body, so the next request on the connection starts clean.
/// The whole body shares one deadline, however it is cut into reads or chunks.
fn discard_body(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    body: Body,
    limits: Limits,
) -> Result<(), u16> {
    let deadline = Instant::now() + limits.body;
    match body {
        Body::None => Ok(()),
        Body::Length(n) if n > MAX_BODY => Err(413),
        Body::Length(n) => {
            let n = usize::try_from(n).map_err(|_| 413u16)?;
            fill_to(stream, buf, n, deadline)?;
            buf.drain(..n);
            Ok(())
        }
        Body::Chunked => {
            let mut chunked = Chunked::new(MAX_BODY);
            while !chunked.feed(buf).map_err(ParseError::status)? {
                fill_to(stream, buf, buf.len() + 1, deadline)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A server on a free port of 127.0.0.1, in this process, held to `limits`.
    fn start(limits: Limits) -> SocketAddr {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let service = Arc::new(AccountService::seeded("test"));
        thread::spawn(move || serve(listener, service, limits, &Arc::new(AtomicBool::new(false))));
        addr
    }

    /// Writes `bytes` on a fresh connection and reads until the server closes it or
    /// `wait` passes; returns what came back and whether the server closed.
    fn exchange(addr: SocketAddr, bytes: &[u8], wait: Duration) -> (String, bool) {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(bytes).unwrap();
        read_until_closed(&mut stream, wait)
    }

    fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> (String, bool) {
        let deadline = Instant::now() + wait;
        let mut got = Vec::new();
        let mut chunk = [0u8; 4096];
        let closed = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break false;
            }
            stream.set_read_timeout(Some(left)).unwrap();
            match stream.read(&mut chunk) {
                Ok(0) => break true,
                Ok(n) => got.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break false;
                }
                Err(_) => break true,
            }
        };
        (String::from_utf8_lossy(&got).into_owned(), closed)
    }

    /// The status codes in `answers`, in order.
    fn statuses(answers: &str) -> Vec<u16> {
        answers
            .match_indices("HTTP/1.1 ")
            .filter_map(|(i, _)| answers.get(i + 9..i + 12)?.parse().ok())
            .collect()
    }

    #[test]
    fn serves_a_request_in_process() {
        let addr = start(Limits::default());
        let (answers, closed) = exchange(
            addr,
            b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            Duration::from_secs(5),
        );
        assert_eq!(statuses(&answers), [200]);
        assert!(closed);
    }

    /// A chunked `GET /health` with `body` as its body, the connection to be closed after.
    fn chunked(body: &str) -> String {
        format!(
            "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n{body}"
        )
    }

    #[test]
    fn chunk_sizes_are_hex_digits_and_nothing_else() {
        let addr = start(Limits::default());
        for size in ["+5", " 5", "5 ", "0x5", "-5", "", "5\t"] {
            let request = chunked(&format!("{size}\r\nhello\r\n0\r\n\r\n"));
            let (answers, closed) = exchange(addr, request.as_bytes(), Duration::from_secs(5));
            assert_eq!(statuses(&answers), [400], "chunk size {size:?}: {answers}");
            assert!(closed, "chunk size {size:?}: the connection stayed open");
        }
    }

    #[test]
    fn chunk_data_must_end_in_crlf() {
        let addr = start(Limits::default());
        // Three bytes declared, five sent: a reader that skips two bytes blindly takes
        // "XX" for the line end and reads on.
        for body in [
            "3\r\nhelXX0\r\n\r\n",
            "3\r\nhel\n0\r\n\r\n",
            "3\r\nhel0\r\n\r\n\r\n",
        ] {
            let (answers, closed) =
                exchange(addr, chunked(body).as_bytes(), Duration::from_secs(5));
            assert_eq!(statuses(&answers), [400], "body {body:?}: {answers}");
            assert!(closed, "body {body:?}: the connection stayed open");
        }
    }

    #[test]
    fn chunk_extensions_and_trailers_are_read_and_ignored() {
        let addr = start(Limits::default());
        let body = "5;name=value;flag\r\nhello\r\n3 ; q=\"a \\\" b\"\r\nabc\r\n\
                    0\r\nX-Trailer: yes\r\nChecksum: 1\r\n\r\n";
        let request = format!(
            "GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{body}\
             GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        );
        let (answers, closed) = exchange(addr, request.as_bytes(), Duration::from_secs(5));
        assert_eq!(statuses(&answers), [200, 200], "{answers}");
        assert!(closed);
    }

    #[test]
    fn malformed_chunk_extensions_and_trailers_are_refused() {
        let addr = start(Limits::default());
        for body in [
            "5;\r\nhello\r\n0\r\n\r\n",
            "5;a=\"open\r\nhello\r\n0\r\n\r\n",
            "5;a b\r\nhello\r\n0\r\n\r\n",
            "5;=x\r\nhello\r\n0\r\n\r\n",
            "0\r\nno colon\r\n\r\n",
            "0\r\n folded: x\r\n\r\n",
        ] {
            let (answers, closed) =
                exchange(addr, chunked(body).as_bytes(), Duration::from_secs(5));
            assert_eq!(statuses(&answers), [400], "body {body:?}: {answers}");
            assert!(closed, "body {body:?}: the connection stayed open");
        }
    }

    #[test]
    fn a_transfer_coding_on_http_1_0_is_refused() {
        // RFC 9112 6.1: the framing of an HTTP/1.0 message with Transfer-Encoding is faulty.
        let addr = start(Limits::default());
        let request = "GET /health HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\
                       Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        let (answers, closed) = exchange(addr, request.as_bytes(), Duration::from_secs(5));
        assert_eq!(statuses(&answers), [400], "{answers}");
        assert!(closed, "the connection stayed open");
    }

    #[test]
    fn a_drip_fed_body_is_cut_off_at_the_body_deadline() {
        let limits = Limits {
            head: Duration::from_secs(1),
            body: Duration::from_secs(1),
            ..Limits::default()
        };
        let addr = start(limits);
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap();
        // A chunk every 300 ms, each well within the head timeout, for up to 4 s.
        let mut drip = stream.try_clone().unwrap();
        let started = Instant::now();
        thread::spawn(move || {
            while started.elapsed() < Duration::from_secs(4)
                && drip.write_all(b"1\r\na\r\n").is_ok()
            {
                thread::sleep(Duration::from_millis(300));
            }
        });
        let (answers, closed) = read_until_closed(&mut stream, Duration::from_secs(5));
        let took = started.elapsed();
        assert!(closed, "still open after {took:?}: {answers}");
        assert!(
            took < Duration::from_millis(2500),
            "closed only after {took:?}"
        );
    }

    #[test]
    fn a_connection_past_the_cap_is_closed_at_once() {
        let addr = start(Limits {
            connections: 2,
            ..Limits::default()
        });
        // Two clients that hold their connections with half a head.
        let mut held: Vec<TcpStream> = (0..2)
            .map(|_| {
                let mut s = TcpStream::connect(addr).unwrap();
                s.write_all(b"GET /health HTTP/1.1\r\n").unwrap();
                s
            })
            .collect();
        thread::sleep(Duration::from_millis(200));
        let request = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        let started = Instant::now();
        let (answers, closed) = exchange(addr, request, Duration::from_secs(3));
        assert!(
            closed && answers.is_empty(),
            "a third connection got {answers:?}, closed: {closed}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "closed after {:?}",
            started.elapsed()
        );
        // One of the two leaves: there is room again.
        held.pop();
        thread::sleep(Duration::from_millis(200));
        let (answers, _) = exchange(addr, request, Duration::from_secs(3));
        assert_eq!(statuses(&answers), [200], "{answers}");
    }

    #[test]
    fn a_request_without_exactly_one_host_is_refused() {
        // RFC 9112 3.2: HTTP/1.1 needs a Host, and no request may have two.
        let addr = start(Limits::default());
        for request in [
            "GET /health HTTP/1.1\r\n\r\n",
            "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET /health HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
        ] {
            let (answers, closed) = exchange(addr, request.as_bytes(), Duration::from_secs(5));
            assert_eq!(statuses(&answers), [400], "{request:?}: {answers}");
            assert!(closed, "{request:?}: the connection stayed open");
        }
        let (answers, _) = exchange(
            addr,
            b"GET /health HTTP/1.0\r\n\r\n",
            Duration::from_secs(5),
        );
        assert_eq!(
            statuses(&answers),
            [200],
            "HTTP/1.0 needs no Host: {answers}"
        );
    }

    #[test]
    fn a_head_with_bare_line_feeds_is_refused_at_once() {
        let addr = start(Limits::default());
        for request in [
            "GET /health HTTP/1.1\nHost: x\n\n",
            "GET /health HTTP/1.1\r\nHost: x\n\r\n",
        ] {
            let started = Instant::now();
            let (answers, closed) = exchange(addr, request.as_bytes(), Duration::from_secs(3));
            assert_eq!(statuses(&answers), [400], "{request:?}: {answers}");
            assert!(closed, "{request:?}: the connection stayed open");
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{request:?}: took {:?}",
                started.elapsed()
            );
        }
        // A bare LF in a body is only a byte.
        let request = "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n\n\n\
                       GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        let (answers, _) = exchange(addr, request.as_bytes(), Duration::from_secs(3));
        assert_eq!(statuses(&answers), [200, 200], "{answers}");
    }

    #[test]
    fn expect_100_continue_is_answered_before_the_body() {
        let addr = start(Limits::default());
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            .unwrap();
        let (interim, closed) = read_until_closed(&mut stream, Duration::from_secs(1));
        assert_eq!(
            (interim.as_str(), closed),
            ("HTTP/1.1 100 Continue\r\n\r\n", false)
        );
        stream.write_all(b"hello").unwrap();
        let (answers, _) = read_until_closed(&mut stream, Duration::from_secs(1));
        assert_eq!(statuses(&answers), [200], "{answers}");
        // Not for a body too large to be read: the refusal comes at once.
        let (answers, closed) = exchange(
            addr,
            b"GET /health HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n\r\n",
            Duration::from_secs(1),
        );
        assert_eq!((statuses(&answers), closed), (vec![413], true), "{answers}");
    }
}
