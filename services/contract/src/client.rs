//! A small HTTP/1.1 client over a raw `TcpStream`.
//!
//! The contract is about bytes on the wire (exact bodies, header presence, keep-alive,
//! malformed requests), so the suite writes requests by hand and parses answers itself
//! instead of going through a client library that would normalise them.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Longest response head the client accepts.
const MAX_HEAD: usize = 64 * 1024;

/// One parsed HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header fields in the order received; names as sent.
    pub headers: Vec<(String, String)>,
    /// Body bytes (empty for `HEAD`).
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether the server said it will close the connection.
    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// How an exchange with a server ended, when it did not end with a response.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Connect, read or write failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// The server closed the connection before a complete response.
    #[error("connection closed by the server after {0} bytes of response")]
    Closed(usize),
    /// The bytes received are not an HTTP/1.x response.
    #[error("malformed response: {0}")]
    Malformed(String),
}

/// One client connection.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// Connects to `addr`; every read gives up after `timeout`.
    pub fn open(addr: SocketAddr, timeout: Duration) -> Result<Self, ClientError> {
        let stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::new(),
        })
    }

    /// Changes how long each read and write waits.
    pub fn set_timeout(&mut self, timeout: Duration) {
        let _ = self.stream.set_read_timeout(Some(timeout));
        let _ = self.stream.set_write_timeout(Some(timeout));
    }

    /// Sends raw bytes.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        self.stream.write_all(bytes)?;
        Ok(())
    }

    /// Sends `METHOD target HTTP/1.1` with a `Host` header and reads the answer.
    pub fn request(&mut self, method: &str, target: &str) -> Result<Response, ClientError> {
        self.send(request_bytes(method, target).as_bytes())?;
        self.read_response(method == "HEAD")
    }

    /// Reads one response; `head` says the request was a `HEAD` (no body follows).
    pub fn read_response(&mut self, head: bool) -> Result<Response, ClientError> {
        let head_end = loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                break end;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(ClientError::Malformed("response head over 64 KiB".into()));
            }
            self.fill()?;
        };
        let head_text = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        self.buf.drain(..head_end + 4);
        let mut lines = head_text.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = parse_status(status_line)
            .ok_or_else(|| ClientError::Malformed(format!("status line {status_line:?}")))?;
        let headers: Vec<(String, String)> = lines
            .map(|line| match line.split_once(':') {
                Some((n, v)) => Ok((n.trim().to_owned(), v.trim().to_owned())),
                None => Err(ClientError::Malformed(format!("header line {line:?}"))),
            })
            .collect::<Result<_, _>>()?;
        let mut response = Response {
            status,
            headers,
            body: Vec::new(),
        };
        if head || status == 204 || status == 304 || (100..200).contains(&status) {
            return Ok(response);
        }
        if let Some(length) = response.header("content-length") {
            let length: usize = length
                .parse()
                .map_err(|_| ClientError::Malformed(format!("content-length {length:?}")))?;
            while self.buf.len() < length {
                self.fill()?;
            }
            response.body = self.buf.drain(..length).collect();
        } else if response
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            response.body = self.read_chunked()?;
        } else {
            // No framing: the body runs to the end of the connection.
            loop {
                match self.stream.read_to_end(&mut self.buf) {
                    Ok(_) => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            response.body = std::mem::take(&mut self.buf);
        }
        Ok(response)
    }

    /// Waits until the server closes the connection, up to `limit`; returns how long it took.
    ///
    /// Bytes the server sends meanwhile (an error response, say) are kept and ignored.
    pub fn wait_closed(&mut self, limit: Duration) -> Option<Duration> {
        let start = Instant::now();
        let mut scratch = [0u8; 4096];
        while start.elapsed() < limit {
            match self.stream.read(&mut scratch) {
                Ok(0) => return Some(start.elapsed()),
                Ok(n) => self.buf.extend_from_slice(&scratch[..n]),
                Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                // A reset is a close, too.
                Err(_) => return Some(start.elapsed()),
            }
        }
        None
    }

    /// Bytes received but not yet consumed as a response.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    fn fill(&mut self) -> Result<(), ClientError> {
        let mut chunk = [0u8; 8192];
        let n = loop {
            match self.stream.read(&mut chunk) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        };
        if n == 0 {
            return Err(ClientError::Closed(self.buf.len()));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    fn read_chunked(&mut self) -> Result<Vec<u8>, ClientError> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(end) = find(&self.buf, b"\r\n") {
                    break end;
                }
                self.fill()?;
            };
            let size_text = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
            let size_hex = size_text.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_hex, 16)
                .map_err(|_| ClientError::Malformed(format!("chunk size {size_text:?}")))?;
            self.buf.drain(..line_end + 2);
            while self.buf.len() < size + 2 {
                self.fill()?;
            }
            body.extend(self.buf.drain(..size));
            self.buf.drain(..2);
            if size == 0 {
                return Ok(body);
            }
        }
    }
}

/// A minimal, well-formed request head for `method` and `target`.
pub fn request_bytes(method: &str, target: &str) -> String {
    format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: footprint-contract\r\n\r\n"
    )
}

/// One request on a fresh connection.
pub fn fetch(addr: SocketAddr, method: &str, target: &str) -> Result<Response, ClientError> {
    Conn::open(addr, Duration::from_secs(5))?.request(method, target)
}

/// Whether an I/O error is a read or write timeout.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn parse_status(line: &str) -> Option<u16> {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    /// Serves `reply` once to the first connection and returns the client's view of it.
    fn exchange(reply: &'static [u8], head: bool) -> Result<Response, ClientError> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut req = [0u8; 1024];
            let _ = s.read(&mut req).unwrap();
            s.write_all(reply).unwrap();
        });
        let mut conn = Conn::open(addr, Duration::from_secs(5)).unwrap();
        let result = conn.request(if head { "HEAD" } else { "GET" }, "/");
        server.join().unwrap();
        result
    }

    #[test]
    fn parses_content_length_bodies() {
        let r = exchange(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX: a:b\r\n\r\nhi",
            false,
        )
        .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x"), Some("a:b"));
        assert_eq!(r.body, b"hi");
    }

    #[test]
    fn parses_chunked_bodies() {
        let r = exchange(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n3\r\n!!!\r\n0\r\n\r\n",
            false,
        )
        .unwrap();
        assert_eq!(r.body, b"hi!!!");
    }

    #[test]
    fn head_responses_have_no_body() {
        let r = exchange(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true).unwrap();
        assert_eq!((r.status, r.body.len()), (200, 0));
    }

    #[test]
    fn refuses_what_is_not_http() {
        assert!(matches!(
            exchange(b"SSH-2.0-x\r\n\r\n", false),
            Err(ClientError::Malformed(_))
        ));
        assert!(matches!(
            exchange(b"HTTP/1.1 200 OK\r\nContent-Le", false),
            Err(ClientError::Closed(_))
        ));
    }
}
