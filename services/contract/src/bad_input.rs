//! The bad-input battery: hostile and broken clients. Every stack answers 4xx or closes,
//! within a bounded time, and keeps serving everyone else. One group, [`Group::Edges`], is
//! observed rather than ruled: corners of HTTP/1.1 where each stack keeps its framework's
//! own behaviour, recorded side by side.
//!
//! The battery is data and a driver that never panics: [`run_group`] returns one [`Verdict`]
//! per case. The contract suite asserts on the verdicts (the functions at the end of this
//! file); the harness runs the same battery against a deployed stack and reports them, with
//! the service's memory before and after, as its robustness table.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::checks::{READ_TIMEOUT, start};
use crate::client::{ClientError, Conn, fetch, is_timeout, request_bytes};
use crate::service::{Service, Target};

/// Longest a stack may keep a stalled or broken connection open. Servers time out a
/// request head after about 5 s; this leaves room for a slow, shared machine.
pub const STALL_LIMIT: Duration = Duration::from_secs(20);

/// How long a connection that must close after its answer may stay open.
const CLOSE_LIMIT: Duration = Duration::from_secs(5);

/// How long an edge case's client waits for `100 (Continue)` before it sends the body anyway
/// (curl waits 1 s).
const CONTINUE_WAIT: Duration = Duration::from_secs(2);

/// An edge case answered later than this waited for a timeout: it is a concern.
const SLOW_ANSWER: Duration = Duration::from_secs(2);

/// The request behind a case whose framing is in question: a server that read the first
/// request's body otherwise than its framing says sees something else as the next request.
const BEHIND: &str = "GET /accounts/10000 HTTP/1.1\r\nHost: x\r\n\r\n";

/// A kind of bad input; each is a list of cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// Broken request lines and heads.
    Malformed,
    /// Bytes that are not UTF-8 in the request target.
    InvalidUtf8,
    /// Request targets, header values and header counts past every stack's bound.
    Oversized,
    /// Conflicting framing (`Content-Length` and `Transfer-Encoding`) with a second request
    /// behind the first.
    Smuggling,
    /// Several requests written at once on one connection.
    Pipelined,
    /// Connections that send nothing, or half a head, and wait.
    Stalled,
    /// Many connections opened at once, a request on each.
    Burst,
    /// Corners of HTTP/1.1 that stacks read differently (`Host`, line ends, framing on
    /// HTTP/1.0 or in a list, chunk extensions and trailers, `Expect`): observed, with a
    /// departure from the RFC a concern, not a failure.
    Edges,
}

impl Group {
    /// Every group, in the order the battery runs them.
    pub const ALL: [Group; 8] = [
        Group::Malformed,
        Group::InvalidUtf8,
        Group::Oversized,
        Group::Smuggling,
        Group::Pipelined,
        Group::Stalled,
        Group::Burst,
        Group::Edges,
    ];

    /// Its name in results and reports.
    pub fn name(self) -> &'static str {
        match self {
            Group::Malformed => "malformed",
            Group::InvalidUtf8 => "invalid-utf8",
            Group::Oversized => "oversized",
            Group::Smuggling => "smuggling",
            Group::Pipelined => "pipelined",
            Group::Stalled => "stalled",
            Group::Burst => "burst",
            Group::Edges => "edges",
        }
    }

    /// What passing means for the group, in one line.
    pub fn rule(self) -> &'static str {
        match self {
            Group::Malformed | Group::InvalidUtf8 | Group::Oversized => {
                "a 4xx (or 501/505) or a closed connection"
            }
            Group::Smuggling => {
                "broken framing: a 4xx or a close; Content-Length beside chunked: a 4xx, a close or \
                 an answer; answering the request behind on the same connection is a concern \
                 (RFC 9112 6.1: close after answering)"
            }
            Group::Pipelined => {
                "every request answered in order; after a bad one, a 4xx or a close and nothing more"
            }
            Group::Stalled => {
                "others served meanwhile; every stalled connection closed within 20 s"
            }
            Group::Burst => "every connection answered or closed within 20 s",
            Group::Edges => {
                "observed: any answer but a 5xx (501/505 allowed), or a close, within 20 s; \
                 where the stack departs from RFC 9112 or 9110 it is a concern"
            }
        }
    }
}

/// How large the battery's bursts and batches are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Requests written at once on one connection.
    pub pipelined: usize,
    /// Connections that stall at once (a third silent, a third with half a request line, a
    /// third with half a header).
    pub stalled: usize,
    /// Connections opened at once in the burst.
    pub burst: usize,
}

impl Default for Sizes {
    fn default() -> Self {
        Self {
            pipelined: 50,
            stalled: 12,
            burst: 500,
        }
    }
}

/// One case of the battery and what the service did.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Its group.
    pub group: Group,
    /// What was sent, in a few words (the start of the bytes for single requests).
    pub case: String,
    /// What the service did.
    pub outcome: String,
    /// Whether that meets the group's rule.
    pub passed: bool,
    /// What the service did that the rule allows but a careful server would not (kept a
    /// connection that the RFC says to close, say).
    pub concern: Option<String>,
    /// How long the case took, milliseconds.
    pub millis: f64,
    /// `None` when the service still answered `/health` after the case; why not otherwise.
    pub down_after: Option<String>,
}

/// What a server did with one request it should refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// It answered with this status.
    Status(u16),
    /// It closed (or reset) the connection without an answer.
    Closed,
    /// Nothing within the limit, and the connection still open.
    Nothing,
}

impl Answer {
    fn refusal(self) -> bool {
        match self {
            Answer::Closed => true,
            Answer::Status(s) => (400..500).contains(&s) || s == 501 || s == 505,
            Answer::Nothing => false,
        }
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Status(s) => write!(f, "{s}"),
            Answer::Closed => f.write_str("closed"),
            Answer::Nothing => write!(f, "no answer within {}s", STALL_LIMIT.as_secs()),
        }
    }
}

/// Reads the next answer on `conn`: a status, a close, or nothing within its timeout.
fn next_answer(conn: &mut Conn) -> Result<Answer, String> {
    match conn.read_response(false) {
        Ok(r) => Ok(Answer::Status(r.status)),
        Err(ClientError::Closed(_)) => Ok(Answer::Closed),
        Err(ClientError::Io(e)) if is_timeout(&e) => Ok(Answer::Nothing),
        Err(ClientError::Io(_)) => Ok(Answer::Closed),
        Err(e @ ClientError::Malformed(_)) => Err(e.to_string()),
    }
}

/// Sends `bytes` on a fresh connection and reads the first answer.
fn send_one(addr: SocketAddr, bytes: &[u8]) -> Result<(Conn, Answer), String> {
    let mut conn = Conn::open(addr, STALL_LIMIT).map_err(|e| format!("connect: {e}"))?;
    if conn.send(bytes).is_err() {
        // The server stopped reading and reset the connection: refused.
        return Ok((conn, Answer::Closed));
    }
    let answer = next_answer(&mut conn)?;
    Ok((conn, answer))
}

/// The bytes of the single-request cases of `group` (empty for the other groups).
pub fn requests(group: Group) -> Vec<Vec<u8>> {
    let fixed: &[&[u8]] = match group {
        Group::Malformed => &[
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
            b"GET /health HTTP/1.1\r\nHost: x\r\n folded: header\r\n\r\n",
            b"GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked, rot13\r\n\r\n",
            b"GET /accounts/% HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /accounts/%zz HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /accounts/1%2 HTTP/1.1\r\nHost: x\r\n\r\n",
        ],
        Group::InvalidUtf8 => &[
            b"GET /accounts/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /accounts/1000\xc3 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /\xe2\x82 HTTP/1.1\r\nHost: x\r\n\r\n",
        ],
        Group::Oversized => {
            // Above the largest default limit of any stack (Go's 1 MiB): the point is that
            // every stack has a bound, not where it lies.
            return vec![
                format!(
                    "GET /accounts/{} HTTP/1.1\r\nHost: x\r\n\r\n",
                    "1".repeat(100_000)
                )
                .into_bytes(),
                format!(
                    "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                    "a".repeat(2 << 20)
                )
                .into_bytes(),
                format!(
                    "GET /health HTTP/1.1\r\nHost: x\r\n{}\r\n",
                    (0..100_000)
                        .map(|i| format!("X-H{i}: v\r\n"))
                        .collect::<String>()
                )
                .into_bytes(),
            ];
        }
        Group::Smuggling | Group::Pipelined | Group::Stalled | Group::Burst | Group::Edges => &[],
    };
    fixed.iter().map(|b| b.to_vec()).collect()
}

/// How a server must treat a request with conflicting or broken framing (RFC 9112).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length` beside `Transfer-Encoding: chunked`: the server may reject it or read
    /// it by its transfer coding, and must close the connection after answering (6.1).
    MayProcess,
    /// Broken framing (lengths that disagree, chunked not last, whitespace before the colon):
    /// the server must answer 400 and close (6.3, 5.1).
    MustRefuse,
}

/// The smuggling cases: each a `GET` whose framing is in doubt, with a second `GET` behind
/// it that a server reading the body one way sees as the next request.
pub fn smuggling_requests() -> Vec<(Framing, Vec<u8>)> {
    let head = "GET /health HTTP/1.1\r\nHost: x\r\n";
    let cases: [(Framing, String); 6] = [
        // CL.TE: the length covers the request behind, the chunked body ends before it.
        (
            Framing::MayProcess,
            format!(
                "{head}Content-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                5 + BEHIND.len()
            ),
        ),
        // TE.CL: the same, the headers the other way round.
        (
            Framing::MayProcess,
            format!(
                "{head}Transfer-Encoding: chunked\r\nContent-Length: {}\r\n\r\n0\r\n\r\n",
                5 + BEHIND.len()
            ),
        ),
        // Chunked twice (a sender must not), beside a length.
        (
            Framing::MayProcess,
            format!(
                "{head}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\nContent-Length: {}\r\n\r\n0\r\n\r\n",
                5 + BEHIND.len()
            ),
        ),
        // Two lengths that disagree.
        (
            Framing::MustRefuse,
            format!(
                "{head}Content-Length: 0\r\nContent-Length: {}\r\n\r\n",
                BEHIND.len()
            ),
        ),
        // A transfer coding that only looks like chunked, beside a length.
        (
            Framing::MustRefuse,
            format!("{head}Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
        ),
        // Whitespace between the field name and the colon.
        (
            Framing::MustRefuse,
            format!("{head}Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
        ),
    ];
    cases
        .into_iter()
        .map(|(framing, text)| (framing, format!("{text}{BEHIND}").into_bytes()))
        .collect()
}

/// What RFC 9112 (or 9110) asks of a server for an edge case, and so what a concern is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// A `400`: answering the request is a concern.
    Refuse,
    /// Accepting and refusing are both allowed: recorded only.
    Either,
    /// The request is valid and must be read: refusing it is a concern.
    Serve,
    /// Faulty framing: any answer, then the connection closed (RFC 9112 6.1); keeping it is
    /// a concern.
    Close,
    /// `Expect: 100-continue` with the body held back: a `100 (Continue)` or a final answer
    /// must come first (RFC 9110 10.1.1); neither within [`CONTINUE_WAIT`] is a concern.
    Continue,
}

/// One edge case: a request, and what it looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeCase {
    /// What is sent, in a few words: the case's name in results.
    pub name: &'static str,
    /// The bytes written at once; for [`Edge::Continue`] the head, the body held back.
    pub bytes: Vec<u8>,
    /// Whether [`BEHIND`] follows the request, to show how its body was framed.
    pub behind: bool,
    /// What the RFC asks of a server.
    pub expects: Edge,
    /// What a departure means and where the RFC says so: the concern's words.
    pub why: &'static str,
}

/// The body an [`Edge::Continue`] case sends once the server has had its chance to answer.
const CONTINUE_BODY: &[u8] = b"hello";

/// The edge cases, in the order the battery runs them.
pub fn edge_requests() -> Vec<EdgeCase> {
    let chunked = "GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    let case = |name, text: String, behind, expects, why| EdgeCase {
        name,
        bytes: if behind {
            format!("{text}{BEHIND}")
        } else {
            text
        }
        .into_bytes(),
        behind,
        expects,
        why,
    };
    vec![
        case(
            "no Host on HTTP/1.1",
            "GET /health HTTP/1.1\r\n\r\n".to_owned(),
            false,
            Edge::Refuse,
            "RFC 9112 3.2 says 400 for an HTTP/1.1 request without Host",
        ),
        case(
            "two Host fields",
            "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".to_owned(),
            false,
            Edge::Refuse,
            "RFC 9112 3.2 says 400 for a request with more than one Host",
        ),
        case(
            "bare LF line ends",
            "GET /health HTTP/1.1\nHost: x\n\n".to_owned(),
            false,
            Edge::Either,
            "RFC 9112 2.2 lets a server read a bare LF as a line end, or refuse it",
        ),
        case(
            "Content-Length: 5, 5",
            "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello".to_owned(),
            true,
            Edge::Either,
            "RFC 9110 8.6 lets a server refuse a list of equal lengths or read it as one",
        ),
        case(
            "Transfer-Encoding: chunked on HTTP/1.0",
            "GET /health HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\
             Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                .to_owned(),
            true,
            Edge::Close,
            "RFC 9112 6.1: faulty framing, close after answering",
        ),
        case(
            "a chunk extension",
            format!("{chunked}5;name=value\r\nhello\r\n0\r\n\r\n"),
            true,
            Edge::Serve,
            "RFC 9112 7.1.1 says ignore a chunk extension the server does not understand",
        ),
        case(
            "a trailer field",
            format!("{chunked}5\r\nhello\r\n0\r\nX-Checksum: 1\r\n\r\n"),
            true,
            Edge::Serve,
            "RFC 9112 7.1.2 lets a server discard a trailer field, not refuse the request",
        ),
        case(
            "Expect: 100-continue, the body held back",
            "GET /health HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
                .to_owned(),
            false,
            Edge::Continue,
            "RFC 9110 10.1.1: a 100 (Continue) or a final answer before the body; a client \
             that waits for it stalls",
        ),
    ]
}

/// The start of `bytes`, readable: control bytes escaped, long inputs cut with their size.
pub fn printable(bytes: &[u8]) -> String {
    let shown: String = bytes
        .iter()
        .take(60)
        .flat_map(|&b| std::ascii::escape_default(b))
        .map(char::from)
        .collect();
    if bytes.len() > 60 {
        format!("{shown}... ({} bytes)", bytes.len())
    } else {
        shown
    }
}

/// Whether the service at `addr` still answers `/health` with a 200.
pub fn health(addr: SocketAddr) -> Result<(), String> {
    match fetch(addr, "GET", "/health") {
        Ok(r) if r.status == 200 => Ok(()),
        Ok(r) => Err(format!("/health answered {}", r.status)),
        Err(e) => Err(format!("/health: {e}")),
    }
}

/// Runs every case of `group` against the service at `addr`. After each case `check` says
/// whether the service is still up and serving (see [`health`]); it may also look at the
/// process.
pub fn run_group(
    addr: SocketAddr,
    group: Group,
    sizes: &Sizes,
    check: &mut dyn FnMut() -> Result<(), String>,
) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    let mut record = |case: String, started: Instant, result: Result<Judged, String>| {
        let millis = started.elapsed().as_secs_f64() * 1000.0;
        let judged = result.unwrap_or_else(Judged::fail);
        verdicts.push(Verdict {
            group,
            case,
            outcome: judged.outcome,
            passed: judged.passed,
            concern: judged.concern,
            millis,
            down_after: check().err(),
        });
    };
    match group {
        Group::Malformed | Group::InvalidUtf8 | Group::Oversized => {
            for bytes in requests(group) {
                let started = Instant::now();
                let result = send_one(addr, &bytes)
                    .map(|(_, answer)| Judged::rule(answer.to_string(), answer.refusal()));
                record(printable(&bytes), started, result);
            }
        }
        Group::Smuggling => {
            for (framing, bytes) in smuggling_requests() {
                let started = Instant::now();
                record(printable(&bytes), started, smuggled(addr, framing, &bytes));
            }
        }
        Group::Pipelined => {
            let started = Instant::now();
            record(
                format!("{} GETs written at once", sizes.pipelined),
                started,
                pipelined(addr, sizes.pipelined).map(Judged::from),
            );
            let started = Instant::now();
            record(
                "a GET, garbage, a GET, written at once".to_owned(),
                started,
                pipelined_with_garbage(addr).map(Judged::from),
            );
        }
        Group::Stalled => {
            let started = Instant::now();
            match stalled(addr, sizes.stalled) {
                Ok(cases) => {
                    for (case, result) in cases {
                        record(case, started, result.map(Judged::from));
                    }
                }
                Err(e) => record(
                    format!("{} stalled connections", sizes.stalled),
                    started,
                    Err(e),
                ),
            }
        }
        Group::Burst => {
            let started = Instant::now();
            record(
                format!("{} connections at once, a GET on each", sizes.burst),
                started,
                burst(addr, sizes.burst).map(Judged::from),
            );
        }
        Group::Edges => {
            for case in edge_requests() {
                let started = Instant::now();
                record(case.name.to_owned(), started, edge(addr, &case));
            }
        }
    }
    verdicts
}

/// What a case showed: its outcome, whether that meets the rule, and any concern.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Judged {
    outcome: String,
    passed: bool,
    concern: Option<String>,
}

impl From<(String, bool)> for Judged {
    fn from((outcome, passed): (String, bool)) -> Self {
        Self::rule(outcome, passed)
    }
}

impl Judged {
    fn rule(outcome: String, passed: bool) -> Self {
        Self {
            outcome,
            passed,
            concern: None,
        }
    }

    fn fail(outcome: String) -> Self {
        Self::rule(outcome, false)
    }
}

/// A request whose framing is in doubt, with a second request behind it.
fn smuggled(addr: SocketAddr, framing: Framing, bytes: &[u8]) -> Result<Judged, String> {
    let (mut conn, first) = send_one(addr, bytes)?;
    let passed = match (framing, first) {
        (_, Answer::Nothing) => false,
        (Framing::MustRefuse, answer) => answer.refusal(),
        (Framing::MayProcess, _) => true,
    };
    if first == Answer::Closed || first == Answer::Nothing {
        return Ok(Judged::rule(first.to_string(), passed));
    }
    // Answered: the server must now close, and never answer the request behind.
    conn.set_timeout(CLOSE_LIMIT);
    Ok(match next_answer(&mut conn)? {
        Answer::Closed => Judged::rule(format!("{first}, then closed"), passed),
        Answer::Status(second) => Judged {
            outcome: format!("{first}, then {second} to the request behind"),
            passed,
            concern: Some(
                "kept the connection and answered the request behind: a proxy that framed \
                 the request the other way would have let it through (RFC 9112 6.1 says close)"
                    .to_owned(),
            ),
        },
        Answer::Nothing => Judged {
            outcome: format!("{first}, connection kept open"),
            passed,
            concern: Some(format!(
                "the connection stayed open {}s after answering (RFC 9112 6.1 says close)",
                CLOSE_LIMIT.as_secs()
            )),
        },
    })
}

/// Whether an edge case's answer keeps the battery's one rule: an answer or a close within
/// the limit, and not a 5xx (a server error, not a refusal) other than 501 and 505.
fn kept_the_rule(answer: Answer) -> bool {
    match answer {
        Answer::Nothing => false,
        Answer::Closed => true,
        Answer::Status(s) => s < 500 || s == 501 || s == 505,
    }
}

/// One edge case: the answer, how the request behind was read, and what the RFC would have.
fn edge(addr: SocketAddr, case: &EdgeCase) -> Result<Judged, String> {
    match case.expects {
        Edge::Close => return smuggled(addr, Framing::MayProcess, &case.bytes),
        Edge::Continue => return expect_continue(addr, case),
        Edge::Refuse | Edge::Either | Edge::Serve => {}
    }
    let started = Instant::now();
    let (mut conn, first) = send_one(addr, &case.bytes)?;
    let took = started.elapsed();
    let mut outcome = first.to_string();
    let mut concern = match (case.expects, first) {
        (Edge::Refuse, Answer::Status(_)) if !first.refusal() && kept_the_rule(first) => {
            Some(format!("answered: {}", case.why))
        }
        (Edge::Serve, _) if first.refusal() => Some(format!("refused: {}", case.why)),
        _ => None,
    };
    if took > SLOW_ANSWER && first != Answer::Nothing {
        outcome.push_str(&format!(" after {:.1} s", took.as_secs_f64()));
        concern.get_or_insert(format!(
            "answered only after {:.1} s: the request was taken for an unfinished one and held \
             until a timeout",
            took.as_secs_f64()
        ));
    }
    if case.behind && matches!(first, Answer::Status(s) if s < 300) {
        conn.set_timeout(CLOSE_LIMIT);
        match next_answer(&mut conn)? {
            Answer::Status(200) => outcome.push_str(", then 200 to the request behind"),
            Answer::Closed => outcome.push_str(", then closed"),
            second => {
                let second = match second {
                    Answer::Nothing => format!("nothing within {}s", CLOSE_LIMIT.as_secs()),
                    other => other.to_string(),
                };
                outcome.push_str(&format!(", then {second} to the request behind"));
                concern.get_or_insert(format!(
                    "the request behind got {second}: the body was not read as its framing says"
                ));
            }
        }
    }
    Ok(Judged {
        outcome,
        passed: kept_the_rule(first),
        concern,
    })
}

/// Sends the held-back body and reads the answer.
fn then_body(conn: &mut Conn) -> Result<Answer, String> {
    if conn.send(CONTINUE_BODY).is_err() {
        return Ok(Answer::Closed);
    }
    next_answer(conn)
}

/// `Expect: 100-continue` with the body held back for [`CONTINUE_WAIT`], then sent whatever
/// came, as curl does.
fn expect_continue(addr: SocketAddr, case: &EdgeCase) -> Result<Judged, String> {
    let mut conn = Conn::open(addr, CONTINUE_WAIT).map_err(|e| format!("connect: {e}"))?;
    if conn.send(&case.bytes).is_err() {
        return Ok(Judged::rule(Answer::Closed.to_string(), true));
    }
    let first = next_answer(&mut conn)?;
    conn.set_timeout(STALL_LIMIT);
    Ok(match first {
        Answer::Status(100) => {
            let last = then_body(&mut conn)?;
            Judged::rule(format!("100, then {last}"), kept_the_rule(last))
        }
        Answer::Status(_) | Answer::Closed => {
            Judged::rule(format!("{first} before the body"), kept_the_rule(first))
        }
        Answer::Nothing => {
            let last = then_body(&mut conn)?;
            Judged {
                outcome: format!(
                    "nothing within {}s, {last} once the body came",
                    CONTINUE_WAIT.as_secs()
                ),
                passed: kept_the_rule(last),
                concern: Some(format!("no 100 (Continue) and no answer: {}", case.why)),
            }
        }
    })
}

/// `n` GETs of different seeded ids in one write; every answer must come, in order.
fn pipelined(addr: SocketAddr, n: usize) -> Result<(String, bool), String> {
    let mut conn = Conn::open(addr, READ_TIMEOUT).map_err(|e| format!("connect: {e}"))?;
    let ids: Vec<u32> = (0..n as u32).map(|i| 10_000 + i % 100).collect();
    let batch: String = ids
        .iter()
        .map(|id| request_bytes("GET", &format!("/accounts/{id}")))
        .collect();
    conn.send(batch.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let mut answered = 0;
    for id in &ids {
        match conn.read_response(false) {
            Ok(r) if r.status == 200 && r.text().contains(&format!("\"id\":\"{id}\"")) => {
                answered += 1;
            }
            Ok(r) => {
                return Ok((
                    format!(
                        "{answered} of {n} in order, then {} for /accounts/{id}",
                        r.status
                    ),
                    false,
                ));
            }
            Err(e) => return Ok((format!("{answered} of {n} answered, then {e}"), false)),
        }
    }
    Ok((format!("{n} of {n} answered in order"), true))
}

/// A good GET, garbage, a good GET in one write: the first is answered, the garbage refused,
/// and nothing after the garbage is answered.
fn pipelined_with_garbage(addr: SocketAddr) -> Result<(String, bool), String> {
    let mut conn = Conn::open(addr, READ_TIMEOUT).map_err(|e| format!("connect: {e}"))?;
    let batch = format!(
        "{}GARBAGE\r\n\r\n{}",
        request_bytes("GET", "/accounts/10000"),
        request_bytes("GET", "/accounts/10001")
    );
    conn.send(batch.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let first = next_answer(&mut conn)?;
    if first != Answer::Status(200) {
        return Ok((format!("{first} to the good GET before the garbage"), false));
    }
    conn.set_timeout(CLOSE_LIMIT);
    let second = next_answer(&mut conn)?;
    if !second.refusal() {
        return Ok((format!("200, then {second} to the garbage"), false));
    }
    if second == Answer::Closed {
        return Ok(("200, then closed".to_owned(), true));
    }
    Ok(match next_answer(&mut conn)? {
        Answer::Status(third) => (
            format!("200, {second}, then {third} to the GET after the garbage"),
            false,
        ),
        Answer::Closed => (format!("200, {second}, closed"), true),
        Answer::Nothing => (format!("200, {second}"), true),
    })
}

/// `n` connections that stall (silent, half a request line, half a header) while another
/// client asks for an account. Returns one case for the other client and one per kind of
/// stall.
#[allow(clippy::type_complexity)]
fn stalled(
    addr: SocketAddr,
    n: usize,
) -> Result<Vec<(String, Result<(String, bool), String>)>, String> {
    const KINDS: [(&str, &[u8]); 3] = [
        ("silent", b""),
        ("half a request line", b"GET /accounts/10"),
        (
            "half a header",
            b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ",
        ),
    ];
    let mut open = Vec::new();
    for i in 0..n {
        let (kind, bytes) = KINDS[i % KINDS.len()];
        let mut conn = Conn::open(addr, STALL_LIMIT).map_err(|e| format!("connect: {e}"))?;
        if !bytes.is_empty() {
            conn.send(bytes).map_err(|e| format!("send: {e}"))?;
        }
        open.push((kind, conn));
    }
    let started = Instant::now();
    let served =
        Conn::open(addr, READ_TIMEOUT).and_then(|mut c| c.request("GET", "/accounts/10001"));
    let served_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut cases = vec![(
        format!("a GET while {n} connections stall"),
        match served {
            Ok(r) => Ok((
                format!("{} after {served_ms:.0} ms", r.status),
                r.status == 200,
            )),
            Err(e) => Ok((format!("not served: {e}"), false)),
        },
    )];
    // Every connection waits on the same clock: the limit counts from when they stalled.
    let deadline = Instant::now() + STALL_LIMIT;
    let mut closed: Vec<(&str, Option<f64>, Option<u16>)> = Vec::new();
    for (kind, conn) in &mut open {
        let left = deadline.saturating_duration_since(Instant::now());
        let after = conn
            .wait_closed(left.max(Duration::from_millis(1)))
            .map(|_| started.elapsed().as_secs_f64());
        let status = std::str::from_utf8(conn.pending())
            .ok()
            .and_then(|p| p.get(9..12))
            .and_then(|s| s.parse().ok());
        closed.push((kind, after, status));
    }
    for (kind, _) in KINDS {
        let mine: Vec<_> = closed.iter().filter(|(k, ..)| *k == kind).collect();
        let still_open = mine.iter().filter(|(_, after, _)| after.is_none()).count();
        let slowest = mine
            .iter()
            .filter_map(|(_, after, _)| *after)
            .fold(0.0, f64::max);
        let mut statuses: Vec<u16> = mine.iter().filter_map(|(.., s)| *s).collect();
        statuses.sort_unstable();
        statuses.dedup();
        let bad_status = statuses.iter().any(|s| !(400..500).contains(s));
        let answered = if statuses.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = statuses.iter().map(u16::to_string).collect();
            format!(", answered {}", list.join("/"))
        };
        let outcome = if still_open > 0 {
            format!(
                "{still_open} of {} still open after {}s",
                mine.len(),
                STALL_LIMIT.as_secs()
            )
        } else {
            format!("all {} closed within {slowest:.1} s{answered}", mine.len())
        };
        cases.push((
            format!("{} connections: {kind}", mine.len()),
            Ok((outcome, still_open == 0 && !bad_status)),
        ));
    }
    Ok(cases)
}

/// `n` connections opened one after the other as fast as the server accepts them, held
/// open, then a GET written on each and every answer read.
fn burst(addr: SocketAddr, n: usize) -> Result<(String, bool), String> {
    let started = Instant::now();
    let deadline = started + STALL_LIMIT;
    let mut conns = Vec::with_capacity(n);
    let mut refused = 0;
    for _ in 0..n {
        let left = deadline.saturating_duration_since(Instant::now());
        match Conn::open(addr, left.max(Duration::from_millis(1))) {
            Ok(conn) => conns.push(conn),
            Err(_) => refused += 1,
        }
    }
    // Connects beyond a full listen backlog wait for the client's SYN to be sent again (after
    // 1 s, then 3 s): how long connecting took shows it.
    let connecting = started.elapsed();
    let request = request_bytes("GET", "/accounts/10000");
    let (mut ok, mut other, mut closed, mut hung) = (0, 0, 0, 0);
    let mut sent = Vec::with_capacity(conns.len());
    for mut conn in conns {
        if conn.send(request.as_bytes()).is_ok() {
            sent.push(conn);
        } else {
            closed += 1;
        }
    }
    for conn in &mut sent {
        let left = deadline.saturating_duration_since(Instant::now());
        conn.set_timeout(left.max(Duration::from_millis(1)));
        match next_answer(conn) {
            Ok(Answer::Status(200)) => ok += 1,
            Ok(Answer::Status(_)) | Err(_) => other += 1,
            Ok(Answer::Closed) => closed += 1,
            Ok(Answer::Nothing) => hung += 1,
        }
    }
    let mut connected = format!("all connected after {:.2} s", connecting.as_secs_f64());
    let mut outcome = format!("{ok} of {n} answered 200");
    for (count, what) in [
        (other, "answered otherwise"),
        (closed, "closed"),
        (refused, "not accepted"),
        (hung, "no answer"),
    ] {
        if count > 0 {
            outcome.push_str(&format!(", {count} {what}"));
        }
    }
    if refused > 0 {
        connected = format!("connecting took {:.2} s", connecting.as_secs_f64());
    }
    outcome.push_str(&format!(
        "; {connected}, all answers in {:.2} s",
        started.elapsed().as_secs_f64()
    ));
    Ok((outcome, hung == 0 && other == 0))
}

fn assert_group(target: &Target, group: Group) {
    let mut service = start(target);
    let addr = service.addr();
    let mut check = || check_serving(&mut service, addr);
    let verdicts = run_group(addr, group, &Sizes::default(), &mut check);
    assert!(!verdicts.is_empty());
    for v in &verdicts {
        assert!(
            v.passed,
            "{} ({}): {:?} got {}",
            group.name(),
            group.rule(),
            v.case,
            v.outcome
        );
        assert_eq!(v.down_after, None, "after {:?}", v.case);
    }
}

fn check_serving(service: &mut Service, addr: SocketAddr) -> Result<(), String> {
    if !service.is_running() {
        return Err("the process exited".to_owned());
    }
    health(addr)
}

/// Malformed request lines and heads get a 4xx or a closed connection.
pub fn malformed_requests(target: &Target) {
    assert_group(target, Group::Malformed);
}

/// Bytes that are not UTF-8 in the request target.
pub fn invalid_utf8(target: &Target) {
    assert_group(target, Group::InvalidUtf8);
}

/// A 100 KB request target, a 2 MiB header and 100,000 headers are refused.
pub fn oversized_requests(target: &Target) {
    assert_group(target, Group::Oversized);
}

/// Conflicting `Content-Length` and `Transfer-Encoding`: refused, or answered once and the
/// connection closed; the request smuggled behind is never answered.
pub fn smuggling(target: &Target) {
    assert_group(target, Group::Smuggling);
}

/// Pipelined requests are answered in order; garbage in a pipeline ends it.
pub fn pipelined_requests(target: &Target) {
    assert_group(target, Group::Pipelined);
}

/// Clients that connect and stall (silent, or half a request head) do not hold a worker:
/// others are served at once, and each stalled connection is closed within [`STALL_LIMIT`].
pub fn stalled_clients(target: &Target) {
    // One worker: a stalled client that held it would stop the service outright.
    assert_group(&target.clone().env("WORKERS", "1"), Group::Stalled);
}

/// A burst of connections is answered or closed, never left hanging, and the service stays
/// up.
pub fn connection_burst(target: &Target) {
    assert_group(target, Group::Burst);
}

/// Corners of HTTP/1.1 are answered or closed, never left hanging, and the service stays up;
/// what the stack did with each is printed (shown with `--nocapture` or when it fails).
pub fn edge_cases(target: &Target) {
    let mut service = start(target);
    let addr = service.addr();
    let mut check = || check_serving(&mut service, addr);
    let verdicts = run_group(addr, Group::Edges, &Sizes::default(), &mut check);
    for v in &verdicts {
        eprintln!(
            "{} edges: {}: {}{}",
            target.stack,
            v.case,
            v.outcome,
            v.concern
                .as_ref()
                .map_or(String::new(), |c| format!(" (concern: {c})"))
        );
    }
    assert_eq!(verdicts.len(), edge_requests().len());
    for v in &verdicts {
        assert!(
            v.passed,
            "edges ({}): {:?} got {}",
            Group::Edges.rule(),
            v.case,
            v.outcome
        );
        assert_eq!(v.down_after, None, "after {:?}", v.case);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_and_cuts() {
        assert_eq!(printable(b"G\x00T\r\n"), "G\\x00T\\r\\n");
        let long = printable(&[b'a'; 100]);
        assert!(long.ends_with("... (100 bytes)"), "{long}");
    }

    #[test]
    fn refusals() {
        assert!(Answer::Closed.refusal());
        assert!(Answer::Status(400).refusal() && Answer::Status(505).refusal());
        assert!(!Answer::Status(200).refusal() && !Answer::Status(500).refusal());
        assert!(!Answer::Nothing.refusal());
    }

    #[test]
    fn every_request_group_has_cases() {
        for group in Group::ALL {
            let single = matches!(
                group,
                Group::Malformed | Group::InvalidUtf8 | Group::Oversized
            );
            assert_eq!(!requests(group).is_empty(), single, "{}", group.name());
        }
    }

    #[test]
    fn edge_cases_are_named_once_and_framed_as_they_say() {
        let cases = edge_requests();
        let names: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.name).collect();
        assert_eq!(
            names.len(),
            cases.len(),
            "a name is a case's key in reports"
        );
        for case in &cases {
            let text = String::from_utf8(case.bytes.clone()).unwrap();
            assert_eq!(text.ends_with(BEHIND), case.behind, "{}", case.name);
            if case.expects == Edge::Continue {
                assert!(
                    text.ends_with("\r\n\r\n"),
                    "{}: the body is held back",
                    case.name
                );
            }
        }
    }

    #[test]
    fn edge_answers_keep_the_rule_unless_a_server_error_or_nothing() {
        assert!(kept_the_rule(Answer::Status(200)) && kept_the_rule(Answer::Status(400)));
        assert!(kept_the_rule(Answer::Status(505)) && kept_the_rule(Answer::Closed));
        assert!(!kept_the_rule(Answer::Status(500)) && !kept_the_rule(Answer::Nothing));
    }

    #[test]
    fn smuggled_requests_hide_a_whole_request_behind() {
        for (framing, bytes) in smuggling_requests() {
            let text = String::from_utf8(bytes).unwrap();
            assert!(
                text.ends_with("GET /accounts/10000 HTTP/1.1\r\nHost: x\r\n\r\n"),
                "{text}"
            );
            if framing == Framing::MayProcess {
                // The length counts from the end of the head to the end of the input.
                let (head, body) = text.split_once("\r\n\r\n").unwrap();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap();
                assert_eq!(length, body.len(), "{text}");
            }
        }
    }
}
