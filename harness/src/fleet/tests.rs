//! The coordinator with real workers (`worker::serve` on threads of the test, over TCP on
//! 127.0.0.1) against the drivers' test server; the backend's side is a fake.

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
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let threads = (1..=n)
        .map(|i| {
            thread::spawn(move || worker::serve(addr, &format!("w.{i}"), "here", &[]).unwrap())
        })
        .collect();
    let (fleet, stopped) = gather(&listener, n, load);
    (fleet, stopped, threads)
}

/// The coordinator, once `n` workers said hello on `listener`; and whether it stopped them.
fn gather(listener: &TcpListener, n: usize, load: LoadMode) -> (Fleet, Arc<AtomicBool>) {
    let stopped = Arc::new(AtomicBool::new(false));
    let tasks = FakeTasks {
        ended: None,
        stopped: Arc::clone(&stopped),
    };
    let fleet = Fleet::gather(
        listener,
        n,
        Box::new(tasks),
        load,
        MIX,
        "constant-rate".into(),
        Duration::from_secs(10),
        &Cancel::new(),
    )
    .unwrap();
    (fleet, stopped)
}

/// A hand-made worker's connection, its hello said as `name`.
fn hello_as(addr: SocketAddr, name: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    let hello = FromWorker::Hello {
        name: name.into(),
        node: "here".into(),
        cpus: 1,
        version: env!("CARGO_PKG_VERSION").into(),
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
    assert_eq!(raw, 400, "the merged histogram holds every request");
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
    let statuses = |l: &StepLoad| {
        l.kinds
            .iter()
            .map(|k| k.statuses.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(statuses(&through), statuses(&here));
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
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let good = thread::spawn(move || worker::serve(addr, "w.1", "here", &[]).unwrap());
    // A worker that dies as soon as it is given its share.
    let doomed = thread::spawn(move || {
        let s = hello_as(addr, "w.2");
        let mut line = String::new();
        BufReader::new(s.try_clone().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains("\"step\""), "{line}");
    });
    let (fleet, _) = gather(&listener, 2, LoadMode::ConstantRate);
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
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // A worker that takes its share and stays silent, its connection open.
    let (silent, hold) = std::sync::mpsc::channel::<()>();
    let mute = thread::spawn(move || {
        let _connection = hello_as(addr, "w.1");
        let _ = hold.recv();
    });
    let (mut fleet, _) = gather(&listener, 1, LoadMode::ConstantRate);
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
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let stopped = Arc::new(AtomicBool::new(false));
    let tasks = FakeTasks {
        ended: Some("exited 1: cannot reach the coordinator".into()),
        stopped: Arc::clone(&stopped),
    };
    let err = Fleet::gather(
        &listener,
        2,
        Box::new(tasks),
        LoadMode::Closed,
        MIX,
        "goose".into(),
        Duration::from_secs(10),
        &Cancel::new(),
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
