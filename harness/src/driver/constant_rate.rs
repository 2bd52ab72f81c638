//! The constant-rate (open-loop) load driver: requests sent on a fixed schedule, latency
//! counted from when each request was due as well as from when it was sent.
//!
//! A closed-loop driver (Goose's users) sends the next request only when the previous one is
//! answered, so a server that stalls for a second is asked less during that second and the
//! slow responses it would have given are never measured: coordinated omission (Gil Tene,
//! "How NOT to Measure Latency", 2015). Here, as in wrk2, each connection has a schedule
//! (`rate / connections` requests per second, the connections offset evenly), a request whose
//! slot has passed is sent at once, and its latency is counted twice: from the actual send
//! (*raw*) and from its slot (*intended*, corrected). The two agree while the service keeps
//! up; they part when it does not (or when the generator itself falls behind its clock).
//!
//! The clock ([`Clock`]) is a thread of its own: a connection whose next slot lies ahead
//! waits for it, and the clock wakes it when it falls due (a timed wait at 1 ns timer slack,
//! not the runtime's millisecond timer). A connection whose next slot has already passed when
//! its last answer arrives sends at once without the clock, so under load the clock has
//! nothing to do and the generator's CPU goes to requests.
//!
//! The generator's own lateness is measured: the clock records, for every connection it
//! wakes, how late it did (`now - due`), and the step records the median, 99th percentile and
//! maximum (`generator_late_us`); a step whose clock was late is flagged (`generator_late`,
//! see [`crate::aggregate::GENERATOR_LATE_US`]), since that much of its intended latencies is
//! the generator's, not the service's.
//!
//! Latency here is from the request's first byte written to its response's last byte read
//! (the whole body), as in the Goose driver (both send through [`super::http`]). Each
//! connection speaks plain HTTP/1.1 with keep-alive over its own socket, reconnecting when the
//! service closes it (Tomcat does after a `400`): the reconnect is timed apart (`reconnects`,
//! `connect_mean_us`, `connect_max_us` per kind) and the request's raw latency starts once the
//! connection is made; its intended latency still counts from its slot, reconnect included.
//! A step ends by itself: nothing is
//! scheduled after its hold, and a request still unanswered [`REQUEST_TIMEOUT`] after it was
//! sent counts as failed (status 0).
//!
//! The backlog: a connection sends one request at a time, so while the service is slow the
//! slots that fall due wait for it. Those still waiting when the hold ends are never sent,
//! and are not dropped: each counts as a failed request (status 0, and in the kind's
//! `not_sent`) and as an intended latency measured from its slot to the end of the hold (a
//! lower bound of what it would have waited). They have no raw latency. Without them a
//! service that falls behind would lose its worst figures exactly when it is overloaded. A
//! step interrupted by Ctrl-C does not count its unsent slots: its figures are partial anyway.
//!
//! Memory: a connection's slots are computed one at a time ([`Slots`]) and each outcome goes
//! straight into the connection's [`Recorder`] (histograms, counters and statuses), so the
//! driver holds the same whatever the step's length: a day at 1000 rps costs what a minute
//! does, about a recorder per connection.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use tokio::sync::Notify;

use super::http::Connection;
use super::record::{self, Recorder};
use super::request::{REQUEST_TIMEOUT, pick};
use super::{CONSTANT_RATE_CO, LoadDriver, LoadError};
use crate::cancel::Cancel;
use crate::model::{Lateness, StepLoad};
use crate::scenario::{IdMix, Step};

/// The constant-rate driver, on the harness's load runtime.
pub struct ConstantRate {
    runtime: std::sync::Arc<tokio::runtime::Runtime>,
    ids: IdMix,
}

impl ConstantRate {
    /// A driver asking for `ids` on `runtime`.
    pub fn new(runtime: std::sync::Arc<tokio::runtime::Runtime>, ids: IdMix) -> Self {
        Self { runtime, ids }
    }
}

impl LoadDriver for ConstantRate {
    fn describe(&self) -> String {
        "constant-rate (open loop)".to_owned()
    }

    fn run_step(
        &self,
        addr: SocketAddr,
        step: &Step,
        cancel: &Cancel,
    ) -> Result<StepLoad, LoadError> {
        self.runtime
            .block_on(run_step(addr, step, self.ids, cancel))
    }

    /// Every target at once on one schedule and one clock: one thread and one clock for all
    /// of them, as for one target, so a hundred replicas cost the generator what a hundred
    /// connections to one service do.
    fn run_steps(
        &self,
        targets: &[SocketAddr],
        step: &Step,
        cancel: &Cancel,
    ) -> Vec<Result<StepLoad, LoadError>> {
        self.runtime
            .block_on(run_steps(targets, step, self.ids, cancel))
    }
}

/// The send times of connection `index` of `connections` sharing `rate` requests per second
/// for `hold`, as offsets from the step's start: evenly spaced per connection, the
/// connections offset from one another by `1 / rate`. Each slot is computed when it is asked
/// for (the `k`-th is `index / rate + k * connections / rate`), so a schedule costs the same
/// few bytes whether the step lasts a second or a day.
pub fn schedule(rate: u32, connections: usize, index: usize, hold: Duration) -> Slots {
    let connections = connections.max(1);
    let rate = f64::from(rate.max(1));
    Slots {
        offset: index as f64 / rate,
        interval: connections as f64 / rate,
        hold: hold.as_secs_f64(),
        next: 0,
    }
}

/// One connection's slots in order, from [`schedule`]: arithmetic, never a list.
#[derive(Debug, Clone)]
pub struct Slots {
    /// The first slot, seconds after the step's start.
    offset: f64,
    /// Seconds between two slots.
    interval: f64,
    /// The hold, seconds: no slot at or after it.
    hold: f64,
    /// Which slot comes next.
    next: u64,
}

impl Iterator for Slots {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let at = self.offset + self.next as f64 * self.interval;
        if at < self.hold {
            self.next += 1;
            Some(Duration::from_secs_f64(at))
        } else {
            None
        }
    }
}

/// Runs one constant-rate step against `addr`: `step.users` connections share `step.rate`
/// requests per second for `step.hold`. There is no ramp: the connections are opened, then
/// the full rate starts. A slot still unsent when the hold ends is not sent late: it counts as
/// a failure (status 0, not sent) with an intended latency up to the end of the hold, so a
/// service that cannot keep up shows in the errors, the intended figures and the throughput
/// (which counts served requests only).
pub async fn run_step(
    addr: SocketAddr,
    step: &Step,
    ids: IdMix,
    cancel: &Cancel,
) -> Result<StepLoad, LoadError> {
    run_steps(&[addr], step, ids, cancel)
        .await
        .pop()
        .unwrap_or_else(|| Err(LoadError::Goose("no target".into())))
}

/// Runs `step` against every address of `targets` at once, each with its own `step.users`
/// connections sharing `step.rate`: one schedule and one [`Clock`] for all their connections,
/// every target starting at the same instant, the targets' slots spread evenly between one
/// another. A target that cannot be connected to fails alone. The results are in the order of
/// `targets`, each with the clock's lateness for its own connections.
pub async fn run_steps(
    targets: &[SocketAddr],
    step: &Step,
    ids: IdMix,
    cancel: &Cancel,
) -> Vec<Result<StepLoad, LoadError>> {
    let Some(rate) = step.rate else {
        let no_rate = || {
            Err(LoadError::Goose(format!(
                "step {}: a constant-rate step needs a rate",
                step.name
            )))
        };
        return targets.iter().map(|_| no_rate()).collect();
    };
    // Each target's connections, or why it could not be reached.
    let mut opened: Vec<Result<Vec<Connection>, LoadError>> = Vec::with_capacity(targets.len());
    for &addr in targets {
        opened.push(open(addr, step.users).await);
    }
    let group = groups(&opened);
    let window_start = Utc::now();
    let start = Instant::now() + Duration::from_millis(10);
    let clock = Arc::new(Clock::grouped(group, targets.len()));
    let shared = Shared {
        step,
        rate,
        clock: &clock,
        start,
        ids,
        cancel,
    };
    let (tasks, results) = shared.spawn(opened, targets.len());
    let clock_thread = match start_clock(&clock, cancel) {
        Ok(thread) => thread,
        Err(e) => {
            cancel.cancel();
            for (_, task) in &tasks {
                task.abort();
            }
            let why = format!("cannot start the schedule's clock: {e}");
            return targets
                .iter()
                .map(|_| Err(LoadError::Goose(why.clone())))
                .collect();
        }
    };
    let (recorders, failed) = gather(tasks, &clock, targets.len()).await;
    let late = clock_thread.join().unwrap_or_default();
    let window_end = window_start + chrono::Duration::from_std(step.hold).unwrap_or_default();
    step_loads(results, recorders, failed, late, (window_start, window_end))
}

/// `users` connections to `addr`, each opened within [`REQUEST_TIMEOUT`]; or why one could
/// not be.
async fn open(addr: SocketAddr, users: usize) -> Result<Vec<Connection>, LoadError> {
    let mut streams = Vec::with_capacity(users);
    for _ in 0..users {
        match tokio::time::timeout(REQUEST_TIMEOUT, Connection::open(addr)).await {
            Ok(Ok(stream)) => streams.push(stream),
            Ok(Err(e)) => {
                return Err(match crate::driver::http::client_fault(&e) {
                    Some(why) => LoadError::Client(why),
                    None => LoadError::Goose(format!("cannot connect to {addr}: {e}")),
                });
            }
            Err(_) => {
                return Err(LoadError::Goose(format!("connecting to {addr} timed out")));
            }
        }
    }
    Ok(streams)
}

/// Which target each of the clock's connections belongs to, in the order they are spawned.
fn groups(opened: &[Result<Vec<Connection>, LoadError>]) -> Vec<usize> {
    opened
        .iter()
        .enumerate()
        .flat_map(|(target, o)| {
            let n = o.as_ref().map_or(0, Vec::len);
            std::iter::repeat_n(target, n)
        })
        .collect()
}

/// A spawned connection's task and the target it belongs to.
type Task = (usize, tokio::task::JoinHandle<Recorder>);

/// What every connection of one constant-rate step shares.
struct Shared<'a> {
    /// The step.
    step: &'a Step,
    /// Its rate, per target.
    rate: u32,
    /// The schedule's clock.
    clock: &'a Arc<Clock>,
    /// When the schedule starts.
    start: Instant,
    /// The ids asked for.
    ids: IdMix,
    /// The run's cancellation token.
    cancel: &'a Cancel,
}

impl Shared<'_> {
    /// Spawns a task per opened connection, on its target's schedule: the targets' slots
    /// interleaved, target `t` shifted by `t / (rate * targets)`. Returns the tasks, and per
    /// target its result when it is already known (it could not be connected to).
    fn spawn(
        &self,
        opened: Vec<Result<Vec<Connection>, LoadError>>,
        targets: usize,
    ) -> (Vec<Task>, Vec<Option<Result<StepLoad, LoadError>>>) {
        let step = self.step;
        let total_rate = f64::from(self.rate.max(1)) * targets.max(1) as f64;
        let mut tasks: Vec<Task> = Vec::new();
        let mut index = 0;
        let mut results: Vec<Option<Result<StepLoad, LoadError>>> = Vec::new();
        for (target, o) in opened.into_iter().enumerate() {
            match o {
                Err(e) => results.push(Some(Err(e))),
                Ok(streams) => {
                    results.push(None);
                    let shift = Duration::from_secs_f64(target as f64 / total_rate);
                    for (own, stream) in streams.into_iter().enumerate() {
                        let hold = step.hold;
                        let slots = schedule(self.rate, step.users, own, hold)
                            .map(move |at| at + shift)
                            .take_while(move |&at| at < hold);
                        tasks.push((
                            target,
                            tokio::spawn(connection(
                                stream,
                                Arc::clone(self.clock),
                                index,
                                self.start,
                                slots,
                                step.hold,
                                self.ids,
                                self.cancel.clone(),
                            )),
                        ));
                        index += 1;
                    }
                }
            }
        }
        (tasks, results)
    }
}

/// Starts the clock on a thread of its own (it inherits the harness's CPUs): the runtime's
/// timer wheel fires on whole milliseconds after a deadline, which would add up to a
/// millisecond of the generator's own lateness to every intended latency; a thread's timed
/// wait wakes within microseconds.
fn start_clock(
    clock: &Arc<Clock>,
    cancel: &Cancel,
) -> std::io::Result<std::thread::JoinHandle<Vec<hdrhistogram::Histogram<u64>>>> {
    std::thread::Builder::new()
        .name("constant-rate clock".into())
        .spawn({
            let clock = Arc::clone(clock);
            let cancel = cancel.clone();
            move || {
                // The kernel may wake a sleeping thread up to its timer slack late (50 µs by
                // default), which would land in every intended latency: 1 ns here.
                let _ = nix::sys::prctl::set_timerslack(1);
                clock.run(&cancel)
            }
        })
}

/// Awaits every connection's task, telling the clock as each ends, so the clock's thread
/// always ends; each connection's recorder is added to its target's as it ends (histograms
/// add exactly), then dropped. Returns each target's recorder, and the failure of a task of
/// it, if one failed.
async fn gather(
    tasks: Vec<Task>,
    clock: &Clock,
    targets: usize,
) -> (Vec<Recorder>, Vec<Option<LoadError>>) {
    let mut recorders: Vec<Recorder> = (0..targets).map(|_| Recorder::new(true)).collect();
    let mut failed: Vec<Option<LoadError>> = (0..targets).map(|_| None).collect();
    for (target, task) in tasks {
        match task.await {
            Ok(done) => recorders[target].merge(&done),
            Err(e) => {
                failed[target] = Some(LoadError::Goose(format!("a connection task failed: {e}")))
            }
        }
        clock.finished();
    }
    (recorders, failed)
}

/// Each target's figures over `window`, in order: the failure already known, a task's, or a
/// client fault, else its recorder's results with the clock's lateness for its connections
/// (the clock's groups are the targets, in order).
fn step_loads(
    results: Vec<Option<Result<StepLoad, LoadError>>>,
    recorders: Vec<Recorder>,
    mut failed: Vec<Option<LoadError>>,
    late: Vec<hdrhistogram::Histogram<u64>>,
    (window_start, window_end): (chrono::DateTime<Utc>, chrono::DateTime<Utc>),
) -> Vec<Result<StepLoad, LoadError>> {
    let mut late = late.into_iter();
    results
        .into_iter()
        .enumerate()
        .map(|(target, done)| {
            // The clock's groups are the targets, in order.
            let late = late.next().unwrap_or_else(record::histogram);
            if let Some(done) = done {
                return done;
            }
            if let Some(e) = failed[target].take() {
                return Err(e);
            }
            if let Some(why) = recorders[target].fault() {
                return Err(LoadError::Client(why.to_owned()));
            }
            Ok(StepLoad {
                kinds: recorders[target].results(),
                window_start,
                window_end,
                coordinated_omission: CONSTANT_RATE_CO.to_owned(),
                generator_late_us: Some(lateness(late.clone())),
                answered: None,
                late_histogram: Some(late),
                ..StepLoad::default()
            })
        })
        .collect()
}

/// The schedule's clock: wakes each connection that waits for its next slot when the slot
/// falls due, and records how late it did (the generator's own lateness). A connection whose
/// next slot has already passed when its last answer arrives sends at once without asking the
/// clock: under load the clock has nothing to do, and the generator's CPU goes to requests.
pub struct Clock {
    /// Connections waiting for a slot: when it falls due, and which connection.
    waiting: Mutex<BinaryHeap<Reverse<(Instant, usize)>>>,
    /// Rung when a connection starts waiting or ends.
    changed: Condvar,
    /// One wake-up per connection.
    wake: Vec<Notify>,
    /// Connections still running.
    running: AtomicUsize,
    /// The group (the target) of each connection, whose lateness is recorded apart.
    group: Vec<usize>,
    /// How many groups.
    groups: usize,
}

impl Clock {
    /// A clock for `connections` connections, one group.
    pub fn new(connections: usize) -> Self {
        Self::grouped(vec![0; connections], 1)
    }

    /// A clock for one connection per entry of `group`, each its group's (below `groups`).
    pub fn grouped(group: Vec<usize>, groups: usize) -> Self {
        Self {
            waiting: Mutex::new(BinaryHeap::new()),
            changed: Condvar::new(),
            wake: group.iter().map(|_| Notify::new()).collect(),
            running: AtomicUsize::new(group.len()),
            group,
            groups: groups.max(1),
        }
    }

    /// Connection `index` waits until `due`: the clock wakes it then.
    pub async fn wait(&self, index: usize, due: Instant) {
        self.waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Reverse((due, index)));
        self.changed.notify_one();
        self.wake[index].notified().await;
    }

    /// A connection has ended.
    pub fn finished(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.changed.notify_one();
    }

    /// Wakes the waiting connections as their slots fall due, until every connection has
    /// ended; on Ctrl-C wakes them all at once. Returns how late it woke each, µs, as a
    /// histogram per group.
    pub fn run(&self, cancel: &Cancel) -> Vec<hdrhistogram::Histogram<u64>> {
        let mut late: Vec<_> = (0..self.groups).map(|_| record::histogram()).collect();
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if cancel.is_cancelled() {
                while let Some(Reverse((_, index))) = waiting.pop() {
                    self.wake[index].notify_one();
                }
            }
            let now = Instant::now();
            let next = waiting.peek().map(|Reverse((due, _))| *due);
            waiting = match next {
                Some(due) if due <= now => {
                    let Some(Reverse((_, index))) = waiting.pop() else {
                        continue;
                    };
                    let group = self.group.get(index).copied().unwrap_or(0);
                    late[group.min(self.groups - 1)]
                        .saturating_record(now.saturating_duration_since(due).as_micros() as u64);
                    self.wake[index].notify_one();
                    waiting
                }
                Some(due) => {
                    self.changed
                        .wait_timeout(waiting, due - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
                None if self.running.load(Ordering::SeqCst) == 0 => break,
                // Nobody waits: sleep until a connection does, ends, or Ctrl-C.
                None => {
                    self.changed
                        .wait_timeout(waiting, Duration::from_millis(20))
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
        late
    }
}

/// The median, 99th percentile and maximum of the clock's lateness, µs.
fn lateness(late: hdrhistogram::Histogram<u64>) -> Lateness {
    record::lateness(&late)
}

/// One connection: sends a request for each of its slots, in order: at once when the slot
/// has passed (the previous answer came late), else when the clock wakes it at the slot.
/// After the hold nothing more is sent: the slots left count as not sent. Each slot's outcome
/// goes straight into the connection's recorder, which is returned: what a connection holds
/// does not grow with its requests.
#[allow(clippy::too_many_arguments)]
async fn connection(
    mut connection: Connection,
    clock: Arc<Clock>,
    index: usize,
    start: Instant,
    slots: impl Iterator<Item = Duration>,
    hold: Duration,
    ids: IdMix,
    cancel: Cancel,
) -> Recorder {
    let end = start + hold;
    let offset = |t: Instant| t.saturating_duration_since(start);
    let mut recorder = Recorder::new(true);
    for at in slots {
        let due = start + at;
        if due > Instant::now() {
            clock.wait(index, due).await;
        }
        if cancel.is_cancelled() {
            // Interrupted: the figures are partial; what was not sent is not counted.
            break;
        }
        let (kind, path) = pick(ids);
        if Instant::now() > end {
            // Nothing goes out after the hold.
            let unsent = Slot {
                due: at,
                kind,
                sent: None,
            };
            unsent.record(&mut recorder, hold);
            continue;
        }
        // The request leaves once it has a connection: a reconnect is timed apart, not as
        // part of the request (a failed connect is: the request never left).
        let e = connection.get(&path, REQUEST_TIMEOUT).await;
        if let Some(why) = &e.client_fault {
            recorder.client_fault(why);
        }
        let slot = Slot {
            due: at,
            kind,
            sent: Some(Sent {
                at: offset(e.sent),
                done: offset(e.done),
                status: e.status,
                connect: e.connect,
            }),
        };
        slot.record(&mut recorder, hold);
    }
    recorder
}

/// What a connection did with one slot, as offsets from the step's start.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// When it fell due.
    due: Duration,
    /// The kind of id drawn for it.
    kind: usize,
    /// Its request, when it was sent before the hold ended.
    sent: Option<Sent>,
}

/// A request that was sent, as offsets from the step's start.
#[derive(Debug, Clone, Copy)]
struct Sent {
    /// When it left: after opening a new connection, when it needed one.
    at: Duration,
    /// When its response was read in full (or it failed).
    done: Duration,
    /// Its status; 0 without a response.
    status: u16,
    /// How long opening a new connection took before it could leave, when it needed one.
    connect: Option<Duration>,
}

impl Slot {
    /// Records what became of this slot in a step that held for `hold`: a request that was
    /// sent is timed from when it left (raw) and from its slot (intended); a slot that was not
    /// sent by the end of the hold is a failure (status 0) timed from its slot to the end of
    /// the hold, with no raw time.
    fn record(&self, recorder: &mut Recorder, hold: Duration) {
        let us = |d: Duration| d.as_micros() as u64;
        match self.sent {
            Some(sent) => recorder.sent(
                self.kind,
                sent.status,
                us(sent.done.saturating_sub(sent.at)),
                Some(us(sent.done.saturating_sub(self.due))),
                sent.connect.map(us),
            ),
            None => recorder.not_sent(self.kind, us(hold.saturating_sub(self.due))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::test_server::{Answer, serve};
    use crate::model::KindResult;

    /// Whether `a` is within HdrHistogram's 0.1 % of `b`.
    fn close(a: u64, b: u64) -> bool {
        a.abs_diff(b) as f64 <= b as f64 * 0.001 + 1.0
    }

    /// Per kind of id, the figures of `slots` in a step that held for `hold`, as a connection
    /// records them.
    fn summarise(slots: &[Slot], hold: Duration) -> Vec<KindResult> {
        let mut recorder = Recorder::new(true);
        for slot in slots {
            slot.record(&mut recorder, hold);
        }
        recorder.results()
    }

    #[test]
    fn the_schedule_spreads_the_rate_over_connections() {
        // 100 rps over 4 connections for 1 s: 25 each, 40 ms apart, offset by 10 ms.
        let slots: Vec<Vec<Duration>> = (0..4)
            .map(|i| schedule(100, 4, i, Duration::from_secs(1)).collect())
            .collect();
        assert!(slots.iter().all(|s| s.len() == 25));
        assert_eq!(slots[0][1], Duration::from_millis(40));
        assert_eq!(slots[3][0], Duration::from_millis(30));
        let mut all: Vec<Duration> = slots.concat();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 100, "no two connections share a slot");
        // Computed one at a time: the k-th slot of connection i is i / rate + k * n / rate.
        let mut third = schedule(100, 4, 3, Duration::from_secs(1));
        assert_eq!(
            third.nth(24),
            Some(Duration::from_secs_f64(0.03 + 24.0 * 0.04))
        );
        assert_eq!(third.next(), None, "nothing at or after the hold");
    }

    #[tokio::test]
    async fn the_clock_wakes_each_waiting_connection_at_its_slot_and_records_how_late() {
        let ms = Duration::from_millis;
        let clock = Arc::new(Clock::new(2));
        let thread = {
            let clock = Arc::clone(&clock);
            std::thread::spawn(move || clock.run(&Cancel::new()))
        };
        let t0 = Instant::now();
        // Connection 0 waits for a slot 30 ms ahead, connection 1 for one already 20 ms past.
        let ((), b) = tokio::join!(clock.wait(0, t0 + ms(30)), async {
            clock.wait(1, t0.checked_sub(ms(20)).unwrap()).await;
            Instant::now()
        });
        assert!(b < t0 + ms(25), "a passed slot wakes at once");
        assert!(Instant::now() >= t0 + ms(30), "not before its slot");
        clock.finished();
        clock.finished();
        let late = thread.join().unwrap().remove(0);
        assert_eq!(late.len(), 2, "{late:?}");
        assert_eq!(
            late.count_between(15_000, 30_000),
            1,
            "the passed one, about 20 ms late"
        );
    }

    #[tokio::test]
    async fn ctrl_c_wakes_every_waiting_connection() {
        let clock = Arc::new(Clock::new(1));
        let cancel = Cancel::new();
        let thread = {
            let (clock, cancel) = (Arc::clone(&clock), cancel.clone());
            std::thread::spawn(move || clock.run(&cancel))
        };
        let far = Instant::now() + Duration::from_secs(3600);
        cancel.cancel();
        tokio::time::timeout(Duration::from_secs(5), clock.wait(0, far))
            .await
            .expect("woken by the interruption");
        clock.finished();
        thread.join().unwrap();
    }

    #[test]
    fn lateness_is_summed_up_from_its_histogram() {
        let mut h = record::histogram();
        for us in 1..=100 {
            h.record(us).unwrap();
        }
        let l = lateness(h);
        assert_eq!((l.p50_us, l.p99_us, l.max_us), (50, 99, 100));
        assert_eq!(lateness(record::histogram()), Lateness::default());
    }

    #[test]
    fn a_stall_shows_in_the_intended_figures_only() {
        // Ten requests due 10 ms apart; the service stalls 100 ms on the first, so the next
        // ones leave late but are each answered in 1 ms once sent.
        // Request i is due at 10i ms, leaves at 99 + i ms (0 for the first) and is answered
        // at 100 + i ms.
        let ms = Duration::from_millis;
        let slots: Vec<Slot> = (0..10)
            .map(|i| Slot {
                due: ms(10 * i),
                kind: 0,
                sent: Some(Sent {
                    at: if i == 0 { ms(0) } else { ms(99 + i) },
                    done: ms(100 + i),
                    status: 200,
                    connect: None,
                }),
            })
            .collect();
        let kinds = summarise(&slots, Duration::from_secs(1));
        let seeded = &kinds[0];
        assert!(
            close(seeded.p50_us, 1_000),
            "raw: the stall hides in one sample"
        );
        let intended = seeded.intended.unwrap();
        assert!(intended.p50_us >= 50_000, "{intended:?}");
        assert_eq!(seeded.errors, 0);
    }

    #[test]
    fn slots_left_unsent_count_as_failures_timed_to_the_end_of_the_hold() {
        let hold = Duration::from_secs(1);
        let ms = Duration::from_millis;
        // 100 slots 10 ms apart; the service stalls: the first request takes 600 ms, the
        // second 600 more, and the 98 other slots fall due while the connection waits.
        let slots: Vec<Slot> = schedule(100, 1, 0, hold)
            .enumerate()
            .map(|(i, due)| Slot {
                due,
                kind: 0,
                sent: match i {
                    0 => Some(Sent {
                        at: ms(0),
                        done: ms(600),
                        status: 200,
                        connect: None,
                    }),
                    1 => Some(Sent {
                        at: ms(600),
                        done: ms(1200),
                        status: 200,
                        connect: None,
                    }),
                    _ => None,
                },
            })
            .collect();
        let kinds = summarise(&slots, hold);
        let seeded = &kinds[0];
        assert_eq!((seeded.requests, seeded.errors), (100, 98));
        assert_eq!(seeded.statuses.get(&0), Some(&98));
        assert_eq!(seeded.not_sent, 98);
        // Raw figures: the two requests that left (HdrHistogram: within 0.1 %).
        assert!(close(seeded.p50_us, 600_000) && close(seeded.max_us, 600_000));
        assert_eq!(seeded.mean_us, 600_000);
        // Intended: the unsent slots count to the end of the hold (slot 2, due at 20 ms:
        // 980 ms; slot 99: 10 ms), the second request from its slot (10 ms) to 1200 ms.
        let intended = seeded.intended.unwrap();
        assert!(close(intended.max_us, 1_190_000), "{intended:?}");
        assert!(close(intended.p50_us, 500_000), "{intended:?}");
    }

    #[test]
    fn connections_recorded_apart_and_added_give_the_figures_of_all_their_slots_at_once() {
        // Two connections' slots, some answered (one after a reconnect), some left unsent.
        let hold = Duration::from_secs(1);
        let ms = Duration::from_millis;
        let slots: Vec<Slot> = (0..40u64)
            .map(|i| Slot {
                due: ms(20 * i),
                kind: (i % 3) as usize,
                sent: (i < 30).then(|| Sent {
                    at: ms(20 * i + i % 4),
                    done: ms(20 * i + 5 + 7 * (i % 5)),
                    status: if i % 7 == 0 { 500 } else { 200 },
                    connect: (i % 9 == 0).then(|| ms(2)),
                }),
            })
            .collect();
        let mut merged = Recorder::new(true);
        for part in slots.chunks(17) {
            let mut own = Recorder::new(true);
            for slot in part {
                slot.record(&mut own, hold);
            }
            merged.merge(&own);
        }
        assert_eq!(merged.results(), summarise(&slots, hold));
    }

    #[test]
    fn a_reconnect_is_timed_apart_from_the_request() {
        let ms = Duration::from_millis;
        // Due at 0 and 10 ms; the second needed a new connection, 30 ms to open, then was
        // answered 1 ms after it left.
        let sent = |at: u64, done: u64, connect: Option<u64>| {
            Some(Sent {
                at: ms(at),
                done: ms(done),
                status: 200,
                connect: connect.map(ms),
            })
        };
        let slots = [
            Slot {
                due: ms(0),
                kind: 0,
                sent: sent(0, 1, None),
            },
            Slot {
                due: ms(10),
                kind: 0,
                sent: sent(40, 41, Some(30)),
            },
        ];
        let kinds = summarise(&slots, Duration::from_secs(1));
        let k = &kinds[0];
        assert_eq!(k.max_us, 1_000, "raw: from when it left, after the connect");
        assert!(
            close(k.intended.unwrap().max_us, 31_000),
            "intended: from its slot"
        );
        assert_eq!(
            (k.reconnects, k.connect_mean_us, k.connect_max_us),
            (1, 30_000, 30_000)
        );
    }

    #[tokio::test]
    async fn reconnects_are_counted() {
        // The server closes the connection after each answer: every request but the first
        // opens a new one.
        let addr = serve(Some(10), Answer::Close);
        let step = step(1, 20, Duration::from_millis(500));
        let load = run_step(addr, &step, crate::driver::SEEDED_ONLY, &Cancel::new())
            .await
            .unwrap();
        let seeded = &load.kinds[0];
        assert_eq!(seeded.statuses.get(&200), Some(&10), "{seeded:?}");
        assert_eq!(seeded.reconnects, 9, "{seeded:?}");
        assert!(seeded.connect_max_us >= seeded.connect_mean_us);
    }

    /// A constant-rate step of `users` connections at `rate` for `hold`.
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

    #[test]
    fn memory_does_not_grow_with_the_number_of_requests() {
        // One connection whose first answer comes after the hold: every other slot is left
        // unsent and recorded. The bytes the step's thread holds at its highest (the
        // connection's task runs on it) must not depend on how many slots the step had.
        let held = |rate: u32| {
            let addr = serve(Some(1), Answer::Ok(Duration::from_millis(1200)));
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let step = step(1, rate, Duration::from_secs(1));
            let info = allocation_counter::measure(|| {
                let load = runtime
                    .block_on(run_step(
                        addr,
                        &step,
                        crate::driver::SEEDED_ONLY,
                        &Cancel::new(),
                    ))
                    .unwrap();
                assert_eq!(load.requests(), u64::from(rate), "{load:?}");
                assert_eq!(load.kinds[0].not_sent, u64::from(rate) - 1);
            });
            info.bytes_max
        };
        let (few, many) = (held(1_000), held(200_000));
        assert!(
            many < few + 256 * 1024,
            "{few} B held at most for 1000 slots, {many} B for 200 000"
        );
    }

    #[tokio::test]
    async fn a_service_that_cannot_keep_up_shows_its_backlog() {
        // 50 slots 20 ms apart on one connection; each answer takes 300 ms: about 4 leave.
        let addr = serve(Some(1), Answer::Ok(Duration::from_millis(300)));
        let step = step(1, 50, Duration::from_secs(1));
        let load = run_step(addr, &step, crate::driver::SEEDED_ONLY, &Cancel::new())
            .await
            .unwrap();
        assert_eq!(load.requests(), 50, "every slot is accounted for");
        let seeded = &load.kinds[0];
        let unsent = seeded.statuses.get(&0).copied().unwrap_or(0);
        assert!((40..=47).contains(&unsent), "{seeded:?}");
        assert_eq!((seeded.errors, seeded.not_sent), (unsent, unsent));
        assert!(seeded.intended.unwrap().max_us >= 900_000, "{seeded:?}");
    }

    #[tokio::test]
    async fn drives_a_real_server_at_the_rate_asked() {
        let addr = serve(Some(2), Answer::Ok(Duration::ZERO));
        let step = step(2, 100, Duration::from_secs(1));
        let ids = IdMix {
            seeded: 1.0,
            unknown: 0.0,
            malformed: 0.0,
        };
        let load = run_step(addr, &step, ids, &Cancel::new()).await.unwrap();
        // The schedule, not the server's speed, sets the count.
        assert_eq!(load.requests(), 100);
        let seeded = &load.kinds[0];
        // Each sent on time on an idle machine; on a loaded one the last may miss the hold.
        let ok = seeded.statuses.get(&200).copied().unwrap_or(0);
        assert!(ok >= 95, "{seeded:?}");
        assert_eq!(ok + seeded.not_sent, 100, "{seeded:?}");
        assert!(seeded.intended.is_some());
        let late = load
            .generator_late_us
            .expect("the clock's lateness is recorded");
        assert!(
            late.p50_us <= late.p99_us && late.p99_us <= late.max_us,
            "{late:?}"
        );
    }

    #[tokio::test]
    async fn targets_run_at_once_on_one_clock_and_one_that_refuses_fails_alone() {
        let fast = serve(Some(2), Answer::Ok(Duration::ZERO));
        let slow = serve(Some(2), Answer::Ok(Duration::from_millis(30)));
        // A port with no listener: its connection is refused.
        let nobody = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let step = step(2, 40, Duration::from_millis(500));
        let begun = Instant::now();
        let loads = run_steps(
            &[fast, nobody, slow],
            &step,
            crate::driver::SEEDED_ONLY,
            &Cancel::new(),
        )
        .await;
        // At once: the three half-second holds take about one, not three.
        assert!(
            begun.elapsed() < Duration::from_millis(1400),
            "{:?}",
            begun.elapsed()
        );
        assert_eq!(loads.len(), 3, "a result per target, in order");
        assert!(
            matches!(&loads[1], Err(e) if e.to_string().contains(&nobody.to_string())),
            "{:?}",
            loads[1]
        );
        let (fast, slow) = (loads[0].as_ref().unwrap(), loads[2].as_ref().unwrap());
        // Each target its own schedule: 40 rps for 0.5 s, 20 slots, whatever the other did.
        assert_eq!(fast.requests(), 20, "{fast:?}");
        assert_eq!(slow.requests(), 20, "{slow:?}");
        let p50 = |l: &StepLoad| l.kinds[0].p50_us;
        assert!(p50(slow) >= 30_000, "the slow one's own latency: {slow:?}");
        assert!(p50(fast) < 30_000, "not the slow one's: {fast:?}");
        assert!(fast.generator_late_us.is_some() && slow.generator_late_us.is_some());
    }
}
