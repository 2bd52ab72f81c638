//! What the battery is made of and gives: its groups, the sizes of its bursts and batches, and
//! a verdict per case.

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
