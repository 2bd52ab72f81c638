//! One answer to a bad request and how it is judged: a status, a close, or nothing within the
//! limit; read on a fresh connection or the next on one already open.

use std::net::SocketAddr;
use std::time::Duration;

use crate::client::{ClientError, Conn, is_timeout};

/// Longest a stack may keep a stalled or broken connection open. Servers time out a
/// request head after about 5 s; this leaves room for a slow, shared machine.
pub const STALL_LIMIT: Duration = Duration::from_secs(20);

/// How long a connection that must close after its answer may stay open.
pub(super) const CLOSE_LIMIT: Duration = Duration::from_secs(5);

/// What a server did with one request it should refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    /// It answered with this status.
    Status(u16),
    /// It closed (or reset) the connection without an answer.
    Closed,
    /// Nothing within the limit, and the connection still open.
    Nothing,
}

impl Answer {
    /// Whether it refused the request: a 4xx (or 501, 505), or a close.
    pub(super) fn refusal(self) -> bool {
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
pub(super) fn next_answer(conn: &mut Conn) -> Result<Answer, String> {
    match conn.read_response(false) {
        Ok(r) => Ok(Answer::Status(r.status)),
        Err(ClientError::Closed(_)) => Ok(Answer::Closed),
        Err(ClientError::Io(e)) if is_timeout(&e) => Ok(Answer::Nothing),
        Err(ClientError::Io(_)) => Ok(Answer::Closed),
        Err(e @ ClientError::Malformed(_)) => Err(e.to_string()),
    }
}

/// Sends `bytes` on a fresh connection and reads the first answer.
pub(super) fn send_one(addr: SocketAddr, bytes: &[u8]) -> Result<(Conn, Answer), String> {
    let mut conn = Conn::open(addr, STALL_LIMIT).map_err(|e| format!("connect: {e}"))?;
    if conn.send(bytes).is_err() {
        // The server stopped reading and reset the connection: refused.
        return Ok((conn, Answer::Closed));
    }
    let answer = next_answer(&mut conn)?;
    Ok((conn, answer))
}

/// What a case showed: its outcome, whether that meets the rule, and any concern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Judged {
    /// What the service did.
    pub(super) outcome: String,
    /// Whether that meets the group's rule.
    pub(super) passed: bool,
    /// What the rule allows but a careful server would not do.
    pub(super) concern: Option<String>,
}

impl From<(String, bool)> for Judged {
    fn from((outcome, passed): (String, bool)) -> Self {
        Self::rule(outcome, passed)
    }
}

impl Judged {
    /// An outcome judged by the rule alone, no concern.
    pub(super) fn rule(outcome: String, passed: bool) -> Self {
        Self {
            outcome,
            passed,
            concern: None,
        }
    }

    /// An outcome that fails the rule.
    pub(super) fn fail(outcome: String) -> Self {
        Self::rule(outcome, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals() {
        assert!(Answer::Closed.refusal());
        assert!(Answer::Status(400).refusal() && Answer::Status(505).refusal());
        assert!(!Answer::Status(200).refusal() && !Answer::Status(500).refusal());
        assert!(!Answer::Nothing.refusal());
    }
}
