//! The landscape rules (contract L1-L6): a variant of the account service that calls the
//! quotes service, checked against a fake quotes the suite controls (a quote, a delay, a
//! `500`, garbage, down and back), which counts every connection and request it gets.
//!
//! A variant's test file is one line:
//!
//! ```text
//! footprint_contract::landscape_suite!(
//!     footprint_contract::Target::new("axum+quotes", env!("CARGO_BIN_EXE_footprint-axum-quotes"))
//! );
//! ```

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use footprint_core::quote::{QUOTE_PATH, QUOTES};
use footprint_core::{AccountService, QuoteFailure, host};

use crate::checks::start;
use crate::client::{Response, fetch};
use crate::service::{Service, Target};

/// What the fake answers to a quote request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeAnswer {
    /// A quote, at once.
    Quote,
    /// A quote after this long.
    Slow(Duration),
    /// `500`.
    Error,
    /// `200` with a body that is not JSON.
    Garbage,
}

#[derive(Debug)]
struct Shared {
    answer: Mutex<FakeAnswer>,
    connections: AtomicUsize,
    requests: AtomicUsize,
    targets: Mutex<Vec<String>>,
    open: Mutex<Vec<TcpStream>>,
    down: AtomicBool,
}

/// A quotes service the suite controls, on a port of 127.0.0.1 that it keeps across a stop
/// and a restart.
#[derive(Debug)]
pub struct FakeQuotes {
    addr: SocketAddr,
    shared: Arc<Shared>,
    listener: Option<thread::JoinHandle<()>>,
}

/// The host name the fake puts in its quotes' `ipAddress`.
pub const FAKE_HOST: &str = "fake-quotes";

impl FakeQuotes {
    /// A fake answering quotes, on a free port.
    pub fn start() -> Self {
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port for the fake quotes");
        let addr = listener.local_addr().expect("its address");
        let shared = Arc::new(Shared {
            answer: Mutex::new(FakeAnswer::Quote),
            connections: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
            targets: Mutex::new(Vec::new()),
            open: Mutex::new(Vec::new()),
            down: AtomicBool::new(false),
        });
        let mut fake = Self {
            addr,
            shared,
            listener: None,
        };
        fake.listen(listener);
        fake
    }

    /// `QUOTES_URL` for the variant.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sets what quote requests get from now on.
    pub fn answer(&self, answer: FakeAnswer) {
        *self.shared.answer.lock().unwrap_or_else(|e| e.into_inner()) = answer;
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Requests read so far.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The request targets read so far.
    pub fn targets(&self) -> Vec<String> {
        self.shared
            .targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Closes the port and every open connection: connects are refused until [`restart`].
    ///
    /// [`restart`]: FakeQuotes::restart
    pub fn stop(&mut self) {
        self.shared.down.store(true, Ordering::SeqCst);
        // Wake the accept loop so it drops the listener.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(handle) = self.listener.take() {
            let _ = handle.join();
        }
        for stream in self
            .shared
            .open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Listens on the same port again, answering quotes.
    pub fn restart(&mut self) {
        self.answer(FakeAnswer::Quote);
        self.shared.down.store(false, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(5);
        let listener = loop {
            match TcpListener::bind(self.addr) {
                Ok(l) => break l,
                Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                Err(e) => panic!("the fake quotes cannot listen on {} again: {e}", self.addr),
            }
        };
        self.listen(listener);
    }

    fn listen(&mut self, listener: TcpListener) {
        let shared = Arc::clone(&self.shared);
        self.listener = Some(thread::spawn(move || {
            for stream in listener.incoming() {
                if shared.down.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                shared.connections.fetch_add(1, Ordering::SeqCst);
                if let Ok(copy) = stream.try_clone() {
                    shared
                        .open
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(copy);
                }
                let shared = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &shared));
            }
        }));
    }
}

impl Drop for FakeQuotes {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Answers the requests of one kept-alive connection until it closes.
fn serve(stream: TcpStream, shared: &Shared) {
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut writer = write_half;
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let target = line.split(' ').nth(1).unwrap_or_default().to_owned();
        // The head's other lines; a GET has no body.
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" || header == "\n" {
                break;
            }
        }
        let n = shared.requests.fetch_add(1, Ordering::SeqCst);
        shared
            .targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(target);
        let answer = *shared.answer.lock().unwrap_or_else(|e| e.into_inner());
        let (status, body) = match answer {
            FakeAnswer::Quote => ("200 OK", footprint_core::quote::quote_json(n, FAKE_HOST)),
            FakeAnswer::Slow(delay) => {
                thread::sleep(delay);
                ("200 OK", footprint_core::quote::quote_json(n, FAKE_HOST))
            }
            FakeAnswer::Error => (
                "500 Internal Server Error",
                br#"{"error":"fault"}"#.to_vec(),
            ),
            FakeAnswer::Garbage => ("200 OK", b"<html>not a quote".to_vec()),
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&body).is_err() {
            return;
        }
    }
}

/// How long the suite's breaker stays open, so a check sees it close again quickly.
pub const SUITE_OPEN: Duration = Duration::from_millis(800);

/// The variant started against `fake`, with the contract's timeout and failure threshold and
/// a short open period.
/// The timeout L1 gives its service, ms: long enough for a cold first call.
const COLD_TIMEOUT_MS: &str = "2000";

fn start_with(target: &Target, fake: &FakeQuotes) -> Service {
    start(
        &target
            .clone()
            .env("QUOTES_URL", fake.url())
            .env("BREAKER_OPEN_MS", SUITE_OPEN.as_millis().to_string()),
    )
}

fn get(service: &Service, path: &str) -> (Response, Duration) {
    let sent = Instant::now();
    let r = fetch(service.addr(), "GET", path)
        .unwrap_or_else(|e| panic!("GET {path}: {e}; stderr: {}", service.stderr()));
    (r, sent.elapsed())
}

/// The account JSON up to its `quote` key, as every variant sends it.
fn account_prefix(id: &str) -> String {
    let service = AccountService::seeded(host::hostname());
    let view = service.find(id).expect("a seeded id");
    format!(
        r#"{{"id":"{}","name":"{}","servedBy":"{}","quote":"#,
        view.id, view.name, view.served_by
    )
}

/// Asserts `r` is the account `id` with a quote from the fake.
fn expect_quote(r: &Response, id: &str, what: &str) {
    assert_eq!(r.status, 200, "{what}: status; body {:?}", r.text());
    let text = r.text();
    let prefix = account_prefix(id);
    let quote = text
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap_or_else(|| panic!("{what}: {text:?} does not start with {prefix:?}"));
    assert!(
        QUOTES
            .iter()
            .any(|q| quote
                == format!(r#"{{"quote":"{q}","ipAddress":"{FAKE_HOST}","language":"en"}}"#)),
        "{what}: the quote {quote:?} is not the fake's, in the contract's key order"
    );
}

/// Asserts `r` is the account `id` with `"quote":null` and the warning of `failure`.
fn expect_no_quote(r: &Response, id: &str, failure: QuoteFailure, what: &str) {
    assert_eq!(r.status, 200, "{what}: status; body {:?}", r.text());
    let expected = format!(
        r#"{}null,"warning":"{}"}}"#,
        account_prefix(id),
        failure.warning()
    );
    assert_eq!(r.text(), expected, "{what}");
}

/// L1: a seeded id's answer carries a quote from one call to `GET /api/quote?strength=4`.
pub fn seeded_ids_carry_a_quote(target: &Target) {
    let fake = FakeQuotes::start();
    // L1 is about the quote the answer carries, not how soon: a cold runtime's first call
    // (the JVM's HttpClient, its classes loaded and run by the interpreter) on a loaded machine
    // can take longer than the 200 ms default, which L3 checks apart.
    let service = start(
        &target
            .clone()
            .env("QUOTES_URL", fake.url())
            .env("QUOTES_TIMEOUT_MS", COLD_TIMEOUT_MS)
            .env("BREAKER_OPEN_MS", SUITE_OPEN.as_millis().to_string()),
    );
    for id in ["10000", "10042", "10099"] {
        let (r, _) = get(&service, &format!("/accounts/{id}"));
        expect_quote(&r, id, &format!("GET /accounts/{id}"));
    }
    assert_eq!(fake.requests(), 3, "one call to quotes per seeded lookup");
    assert!(
        fake.targets().iter().all(|t| t == QUOTE_PATH),
        "the call's target: {:?}, expected {QUOTE_PATH}",
        fake.targets()
    );
    assert!(
        fake.connections() <= 2,
        "{} connections for three calls in a row: the pool does not keep them alive",
        fake.connections()
    );
}

/// L2: unknown and malformed ids, `/health` and unknown paths answer as before, without a
/// call to quotes.
pub fn no_call_without_an_account(target: &Target) {
    let fake = FakeQuotes::start();
    let service = start_with(target, &fake);
    for (path, status) in [
        ("/accounts/10100", 404),
        ("/accounts/9999", 404),
        ("/accounts/abc", 400),
        ("/accounts/%ff", 400),
        ("/health", 200),
        ("/nothing", 404),
    ] {
        let (r, _) = get(&service, path);
        assert_eq!(r.status, status, "GET {path}: body {:?}", r.text());
    }
    assert_eq!(
        fake.requests(),
        0,
        "quotes was called: {:?}",
        fake.targets()
    );
}

/// L3: quotes slower than the timeout: the account answers with `"quote":null` and the
/// timed-out warning, long before quotes would have.
pub fn slow_quotes_time_out(target: &Target) {
    let fake = FakeQuotes::start();
    let service = start_with(target, &fake);
    let slow = Duration::from_secs(3);
    fake.answer(FakeAnswer::Slow(slow));
    let (r, took) = get(&service, "/accounts/10001");
    expect_no_quote(&r, "10001", QuoteFailure::TimedOut, "quotes 3 s slow");
    // The contract's bound is the timeout (200 ms) + 50 ms; the check only asks that the
    // answer came well before quotes' (a timeout at all), so a loaded machine cannot fail it.
    assert!(
        took < slow / 2,
        "the answer took {took:?}: quotes' {slow:?} delay was waited for"
    );
}

/// L4: five failures open the breaker; while open, quotes gets no request and no
/// connection; after the open period a probe goes through, and a probe that succeeds closes
/// it. Each change is a `breaker` line on stderr.
pub fn breaker_opens_and_closes(target: &Target) {
    let mut fake = FakeQuotes::start();
    let service = start_with(target, &fake);
    fake.answer(FakeAnswer::Error);
    for i in 0..5 {
        let (r, _) = get(&service, "/accounts/10002");
        expect_no_quote(
            &r,
            "10002",
            QuoteFailure::BadAnswer,
            &format!("failure {} of 5", i + 1),
        );
    }
    let (requests, connections) = (fake.requests(), fake.connections());
    assert_eq!(requests, 5, "five calls before the breaker opened");
    for i in 0..5 {
        let (r, _) = get(&service, "/accounts/10002");
        expect_no_quote(
            &r,
            "10002",
            QuoteFailure::CircuitOpen,
            &format!("call {} while open", i + 1),
        );
    }
    assert_eq!(
        (fake.requests(), fake.connections()),
        (requests, connections),
        "quotes was called while the breaker was open"
    );
    // Quotes goes down: the probe after the open period fails, and the breaker opens again.
    fake.stop();
    thread::sleep(SUITE_OPEN + Duration::from_millis(200));
    let (r, _) = get(&service, "/accounts/10003");
    assert_eq!(r.status, 200, "the probe to a quotes that is down");
    let text = r.text();
    assert!(
        text.contains(QuoteFailure::Unreachable.warning())
            || text.contains(QuoteFailure::BadAnswer.warning()),
        "the probe to a quotes that is down: {text:?}"
    );
    let (r, _) = get(&service, "/accounts/10003");
    expect_no_quote(
        &r,
        "10003",
        QuoteFailure::CircuitOpen,
        "after the failed probe",
    );
    // Quotes is back: the next probe succeeds and the breaker closes.
    fake.restart();
    thread::sleep(SUITE_OPEN + Duration::from_millis(200));
    let (r, _) = get(&service, "/accounts/10004");
    expect_quote(&r, "10004", "the probe once quotes is back");
    let (r, _) = get(&service, "/accounts/10005");
    expect_quote(&r, "10005", "after the breaker closed");
    let stderr = service.stderr();
    for change in [
        "from=closed to=open",
        "from=open to=half-open",
        "from=half-open to=open",
        "from=half-open to=closed",
    ] {
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with("breaker ") && l.contains(change)),
            "no `breaker ... {change}` line on stderr: {stderr:?}"
        );
    }
}

/// L5: a `500` or a body that is not a quote is a failure, answered with `"quote":null`;
/// the service keeps serving.
pub fn bad_answers_are_failures(target: &Target) {
    let fake = FakeQuotes::start();
    let mut service = start_with(target, &fake);
    for (answer, what) in [
        (FakeAnswer::Error, "a 500"),
        (FakeAnswer::Garbage, "garbage"),
    ] {
        fake.answer(answer);
        let (r, _) = get(&service, "/accounts/10006");
        expect_no_quote(&r, "10006", QuoteFailure::BadAnswer, what);
    }
    fake.answer(FakeAnswer::Quote);
    let (r, _) = get(&service, "/accounts/10007");
    expect_quote(
        &r,
        "10007",
        "a quote after two bad answers (the breaker still closed)",
    );
    assert!(
        service.is_running(),
        "the service died: {}",
        service.stderr()
    );
}

/// L6: `/health` does not call quotes, and answers while quotes is down.
pub fn health_without_quotes(target: &Target) {
    let mut fake = FakeQuotes::start();
    let service = start_with(target, &fake);
    fake.stop();
    let (r, _) = get(&service, "/health");
    assert_eq!(r.status, 200, "/health with quotes down: {:?}", r.text());
    assert_eq!(r.text(), footprint_core::HEALTH_BODY);
}

/// L6: without `QUOTES_URL`, or with one that is not `http://host:port`, the variant exits 2
/// before its ready line and names the variable.
pub fn quotes_url_is_required(target: &Target) {
    for url in [None, Some("quotes:8080")] {
        let t = match url {
            Some(u) => target.clone().env("QUOTES_URL", u),
            None => target.clone(),
        };
        match t.start() {
            Ok(_) => panic!("started with QUOTES_URL={url:?}"),
            Err(crate::ServiceError::ExitedEarly { status, stderr, .. }) => {
                assert_eq!(status.code(), Some(2), "QUOTES_URL={url:?}: {stderr}");
                assert!(
                    stderr.contains("QUOTES_URL"),
                    "QUOTES_URL={url:?}: {stderr:?}"
                );
            }
            Err(e) => panic!("QUOTES_URL={url:?}: {e}"),
        }
    }
}

/// Expands to one `#[test]` per landscape rule against the variant the expression builds.
#[macro_export]
macro_rules! landscape_suite {
    ($target:expr) => {
        fn landscape_target() -> $crate::Target {
            $target
        }
        $crate::landscape_suite!(@tests landscape_target;
            seeded_ids_carry_a_quote,
            no_call_without_an_account,
            slow_quotes_time_out,
            breaker_opens_and_closes,
            bad_answers_are_failures,
            health_without_quotes,
            quotes_url_is_required,
        );
    };
    (@tests $target:ident; $($check:ident),+ $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::landscape::$check(&$target());
            }
        )+
    };
}
