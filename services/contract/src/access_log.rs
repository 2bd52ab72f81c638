//! The `log` rung's rule (contract F1): every answered request is one JSON line on stdout
//! after the ready line, with its method, path, status and duration. Run by
//! `access_log_suite!` against a rung (`axum@log`, `go@log`, ...).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::Target;
use crate::checks::start;
use crate::client::{Conn, fetch};
use crate::service::Service;

/// The requests the check sends, and the status each must be logged with.
const REQUESTS: [(&str, &str, u16); 5] = [
    ("GET", "/accounts/10042", 200),
    ("GET", "/accounts/10100", 404),
    ("GET", "/accounts/abc", 400),
    ("GET", "/health", 200),
    ("GET", "/nothing?x=1", 404),
];

/// How long the lines may take to reach stdout after the answers.
const FLUSH: Duration = Duration::from_secs(3);

/// The access-log lines after the ready line (other lines, such as a framework's own start
/// messages, left out), once there are at least `n`, else what came by `FLUSH`.
fn lines(service: &Service, n: usize) -> Vec<String> {
    let deadline = Instant::now() + FLUSH;
    loop {
        let (_, last) = service.stdout_after_ready();
        let access: Vec<String> = last.into_iter().filter(|l| is_access_line(l)).collect();
        if access.len() >= n || Instant::now() >= deadline {
            return access;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a line is an access-log line: JSON whose message is `request` (`message` under
/// `fields` for `tracing-subscriber`, `msg` for slog, `message` for Logback's encoder). A line
/// that is not JSON counts as one, so that the check then says why it is wrong.
fn is_access_line(raw: &str) -> bool {
    let Ok(line) = serde_json::from_str::<Value>(raw) else {
        return true;
    };
    ["message", "msg"]
        .iter()
        .any(|key| field(&line, key).and_then(Value::as_str) == Some("request"))
}

/// The field `key` of a log line, at its top level or under `fields` (where
/// `tracing-subscriber` puts an event's fields).
fn field<'a>(line: &'a Value, key: &str) -> Option<&'a Value> {
    line.get(key)
        .or_else(|| line.get("fields").and_then(|f| f.get(key)))
}

/// F1: one JSON line per request, each with the method, the path without its query, the
/// status sent and a whole number of microseconds.
pub fn one_line_per_request(target: &Target) {
    let service = start(target);
    for (method, path, status) in REQUESTS {
        let r = fetch(service.addr(), method, path)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}; stderr: {}", service.stderr()));
        assert_eq!(r.status, status, "{method} {path}");
    }
    let got = lines(&service, REQUESTS.len());
    assert_eq!(
        got.len(),
        REQUESTS.len(),
        "one line per request on stdout after the ready line: {got:#?}"
    );
    // Each request came on a connection of its own, so the contract orders nothing between
    // them (a server may finish logging one after it answered the next): each line is found
    // by its path, which differs between the requests.
    let parsed: Vec<(Value, &String)> = got
        .iter()
        .map(|raw| {
            let line = serde_json::from_str(raw)
                .unwrap_or_else(|e| panic!("the line is not JSON ({e}): {raw:?}"));
            (line, raw)
        })
        .collect();
    for (method, path, status) in REQUESTS {
        let expected_path = path.split('?').next().unwrap_or(path);
        let (line, raw) = parsed
            .iter()
            .find(|(line, _)| field(line, "path").and_then(Value::as_str) == Some(expected_path))
            .unwrap_or_else(|| {
                panic!("{method} {path}: no line with path {expected_path:?}: {got:#?}")
            });
        assert_eq!(
            field(line, "method").and_then(Value::as_str),
            Some(method),
            "{raw}"
        );
        assert_eq!(
            field(line, "status").and_then(Value::as_u64),
            Some(u64::from(status)),
            "{raw}"
        );
        assert!(
            field(line, "duration_us").is_some_and(Value::is_u64),
            "no whole `duration_us`: {raw}"
        );
    }
}

/// F1: requests on one kept-alive connection are logged one by one too, and a stream of them
/// loses no line.
pub fn no_line_lost(target: &Target) {
    let service = start(target);
    // Fewer than the lines `Output` keeps, so that every one is seen.
    let n = 200;
    let mut conn = Conn::open(service.addr(), Duration::from_secs(5)).expect("connect");
    for i in 0..n {
        let r = conn
            .request("GET", &format!("/accounts/{}", 10_000 + i % 100))
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert_eq!(r.status, 200);
    }
    let got = lines(&service, n).len();
    assert_eq!(got, n, "{n} requests, {got} access-log lines");
}

/// Expands to one `#[test]` per rule of the `log` rung against the target the expression
/// builds.
#[macro_export]
macro_rules! access_log_suite {
    ($target:expr) => {
        fn access_log_target() -> $crate::Target {
            $target
        }
        #[test]
        fn one_line_per_request() {
            $crate::access_log::one_line_per_request(&access_log_target());
        }
        #[test]
        fn no_line_lost() {
            $crate::access_log::no_line_lost(&access_log_target());
        }
    };
}
