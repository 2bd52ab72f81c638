//! The hostile and broken clients: each case that is more than one request and one answer,
//! played against the service and judged (a smuggled request, an edge case, a pipeline, stalled
//! connections, a burst).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::answer::{Answer, CLOSE_LIMIT, Judged, STALL_LIMIT, next_answer, send_one};
use super::cases::{CONTINUE_BODY, CONTINUE_WAIT, Edge, EdgeCase, Framing};
use crate::checks::READ_TIMEOUT;
use crate::client::{Conn, request_bytes};

/// An edge case answered later than this waited for a timeout: it is a concern.
const SLOW_ANSWER: Duration = Duration::from_secs(2);

/// A request whose framing is in doubt, with a second request behind it.
pub(super) fn smuggled(addr: SocketAddr, framing: Framing, bytes: &[u8]) -> Result<Judged, String> {
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
pub(super) fn edge(addr: SocketAddr, case: &EdgeCase) -> Result<Judged, String> {
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
pub(super) fn pipelined(addr: SocketAddr, n: usize) -> Result<(String, bool), String> {
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
pub(super) fn pipelined_with_garbage(addr: SocketAddr) -> Result<(String, bool), String> {
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
pub(super) fn stalled(
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
pub(super) fn burst(addr: SocketAddr, n: usize) -> Result<(String, bool), String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_answers_keep_the_rule_unless_a_server_error_or_nothing() {
        assert!(kept_the_rule(Answer::Status(200)) && kept_the_rule(Answer::Status(400)));
        assert!(kept_the_rule(Answer::Status(505)) && kept_the_rule(Answer::Closed));
        assert!(!kept_the_rule(Answer::Status(500)) && !kept_the_rule(Answer::Nothing));
    }
}
