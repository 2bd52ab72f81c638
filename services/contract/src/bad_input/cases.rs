//! The battery as data: the bytes of each single-request case, the smuggling cases with the
//! request behind them, and the edge cases with what RFC 9112 or 9110 asks of a server.

use std::time::Duration;

use super::group::Group;

/// How long an edge case's client waits for `100 (Continue)` before it sends the body anyway
/// (curl waits 1 s).
pub(super) const CONTINUE_WAIT: Duration = Duration::from_secs(2);

/// The request behind a case whose framing is in question: a server that read the first
/// request's body otherwise than its framing says sees something else as the next request.
pub(super) const BEHIND: &str = "GET /accounts/10000 HTTP/1.1\r\nHost: x\r\n\r\n";

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
pub(super) const CONTINUE_BODY: &[u8] = b"hello";

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
