//! Hostile and broken clients: every stack answers 4xx or closes, within a bounded time, and
//! keeps serving everyone else.

use std::net::SocketAddr;
use std::time::Duration;

use crate::checks::{READ_TIMEOUT, start};
use crate::client::{ClientError, Conn, fetch};
use crate::service::{Service, Target};

/// Longest a stack may keep a stalled or broken connection open. Servers time out a
/// request head after about 5 s; this leaves room for a slow, shared machine.
pub const STALL_LIMIT: Duration = Duration::from_secs(20);

/// What the server did with a bad request.
#[derive(Debug)]
enum Outcome {
    /// It answered with this status.
    Status(u16),
    /// It closed (or reset) the connection without an answer.
    Closed,
}

/// Sends `bytes` on a fresh connection and sees how the server reacts.
fn send_bad(addr: SocketAddr, bytes: &[u8]) -> Outcome {
    let mut conn = Conn::open(addr, STALL_LIMIT).expect("connect");
    if conn.send(bytes).is_err() {
        // The server stopped reading and reset the connection: refused.
        return Outcome::Closed;
    }
    match conn.read_response(false) {
        Ok(r) => Outcome::Status(r.status),
        Err(ClientError::Closed(0)) => Outcome::Closed,
        Err(ClientError::Io(e)) if !crate::client::is_timeout(&e) => Outcome::Closed,
        Err(e) => panic!("after {:?}: {e}", printable(bytes)),
    }
}

/// A refusal: a client error, or the two server statuses that name an unsupported
/// protocol feature (`501` unknown transfer coding, `505` HTTP version).
fn assert_refused(outcome: &Outcome, bytes: &[u8]) {
    let ok = match outcome {
        Outcome::Closed => true,
        Outcome::Status(s) => (400..500).contains(s) || *s == 501 || *s == 505,
    };
    assert!(ok, "{:?} got {outcome:?}", printable(bytes));
}

fn assert_still_serving(service: &mut Service, after: &str) {
    assert!(service.is_running(), "the process died after {after}");
    let r = fetch(service.addr(), "GET", "/health")
        .unwrap_or_else(|e| panic!("/health after {after}: {e}"));
    assert_eq!(r.status, 200, "/health after {after}");
}

fn printable(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(80)];
    format!(
        "{}{}",
        String::from_utf8_lossy(shown),
        if bytes.len() > 80 { "..." } else { "" }
    )
}

/// Malformed request lines and heads get a 4xx or a closed connection.
pub fn malformed_requests(target: &Target) {
    let mut service = start(target);
    let cases: [&[u8]; 17] = [
        b"GARBAGE\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET  HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET /health HTTP/1.1 extra\r\nHost: x\r\n\r\n",
        b"G\x00T /health HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /hea\x00lth HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"GET /health HTTP/1.1\r\nHost: x\r\n folded: header\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked, rot13\r\n\r\n",
        b"GET /accounts/% HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /accounts/%zz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /accounts/1%2 HTTP/1.1\r\nHost: x\r\n\r\n",
    ];
    for bytes in cases {
        let outcome = send_bad(service.addr(), bytes);
        assert_refused(&outcome, bytes);
        assert_still_serving(&mut service, &printable(bytes));
    }
}

/// Bytes that are not UTF-8 in the request target.
pub fn invalid_utf8(target: &Target) {
    let mut service = start(target);
    let cases: [&[u8]; 3] = [
        b"GET /accounts/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /accounts/1000\xc3 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /\xe2\x82 HTTP/1.1\r\nHost: x\r\n\r\n",
    ];
    for bytes in cases {
        let outcome = send_bad(service.addr(), bytes);
        assert_refused(&outcome, bytes);
        assert_still_serving(&mut service, &printable(bytes));
    }
}

/// A 100 KB request target, a 2 MiB header and 100,000 headers are refused.
///
/// The head sizes are above the largest default limit of any stack (Go's 1 MiB): the point is
/// that every stack has a bound, not where it lies.
pub fn oversized_requests(target: &Target) {
    let mut service = start(target);
    let long_uri = format!(
        "GET /accounts/{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "1".repeat(100_000)
    );
    let big_header = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(2 << 20)
    );
    let many_headers = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\n{}\r\n",
        (0..100_000)
            .map(|i| format!("X-H{i}: v\r\n"))
            .collect::<String>()
    );
    for request in [long_uri, big_header, many_headers] {
        let outcome = send_bad(service.addr(), request.as_bytes());
        assert_refused(&outcome, request.as_bytes());
        assert_still_serving(&mut service, &printable(request.as_bytes()));
    }
}

/// Clients that connect and stall (silent, or half a request head) do not hold a worker:
/// others are served at once, and each stalled connection is closed within [`STALL_LIMIT`].
pub fn stalled_clients(target: &Target) {
    // One worker: a stalled client that held it would stop the service outright.
    let target = target.clone().env("WORKERS", "1");
    let mut service = start(&target);
    let mut stalled = Vec::new();
    for i in 0..12 {
        let mut conn = Conn::open(service.addr(), STALL_LIMIT).expect("connect");
        match i % 3 {
            0 => {}
            1 => conn.send(b"GET /accounts/10").expect("send"),
            _ => conn
                .send(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .expect("send"),
        }
        stalled.push(conn);
    }
    let served = Conn::open(service.addr(), READ_TIMEOUT)
        .and_then(|mut c| c.request("GET", "/accounts/10001"))
        .unwrap_or_else(|e| panic!("a stalled client blocks the others: {e}"));
    assert_eq!(served.status, 200);
    for (i, conn) in stalled.iter_mut().enumerate() {
        let closed = conn.wait_closed(STALL_LIMIT);
        assert!(
            closed.is_some(),
            "stalled connection {i} still open after {STALL_LIMIT:?}"
        );
        if let Some(pending) = std::str::from_utf8(conn.pending())
            .ok()
            .filter(|p| !p.is_empty())
        {
            let status: u16 = pending.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
            assert!(
                (400..500).contains(&status),
                "stalled connection {i} got {pending:?}"
            );
        }
    }
    assert_still_serving(&mut service, "stalled clients");
}
