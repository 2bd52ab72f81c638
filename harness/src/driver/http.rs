//! The in-process drivers' HTTP/1.1 client: one kept-alive connection, one request at a time.
//!
//! Both drivers send through it, so they time the same thing: from the request's first byte
//! written to the response's last byte read (the whole body, by its `Content-Length`). When
//! the connection is closed (the service said `Connection: close`, as Tomcat does after a
//! `400`, or an exchange failed), the next request opens a new one first; that connect is
//! timed apart ([`Exchange::connect`]) and the request's time starts once it is open. The
//! response head is parsed with `httparse`; nothing else of the response is kept.
//!
//! Why not a general client (hyper's, reqwest): a request here is a write and one or two
//! reads on a socket the task owns, with no connection task to wake and no pool to lock; on
//! the one CPU the load generator gets, that is the difference between measuring the service
//! and measuring the client (see `harness calibrate`).

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response head accepted, bytes.
const MAX_HEAD: usize = 64 * 1024;

/// What became of one request.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The response's status; 0 without one (connect failed, timed out, closed, garbled).
    pub status: u16,
    /// When the request's first byte was written (after any connect).
    pub sent: Instant,
    /// When the response's last byte was read, or the exchange failed.
    pub done: Instant,
    /// How long opening a new connection took first, when the request needed one.
    pub connect: Option<Duration>,
    /// Why the request failed on the harness's own side (see [`client_fault`]), if it did.
    pub client_fault: Option<String>,
}

impl Exchange {
    /// From the first byte written to the last byte read, µs.
    pub fn latency_us(&self) -> u64 {
        self.done.saturating_duration_since(self.sent).as_micros() as u64
    }
}

/// A kept-alive HTTP/1.1 connection to one address, opened when first needed and again
/// whenever the service closes it.
pub struct Connection {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    request: Vec<u8>,
    response: Vec<u8>,
}

impl Connection {
    /// A connection to `addr`, opened at the first request.
    pub fn lazy(addr: SocketAddr) -> Self {
        Self {
            addr,
            stream: None,
            request: Vec::with_capacity(128),
            response: Vec::with_capacity(2048),
        }
    }

    /// A connection to `addr`, opened now.
    pub async fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let mut c = Self::lazy(addr);
        c.stream = Some(connect(addr).await?);
        Ok(c)
    }

    /// `GET path`, the whole response read, within `limit` (connect included); a failure
    /// (status 0) closes the connection so the next request opens a new one.
    pub async fn get(&mut self, path: &str, limit: Duration) -> Exchange {
        let mut sent = Instant::now();
        let mut opening = None;
        let outcome = tokio::time::timeout(limit, async {
            if self.stream.is_none() {
                self.stream = Some(connect(self.addr).await?);
                let open = Instant::now();
                opening = Some(open - sent);
                sent = open;
            }
            self.request.clear();
            write!(
                self.request,
                "GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n",
                self.addr
            )?;
            let stream = self.stream.as_mut().expect("opened above");
            exchange(stream, &self.request, &mut self.response).await
        })
        .await;
        let done = Instant::now();
        let client_fault = match &outcome {
            Ok(Err(e)) => client_fault(e),
            _ => None,
        };
        let status = match outcome {
            Ok(Ok((status, keep_alive))) => {
                if !keep_alive {
                    self.stream = None;
                }
                status
            }
            _ => {
                self.stream = None;
                0
            }
        };
        Exchange {
            status,
            sent,
            done,
            connect: opening,
            client_fault,
        }
    }
}

/// Whether `e` is the harness's own failure rather than the service's: out of file
/// descriptors (`EMFILE` for the process, `ENFILE` for the system) when opening a socket. Such
/// a request never reached the service; counting it as the service's error would blame it for
/// the load generator's limit.
pub fn client_fault(e: &std::io::Error) -> Option<String> {
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    matches!(e.raw_os_error(), Some(ENFILE | EMFILE)).then(|| {
        format!(
            "the harness ran out of file descriptors opening a connection ({e}): its own \
             limit, not the service's; raise the hard limit of open files (`ulimit -Hn`, \
             recorded in env.json as open_files) or use fewer users"
        )
    })
}

/// A TCP connection to `addr` with Nagle's delay off (requests are small and one at a time).
pub async fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Writes `request` and reads the whole response into `buf`; returns its status and whether
/// the connection stays open.
async fn exchange(
    stream: &mut TcpStream,
    request: &[u8],
    buf: &mut Vec<u8>,
) -> std::io::Result<(u16, bool)> {
    stream.write_all(request).await?;
    buf.clear();
    let mut chunk = [0u8; 4096];
    let (head_len, head) = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(parsed) = parse_head(buf)? {
            break parsed;
        }
        if buf.len() > MAX_HEAD {
            return Err(std::io::Error::other("response head too long"));
        }
    };
    let mut body = buf.len() - head_len;
    while body < head.length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        body += n;
    }
    Ok((head.status, !head.close))
}

/// What the harness needs from a response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The status.
    pub status: u16,
    /// The body's `Content-Length` (0 when absent).
    pub length: usize,
    /// Whether the server closes the connection after this response.
    pub close: bool,
}

/// The head at the start of `buf` and its length in bytes, `None` while it is incomplete; an
/// error when it is not HTTP/1.x or its body is chunked (the contract's services send a
/// `Content-Length`).
pub fn parse_head(buf: &[u8]) -> std::io::Result<Option<(usize, Head)>> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let len = match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(std::io::Error::other(format!("not an HTTP response: {e}"))),
    };
    let mut head = Head {
        status: response.code.unwrap_or(0),
        length: 0,
        close: response.version == Some(0),
    };
    for h in response.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or("").trim();
        if h.name.eq_ignore_ascii_case("content-length") {
            head.length = value
                .parse()
                .map_err(|_| std::io::Error::other(format!("bad Content-Length {value:?}")))?;
        } else if h.name.eq_ignore_ascii_case("connection") {
            head.close = value.eq_ignore_ascii_case("close");
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(std::io::Error::other(
                "chunked response: the contract's services send a Content-Length",
            ));
        }
    }
    Ok(Some((len, head)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::test_server::{Answer, serve};

    #[test]
    fn running_out_of_descriptors_is_the_harness_fault_not_the_service_s() {
        for errno in [23, 24] {
            let why = client_fault(&std::io::Error::from_raw_os_error(errno)).unwrap();
            assert!(why.contains("not the service's"), "{why}");
        }
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(client_fault(&refused), None, "a refusal is the service's");
        let mut recorder = crate::driver::record::Recorder::new(false);
        let mut merged = crate::driver::record::Recorder::new(false);
        recorder.client_fault("out of files");
        merged.merge(&recorder);
        assert_eq!(merged.fault(), Some("out of files"), "kept through a merge");
    }

    #[test]
    fn response_heads() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nServer: x\r\n\r\n{\"id\":\"1\"}";
        assert_eq!(
            parse_head(ok).unwrap(),
            Some((
                ok.len() - 10,
                Head {
                    status: 200,
                    length: 12,
                    close: false
                }
            ))
        );
        let closing = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 3\r\n\r\n";
        assert!(parse_head(closing).unwrap().unwrap().1.close);
        let old = b"HTTP/1.0 404 Not Found\r\n\r\n";
        let head = parse_head(old).unwrap().unwrap().1;
        assert_eq!((head.status, head.length, head.close), (404, 0, true));
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Len").unwrap(), None);
        assert!(parse_head(b"garbage\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").is_err());
    }

    #[tokio::test]
    async fn a_closed_connection_is_reopened_and_the_connect_timed_apart() {
        let addr = serve(None, Answer::Close);
        let mut c = Connection::open(addr).await.unwrap();
        let first = c.get("/accounts/10001", Duration::from_secs(5)).await;
        assert_eq!((first.status, first.connect.is_none()), (200, true));
        let second = c.get("/accounts/10002", Duration::from_secs(5)).await;
        assert_eq!(second.status, 200);
        assert!(second.connect.is_some(), "the service closed the first one");
        assert!(second.sent >= second.done - Duration::from_secs(5));
    }

    #[tokio::test]
    async fn nothing_listening_is_status_zero() {
        let addr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let mut c = Connection::lazy(addr);
        let e = c.get("/accounts/10001", Duration::from_secs(1)).await;
        assert_eq!(e.status, 0);
    }
}
