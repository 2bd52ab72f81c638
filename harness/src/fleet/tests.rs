//! The coordinator with real workers (`worker::serve` on threads of the test, over TCP on
//! 127.0.0.1) against the drivers' test server; the backend's side is a fake.

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::*;
use crate::driver::ScenarioDriver;
use crate::driver::test_server::{Answer, serve};

/// The tasks as a backend would describe them.
struct FakeTasks {
    ended: Option<String>,
    stopped: Arc<AtomicBool>,
}

impl LoadWorkers for FakeTasks {
    fn placement(&self) -> String {
        "threads of the test".into()
    }
    fn service(&self) -> String {
        "fake-workers".into()
    }
    fn ended(&self) -> Option<String> {
        self.ended.clone()
    }
    fn why_lost(&self, name: &str) -> Option<String> {
        Some(format!("{name} exited 137 (killed)"))
    }
    fn stop(&mut self) -> String {
        self.stopped.store(true, Ordering::SeqCst);
        "stopped".into()
    }
}

const MIX: IdMix = crate::driver::SEEDED_ONLY;

fn step(users: usize, rate: u32, hold: Duration) -> Step {
    Step {
        name: "s".into(),
        users,
        rate: Some(rate),
        ramp: Duration::ZERO,
        hold,
        pause: (Duration::ZERO, Duration::ZERO),
    }
}

/// A fleet of `n` real workers (threads running `worker::serve`), for constant-rate steps.
fn fleet(n: usize) -> (Fleet, Arc<AtomicBool>, Vec<thread::JoinHandle<()>>) {
    fleet_of(n, LoadMode::ConstantRate)
}

fn fleet_of(n: usize, load: LoadMode) -> (Fleet, Arc<AtomicBool>, Vec<thread::JoinHandle<()>>) {
    let channel = channel();
    let threads = (1..=n)
        .map(|i| real_worker(&channel, &format!("w.{i}")))
        .collect();
    let (fleet, stopped, _) = gather(&channel, n, load);
    (fleet, stopped, threads)
}

/// A channel on a free port of 127.0.0.1.
fn channel() -> Channel {
    Channel::bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap()
}

/// A real worker named `name` (a thread running `worker::serve`), given the channel's token.
fn real_worker(channel: &Channel, name: &str) -> thread::JoinHandle<()> {
    let (never, after) = std::sync::mpsc::channel();
    drop(never);
    real_worker_after(channel, name, after)
}

/// A real worker that starts once `after` says so (or is dropped, or 5 s passed): once the
/// coordinator has dealt with a peer that came first.
fn real_worker_after(
    channel: &Channel,
    name: &str,
    after: std::sync::mpsc::Receiver<()>,
) -> thread::JoinHandle<()> {
    let (addr, token, name) = (
        channel.local_addr().unwrap(),
        channel.token().as_str().to_owned(),
        name.to_owned(),
    );
    thread::spawn(move || {
        let _ = after.recv_timeout(Duration::from_secs(5));
        worker::serve(addr, &token, &name, "here", &[]).unwrap()
    })
}

/// The coordinator, once `n` workers said hello on `channel`; whether it stopped them; the
/// warnings it gave.
fn gather(channel: &Channel, n: usize, load: LoadMode) -> (Fleet, Arc<AtomicBool>, Vec<String>) {
    let stopped = Arc::new(AtomicBool::new(false));
    let tasks = FakeTasks {
        ended: None,
        stopped: Arc::clone(&stopped),
    };
    let warnings = RefCell::new(Vec::new());
    let fleet = Fleet::gather(
        channel,
        n,
        Box::new(tasks),
        load,
        MIX,
        "constant-rate".into(),
        Duration::from_secs(10),
        &Cancel::new(),
        &|line| warnings.borrow_mut().push(line.to_owned()),
    )
    .unwrap();
    (fleet, stopped, warnings.into_inner())
}

/// Where a hand-made peer connects, and the channel's token.
fn reach(channel: &Channel) -> (SocketAddr, String) {
    (
        channel.local_addr().unwrap(),
        channel.token().as_str().to_owned(),
    )
}

/// A hand-made worker's connection, its hello said as `name` with the token.
fn hello_as((addr, token): &(SocketAddr, String), name: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    let hello = FromWorker::Hello {
        name: name.into(),
        node: "here".into(),
        cpus: 1,
        version: env!("CARGO_PKG_VERSION").into(),
        token: token.clone(),
    };
    writeln!(s, "{}", serde_json::to_string(&hello).unwrap()).unwrap();
    s
}

#[test]
fn two_workers_share_a_step_and_their_histograms_merge_exactly() {
    let target = serve(None, Answer::Ok(Duration::ZERO));
    let (fleet, stopped, threads) = fleet(2);
    let names: Vec<String> = fleet.workers().into_iter().map(|w| w.name).collect();
    assert_eq!(names, ["w.1", "w.2"]);
    let load = fleet
        .run_step(
            target,
            &step(4, 400, Duration::from_secs(1)),
            &Cancel::new(),
        )
        .unwrap();
    assert_eq!(load.partial, None);
    assert_eq!(load.workers.len(), 2);
    // The schedule is exact: 400 rps for 1 s is 400 slots, 200 each.
    let theirs: Vec<u64> = load
        .workers
        .iter()
        .map(|w| w.load.as_ref().unwrap().requests())
        .collect();
    assert_eq!(theirs, [200, 200]);
    assert_eq!(load.requests(), 400);
    let raw: u64 = load
        .kinds
        .iter()
        .map(|k| k.histograms.as_ref().unwrap().raw.len())
        .sum();
    // Exactly what the workers measured, merged: on a busy machine a slot the schedule could
    // not send in time is a failure, not a latency, on either side.
    let their_raw: u64 = load
        .workers
        .iter()
        .flat_map(|w| &w.load.as_ref().unwrap().kinds)
        .map(|k| k.histograms.as_ref().unwrap().raw.len())
        .sum();
    assert_eq!(
        raw, their_raw,
        "the merged histogram holds every request measured"
    );
    assert!(raw > 0);
    let late = load.late_histogram.as_ref().unwrap();
    let their_late: u64 = load
        .workers
        .iter()
        .map(|w| {
            w.load
                .as_ref()
                .unwrap()
                .late_histogram
                .as_ref()
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(late.len(), their_late);
    assert!(
        load.workers
            .iter()
            .all(|w| w.users == 2 && w.rate == Some(200))
    );
    assert!(load.workers.iter().all(|w| w.cpu_seconds.is_some()));
    assert!(
        fleet.describe().starts_with("2 load workers"),
        "{}",
        fleet.describe()
    );
    fleet.close();
    assert!(stopped.load(Ordering::SeqCst), "the tasks are stopped");
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn one_worker_sends_what_the_in_process_driver_sends() {
    let target = serve(None, Answer::Ok(Duration::ZERO));
    let (fleet, _, _) = fleet(1);
    let s = step(2, 300, Duration::from_secs(1));
    let through = fleet.run_step(target, &s, &Cancel::new()).unwrap();
    let here = ScenarioDriver::of(LoadMode::ConstantRate, MIX, 0)
        .unwrap()
        .run_step(target, &s, &Cancel::new())
        .unwrap();
    // The same requests, kind by kind, by the same schedule. What answered may differ on a
    // busy machine (a slot not sent by the step's end counts as status 0 on either side), so
    // only the answers both sides got are compared.
    let sent = |l: &StepLoad| {
        l.kinds
            .iter()
            .map(|k| (k.kind.clone(), k.requests))
            .collect::<Vec<_>>()
    };
    assert_eq!(sent(&through), sent(&here));
    for (theirs, ours) in through.kinds.iter().zip(&here.kinds) {
        let answered = |k: &crate::model::KindResult| {
            k.statuses
                .keys()
                .copied()
                .filter(|s| *s != 0)
                .collect::<Vec<u16>>()
        };
        if !answered(theirs).is_empty() && !answered(ours).is_empty() {
            assert_eq!(answered(theirs), answered(ours), "{}", theirs.kind);
        }
    }
    assert_eq!(through.requests(), 300);
    assert_eq!(through.coordinated_omission, here.coordinated_omission);
    assert!(through.generator_late_us.is_some());
}

#[test]
fn a_closed_loop_step_runs_goose_in_each_worker() {
    let target = serve(None, Answer::Ok(Duration::ZERO));
    let (fleet, _, _) = fleet_of(2, LoadMode::Closed);
    let mut s = step(4, 200, Duration::from_secs(1));
    s.rate = None;
    s.pause = (Duration::from_millis(5), Duration::from_millis(5));
    let load = fleet.run_step(target, &s, &Cancel::new()).unwrap();
    assert_eq!(load.partial, None);
    assert_eq!(load.coordinated_omission, crate::driver::GOOSE_CO);
    let theirs: u64 = load
        .workers
        .iter()
        .map(|w| w.load.as_ref().unwrap().requests())
        .sum();
    assert!(theirs > 0);
    assert_eq!(load.requests(), theirs);
    let answered: u64 = load
        .workers
        .iter()
        .map(|w| w.load.as_ref().unwrap().answered.unwrap())
        .sum();
    assert_eq!(load.answered, Some(answered));
    assert!(
        load.workers
            .iter()
            .all(|w| w.users == 2 && w.rate.is_none())
    );
}

#[test]
fn a_worker_lost_mid_step_makes_the_step_partial_and_is_named() {
    let target = serve(None, Answer::Ok(Duration::ZERO));
    let channel = channel();
    let at = reach(&channel);
    let good = real_worker(&channel, "w.1");
    // A worker that dies as soon as it is given its share.
    let doomed = thread::spawn(move || {
        let s = hello_as(&at, "w.2");
        let mut line = String::new();
        BufReader::new(s.try_clone().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains("\"step\""), "{line}");
    });
    let (fleet, _, _) = gather(&channel, 2, LoadMode::ConstantRate);
    let load = fleet
        .run_step(
            target,
            &step(2, 200, Duration::from_secs(1)),
            &Cancel::new(),
        )
        .unwrap();
    doomed.join().unwrap();
    let partial = load.partial.clone().expect("partial");
    assert!(
        partial.contains("1 of 2")
            && partial.contains("w.2: lost")
            && partial.contains("exited 137"),
        "{partial}"
    );
    // What the live worker measured is kept: its half of the schedule.
    assert_eq!(load.requests(), 100);
    let lost = &load.workers[1];
    assert!(lost.load.is_none() && lost.lost.is_some());
    // The fleet is short of a worker: later steps are refused, naming it.
    let next = fleet.run_step(
        target,
        &step(2, 200, Duration::from_secs(1)),
        &Cancel::new(),
    );
    assert!(next.unwrap_err().to_string().contains("w.2: lost"));
    fleet.close();
    good.join().unwrap();
}

#[test]
fn a_worker_that_never_reports_is_named_once_the_deadline_passes() {
    let target = serve(None, Answer::Ok(Duration::ZERO));
    let channel = channel();
    let at = reach(&channel);
    // A worker that takes its share and stays silent, its connection open.
    let (silent, hold) = std::sync::mpsc::channel::<()>();
    let mute = thread::spawn(move || {
        let _connection = hello_as(&at, "w.1");
        let _ = hold.recv();
    });
    let (mut fleet, _, _) = gather(&channel, 1, LoadMode::ConstantRate);
    fleet.report_grace = Duration::from_secs(1);
    let load = fleet
        .run_step(
            target,
            &step(1, 10, Duration::from_millis(200)),
            &Cancel::new(),
        )
        .unwrap();
    let partial = load.partial.unwrap();
    assert!(
        partial.contains("w.1: lost: no report within 1 s") && partial.contains("exited 137"),
        "{partial}"
    );
    drop(silent);
    mute.join().unwrap();
}

#[test]
fn a_cancel_reaches_the_workers_and_they_report_what_they_sent() {
    let target = serve(None, Answer::Ok(Duration::ZERO));
    let (fleet, _, _) = fleet(2);
    let cancel = Cancel::new();
    let later = cancel.clone();
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(800));
        later.cancel();
    });
    let load = fleet
        .run_step(target, &step(2, 100, Duration::from_secs(60)), &cancel)
        .unwrap();
    assert_eq!(load.partial, None, "both reported");
    assert!(load.requests() < 6000, "stopped early: {}", load.requests());
}

#[test]
fn a_task_that_ends_before_its_hello_fails_the_gathering_and_stops_the_rest() {
    let channel = channel();
    let stopped = Arc::new(AtomicBool::new(false));
    let tasks = FakeTasks {
        ended: Some("exited 1: cannot reach the coordinator".into()),
        stopped: Arc::clone(&stopped),
    };
    let err = Fleet::gather(
        &channel,
        2,
        Box::new(tasks),
        LoadMode::Closed,
        MIX,
        "goose".into(),
        Duration::from_secs(10),
        &Cancel::new(),
        &|_| {},
    )
    .err()
    .unwrap();
    assert!(
        err.contains("cannot reach the coordinator") && err.contains("fake-workers"),
        "{err}"
    );
    assert!(stopped.load(Ordering::SeqCst));
}

#[test]
fn the_merge_of_no_report_is_empty_and_partial() {
    let parts = vec![WorkerLoad {
        name: "w.1".into(),
        lost: Some("lost".into()),
        ..WorkerLoad::default()
    }];
    let load = merge(parts);
    assert_eq!(load.requests(), 0);
    assert!(load.partial.unwrap().contains("w.1: lost"));
}

/// A hello line as a peer would write it, with `version` and `token`.
fn hello_line(name: &str, version: &str, token: &str) -> String {
    serde_json::json!({
        "hello": {"name": name, "node": "here", "cpus": 1, "version": version, "token": token}
    })
    .to_string()
}

/// A made-up report of `requests` requests of 10 µs, its histograms of `bounds` (low, high,
/// significant digits) holding `value` once more.
fn made_up_report(requests: u64, bounds: (u64, u64, u8), value: u64) -> String {
    let mut r = Recorder::new(true);
    for _ in 0..requests {
        r.sent(0, 200, 10, Some(10), None);
    }
    let mut kinds = r.results();
    let mut h = hdrhistogram::Histogram::new_with_bounds(bounds.0, bounds.1, bounds.2).unwrap();
    h.record(value).unwrap();
    kinds[0].histograms = Some(crate::model::KindHistograms {
        raw: h.clone(),
        intended: Some(h),
    });
    let now = Utc::now();
    let load = StepLoad {
        kinds,
        window_start: now,
        window_end: now,
        ..StepLoad::default()
    };
    let report = FromWorker::Report(Box::new(wire::Report::of(load, None, 0)));
    serde_json::to_string(&report).unwrap()
}

/// Writes bytes without a newline to `s` until a write fails or stalls, or 64 MiB went;
/// how many went.
fn stream_without_newline(mut s: TcpStream) -> usize {
    s.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
    let chunk = [b'x'; 64 << 10];
    let mut sent = 0;
    while sent < 64 << 20 {
        match s.write(&chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => sent += n,
        }
    }
    sent
}

/// Bytes a dropped peer may have written: the coordinator's cap on a line plus what the two
/// sockets' buffers hold on loopback.
const DROPPED_WITHIN: usize = wire::MAX_LINE + (16 << 20);

#[test]
fn a_peer_without_the_token_takes_no_slot_and_its_figures_are_not_merged() {
    let target = serve(None, Answer::Ok(Duration::ZERO));
    let channel = channel();
    let addr = channel.local_addr().unwrap();
    // A local process that found the port: it says hello before the worker does, without the
    // run's token, and answers a share with a million made-up requests.
    let (said, heard) = std::sync::mpsc::channel();
    let (dropped, then) = std::sync::mpsc::channel();
    let intruder = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        writeln!(
            s,
            "{}",
            hello_line("w.9", env!("CARGO_PKG_VERSION"), &"0".repeat(32))
        )
        .unwrap();
        said.send(s.local_addr().unwrap()).unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            if line.contains("\"step\"") {
                let report = made_up_report(1_000_000, (1, record::HIGHEST_US, 3), 10);
                writeln!(s, "{report}").unwrap();
            }
            line.clear();
        }
        let _ = dropped.send(());
    });
    let intruder_at = heard.recv().unwrap();
    let worker = real_worker_after(&channel, "w.1", then);
    let (fleet, _, warnings) = gather(&channel, 1, LoadMode::ConstantRate);
    assert!(
        warnings.iter().any(|w| w.contains(&intruder_at.to_string())
            && w.contains("\"w.9\"")
            && w.contains("carries another token, not this run's")),
        "{warnings:?}"
    );
    let names: Vec<String> = fleet.workers().into_iter().map(|w| w.name).collect();
    assert_eq!(names, ["w.1"], "the peer without the token took no slot");
    let load = fleet
        .run_step(
            target,
            &step(2, 200, Duration::from_secs(1)),
            &Cancel::new(),
        )
        .unwrap();
    assert_eq!(load.partial, None);
    assert_eq!(load.requests(), 200, "the worker's figures alone");
    fleet.close();
    worker.join().unwrap();
    intruder.join().unwrap();
}

#[test]
fn a_hello_of_another_version_is_dropped_and_the_gather_goes_on() {
    let channel = channel();
    let (addr, token) = reach(&channel);
    // A peer that connects first and says nothing holds up no one.
    let _silent = TcpStream::connect(addr).unwrap();
    let (dropped, then) = std::sync::mpsc::channel();
    let old = thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        writeln!(s, "{}", hello_line("w.1", "0.0.0-older", &token)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        // The coordinator closes its connection: nothing comes, and no error either.
        let mut line = String::new();
        let read = BufReader::new(s).read_line(&mut line).map(|n| (n, line));
        let _ = dropped.send(());
        read
    });
    let worker = real_worker_after(&channel, "w.1", then);
    let started = Instant::now();
    let (fleet, _, warnings) = gather(&channel, 1, LoadMode::ConstantRate);
    assert!(started.elapsed() < HELLO_WITHIN, "{:?}", started.elapsed());
    assert_eq!(fleet.workers().len(), 1);
    assert!(
        warnings.len() == 1 && warnings[0].contains("runs harness 0.0.0-older"),
        "{warnings:?}"
    );
    assert_eq!(
        old.join().unwrap().unwrap().0,
        0,
        "the old worker was let go"
    );
    fleet.close();
    worker.join().unwrap();
}

#[test]
fn a_peer_streaming_without_a_newline_is_dropped_with_bounded_memory() {
    let target = serve(None, Answer::Ok(Duration::ZERO));
    let channel = channel();
    let at = reach(&channel);
    let addr = at.0;
    // One streams instead of saying hello; a worker, once it has its share.
    let before_hello =
        thread::spawn(move || stream_without_newline(TcpStream::connect(addr).unwrap()));
    thread::sleep(Duration::from_millis(200));
    let in_step = thread::spawn(move || {
        let s = hello_as(&at, "w.1");
        let mut line = String::new();
        BufReader::new(s.try_clone().unwrap())
            .read_line(&mut line)
            .unwrap();
        stream_without_newline(s)
    });
    let (mut fleet, _, _) = gather(&channel, 1, LoadMode::ConstantRate);
    fleet.report_grace = Duration::from_secs(1);
    let load = fleet
        .run_step(
            target,
            &step(1, 10, Duration::from_millis(200)),
            &Cancel::new(),
        )
        .unwrap();
    let partial = load.partial.unwrap();
    assert!(
        partial.contains("w.1: lost: it sent a line longer than"),
        "{partial}"
    );
    let (sent_before, sent_in_step) = (before_hello.join().unwrap(), in_step.join().unwrap());
    assert!(
        sent_before < DROPPED_WITHIN && sent_in_step < DROPPED_WITHIN,
        "dropped after {sent_before} and {sent_in_step} bytes"
    );
}

#[test]
fn a_report_with_foreign_histogram_bounds_makes_the_step_partial_and_names_the_worker() {
    let target = serve(None, Answer::Ok(Duration::ZERO));
    let channel = channel();
    let at = reach(&channel);
    let good = real_worker(&channel, "w.1");
    // Its histograms reach 2^40 µs at 2 digits, a value beyond the recorder's hour among them.
    let odd = thread::spawn(move || {
        let mut s = hello_as(&at, "w.2");
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert!(line.contains("\"step\""), "{line}");
        let report = made_up_report(100, (1, 1 << 40, 2), 10 * record::HIGHEST_US);
        writeln!(s, "{report}").unwrap();
        let _ = r.read_line(&mut line);
    });
    let (fleet, _, _) = gather(&channel, 2, LoadMode::ConstantRate);
    let load = fleet
        .run_step(
            target,
            &step(2, 200, Duration::from_secs(1)),
            &Cancel::new(),
        )
        .unwrap();
    let partial = load.partial.clone().expect("partial");
    assert!(
        partial.contains("1 of 2")
            && partial.contains("w.2: its report does not read")
            && partial.contains("bounds"),
        "{partial}"
    );
    assert_eq!(load.requests(), 100, "w.1's half alone");
    fleet.close();
    good.join().unwrap();
    odd.join().unwrap();
}
