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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

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

fn accept_loop(listener: &TcpListener, state: &Arc<Mutex<Received>>, stop: &Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                let (state, stop) = (Arc::clone(state), Arc::clone(stop));
                let _ = thread::Builder::new()
                    .name("otlp-connection".into())
                    .spawn(move || {
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
        let Some((method, path, length)) = read_head(&mut reader, stop)? else {
            return Ok(());
        };
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
        let mut body = vec![0; length];
        read_body(&mut reader, &mut body, stop)?;
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

/// The request line and the `Content-Length` of the next request; `None` when the client
/// closed the connection (or the receiver stops) between requests.
fn read_head(
    reader: &mut BufReader<TcpStream>,
    stop: &AtomicBool,
) -> io::Result<Option<(String, String, Option<usize>)>> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => return Ok(None),
            Ok(_) => {
                if line == "\r\n" || line == "\n" {
                    if head.is_empty() {
                        continue;
                    }
                    break;
                }
                head.push_str(&line);
            }
            Err(e) if is_timeout(&e) => {
                if stop.load(Ordering::Relaxed) {
                    return Ok(None);
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
    Ok(Some((method, path, length)))
}

fn read_body(
    reader: &mut BufReader<TcpStream>,
    body: &mut [u8],
    stop: &AtomicBool,
) -> io::Result<()> {
    let mut filled = 0;
    while filled < body.len() {
        match reader.read(&mut body[filled..]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if is_timeout(&e) && !stop.load(Ordering::Relaxed) => {}
            Err(e) => return Err(e),
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
}
