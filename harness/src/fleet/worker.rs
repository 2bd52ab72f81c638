//! `harness worker`: one load worker. It connects to the coordinator, says who it is, and for
//! each share of a step it is given waits for the step's start instant, sends the share with
//! the harness's own drivers (Goose, or the constant-rate driver) against the target, and
//! answers with what it measured. It ends when the coordinator says `done` or its connection
//! closes; a `cancel` stops the share it is sending.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use super::wire::{Assignment, FromWorker, Report, ToWorker};
use crate::cancel::Cancel;
use crate::driver::{LoadDriver, ScenarioDriver, generator_cpus};
use crate::scenario::{IdMix, LoadMode};

/// The environment a worker reads: the coordinator's address.
pub const COORDINATOR_VAR: &str = "FOOTPRINT_COORDINATOR";
/// Its name (swarm fills it in from the task: `<service>.<slot>`).
pub const NAME_VAR: &str = "FOOTPRINT_WORKER";
/// Its node (swarm fills it in from the node's host name).
pub const NODE_VAR: &str = "FOOTPRINT_NODE";
/// The CPUs it pins its load generator to, comma-separated (unset: unpinned).
pub const CPUS_VAR: &str = "FOOTPRINT_WORKER_CPUS";
/// The run's token, which its hello must carry ([`super::wire::Token`]).
pub const TOKEN_VAR: &str = "FOOTPRINT_TOKEN";

/// How long a worker keeps trying to reach its coordinator.
const CONNECT_FOR: Duration = Duration::from_secs(30);

/// Runs one worker until the coordinator is done with it, its hello carrying `token`, its load
/// generator on `cpus` (its threads pinned there, one runtime thread per CPU) or, empty, on
/// every CPU it may use; an error says what failed.
pub fn serve(
    coordinator: SocketAddr,
    token: &str,
    name: &str,
    node: &str,
    cpus: &[usize],
) -> Result<(), String> {
    if !cpus.is_empty() {
        // Before any thread is made: the runtime's and the clock's inherit it.
        crate::placement::pin_current_thread(cpus)
            .map_err(|e| format!("cannot pin to CPUs {cpus:?}: {e}"))?;
    }
    let stream = connect(coordinator)?;
    let _ = stream.set_nodelay(true);
    let mut writer = stream
        .try_clone()
        .map_err(|e| format!("cannot use the connection to {coordinator}: {e}"))?;
    let threads = cpus.len();
    let cpus = generator_cpus(threads);
    send(
        &mut writer,
        &FromWorker::Hello {
            name: name.to_owned(),
            node: node.to_owned(),
            cpus,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            token: token.to_owned(),
        },
    )?;
    // The coordinator's lines are read apart, so a `cancel` reaches the share being sent.
    let current: Arc<Mutex<Cancel>> = Arc::new(Mutex::new(Cancel::new()));
    let (tx, rx) = mpsc::channel::<Assignment>();
    let reader = {
        let current = Arc::clone(&current);
        thread::spawn(move || {
            let lines = BufReader::new(stream).lines();
            for line in lines {
                let Ok(line) = line else { break };
                match serde_json::from_str::<ToWorker>(&line) {
                    Ok(ToWorker::Step(share)) => {
                        *current.lock().unwrap_or_else(|e| e.into_inner()) = Cancel::new();
                        if tx.send(share).is_err() {
                            break;
                        }
                    }
                    Ok(ToWorker::Cancel) => {
                        current.lock().unwrap_or_else(|e| e.into_inner()).cancel();
                    }
                    Ok(ToWorker::Done) => break,
                    Err(e) => eprintln!("worker: a line from the coordinator does not read: {e}"),
                }
            }
            // Done, or the coordinator is gone: the share being sent stops.
            current.lock().unwrap_or_else(|e| e.into_inner()).cancel();
        })
    };
    let mut driver: Option<((LoadMode, IdMix), ScenarioDriver)> = None;
    for share in rx {
        let cancel = current.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let key = (share.load, share.ids);
        if driver.as_ref().is_none_or(|(k, _)| *k != key) {
            match ScenarioDriver::of(share.load, share.ids, threads) {
                Ok(d) => driver = Some((key, d)),
                Err(e) => {
                    send(&mut writer, &FromWorker::Failed { why: e.to_string() })?;
                    continue;
                }
            }
        }
        let (_, d) = driver.as_ref().expect("made above");
        let answer = run_share(d, &share, &cancel);
        send(&mut writer, &answer)?;
    }
    let _ = reader.join();
    Ok(())
}

/// Waits for the share's start instant, sends it, and says what it measured.
fn run_share(driver: &dyn LoadDriver, share: &Assignment, cancel: &Cancel) -> FromWorker {
    let wait_us = share.start_unix_us - chrono::Utc::now().timestamp_micros();
    if wait_us > 0 && !cancel.sleep(Duration::from_micros(wait_us as u64)) {
        return FromWorker::Failed {
            why: "cancelled before the step started".into(),
        };
    }
    let start_late_us = (chrono::Utc::now().timestamp_micros() - share.start_unix_us).max(0) as u64;
    let before = driver.cpu_seconds();
    let step = share.step();
    match driver.run_step(share.target, &step, cancel) {
        Ok(load) => {
            let cpu = driver
                .cpu_seconds()
                .zip(before)
                .map(|(after, before)| after - before);
            FromWorker::Report(Box::new(Report::of(load, cpu, start_late_us)))
        }
        Err(e) => FromWorker::Failed { why: e.to_string() },
    }
}

fn connect(coordinator: SocketAddr) -> Result<TcpStream, String> {
    let deadline = Instant::now() + CONNECT_FOR;
    loop {
        match TcpStream::connect_timeout(&coordinator, Duration::from_secs(2)) {
            Ok(stream) => return Ok(stream),
            Err(e) if Instant::now() >= deadline => {
                return Err(format!(
                    "cannot reach the coordinator at {coordinator} within {} s: {e}",
                    CONNECT_FOR.as_secs()
                ));
            }
            Err(_) => thread::sleep(Duration::from_millis(200)),
        }
    }
}

fn send(writer: &mut TcpStream, message: &FromWorker) -> Result<(), String> {
    let mut line = serde_json::to_string(message).map_err(|e| e.to_string())?;
    line.push('\n');
    writer
        .write_all(line.as_bytes())
        .and_then(|()| writer.flush())
        .map_err(|e| format!("cannot write to the coordinator: {e}"))
}
