//! The bad-input battery: hostile and broken clients. Every stack answers 4xx or closes,
//! within a bounded time, and keeps serving everyone else. One group, [`Group::Edges`], is
//! observed rather than ruled: corners of HTTP/1.1 where each stack keeps its framework's
//! own behaviour, recorded side by side.
//!
//! The battery is data and a driver that never panics: [`run_group`] returns one [`Verdict`]
//! per case. The contract suite asserts on the verdicts (the functions at the end of this
//! file); the harness runs the same battery against a deployed stack and reports them, with
//! the service's memory before and after, as its robustness table.
//!
//! The groups and verdicts are in `group`, the cases as data in `cases`, one answer and how it
//! is judged in `answer`, the clients that play the longer cases in `clients`.

mod answer;
mod cases;
mod clients;
mod group;

use std::net::SocketAddr;
use std::time::Instant;

use crate::checks::start;
use crate::client::fetch;
use crate::service::{Service, Target};
use answer::{Judged, send_one};
use clients::{burst, edge, pipelined, pipelined_with_garbage, smuggled, stalled};

pub use answer::STALL_LIMIT;
pub use cases::{Edge, EdgeCase, Framing, edge_requests, printable, requests, smuggling_requests};
pub use group::{Group, Sizes, Verdict};

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
