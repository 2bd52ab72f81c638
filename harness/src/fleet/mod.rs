//! Load from several machines: the harness's drivers run in load workers (`harness worker`,
//! the harness's own binary in a `FROM scratch` image, as a replicated swarm service), and a
//! coordinator here shares each step out between them, starts them at one instant, collects
//! what each measured, and merges it exactly (HdrHistograms add bucket by bucket; percentiles
//! do not average).
//!
//! The channel is a TCP port the coordinator listens on (on the manager): every worker opens
//! one connection, says hello, and gets its shares and sends its reports over it. A slow
//! worker is waited for until the step's deadline; a lost one is seen at once (its connection
//! closes when its process dies) and named with its task's state. The coordinator is a
//! [`LoadDriver`], so the run loop sends steps through it as through the in-process drivers.
//!
//! Any process that reaches the port can connect, so nothing a peer sends is taken on trust:
//! a hello must carry the run's token (the worker service's environment holds it) and this
//! harness's version, and is read on a thread of its own within [`HELLO_WITHIN`]; a line may
//! not pass [`MAX_LINE`]; a histogram's header is checked before it is decoded. A connection
//! refused before its hello is dropped with a warning naming its address and why, and the
//! worker's place stays open; a worker whose line runs past the cap is lost, and one whose
//! report does not read leaves the step partial, named.

pub mod wire;
pub mod worker;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::backend::LoadWorkers;
use crate::cancel::Cancel;
use crate::driver::record::{self, Recorder};
use crate::driver::{LoadDriver, LoadError};
use crate::model::{StepLoad, WorkerInfo, WorkerLoad};
use crate::scenario::{IdMix, LoadMode, Step};
use wire::{Assignment, FromWorker, MAX_HELLO, MAX_LINE, ToWorker, Token};

/// How long after the assignments are sent the workers start, plus [`LEAD_PER_WORKER`] each:
/// time for every share to arrive and each worker's connections to open.
const LEAD: Duration = Duration::from_millis(300);
/// See [`LEAD`].
const LEAD_PER_WORKER: Duration = Duration::from_millis(20);
/// How long after a step's planned end a worker's report may take (its driver stopping, its
/// histograms serialised and sent) before the worker counts as lost.
const REPORT_GRACE: Duration = Duration::from_secs(15);
/// How long after a cancel the workers' reports are waited for.
const CANCEL_GRACE: Duration = Duration::from_secs(5);
/// How often a wait looks at the cancel token and the workers' tasks.
const POLL: Duration = Duration::from_millis(200);
/// How long a connection may take to say hello: a worker says it as soon as it connects.
const HELLO_WITHIN: Duration = Duration::from_secs(5);
/// Connections waiting to say hello at once (each on its own thread, for at most
/// [`HELLO_WITHIN`]); more are dropped, so a flood of them is not as many threads.
const MAX_WAITING: usize = 64;

/// The coordinator's end of the channel: the port the workers connect to, and the run's
/// token, which the backend hands to the workers and every hello must carry.
pub struct Channel {
    listener: TcpListener,
    token: Token,
}

impl Channel {
    /// Listens on `addr`, with a new token.
    pub fn bind(addr: SocketAddr) -> std::io::Result<Self> {
        Ok(Self {
            listener: TcpListener::bind(addr)?,
            token: Token::random(),
        })
    }

    /// Where it listens (the port chosen, when `addr` asked for any).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The token its workers are given.
    pub fn token(&self) -> &Token {
        &self.token
    }
}

/// One connected worker.
struct Connection {
    info: WorkerInfo,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// What has arrived of the line being read.
    partial: Vec<u8>,
}

/// What a wait for a worker's next line came to.
enum Got {
    Line(Vec<u8>),
    Nothing,
    Closed(String),
}

impl Connection {
    fn send(&mut self, message: &ToWorker) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(message).map_err(std::io::Error::other)?;
        line.push(b'\n');
        self.writer.write_all(&line)?;
        self.writer.flush()
    }

    /// The next line if it arrives within `wait`; a line longer than `cap` bytes closes the
    /// connection, so what a peer sends without a newline is held only up to `cap`.
    fn poll(&mut self, wait: Duration, cap: usize) -> Got {
        if let Err(e) = self
            .reader
            .get_ref()
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
        {
            return Got::Closed(e.to_string());
        }
        // One byte past the cap tells a line that is too long.
        let room = (cap + 1).saturating_sub(self.partial.len()) as u64;
        match (&mut self.reader)
            .take(room)
            .read_until(b'\n', &mut self.partial)
        {
            Ok(_) if self.partial.ends_with(b"\n") => Got::Line(std::mem::take(&mut self.partial)),
            Ok(_) if self.partial.len() > cap => {
                self.partial = Vec::new();
                let _ = self.writer.shutdown(Shutdown::Both);
                Got::Closed(format!(
                    "it sent a line longer than {cap} bytes, more than any message takes; its \
                     connection is dropped"
                ))
            }
            Ok(0) => Got::Closed("its connection closed".into()),
            Ok(_) => Got::Nothing,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Got::Nothing
            }
            Err(e) => Got::Closed(format!("its connection failed: {e}")),
        }
    }
}

/// The coordinator of a run's load workers.
pub struct Fleet {
    connections: Mutex<Vec<Connection>>,
    tasks: Mutex<Box<dyn LoadWorkers>>,
    /// Set once a worker is lost: the rest would not send the load asked for.
    lost: Mutex<Option<String>>,
    load: LoadMode,
    ids: IdMix,
    /// What each worker runs, for `describe`.
    driver: String,
    coordinator: SocketAddr,
    stopped: Mutex<Option<String>>,
    /// How long after a step's planned end a report may take ([`REPORT_GRACE`]).
    report_grace: Duration,
}

impl Fleet {
    /// Waits on `channel` until `tasks`' `expected` workers have said hello (or one of
    /// their tasks ended, or `within` passed, or `cancel`); the fleet sends steps of `load`
    /// with `ids`, each worker running `driver`. A connection whose hello is not a worker's of
    /// this run is dropped and told to `warn`, naming its address and why; its place stays
    /// open. On an error the workers are stopped.
    #[allow(clippy::too_many_arguments)]
    pub fn gather(
        channel: &Channel,
        expected: usize,
        mut tasks: Box<dyn LoadWorkers>,
        load: LoadMode,
        ids: IdMix,
        driver: String,
        within: Duration,
        cancel: &Cancel,
        warn: &dyn Fn(&str),
    ) -> Result<Self, String> {
        let coordinator = channel.local_addr().map_err(|e| e.to_string())?;
        match hellos(channel, expected, tasks.as_ref(), within, cancel, warn) {
            Ok(connections) => Ok(Self {
                connections: Mutex::new(connections),
                tasks: Mutex::new(tasks),
                lost: Mutex::new(None),
                load,
                ids,
                driver,
                coordinator,
                stopped: Mutex::new(None),
                report_grace: REPORT_GRACE,
            }),
            Err(why) => {
                tasks.stop();
                Err(why)
            }
        }
    }

    /// The workers, in slot order.
    pub fn workers(&self) -> Vec<WorkerInfo> {
        lock(&self.connections)
            .iter()
            .map(|c| c.info.clone())
            .collect()
    }

    /// Where the workers report.
    pub fn coordinator(&self) -> SocketAddr {
        self.coordinator
    }

    /// Their service and where it runs.
    pub fn service(&self) -> (String, String) {
        let tasks = lock(&self.tasks);
        (tasks.service(), tasks.placement())
    }

    /// Tells every worker it is done and removes them; says how they ended (once).
    pub fn close(&self) -> String {
        let mut stopped = lock(&self.stopped);
        if let Some(done) = stopped.as_ref() {
            return done.clone();
        }
        for c in lock(&self.connections).iter_mut() {
            let _ = c.send(&ToWorker::Done);
        }
        let ended = lock(&self.tasks).stop();
        lock(&self.connections).clear();
        let done = format!("removed the load workers' service ({ended})");
        *stopped = Some(done.clone());
        done
    }

    /// How a worker was lost in this step (`lost: its connection closed; its task: ...`): how
    /// it was seen, and its task's state.
    fn lost_worker(&self, name: &str, how: &str) -> String {
        match lock(&self.tasks).why_lost(name) {
            Some(task) => format!("lost: {how}; its task: {task}"),
            None => format!("lost: {how}"),
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.close();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Accepts connections until `expected` workers have said hello, in slot order. Each hello
/// is read on a thread of its own, so a peer that connects and says nothing holds up no one.
fn hellos(
    channel: &Channel,
    expected: usize,
    tasks: &dyn LoadWorkers,
    within: Duration,
    cancel: &Cancel,
    warn: &dyn Fn(&str),
) -> Result<Vec<Connection>, String> {
    let listener = &channel.listener;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot wait for the load workers: {e}"))?;
    let deadline = Instant::now() + within;
    let mut connections: Vec<Connection> = Vec::new();
    let (said, heard) = mpsc::channel::<(SocketAddr, Result<Connection, String>)>();
    let mut waiting = 0usize;
    // What was dropped, for the error should the workers not all come.
    let mut refused: Vec<String> = Vec::new();
    let refuse = |refused: &mut Vec<String>, peer: SocketAddr, why: &str| {
        let line = format!("dropped the connection from {peer}: {why}");
        warn(&format!("load workers: {line}"));
        refused.push(line);
    };
    let mut last_look = Instant::now();
    while connections.len() < expected {
        if cancel.is_cancelled() {
            return Err("interrupted while the load workers started".into());
        }
        accept(channel, &said, &mut waiting, &mut |peer, why| {
            refuse(&mut refused, peer, why);
        })?;
        while let Ok((peer, got)) = heard.try_recv() {
            waiting -= 1;
            match got {
                Ok(c) if connections.iter().any(|k| k.info.name == c.info.name) => refuse(
                    &mut refused,
                    peer,
                    &format!("a worker named {:?} has said hello already", c.info.name),
                ),
                Ok(c) => connections.push(c),
                Err(why) => refuse(&mut refused, peer, &why),
            }
        }
        if connections.len() == expected {
            break;
        }
        let and_refused = || {
            if refused.is_empty() {
                String::new()
            } else {
                format!(" ({})", refused.join("; "))
            }
        };
        if last_look.elapsed() >= POLL {
            last_look = Instant::now();
            if let Some(ended) = tasks.ended() {
                return Err(format!(
                    "a load worker of {} ended before it reported: {ended}{}",
                    tasks.service(),
                    and_refused()
                ));
            }
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{} of {expected} load workers of {} reported within {} s to {}; the others' \
                 tasks are still pending (no node that may run them, or an image it cannot \
                 get): `docker service ps --no-trunc {}` says why{}",
                connections.len(),
                tasks.service(),
                within.as_secs(),
                listener
                    .local_addr()
                    .map_or_else(|e| e.to_string(), |a| a.to_string()),
                tasks.service(),
                and_refused()
            ));
        }
        thread::sleep(Duration::from_millis(20));
    }
    connections.sort_by_key(|c| slot_order(&c.info.name));
    Ok(connections)
}

/// Accepts every connection waiting on the channel's listener, each one's hello read on a
/// thread of its own that sends it to `said`; `waiting` counts those not heard yet. A
/// connection dropped (too many already waiting, or no thread to read it) is handed to
/// `dropped` with why.
fn accept(
    channel: &Channel,
    said: &mpsc::Sender<(SocketAddr, Result<Connection, String>)>,
    waiting: &mut usize,
    dropped: &mut dyn FnMut(SocketAddr, &str),
) -> Result<(), String> {
    loop {
        match channel.listener.accept() {
            Ok((_, peer)) if *waiting >= MAX_WAITING => dropped(
                peer,
                &format!("{MAX_WAITING} connections are already waiting to say hello"),
            ),
            Ok((stream, peer)) => {
                let (said, token) = (said.clone(), channel.token.clone());
                let reader = thread::Builder::new().spawn(move || {
                    // Gathered already: the connection is dropped with the message.
                    let _ = said.send((peer, hello(stream, &token)));
                });
                match reader {
                    Ok(_) => *waiting += 1,
                    Err(e) => dropped(peer, &format!("no thread to read it: {e}")),
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(format!("cannot accept a load worker's connection: {e}")),
        }
    }
}

/// A connection's hello, if it is a worker's of this run (it carries `token` and runs this
/// harness); else why not, and the connection is dropped.
fn hello(stream: TcpStream, token: &Token) -> Result<Connection, String> {
    stream
        .set_nonblocking(false)
        .map_err(|e| format!("cannot read from it: {e}"))?;
    let _ = stream.set_nodelay(true);
    let writer = stream
        .try_clone()
        .map_err(|e| format!("cannot write to it: {e}"))?;
    let mut c = Connection {
        info: WorkerInfo::default(),
        reader: BufReader::new(stream),
        writer,
        partial: Vec::new(),
    };
    let deadline = Instant::now() + HELLO_WITHIN;
    let line = loop {
        match c.poll(POLL, MAX_HELLO) {
            Got::Line(line) => break line,
            Got::Nothing if Instant::now() < deadline => {}
            Got::Nothing => {
                return Err(format!("no hello within {} s", HELLO_WITHIN.as_secs()));
            }
            Got::Closed(how) => return Err(format!("before a hello, {how}")),
        }
    };
    let ours = env!("CARGO_PKG_VERSION");
    match serde_json::from_slice::<FromWorker>(&line) {
        Ok(FromWorker::Hello {
            name,
            node,
            cpus,
            version,
            token: theirs,
        }) => {
            if !token.admits(&theirs) {
                let which = if theirs.is_empty() { "no" } else { "another" };
                let older = if version == ours {
                    String::new()
                } else {
                    format!(", and runs harness {version:?}")
                };
                return Err(format!(
                    "its hello as {name:?} on {node:?} carries {which} token, not this run's{older}"
                ));
            }
            if version != ours {
                return Err(format!(
                    "load worker {name} runs harness {version}, this harness is {ours}: rebuild \
                     its image (the run builds it from this binary; a registry may hold an \
                     older one)"
                ));
            }
            c.info = WorkerInfo { name, node, cpus };
            Ok(c)
        }
        Ok(_) => Err("its first line is not a hello".into()),
        // Where it does not read, not what it says: the peer's bytes stay out of the log.
        Err(e) => Err(format!(
            "its first line is not a hello ({:?} error at column {})",
            e.classify(),
            e.column()
        )),
    }
}

/// `svc.10` after `svc.9`.
fn slot_order(name: &str) -> (u64, String) {
    let slot = name
        .rsplit_once('.')
        .and_then(|(_, s)| s.parse().ok())
        .unwrap_or(u64::MAX);
    (slot, name.to_owned())
}

impl LoadDriver for Fleet {
    fn describe(&self) -> String {
        format!(
            "{} load workers (harness worker, reporting to {}), each: {}",
            lock(&self.connections).len(),
            self.coordinator,
            self.driver
        )
    }

    fn run_step(
        &self,
        addr: SocketAddr,
        step: &Step,
        cancel: &Cancel,
    ) -> Result<StepLoad, LoadError> {
        if let Some(lost) = lock(&self.lost).as_ref() {
            return Err(LoadError::Workers(format!(
                "{lost} (in an earlier step): the others alone would not send the load asked for"
            )));
        }
        let mut connections = lock(&self.connections);
        let shares = wire::split(step.users, step.rate, connections.len());
        let lead = LEAD + LEAD_PER_WORKER * connections.len() as u32;
        let start = Utc::now().timestamp_micros() + lead.as_micros() as i64;
        let mut parts: Vec<WorkerLoad> = Vec::new();
        let mut waiting: Vec<usize> = Vec::new();
        for (i, (c, &(users, rate))) in connections.iter_mut().zip(&shares).enumerate() {
            let mut part = WorkerLoad {
                name: c.info.name.clone(),
                node: c.info.node.clone(),
                cpus: c.info.cpus,
                users,
                rate,
                ..WorkerLoad::default()
            };
            // Fewer users (or a lower rate) than workers: this one sits the step out.
            if users > 0 && rate != Some(0) {
                let share = Assignment {
                    step: step.name.clone(),
                    target: addr,
                    users,
                    rate,
                    ramp_ms: step.ramp.as_millis() as u64,
                    hold_ms: step.hold.as_millis() as u64,
                    pause_ms: (
                        step.pause.0.as_millis() as u64,
                        step.pause.1.as_millis() as u64,
                    ),
                    load: self.load,
                    ids: self.ids,
                    start_unix_us: start + wire::offset_us(i, step.rate),
                };
                match c.send(&ToWorker::Step(share)) {
                    Ok(()) => waiting.push(i),
                    Err(e) => part.lost = Some(format!("its share could not be sent: {e}")),
                }
            }
            parts.push(part);
        }
        let mut deadline = Instant::now() + lead + step.ramp + step.hold + self.report_grace;
        let mut forwarded = false;
        for i in waiting {
            let got = loop {
                if cancel.is_cancelled() && !forwarded {
                    forwarded = true;
                    for c in connections.iter_mut() {
                        let _ = c.send(&ToWorker::Cancel);
                    }
                    deadline = deadline.min(Instant::now() + CANCEL_GRACE);
                }
                match connections[i].poll(POLL, MAX_LINE) {
                    Got::Nothing if Instant::now() < deadline => {}
                    Got::Nothing => {
                        break Err(format!(
                            "no report within {} s of the step's planned end",
                            self.report_grace.as_secs()
                        ));
                    }
                    Got::Closed(how) => break Err(how),
                    Got::Line(line) => break Ok(line),
                }
            };
            let part = &mut parts[i];
            match got.map(|line| serde_json::from_slice::<FromWorker>(&line)) {
                Ok(Ok(FromWorker::Report(report))) => {
                    part.cpu_seconds = report.cpu_seconds;
                    part.start_late_us = report.start_late_us;
                    match report.into_load() {
                        Ok(load) => part.load = Some(load),
                        Err(e) => part.lost = Some(format!("its report does not read: {e}")),
                    }
                }
                Ok(Ok(FromWorker::Failed { why })) => {
                    part.lost = Some(format!("its load generator failed: {why}"));
                }
                Ok(Ok(FromWorker::Hello { .. })) => {
                    part.lost = Some("it said hello again instead of reporting".into());
                }
                Ok(Err(e)) => part.lost = Some(format!("its report does not read: {e}")),
                Err(how) => {
                    let why = self.lost_worker(&part.name, &how);
                    *lock(&self.lost) = Some(format!("{}: {why}", part.name));
                    part.lost = Some(why);
                }
            }
        }
        drop(connections);
        Ok(merge(parts))
    }
}

/// The step as one driver would have measured it: every worker's recorder merged, windows
/// from the first start to the last end, lateness histograms added; partial, naming each
/// missing part, when one is.
pub fn merge(mut parts: Vec<WorkerLoad>) -> StepLoad {
    let mut recorder = Recorder::new(false);
    let mut late: Option<hdrhistogram::Histogram<u64>> = None;
    let mut window: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    let mut answered: Option<u64> = None;
    let mut coordinated_omission = String::new();
    for part in &mut parts {
        let Some(load) = part.load.as_ref() else {
            continue;
        };
        match Recorder::from_results(&load.kinds) {
            Ok(r) => recorder.merge(&r),
            Err(e) => {
                part.lost = Some(format!("its report does not merge: {e}"));
                part.load = None;
                continue;
            }
        }
        if let Some(h) = &load.late_histogram {
            match late.as_mut() {
                Some(all) => {
                    let _ = all.add(h);
                }
                None => late = Some(h.clone()),
            }
        }
        window = Some(match window {
            None => (load.window_start, load.window_end),
            Some((a, b)) => (a.min(load.window_start), b.max(load.window_end)),
        });
        if let Some(n) = load.answered {
            answered = Some(answered.unwrap_or(0) + n);
        }
        if coordinated_omission.is_empty() {
            coordinated_omission = load.coordinated_omission.clone();
        }
    }
    let missing: Vec<String> = parts
        .iter()
        .filter_map(|p| p.lost.as_ref().map(|why| format!("{}: {why}", p.name)))
        .collect();
    let now = Utc::now();
    let (window_start, window_end) = window.unwrap_or((now, now));
    StepLoad {
        kinds: recorder.results(),
        window_start,
        window_end,
        coordinated_omission,
        generator_late_us: late.as_ref().map(record::lateness),
        answered,
        late_histogram: late,
        partial: (!missing.is_empty()).then(|| {
            format!(
                "partial: {} of {} load workers' figures missing ({})",
                missing.len(),
                parts.len(),
                missing.join("; ")
            )
        }),
        workers: parts,
    }
}

#[cfg(test)]
mod tests;
