//! The `tracing` rung's rule (contract F3): every answered request is one server span with the
//! standard HTTP attributes, exported over OTLP/HTTP (protobuf) to
//! `OTEL_EXPORTER_OTLP_ENDPOINT`, and what is queued is exported when the service stops; a
//! rung that samples keeps about its share. Run by `spans_suite!` against a rung
//! (`axum@tracing`, `axum@tracing-10`, ...), with this crate's [`Receiver`] as the collector.

use std::time::{Duration, Instant};

use rustix::process::Signal;

use crate::Target;
use crate::checks::start;
use crate::client::{Conn, fetch};
use crate::otlp::{Received, Receiver};

/// The requests the check sends, the span name and the status each must carry.
const REQUESTS: [(&str, &str, u16); 4] = [
    ("/accounts/10042", "GET /accounts/{id}", 200),
    ("/accounts/10100", "GET /accounts/{id}", 404),
    ("/accounts/abc", "GET /accounts/{id}", 400),
    ("/nothing", "GET other", 404),
];

/// How long the spans may take to arrive once the service has stopped.
const ARRIVAL: Duration = Duration::from_secs(3);

/// The target pointed at `receiver`, started.
fn start_exporting(target: &Target, receiver: &Receiver) -> crate::Service {
    start(
        &target
            .clone()
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint()),
    )
}

/// Stops the service with `SIGTERM` (its exporter flushes on the way out) and returns what
/// the receiver got of the spans whose name is not `GET /health` (the launcher's own checks).
fn stop_and_collect(mut service: crate::Service, receiver: &Receiver, expected: u64) -> Received {
    service.signal(Signal::TERM).expect("SIGTERM");
    let status = service.wait_exit(Duration::from_secs(5));
    assert!(
        status.is_some_and(|s| s.success()),
        "the rung did not stop cleanly after SIGTERM: {status:?}; stderr: {}",
        service.stderr()
    );
    let deadline = Instant::now() + ARRIVAL;
    loop {
        let mut got = receiver.received();
        got.kept.retain(|s| s.name != "GET /health");
        if got.kept.len() as u64 >= expected || Instant::now() >= deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// F3: one server span per request, named by method and route, with the method, the path,
/// the route and the status sent, the rung as its service, a duration; all of them exported
/// by the time the service has stopped.
pub fn every_request_is_a_span(target: &Target) {
    let receiver = Receiver::start().expect("an OTLP receiver on 127.0.0.1");
    let service = start_exporting(target, &receiver);
    for (path, _, status) in REQUESTS {
        let r = fetch(service.addr(), "GET", path)
            .unwrap_or_else(|e| panic!("GET {path}: {e}; stderr: {}", service.stderr()));
        assert_eq!(r.status, status, "GET {path}");
    }
    let got = stop_and_collect(service, &receiver, REQUESTS.len() as u64);
    assert_eq!(got.refused, 0, "refused exports: {:?}", got.last_refusal);
    assert_eq!(
        got.kept.len(),
        REQUESTS.len(),
        "one span per request: {:#?}",
        got.kept
    );
    for (path, name, status) in REQUESTS {
        let span = got
            .kept
            .iter()
            .find(|s| s.attributes.get("url.path").map(String::as_str) == Some(path))
            .unwrap_or_else(|| panic!("no span with url.path {path:?}: {:#?}", got.kept));
        assert_eq!(span.name, name, "{path}");
        assert_eq!(span.kind, 2, "{path}: a server span");
        assert_eq!(span.service, target.stack, "{path}: service.name");
        let attribute = |key: &str| span.attributes.get(key).map(String::as_str);
        assert_eq!(attribute("http.request.method"), Some("GET"), "{path}");
        assert_eq!(
            attribute("http.route"),
            Some(name.trim_start_matches("GET ")),
            "{path}"
        );
        assert_eq!(
            attribute("http.response.status_code"),
            Some(status.to_string().as_str()),
            "{path}"
        );
        assert!(span.duration_ns > 0, "{path}: a span lasts");
    }
}

/// F3: a rung sampling `ratio` of traces exports about that share of `n` requests (within
/// half the expected count either way: for 1000 requests at 10 %, more than five standard
/// deviations).
pub fn keeps_its_share(target: &Target, ratio: f64) {
    let receiver = Receiver::start().expect("an OTLP receiver on 127.0.0.1");
    let service = start_exporting(target, &receiver);
    let n = 1000_u64;
    let mut conn = Conn::open(service.addr(), Duration::from_secs(5)).expect("connect");
    for i in 0..n {
        let r = conn
            .request("GET", &format!("/accounts/{}", 10_000 + i % 100))
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert_eq!(r.status, 200);
    }
    drop(conn);
    let expected = (n as f64 * ratio).round() as u64;
    let got = stop_and_collect(service, &receiver, n);
    let spans = got.kept.len() as u64;
    let (low, high) = (expected / 2, expected + expected / 2);
    assert!(
        (low..=high.max(low + 1)).contains(&spans),
        "{n} requests sampled at {ratio}: {spans} spans, expected about {expected} \
         ({low} to {high})"
    );
}

/// Expands to one `#[test]` per rule of the `tracing` rung against the target the expression
/// builds, sampling `ratio` of traces.
#[macro_export]
macro_rules! spans_suite {
    ($target:expr, ratio = $ratio:expr) => {
        fn spans_target() -> $crate::Target {
            $target
        }
        #[test]
        fn keeps_its_share() {
            $crate::spans::keeps_its_share(&spans_target(), $ratio);
        }
    };
    ($target:expr) => {
        fn spans_target() -> $crate::Target {
            $target
        }
        #[test]
        fn every_request_is_a_span() {
            $crate::spans::every_request_is_a_span(&spans_target());
        }
        #[test]
        fn keeps_its_share() {
            $crate::spans::keeps_its_share(&spans_target(), 1.0);
        }
    };
}
