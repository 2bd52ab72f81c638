//! The quotes service (contract Q1-Q3): `GET /api/quote` answers a quote as JSON, `/health`
//! as every service does, and `PUT /admin/fault` sets a delay or a broken answer, so a
//! resilience run can make it slow or bad without rebuilding it. It costs as little as the
//! hyper stack: the same downstream for every account stack.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use footprint_core::quote::{QUOTE_ROUTE, quote_json};
use footprint_core::{HEALTH_BODY, HEALTH_PATH, JSON};
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue, SERVER};
use hyper::{Method, Request, Response, StatusCode};

/// The service's name, in the ready line and the `Server` header.
pub const STACK: &str = "quotes";

/// The path of the fault control.
pub const FAULT_PATH: &str = "/admin/fault";

/// What `/api/quote` answers, as the fault control sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Answer {
    /// A quote (the default).
    #[default]
    Quote,
    /// `500` with an error body.
    Error,
    /// `200` with a body that is not JSON.
    Garbage,
}

/// The longest delay the fault control sets: past any client's timeout, short enough that a
/// fault left behind does not hold every request (and its connection) for hours.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

/// Why the fault control refuses a request; the message is the `400`'s reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultError {
    /// A key or a value the control does not know.
    Unknown,
    /// A delay above [`MAX_DELAY`].
    DelayTooLong,
}

impl std::fmt::Display for FaultError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FaultError::Unknown => f.write_str("expected delay_ms=<ms>&answer=quote|error|garbage"),
            FaultError::DelayTooLong => write!(
                f,
                "delay_ms is at most {} ({} s)",
                MAX_DELAY.as_millis(),
                MAX_DELAY.as_secs()
            ),
        }
    }
}

impl std::error::Error for FaultError {}

/// The fault in force: a delay before every quote answer, and what the answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fault {
    /// Waited before answering `/api/quote`.
    pub delay: Duration,
    /// The answer.
    pub answer: Answer,
}

impl Fault {
    /// Reads `delay_ms=<n>&answer=quote|error|garbage` (either may be missing: zero, quote);
    /// a delay is at most [`MAX_DELAY`].
    pub fn parse(query: &str) -> Result<Self, FaultError> {
        let mut fault = Fault::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=').ok_or(FaultError::Unknown)? {
                ("delay_ms", ms) => fault.delay = delay(ms)?,
                ("answer", "quote") => fault.answer = Answer::Quote,
                ("answer", "error") => fault.answer = Answer::Error,
                ("answer", "garbage") => fault.answer = Answer::Garbage,
                _ => return Err(FaultError::Unknown),
            }
        }
        Ok(fault)
    }
}

/// A whole number of milliseconds up to [`MAX_DELAY`]; digits too many for any number are
/// too long, not unknown.
fn delay(ms: &str) -> Result<Duration, FaultError> {
    if ms.is_empty() || !ms.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FaultError::Unknown);
    }
    ms.parse()
        .map(Duration::from_millis)
        .ok()
        .filter(|d| *d <= MAX_DELAY)
        .ok_or(FaultError::DelayTooLong)
}

/// The service's state: its host name, the quotes served, the fault in force.
#[derive(Debug)]
pub struct QuotesService {
    host: String,
    served: AtomicUsize,
    fault: Mutex<Fault>,
}

impl QuotesService {
    /// A healthy service on `host`.
    pub fn new(host: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            served: AtomicUsize::new(0),
            fault: Mutex::new(Fault::default()),
        }
    }

    /// The fault in force.
    pub fn fault(&self) -> Fault {
        *self.fault.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers one request.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<Full<Bytes>> {
        let path = request.uri().path();
        let mut response = match (request.method(), path) {
            (&Method::GET, HEALTH_PATH) => {
                json(StatusCode::OK, Bytes::from_static(HEALTH_BODY.as_bytes()))
            }
            (&Method::GET, QUOTE_ROUTE) => self.quote().await,
            (&Method::PUT, FAULT_PATH) => match Fault::parse(request.uri().query().unwrap_or("")) {
                Ok(fault) => {
                    *self.fault.lock().unwrap_or_else(|e| e.into_inner()) = fault;
                    let mut r = Response::new(Full::new(Bytes::new()));
                    *r.status_mut() = StatusCode::NO_CONTENT;
                    r
                }
                Err(e) => error(StatusCode::BAD_REQUEST, &e.to_string()),
            },
            (_, HEALTH_PATH | QUOTE_ROUTE | FAULT_PATH) => {
                error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
            }
            _ => error(StatusCode::NOT_FOUND, "no such path"),
        };
        response
            .headers_mut()
            .insert(SERVER, HeaderValue::from_static(STACK));
        response
    }

    async fn quote(&self) -> Response<Full<Bytes>> {
        let fault = self.fault();
        if !fault.delay.is_zero() {
            tokio::time::sleep(fault.delay).await;
        }
        match fault.answer {
            Answer::Quote => {
                let n = self.served.fetch_add(1, Ordering::Relaxed);
                json(StatusCode::OK, Bytes::from(quote_json(n, &self.host)))
            }
            Answer::Error => error(StatusCode::INTERNAL_SERVER_ERROR, "quotes failed (fault)"),
            Answer::Garbage => json(StatusCode::OK, Bytes::from_static(b"<html>not a quote")),
        }
    }
}

fn json(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

fn error(status: StatusCode, reason: &str) -> Response<Full<Bytes>> {
    json(status, Bytes::from(format!(r#"{{"error":"{reason}"}}"#)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_read_from_the_query() {
        assert_eq!(Fault::parse(""), Ok(Fault::default()));
        assert_eq!(
            Fault::parse("delay_ms=300&answer=garbage"),
            Ok(Fault {
                delay: Duration::from_millis(300),
                answer: Answer::Garbage
            })
        );
        assert_eq!(
            Fault::parse("answer=error").map(|f| f.answer),
            Ok(Answer::Error)
        );
        for bad in [
            "delay_ms=x",
            "delay_ms=-1",
            "delay_ms=",
            "answer=maybe",
            "speed=1",
            "delay_ms",
        ] {
            assert_eq!(Fault::parse(bad), Err(FaultError::Unknown), "{bad}");
        }
    }

    #[test]
    fn the_delay_is_at_most_a_minute() {
        assert_eq!(
            Fault::parse("delay_ms=60000").map(|f| f.delay),
            Ok(Duration::from_secs(60))
        );
        for long in ["delay_ms=60001", "delay_ms=99999999999999999999999"] {
            assert_eq!(Fault::parse(long), Err(FaultError::DelayTooLong), "{long}");
        }
        assert_eq!(
            FaultError::DelayTooLong.to_string(),
            "delay_ms is at most 60000 (60 s)"
        );
    }
}
