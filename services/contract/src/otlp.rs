//! A receiver of OTLP/HTTP traces (protobuf) on 127.0.0.1: it accepts `POST /v1/traces` as an
//! OpenTelemetry collector does, decodes each export request with the protocol's own message
//! types (`opentelemetry-proto`), answers `200` with an empty export response, and counts the
//! spans and bytes it got, keeping the first spans whole, so that a broken export is caught.
//! The contract's `tracing` rule (F3) checks a rung against it; the harness runs one beside a
//! `tracing` rung during its repeat (in a container of its own on the container backends,
//! where it also answers `GET /health` and `GET /received`, its counts as JSON). A user points
//! `OTEL_EXPORTER_OTLP_ENDPOINT` at a real collector instead.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use prost::Message as _;

/// The path exporters post traces to.
pub const TRACES_PATH: &str = "/v1/traces";

/// Where `GET` gives what the receiver has counted, as JSON ([`Received`] without the kept
/// spans).
pub const RECEIVED_PATH: &str = "/received";

/// Where `GET` answers `200` while the receiver runs.
pub const HEALTH_PATH: &str = "/health";

/// How many spans are kept whole (the rest only counted).
const KEEP: usize = 2_000;

/// The largest export request accepted, bytes.
const MAX_BODY: usize = 64 << 20;

/// The largest request head accepted, bytes: a request line and a few headers are well under
/// it; a peer sending more (or a line that never ends) is answered `431` and dropped.
const MAX_HEAD: usize = 16 << 10;

/// The most connections served at once: a rung's exporter keeps one or two; the one over the
/// cap is answered `503` and closed, so idle peers cannot hold a thread each without bound.
pub const MAX_CONNECTIONS: usize = 64;

/// How long one request (its head and its body) may take to arrive: a drip-fed request is
/// dropped rather than holding its thread.
const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

/// One span as received: what the checks look at.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedSpan {
    /// The service that sent it (`service.name` of its resource).
    pub service: String,
    /// Its name.
    pub name: String,
    /// Its kind (2: server).
    pub kind: i32,
    /// Its attributes, as text.
    pub attributes: BTreeMap<String, String>,
    /// Its duration, ns.
    pub duration_ns: u64,
}

/// What the receiver has counted so far.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Received {
    /// Export requests decoded.
    pub exports: u64,
    /// Spans in them.
    pub spans: u64,
    /// Bytes of their bodies (protobuf, as sent).
    pub bytes: u64,
    /// Requests refused: not a `POST` of [`TRACES_PATH`], or a body that does not decode.
    pub refused: u64,
    /// Why the last refused request was refused.
    pub last_refusal: Option<String>,
    /// Spans by name (`GET /accounts/{id}`, `GET /health`, ...).
    pub by_name: BTreeMap<String, u64>,
    /// The first spans, whole (not in `GET /received`).
    #[serde(skip)]
    pub kept: Vec<ReceivedSpan>,
}

/// A receiver listening on 127.0.0.1; it stops when dropped.
pub struct Receiver {
    addr: SocketAddr,
    state: Arc<Mutex<Received>>,
    stop: Arc<AtomicBool>,
    accept: Option<thread::JoinHandle<()>>,
}

impl Receiver {
    /// Listens on a free port of 127.0.0.1.
    pub fn start() -> io::Result<Self> {
        Self::listen(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
    }

    /// Listens on `addr` (port 0: a free one).
    pub fn listen(addr: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let state = Arc::new(Mutex::new(Received::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
            thread::Builder::new()
                .name("otlp-receiver".into())
                .spawn(move || accept_loop(&listener, &state, &stop))?
        };
        Ok(Self {
            addr,
            state,
            stop,
            accept: Some(accept),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What an exporter's `OTEL_EXPORTER_OTLP_ENDPOINT` should be.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What it has counted so far.
    pub fn received(&self) -> Received {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// One of the [`MAX_CONNECTIONS`] served at once, given back when its connection ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn accept_loop(listener: &TcpListener, state: &Arc<Mutex<Received>>, stop: &Arc<AtomicBool>) {
    let open = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((mut stream, _)) => {
                if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                    open.fetch_sub(1, Ordering::SeqCst);
                    refuse(state, format!("over {MAX_CONNECTIONS} connections at once"));
                    let _ = stream.set_nonblocking(false);
                    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                    let _ = stream.write_all(
                        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    continue;
                }
                let slot = Slot(Arc::clone(&open));
                let (state, stop) = (Arc::clone(state), Arc::clone(stop));
                let _ = thread::Builder::new()
                    .name("otlp-connection".into())
                    .spawn(move || {
                        let _slot = slot;
                        let _ = serve(stream, &state, &stop);
                    });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(10));
            }
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Serves one kept-alive connection until the client closes it or the receiver stops.
fn serve(stream: TcpStream, state: &Mutex<Received>, stop: &AtomicBool) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_millis(200)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let head = match read_head(&mut reader, stop) {
            Ok(Some(head)) => head,
            Ok(None) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                refuse(state, e.to_string());
                writer.write_all(
                    b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )?;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let (method, path, length, deadline) = head;
        if method == "GET" {
            let (status, body) = match path.as_str() {
                HEALTH_PATH => ("200 OK", "{\"status\":\"up\"}".to_owned()),
                RECEIVED_PATH => {
                    let counts = state.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    ("200 OK", serde_json::to_string(&counts).unwrap_or_default())
                }
                _ => ("404 Not Found", String::new()),
            };
            write!(
                writer,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )?;
            continue;
        }
        let Some(length) = length.filter(|n| *n <= MAX_BODY) else {
            refuse(state, "no Content-Length, or a body over 64 MiB".into());
            writer.write_all(
                b"HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            return Ok(());
        };
        // Read as it arrives, not allocated from what the head claims.
        let mut body = Vec::new();
        read_body(&mut reader, &mut body, length, stop, deadline)?;
        if method != "POST" || path != TRACES_PATH {
            refuse(state, format!("{method} {path}"));
            writer.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        }
        match ExportTraceServiceRequest::decode(body.as_slice()) {
            Ok(request) => {
                record(state, &request, body.len());
                // An empty ExportTraceServiceResponse: every span accepted.
                writer.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n",
                )?;
            }
            Err(e) => {
                refuse(state, format!("a body that is not an export request: {e}"));
                writer.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")?;
            }
        }
    }
}

/// What a request head says: its method, path and `Content-Length`, and by when the whole
/// request must have arrived.
type Head = (String, String, Option<usize>, Instant);

/// The request line and the `Content-Length` of the next request; `None` when the client
/// closed the connection (or the receiver stops) between requests. A head over [`MAX_HEAD`]
/// bytes, or one still arriving [`REQUEST_DEADLINE`] after its first byte, is an error
/// (`InvalidData`, `TimedOut`).
fn read_head(reader: &mut BufReader<TcpStream>, stop: &AtomicBool) -> io::Result<Option<Head>> {
    let mut head = String::new();
    let mut deadline: Option<Instant> = None;
    loop {
        let mut line = String::new();
        let room = MAX_HEAD.saturating_sub(head.len());
        match reader.by_ref().take(room as u64 + 1).read_line(&mut line) {
            Ok(0) if line.is_empty() => return Ok(None),
            Ok(_) => {
                deadline.get_or_insert_with(|| Instant::now() + REQUEST_DEADLINE);
                if head.len() + line.len() > MAX_HEAD || !line.ends_with('\n') {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("a request head over {MAX_HEAD} bytes"),
                    ));
                }
                if line == "\r\n" || line == "\n" {
                    if head.is_empty() {
                        continue;
                    }
                    break;
                }
                head.push_str(&line);
            }
            Err(e) if is_timeout(&e) => {
                // What arrived of a line stays in the reader's buffer only up to its capacity:
                // `read_line` keeps what it read in `line`, so keep it.
                head.push_str(&line);
                if stop.load(Ordering::Relaxed) {
                    return Ok(None);
                }
                if deadline.is_some_and(|d| Instant::now() > d) || head.len() > MAX_HEAD {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                if !head.is_empty() {
                    deadline.get_or_insert_with(|| Instant::now() + REQUEST_DEADLINE);
                }
            }
            Err(e) => return Err(e),
        }
    }
    let mut lines = head.lines();
    let mut request = lines.next().unwrap_or_default().split_whitespace();
    let method = request.next().unwrap_or_default().to_owned();
    let path = request.next().unwrap_or_default().to_owned();
    let length = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())?
    });
    let deadline = deadline.unwrap_or_else(|| Instant::now() + REQUEST_DEADLINE);
    Ok(Some((method, path, length, deadline)))
}

/// Reads `length` bytes of body into `body` as they arrive, until `deadline`.
fn read_body(
    reader: &mut BufReader<TcpStream>,
    body: &mut Vec<u8>,
    length: usize,
    stop: &AtomicBool,
    deadline: Instant,
) -> io::Result<()> {
    let mut chunk = [0u8; 64 << 10];
    while body.len() < length {
        let want = (length - body.len()).min(chunk.len());
        match reader.read(&mut chunk[..want]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) if is_timeout(&e) && !stop.load(Ordering::Relaxed) => {}
            Err(e) => return Err(e),
        }
        if Instant::now() > deadline {
            return Err(io::ErrorKind::TimedOut.into());
        }
    }
    Ok(())
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn refuse(state: &Mutex<Received>, why: String) {
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    state.refused += 1;
    state.last_refusal = Some(why);
}

fn record(state: &Mutex<Received>, request: &ExportTraceServiceRequest, bytes: usize) {
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    state.exports += 1;
    state.bytes += bytes as u64;
    for resource in &request.resource_spans {
        let service = resource
            .resource
            .as_ref()
            .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
            .and_then(|kv| kv.value.as_ref()?.value.as_ref().map(text))
            .unwrap_or_default();
        for scope in &resource.scope_spans {
            state.spans += scope.spans.len() as u64;
            for span in &scope.spans {
                *state.by_name.entry(span.name.clone()).or_default() += 1;
                if state.kept.len() >= KEEP {
                    continue;
                }
                let attributes = span
                    .attributes
                    .iter()
                    .filter_map(|kv| {
                        Some((kv.key.clone(), text(kv.value.as_ref()?.value.as_ref()?)))
                    })
                    .collect();
                state.kept.push(ReceivedSpan {
                    service: service.clone(),
                    name: span.name.clone(),
                    kind: span.kind,
                    attributes,
                    duration_ns: span
                        .end_time_unix_nano
                        .saturating_sub(span.start_time_unix_nano),
                });
            }
        }
    }
}

/// An attribute's value as text.
fn text(value: &Value) -> String {
    match value {
        Value::StringValue(s) => s.clone(),
        Value::IntValue(n) => n.to_string(),
        Value::BoolValue(b) => b.to_string(),
        Value::DoubleValue(x) => x.to_string(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

    use super::*;
    use crate::client::Conn;

    fn kv(key: &str, value: Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..KeyValue::default()
        }
    }

    #[test]
    fn an_export_is_decoded_and_counted_and_garbage_refused() {
        let receiver = Receiver::start().unwrap();
        let span = |name: &str| Span {
            name: name.into(),
            kind: 2,
            start_time_unix_nano: 1_000,
            end_time_unix_nano: 51_000,
            attributes: vec![kv("http.response.status_code", Value::IntValue(200))],
            ..Span::default()
        };
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![kv(
                        "service.name",
                        Value::StringValue("axum@tracing".into()),
                    )],
                    ..Resource::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans: vec![span("GET /health"), span("GET /accounts/{id}")],
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
        };
        let body = request.encode_to_vec();
        let mut conn = Conn::open(receiver.addr(), Duration::from_secs(5)).unwrap();
        let head = format!(
            "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        conn.send(&[head.as_bytes(), &body].concat()).unwrap();
        assert_eq!(conn.read_response(false).unwrap().status, 200);
        // The same connection, kept alive: a body that is not protobuf is refused.
        conn.send(b"POST /v1/traces HTTP/1.1\r\nContent-Length: 3\r\n\r\n\xff\xff\xff")
            .unwrap();
        assert_eq!(conn.read_response(false).unwrap().status, 400);
        let got = receiver.received();
        assert_eq!((got.exports, got.spans, got.refused), (1, 2, 1));
        assert_eq!(got.bytes, body.len() as u64);
        assert_eq!(got.kept[1].name, "GET /accounts/{id}");
        assert_eq!(got.by_name["GET /health"], 1);
        assert_eq!(got.kept[1].service, "axum@tracing");
        assert_eq!(got.kept[1].duration_ns, 50_000);
        assert_eq!(got.kept[1].attributes["http.response.status_code"], "200");
        // Its health and counts over HTTP, as the harness reads a receiver in a container.
        let r = conn.request("GET", HEALTH_PATH).unwrap();
        assert_eq!(r.status, 200);
        let r = conn.request("GET", RECEIVED_PATH).unwrap();
        assert_eq!(r.status, 200);
        let counts: Received = serde_json::from_str(&r.text()).unwrap();
        assert_eq!(
            counts,
            Received {
                kept: Vec::new(),
                ..receiver.received()
            }
        );
        assert_eq!(conn.request("GET", "/nothing").unwrap().status, 404);
    }

    /// The first line of what the receiver answers on `stream`, within 10 s.
    fn answer(stream: &mut TcpStream) -> String {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while !got.ends_with(b"\r\n") {
            match stream.read(&mut byte) {
                Ok(1) => got.push(byte[0]),
                _ => break,
            }
        }
        String::from_utf8_lossy(&got).trim().to_owned()
    }

    #[test]
    fn a_head_that_never_ends_is_refused_and_dropped() {
        let receiver = Receiver::start().unwrap();
        let mut peer = TcpStream::connect(receiver.addr()).unwrap();
        // One line, no newline, past the cap: before the cap it was read without bound.
        let line = vec![b'a'; MAX_HEAD + 4096];
        peer.write_all(b"POST /v1/traces HTTP/1.1\r\nX-Long: ")
            .unwrap();
        let _ = peer.write_all(&line);
        assert_eq!(
            answer(&mut peer),
            "HTTP/1.1 431 Request Header Fields Too Large"
        );
        assert_eq!(receiver.received().refused, 1);
    }

    #[test]
    fn connections_over_the_cap_are_answered_503() {
        let receiver = Receiver::start().unwrap();
        let held: Vec<TcpStream> = (0..MAX_CONNECTIONS)
            .map(|_| TcpStream::connect(receiver.addr()).unwrap())
            .collect();
        // Each held connection is served (a request answered) before the one over the cap.
        for stream in &held {
            let mut stream = stream.try_clone().unwrap();
            stream
                .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            assert_eq!(answer(&mut stream), "HTTP/1.1 200 OK");
        }
        let mut over = TcpStream::connect(receiver.addr()).unwrap();
        assert_eq!(answer(&mut over), "HTTP/1.1 503 Service Unavailable");
        drop(held);
        // Their slots come back once they close.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut again = TcpStream::connect(receiver.addr()).unwrap();
            again
                .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            if answer(&mut again) == "HTTP/1.1 200 OK" {
                break;
            }
            assert!(Instant::now() < deadline, "the slots never came back");
            thread::sleep(Duration::from_millis(50));
        }
    }
}
