//! Just enough HTTP/1.1 for the contract: parse a request head, read past a request body,
//! write a response.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// Longest request head accepted (request line and headers).
pub const MAX_HEAD: usize = 16 * 1024;
/// Longest request line accepted.
pub const MAX_REQUEST_LINE: usize = 8 * 1024;
/// Most header fields accepted.
pub const MAX_HEADERS: usize = 100;
/// Longest chunk-size line accepted (the size and any chunk extensions).
pub const MAX_CHUNK_LINE: usize = 1024;
/// Largest trailer section of a chunked body accepted, its line ends included.
pub const MAX_TRAILERS: usize = MAX_HEAD;

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head<'a> {
    /// The method token.
    pub method: &'a str,
    /// The request target in origin form (`/path?query`).
    pub target: &'a str,
    /// `true` for HTTP/1.1, `false` for HTTP/1.0.
    pub http11: bool,
    /// Header fields, values trimmed.
    pub headers: Vec<(&'a str, &'a str)>,
}

/// How a request body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// No body.
    None,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A request that cannot be served; the status to refuse it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// `400`: not a well-formed HTTP/1.x request.
    Malformed,
    /// `413`: a body larger than the reader was allowed.
    BodyTooLarge,
    /// `414`: request line too long.
    UriTooLong,
    /// `431`: head too large or too many headers.
    HeadTooLarge,
    /// `501`: a transfer coding other than `chunked`.
    UnsupportedCoding,
    /// `505`: an HTTP version other than 1.0 and 1.1.
    Version,
}

impl ParseError {
    /// The status code that refuses it.
    pub fn status(self) -> u16 {
        match self {
            ParseError::Malformed => 400,
            ParseError::BodyTooLarge => 413,
            ParseError::UriTooLong => 414,
            ParseError::HeadTooLarge => 431,
            ParseError::UnsupportedCoding => 501,
            ParseError::Version => 505,
        }
    }
}

impl<'a> Head<'a> {
    /// Parses a head: the bytes before the blank line, without it.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        if bytes.len() > MAX_HEAD {
            return Err(ParseError::HeadTooLarge);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| ParseError::Malformed)?;
        let mut lines = text.split("\r\n");
        let line = lines.next().unwrap_or_default();
        if line.len() > MAX_REQUEST_LINE {
            return Err(ParseError::UriTooLong);
        }
        let mut parts = line.split(' ');
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ParseError::Malformed);
        };
        if method.is_empty() || !method.bytes().all(is_token) {
            return Err(ParseError::Malformed);
        }
        if !target.starts_with('/') || !target.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ParseError::Malformed);
        }
        let http11 = match version {
            "HTTP/1.1" => true,
            "HTTP/1.0" => false,
            v if v.starts_with("HTTP/") => return Err(ParseError::Version),
            _ => return Err(ParseError::Malformed),
        };
        let mut headers = Vec::new();
        for line in lines {
            if headers.len() == MAX_HEADERS {
                return Err(ParseError::HeadTooLarge);
            }
            // No obs-fold, no space before the colon, a token for a name.
            let (name, value) = line.split_once(':').ok_or(ParseError::Malformed)?;
            if name.is_empty() || !name.bytes().all(is_token) {
                return Err(ParseError::Malformed);
            }
            if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
                return Err(ParseError::Malformed);
            }
            headers.push((name, value.trim_matches([' ', '\t'])));
        }
        Ok(Self {
            method,
            target,
            http11,
            headers,
        })
    }

    /// Values of every header named `name`.
    pub fn all<'h>(&'h self, name: &'h str) -> impl Iterator<Item = &'a str> + 'h {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The path, without the query string.
    pub fn path(&self) -> &'a str {
        self.target.split_once('?').map_or(self.target, |(p, _)| p)
    }

    /// Refuses a head without exactly one `Host` (RFC 9112 section 3.2); only HTTP/1.0 may
    /// leave it out.
    pub fn check_host(&self) -> Result<(), ParseError> {
        match self.all("host").count() {
            1 => Ok(()),
            0 if !self.http11 => Ok(()),
            _ => Err(ParseError::Malformed),
        }
    }

    /// Whether the client holds the body back until a `100 (Continue)`.
    pub fn expects_continue(&self) -> bool {
        self.http11
            && self
                .all("expect")
                .any(|v| v.eq_ignore_ascii_case("100-continue"))
    }

    /// Whether the client wants the connection kept open after this request.
    pub fn keep_alive(&self) -> bool {
        let has = |token: &str| {
            self.all("connection")
                .flat_map(|v| v.split(','))
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        if self.http11 {
            !has("close")
        } else {
            has("keep-alive")
        }
    }

    /// How the body is framed; conflicting or unparseable framing is refused (no smuggling).
    pub fn body(&self) -> Result<Body, ParseError> {
        let lengths: Vec<&str> = self.all("content-length").collect();
        let codings: Vec<&str> = self.all("transfer-encoding").collect();
        if !self.http11 && !codings.is_empty() {
            // RFC 9112 section 6.1: an HTTP/1.0 message with a transfer coding has passed
            // through something that did not decode it; its framing is faulty.
            return Err(ParseError::Malformed);
        }
        match (lengths.as_slice(), codings.as_slice()) {
            ([], []) => Ok(Body::None),
            ([length], []) if !length.is_empty() && length.bytes().all(|b| b.is_ascii_digit()) => {
                length
                    .parse()
                    .map(Body::Length)
                    .map_err(|_| ParseError::Malformed)
            }
            ([], [coding]) if coding.eq_ignore_ascii_case("chunked") => Ok(Body::Chunked),
            ([], [_]) => Err(ParseError::UnsupportedCoding),
            _ => Err(ParseError::Malformed),
        }
    }
}

/// Reads a chunked body (RFC 9112 section 7.1) as its bytes arrive and keeps none of it:
/// chunk sizes of hex digits only, chunk extensions checked and ignored, the CRLF after
/// every chunk's data required, the trailer section read to its empty line and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunked {
    state: Chunk,
    /// Data bytes so far, of at most `max`.
    total: u64,
    max: u64,
    /// Bytes of the trailer section so far.
    trailers: usize,
}

/// Where a [`Chunked`] reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Before a chunk-size line.
    Size,
    /// In a chunk's data, this many bytes to go.
    Data(u64),
    /// After a chunk's data, before its CRLF.
    DataEnd,
    /// In the trailer section, after the last chunk.
    Trailers,
    /// Past the trailer section's empty line.
    Done,
}

impl Chunked {
    /// A reader that refuses a body of more than `max` data bytes.
    pub fn new(max: u64) -> Self {
        Self {
            state: Chunk::Size,
            total: 0,
            max,
            trailers: 0,
        }
    }

    /// Consumes from the front of `buf` what it can of the body. `Ok(true)` once the body
    /// is over (what follows it stays in `buf`), `Ok(false)` when it needs more bytes.
    pub fn feed(&mut self, buf: &mut Vec<u8>) -> Result<bool, ParseError> {
        loop {
            match self.state {
                Chunk::Size => {
                    let Some(line) = take_line(buf, MAX_CHUNK_LINE, ParseError::Malformed)? else {
                        return Ok(false);
                    };
                    let size = chunk_size(&line, self.max - self.total)?;
                    self.total += size;
                    self.state = if size == 0 {
                        Chunk::Trailers
                    } else {
                        Chunk::Data(size)
                    };
                }
                Chunk::Data(left) => {
                    let take = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
                    buf.drain(..take);
                    let left = left - take as u64;
                    if left > 0 {
                        self.state = Chunk::Data(left);
                        return Ok(false);
                    }
                    self.state = Chunk::DataEnd;
                }
                Chunk::DataEnd => {
                    if !b"\r\n".starts_with(&buf[..buf.len().min(2)]) {
                        return Err(ParseError::Malformed);
                    }
                    if buf.len() < 2 {
                        return Ok(false);
                    }
                    buf.drain(..2);
                    self.state = Chunk::Size;
                }
                Chunk::Trailers => {
                    let room = MAX_TRAILERS.saturating_sub(self.trailers);
                    let Some(line) = take_line(buf, room, ParseError::HeadTooLarge)? else {
                        return Ok(false);
                    };
                    self.trailers += line.len() + 2;
                    if self.trailers > MAX_TRAILERS {
                        return Err(ParseError::HeadTooLarge);
                    }
                    if line.is_empty() {
                        self.state = Chunk::Done;
                    } else {
                        field_line(&line)?;
                    }
                }
                Chunk::Done => return Ok(true),
            }
        }
    }
}

/// Takes a line ended by CRLF from the front of `buf`, without its end; `None` when the line
/// is not complete yet. A bare LF is refused, a line longer than `max` with `too_long`.
fn take_line(
    buf: &mut Vec<u8>,
    max: usize,
    too_long: ParseError,
) -> Result<Option<Vec<u8>>, ParseError> {
    let Some(end) = buf.iter().position(|&b| b == b'\n') else {
        return if buf.len() > max {
            Err(too_long)
        } else {
            Ok(None)
        };
    };
    if end == 0 || buf[end - 1] != b'\r' {
        return Err(ParseError::Malformed);
    }
    if end - 1 > max {
        return Err(too_long);
    }
    let line = buf[..end - 1].to_vec();
    buf.drain(..=end);
    Ok(Some(line))
}

/// The size of a chunk-size line (`1*HEXDIG` and any chunk extensions), refused past `max`.
/// The size is checked digit by digit, so no run of digits can overflow it.
fn chunk_size(line: &[u8], max: u64) -> Result<u64, ParseError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(ParseError::Malformed);
    }
    let mut size = 0u64;
    for &b in &line[..digits] {
        let digit = u64::from(char::from(b).to_digit(16).unwrap_or(0));
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(digit))
            .filter(|&s| s <= max)
            .ok_or(ParseError::BodyTooLarge)?;
    }
    chunk_extensions(&line[digits..])?;
    Ok(size)
}

/// Checks `*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )`: extensions
/// are understood by no one here, so they are ignored, but only once they are well formed.
fn chunk_extensions(mut rest: &[u8]) -> Result<(), ParseError> {
    let ws = |s: &[u8]| -> usize { s.iter().take_while(|&&b| b == b' ' || b == b'\t').count() };
    while !rest.is_empty() {
        rest = rest[ws(rest)..]
            .strip_prefix(b";")
            .ok_or(ParseError::Malformed)?;
        rest = &rest[ws(rest)..];
        let name = rest.iter().take_while(|&&b| is_token(b)).count();
        if name == 0 {
            return Err(ParseError::Malformed);
        }
        rest = &rest[name..];
        if let Some(value) = rest[ws(rest)..].strip_prefix(b"=") {
            rest = after_ext_value(&value[ws(value)..])?;
        }
    }
    Ok(())
}

/// What follows a chunk extension's value: a token or a quoted-string (RFC 9110 5.6.4).
fn after_ext_value(value: &[u8]) -> Result<&[u8], ParseError> {
    if value.first() != Some(&b'"') {
        let token = value.iter().take_while(|&&b| is_token(b)).count();
        return if token == 0 {
            Err(ParseError::Malformed)
        } else {
            Ok(&value[token..])
        };
    }
    let text = |b: u8| b == b'\t' || b == b' ' || (b >= 0x21 && b != 0x7f);
    let mut i = 1;
    while let Some(&b) = value.get(i) {
        match b {
            b'"' => return Ok(&value[i + 1..]),
            b'\\' if value.get(i + 1).is_some_and(|&b| text(b)) => i += 2,
            b'\\' => return Err(ParseError::Malformed),
            b if text(b) => i += 1,
            _ => return Err(ParseError::Malformed),
        }
    }
    Err(ParseError::Malformed)
}

/// Checks a trailer field line: a token, a colon, a value without control bytes.
fn field_line(line: &[u8]) -> Result<(), ParseError> {
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or(ParseError::Malformed)?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
        return Err(ParseError::Malformed);
    }
    if value.iter().any(|&b| b.is_ascii_control() && b != b'\t') {
        return Err(ParseError::Malformed);
    }
    Ok(())
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The interim answer that tells a client holding back its body to send it.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// A response to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// `Allow` header, for `405`.
    pub allow: Option<&'static str>,
    /// JSON body.
    pub body: Vec<u8>,
}

/// Writes `response` to `out` with `Date`, `Server`, `Content-Type` and `Content-Length`;
/// the body only when `with_body` (not for `HEAD`), and `Connection: close` when closing.
pub fn write_response(
    out: &mut Vec<u8>,
    response: &Response,
    with_body: bool,
    close: bool,
    now: SystemTime,
) {
    let mut head = String::with_capacity(192);
    let _ = write!(
        head,
        "HTTP/1.1 {} {}\r\nDate: {}\r\nServer: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
        response.status,
        reason(response.status),
        http_date(now),
        crate::STACK,
        footprint_core::JSON,
        response.body.len()
    );
    if let Some(allow) = response.allow {
        let _ = write!(head, "Allow: {allow}\r\n");
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    out.extend_from_slice(head.as_bytes());
    if with_body {
        out.extend_from_slice(&response.body);
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 9110 section 5.6.7.
pub fn http_date(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01: Howard Hinnant, "chrono-Compatible Low-Level
    // Date Algorithms", `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)],
        MONTHS[usize::try_from(month - 1).unwrap_or(0)],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::Duration;

    #[test]
    fn parses_a_plain_get() {
        let head = Head::parse(b"GET /accounts/10000?x=1 HTTP/1.1\r\nHost: a\r\nConnection: close")
            .unwrap();
        assert_eq!(head.method, "GET");
        assert_eq!(head.path(), "/accounts/10000");
        assert!(!head.keep_alive());
        assert_eq!(head.body(), Ok(Body::None));
    }

    #[test]
    fn refuses_what_the_contract_refuses() {
        let err = |b: &[u8]| Head::parse(b).unwrap_err();
        assert_eq!(err(b"GET /health HTTP/2.0"), ParseError::Version);
        assert_eq!(err(b"GET /health HTTP/1.1 x"), ParseError::Malformed);
        assert_eq!(
            err(b"GET /health HTTP/1.1\r\n folded: x"),
            ParseError::Malformed
        );
        assert_eq!(err(b"GET /he\xffalth HTTP/1.1"), ParseError::Malformed);
        assert_eq!(err(b"GET http://a/health HTTP/1.1"), ParseError::Malformed);
        let long = format!("GET /{} HTTP/1.1", "a".repeat(MAX_REQUEST_LINE));
        assert_eq!(err(long.as_bytes()), ParseError::UriTooLong);
        let many = format!("GET / HTTP/1.1{}", "\r\nX: y".repeat(MAX_HEADERS + 1));
        assert_eq!(err(many.as_bytes()), ParseError::HeadTooLarge);
    }

    #[test]
    fn refuses_ambiguous_framing() {
        let body = |b: &[u8]| Head::parse(b).unwrap().body();
        assert_eq!(
            body(b"POST / HTTP/1.1\r\nContent-Length: 5"),
            Ok(Body::Length(5))
        );
        assert_eq!(
            body(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked"),
            Ok(Body::Chunked)
        );
        assert_eq!(
            body(b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked"),
            Err(ParseError::Malformed)
        );
        assert_eq!(
            body(b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5"),
            Err(ParseError::Malformed)
        );
        assert_eq!(
            body(b"POST / HTTP/1.1\r\nContent-Length: -1"),
            Err(ParseError::Malformed)
        );
        assert_eq!(
            body(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip"),
            Err(ParseError::UnsupportedCoding)
        );
        assert_eq!(
            body(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked"),
            Err(ParseError::Malformed)
        );
    }

    /// Feeds `body` to a reader `step` bytes at a time; what it said at the end, and what
    /// was left after the body.
    fn read_chunked(body: &[u8], step: usize, max: u64) -> (Result<bool, ParseError>, Vec<u8>) {
        let mut reader = Chunked::new(max);
        let mut buf = Vec::new();
        let mut said = Ok(false);
        let mut pieces = body.chunks(step);
        for piece in pieces.by_ref() {
            buf.extend_from_slice(piece);
            said = reader.feed(&mut buf);
            if said != Ok(false) {
                break;
            }
        }
        buf.extend(pieces.flatten());
        (said, buf)
    }

    #[test]
    fn reads_chunked_bodies_in_any_pieces() {
        let body = b"5;a=1;b=\"x y\"\r\nhello\r\n00A\r\n0123456789\r\n0\r\nT: 1\r\n\r\nNEXT";
        for step in [1, 2, 3, 7, body.len()] {
            assert_eq!(
                read_chunked(body, step, 100),
                (Ok(true), b"NEXT".to_vec()),
                "step {step}"
            );
        }
        // Not over until the trailer section's empty line.
        assert_eq!(read_chunked(b"0\r\nT: 1\r\n", 1, 100).0, Ok(false));
    }

    #[test]
    fn chunk_sizes_are_bounded_without_overflow() {
        let (said, _) = read_chunked(b"0000000000000000000000000005\r\nhello\r\n0\r\n\r\n", 4, 5);
        assert_eq!(said, Ok(true), "leading zeros are hex digits too");
        for size in ["6", "10000000000000000", "ffffffffffffffffffffffff"] {
            let body = format!("{size}\r\n");
            assert_eq!(
                read_chunked(body.as_bytes(), 1, 5).0,
                Err(ParseError::BodyTooLarge),
                "{size}"
            );
        }
        // The limit counts every chunk, not each.
        assert_eq!(
            read_chunked(b"3\r\nabc\r\n3\r\n", 1, 5).0,
            Err(ParseError::BodyTooLarge)
        );
        let long = format!("1;x={}\r\n", "a".repeat(MAX_CHUNK_LINE));
        assert_eq!(
            read_chunked(long.as_bytes(), 64, 5).0,
            Err(ParseError::Malformed)
        );
    }

    #[test]
    fn refuses_bare_line_feeds_and_large_trailers() {
        for body in [
            &b"5\nhello\r\n"[..],
            b"5\r\nhello\n",
            b"0\r\nT: 1\n\r\n",
            b"0\n\n",
        ] {
            assert_eq!(
                read_chunked(body, 1, 100).0,
                Err(ParseError::Malformed),
                "{body:?}"
            );
        }
        let trailers = format!("0\r\n{}", "T: 1\r\n".repeat(MAX_TRAILERS / 6 + 1));
        assert_eq!(
            read_chunked(trailers.as_bytes(), 100, 100).0,
            Err(ParseError::HeadTooLarge)
        );
        let one_long = format!("0\r\nT: {}", "a".repeat(MAX_TRAILERS + 1));
        assert_eq!(
            read_chunked(one_long.as_bytes(), 100, 100).0,
            Err(ParseError::HeadTooLarge)
        );
    }

    #[test]
    fn wants_exactly_one_host_and_reads_expect() {
        let head = |b: &'static [u8]| Head::parse(b).unwrap();
        assert_eq!(head(b"GET / HTTP/1.1\r\nhost: a").check_host(), Ok(()));
        assert_eq!(head(b"GET / HTTP/1.0").check_host(), Ok(()));
        for bad in [
            &b"GET / HTTP/1.1"[..],
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: a",
            b"GET / HTTP/1.0\r\nHost: a\r\nhost: b",
        ] {
            assert_eq!(
                head(bad).check_host(),
                Err(ParseError::Malformed),
                "{bad:?}"
            );
        }
        assert!(head(b"PUT / HTTP/1.1\r\nExpect: 100-Continue").expects_continue());
        assert!(!head(b"PUT / HTTP/1.0\r\nExpect: 100-continue").expects_continue());
        assert!(!head(b"PUT / HTTP/1.1\r\nExpect: 200-ok").expects_continue());
    }

    #[test]
    fn formats_http_dates() {
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        let leap = UNIX_EPOCH + Duration::from_secs(1_709_164_800);
        assert_eq!(http_date(leap), "Thu, 29 Feb 2024 00:00:00 GMT");
    }

    proptest! {
        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(head) = Head::parse(&bytes) {
                let _ = (head.body(), head.keep_alive(), head.path());
            }
        }

        #[test]
        fn chunked_reader_never_panics(
            bytes in proptest::collection::vec(any::<u8>(), 0..512),
            step in 1usize..64,
        ) {
            let _ = read_chunked(&bytes, step, 1 << 20);
        }

        #[test]
        fn well_formed_heads_round_trip(
            method in "[A-Z]{1,7}",
            path in "/[a-zA-Z0-9%._~-]{0,40}",
            names in proptest::collection::vec("[A-Za-z][A-Za-z0-9-]{0,15}", 0..10),
        ) {
            let mut text = format!("{method} {path} HTTP/1.1");
            for (i, name) in names.iter().enumerate() {
                text.push_str(&format!("\r\n{name}: value {i}"));
            }
            let head = Head::parse(text.as_bytes()).unwrap();
            prop_assert_eq!(head.method, method.as_str());
            prop_assert_eq!(head.target, path.as_str());
            prop_assert_eq!(head.headers.len(), names.len());
        }
    }
}
