//! The Goose driver: Goose schedules the users (how many, how fast they start, their pauses,
//! how long they run), and each user's transaction sends through the harness's own lean
//! client and records into its own histograms. One Goose attack per step, against one
//! service on 127.0.0.1.
//!
//! What Goose does not do here, and why: its per-request metrics are off (`no_metrics`), its
//! reqwest client is not used, and its throttle is not used. Measured with `harness calibrate`
//! before this change, Goose's request path (reqwest, a metric message per request to its
//! aggregator, coordinated-omission bookkeeping) cost about twice wrk's CPU per request and
//! put 2-4x oha's latency on the same service at the same rate; its throttle releases its
//! tokens in batches every 10 ms (20 at once at 2000 requests per second), bursts an evenly
//! paced tool never sends. Instead:
//!
//! - Each user owns one kept-alive HTTP/1.1 connection ([`super::http::Connection`]) and one
//!   [`Recorder`] of HdrHistograms; the recorders are merged when the step ends. Latency is
//!   from the request's first byte to the response's last byte (the constant-rate driver's
//!   definition too); a reconnect is timed apart.
//! - A step's `rate` is a cap shared by the users ([`Pacer`]): requests are spaced evenly,
//!   `1 / rate` apart, each user taking the next free time; a time no user was ready for is
//!   not made up later (the closed loop's semantics, as with Goose's throttle). The spacing
//!   has the runtime timer's millisecond grain.
//! - Only requests sent once every user runs (the last one's first request) and within the
//!   hold after that are counted: the ramp is not measured, however long Goose takes to
//!   launch the users on a busy CPU.
//!
//! Coordinated omission: a closed loop asks a slow service less, so its latencies are those
//! of the requests it managed to send; nothing here corrects that. Latencies counted from
//! when each request was due come from the constant-rate driver (`load = "constant-rate"`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use goose::config::GooseConfiguration;
use goose::metrics::GooseMetrics;
use goose::prelude::*;

use super::http::Connection;
use super::record::Recorder;
use super::request::{REQUEST_TIMEOUT, pick};
use super::{GOOSE_CO, LoadDriver, LoadError};
use crate::cancel::Cancel;
use crate::model::StepLoad;
use crate::scenario::{IdMix, Step};

/// The Goose closed-loop driver, on the harness's load runtime.
pub struct Goose {
    runtime: Arc<tokio::runtime::Runtime>,
    ids: IdMix,
}

impl Goose {
    /// A driver asking for `ids`.
    pub fn new(runtime: Arc<tokio::runtime::Runtime>, ids: IdMix) -> Self {
        Self { runtime, ids }
    }
}

impl LoadDriver for Goose {
    fn describe(&self) -> String {
        "goose 0.19 users (closed loop) over the harness's HTTP/1.1 client".to_owned()
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
}

impl From<GooseError> for LoadError {
    fn from(e: GooseError) -> Self {
        LoadError::Goose(e.to_string())
    }
}

/// Evenly spaced send times shared by a step's users: a cap of `rate` requests per second.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pacer {
    /// A pacer for `rate` requests per second, its first time now.
    pub fn new(rate: u32) -> Self {
        Self {
            interval: Duration::from_secs_f64(1.0 / f64::from(rate.max(1))),
            next: Mutex::new(Instant::now()),
        }
    }

    /// The next send time, taken by the caller: the pacer's next time, or `now` when that has
    /// passed (a time nobody was ready for is not made up).
    pub fn take(&self, now: Instant) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let at = (*next).max(now);
        *next = at + self.interval;
        at
    }
}

/// What a step's users share: where to send, what to ask for, the pace, the measured window,
/// and every user's state (collected when the step ends).
struct Shared {
    addr: SocketAddr,
    ids: IdMix,
    pacer: Option<Pacer>,
    /// Users the step launches; the window opens when the last of them starts.
    expected: usize,
    /// How long the window stays open.
    hold: Duration,
    /// When the window opened (monotonic and wall clock), once every user runs.
    opened: OnceLock<(Instant, DateTime<Utc>)>,
    users: Mutex<Vec<UserSlot>>,
    /// Requests answered, measured or not (the ramp's too): what the service served.
    answered: AtomicU64,
}

/// One user's connection and recorder, behind a lock only that user takes while it runs.
#[derive(Clone)]
struct UserSlot(Arc<tokio::sync::Mutex<UserState>>);

struct UserState {
    connection: Connection,
    recorder: Recorder,
}

impl Shared {
    /// The calling user's slot, made and registered on its first request.
    fn slot(&self, user: &mut GooseUser) -> UserSlot {
        if let Some(slot) = user.get_session_data::<UserSlot>() {
            return slot.clone();
        }
        let slot = UserSlot(Arc::new(tokio::sync::Mutex::new(UserState {
            connection: Connection::lazy(self.addr),
            recorder: Recorder::new(false),
        })));
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        users.push(slot.clone());
        if users.len() >= self.expected {
            let _ = self.opened.set((Instant::now(), Utc::now()));
        }
        drop(users);
        user.set_session_data(slot.clone());
        slot
    }

    /// Whether a request sent at `at` is measured: from when every user runs, for the hold.
    fn measured(&self, at: Instant) -> bool {
        self.opened
            .get()
            .is_some_and(|&(from, _)| at >= from && at < from + self.hold)
    }

    /// Every user's recorder, merged.
    async fn merged(&self) -> Recorder {
        let users: Vec<UserSlot> = self.users.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut all = Recorder::new(false);
        for user in users {
            all.merge(&user.0.lock().await.recorder);
        }
        all
    }
}

/// Runs one step against `addr` and returns its figures.
pub async fn run_step(
    addr: SocketAddr,
    step: &Step,
    ids: IdMix,
    cancel: &Cancel,
) -> Result<StepLoad, LoadError> {
    let mut config = GooseConfiguration::default();
    config.host = Some(format!("http://{addr}"));
    config.users = Some(step.users);
    // Users per second; a zero ramp starts them all within 50 ms.
    let ramp = step.ramp.max(Duration::from_millis(50));
    config.increase_rate = Some(format!("{:.3}", step.users as f64 / ramp.as_secs_f64()));
    let hold = Duration::from_secs(step.hold.as_secs().max(1));
    config.run_time = Some(hold.as_secs().to_string());
    config.no_telnet = true;
    config.quiet = 1;
    config.no_print_metrics = true;
    config.no_metrics = true;
    let shared = Arc::new(Shared {
        addr,
        ids,
        pacer: step.rate.map(Pacer::new),
        expected: step.users.max(1),
        hold,
        opened: OnceLock::new(),
        users: Mutex::new(Vec::new()),
        answered: AtomicU64::new(0),
    });
    let mut scenario = scenario!("accounts").register_transaction(transaction(&shared));
    if !step.pause.1.is_zero() {
        scenario = scenario.set_wait_time(step.pause.0, step.pause.1)?;
    }
    let attack = GooseAttack::initialize_with_config(config)?.register_scenario(scenario);
    with_abort_watch(attack.execute(), cancel).await?;
    let recorder = shared.merged().await;
    if let Some(why) = recorder.fault() {
        return Err(LoadError::Client(why.to_owned()));
    }
    // Not every user started (interrupted): an empty window at the end.
    let window_start = shared.opened.get().map_or_else(Utc::now, |&(_, wall)| wall);
    let window_end =
        (window_start + chrono::Duration::from_std(hold).unwrap_or_default()).min(Utc::now());
    Ok(StepLoad {
        kinds: recorder.results(),
        window_start,
        window_end,
        coordinated_omission: GOOSE_CO.to_owned(),
        generator_late_us: None,
        answered: Some(shared.answered.load(Ordering::Relaxed)),
        ..StepLoad::default()
    })
}

/// Runs an attack while re-triggering Goose's stop switch whenever `cancel` is set (Goose
/// clears the switch as each attack starts, so a Ctrl-C between steps must be re-sent).
async fn with_abort_watch<F: Future<Output = Result<GooseMetrics, GooseError>>>(
    attack: F,
    cancel: &Cancel,
) -> Result<GooseMetrics, GooseError> {
    let watching = Arc::new(AtomicBool::new(true));
    let watch = {
        let watching = Arc::clone(&watching);
        let cancel = cancel.clone();
        tokio::spawn(async move {
            while watching.load(Ordering::Relaxed) {
                if cancel.is_cancelled() {
                    goose::trigger_killswitch("interrupted");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let result = attack.await;
    watching.store(false, Ordering::Relaxed);
    let _ = watch.await;
    result
}

/// The users' one transaction: wait for the pace, ask for an id, record what came back.
fn transaction(shared: &Arc<Shared>) -> Transaction {
    let shared = Arc::clone(shared);
    let run: TransactionFunction = Arc::new(move |user| {
        let shared = Arc::clone(&shared);
        Box::pin(async move {
            let slot = shared.slot(user);
            let mut state = slot.0.lock().await;
            if let Some(pacer) = &shared.pacer {
                let at = pacer.take(Instant::now());
                if at > Instant::now() {
                    tokio::time::sleep_until(at.into()).await;
                }
            }
            let (kind, path) = pick(shared.ids);
            let e = state.connection.get(&path, REQUEST_TIMEOUT).await;
            if let Some(why) = &e.client_fault {
                state.recorder.client_fault(why);
            }
            if e.status != 0 {
                shared.answered.fetch_add(1, Ordering::Relaxed);
            }
            if shared.measured(e.sent) {
                let connect = e.connect.map(|d| d.as_micros() as u64);
                state
                    .recorder
                    .sent(kind, e.status, e.latency_us(), None, connect);
            }
            Ok(())
        })
    });
    Transaction::new(run).set_name("account")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::SEEDED_ONLY;
    use crate::driver::test_server::{Answer, serve};

    #[test]
    fn the_pacer_spaces_requests_evenly_and_makes_up_nothing() {
        let pacer = Pacer::new(1000);
        let t0 = Instant::now();
        let a = pacer.take(t0);
        let b = pacer.take(t0);
        let c = pacer.take(t0);
        assert_eq!(b - a, Duration::from_millis(1));
        assert_eq!(c - b, Duration::from_millis(1));
        // Nobody asked for a second: the times missed are not owed.
        let later = t0 + Duration::from_secs(1);
        assert_eq!(pacer.take(later), later);
        assert_eq!(pacer.take(later), later + Duration::from_millis(1));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn latency_runs_to_the_last_byte_of_the_body() {
        // The head at once, the body 40 ms later: timed to the head (Goose's own request
        // path) this would be well under a millisecond.
        let addr = serve(None, Answer::SlowBody(Duration::from_millis(40)));
        let step = Step {
            name: "s".into(),
            users: 2,
            rate: None,
            ramp: Duration::ZERO,
            hold: Duration::from_secs(1),
            pause: (Duration::ZERO, Duration::ZERO),
        };
        let load = run_step(addr, &step, SEEDED_ONLY, &Cancel::new())
            .await
            .unwrap();
        let seeded = &load.kinds[0];
        assert!(seeded.requests >= 10, "{seeded:?}");
        assert!(
            seeded.p50_us >= 40_000,
            "to the body's last byte: {seeded:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_paced_step_sends_at_the_rate_and_counts_only_its_hold() {
        let addr = serve(None, Answer::Ok(Duration::ZERO));
        let step = Step {
            name: "s".into(),
            users: 4,
            rate: Some(200),
            ramp: Duration::from_millis(500),
            hold: Duration::from_secs(1),
            pause: (Duration::ZERO, Duration::ZERO),
        };
        let load = run_step(addr, &step, SEEDED_ONLY, &Cancel::new())
            .await
            .unwrap();
        // 200 a second over a 1 s hold; the ramp's requests are not counted.
        let n = load.requests();
        assert!((170..=210).contains(&n), "{n} requests: {load:?}");
        let seeded = &load.kinds[0];
        assert_eq!(seeded.errors, 0, "{seeded:?}");
        let h = seeded.histograms.as_ref().expect("histograms kept");
        assert_eq!(h.raw.len(), n);
        assert_eq!(load.coordinated_omission, GOOSE_CO);
        assert!((load.window_end - load.window_start).num_milliseconds() == 1000);
    }
}
