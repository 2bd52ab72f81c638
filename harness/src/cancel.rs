//! Stopping early: one cancellation token carried through a run, the one handler of the stop
//! signals that sets it, and the process's exit codes.
//!
//! Every loop that can last (a phase's sleep, a load step, a boot poll, the battery) checks the
//! token it was given; nothing reads a global. The first stop signal (Ctrl-C's `SIGINT`,
//! `SIGTERM`, `SIGHUP`) cancels the token, so the run winds down (load stopped, services
//! stopped, results written); a second one removes what the run made, by its mark, within a
//! deadline, and exits.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// The harness's exit statuses, defined once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done.
    Ok = 0,
    /// A stack or the run failed.
    Failed = 1,
    /// Bad usage, or a bad scenario file.
    Usage = 2,
    /// Interrupted by Ctrl-C.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// A cancellation token: cheap to clone, every clone sees the same state.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels it; returns whether it already was.
    pub fn cancel(&self) -> bool {
        self.0.swap(true, Ordering::SeqCst)
    }

    /// Whether it has been cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Sleeps for `duration` or until cancelled, whichever comes first; returns `false` when
    /// cancelled.
    pub fn sleep(&self, duration: Duration) -> bool {
        let end = Instant::now() + duration;
        while !self.is_cancelled() {
            let now = Instant::now();
            if now >= end {
                return true;
            }
            thread::sleep((end - now).min(Duration::from_millis(20)));
        }
        false
    }
}

/// The token a stop signal cancels: the handler is the process's, the token the current run's.
static CURRENT: Mutex<Option<Cancel>> = Mutex::new(None);

/// What a second stop signal runs before the process exits: the current run's last resort,
/// removing what it made (see [`on_second_signal`]).
type LastResort = Box<dyn FnOnce() + Send>;
static LAST_RESORT: Mutex<Option<LastResort>> = Mutex::new(None);

/// How long a second stop signal waits for the run's last resort before the process exits.
pub const SECOND_SIGNAL_DEADLINE: Duration = Duration::from_secs(10);

/// Makes the stop signals (`SIGINT` from Ctrl-C, `SIGTERM`, `SIGHUP`) cancel `token`: the
/// first cancels it (and stops a running Goose attack), so the run winds down in order; the
/// second runs what [`on_second_signal`] registered for at most
/// [`SECOND_SIGNAL_DEADLINE`], then exits with [`Exit::Interrupted`]. The process's handler is
/// installed on the first call; later calls (tests run several runs in one process) only point
/// it at their token. Returns whether the handler is in place.
pub fn install_interrupt(token: &Cancel) -> bool {
    *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        ctrlc::set_handler(|| {
            let token = CURRENT.lock().unwrap_or_else(|e| e.into_inner()).clone();
            match token {
                Some(token) if !token.cancel() => goose::trigger_killswitch("interrupted"),
                // A second signal: the user (or the system) insists.
                _ => {
                    let last = LAST_RESORT.lock().unwrap_or_else(|e| e.into_inner()).take();
                    if let Some(last) = last {
                        eprintln!(
                            "stopping now: removing what this run made (at most {} s)",
                            SECOND_SIGNAL_DEADLINE.as_secs()
                        );
                        run_for_at_most(last, SECOND_SIGNAL_DEADLINE);
                    }
                    std::process::exit(Exit::Interrupted as i32)
                }
            }
        })
        .is_ok()
    })
}

/// Registers what a second stop signal runs before the process exits (the run's own clean-up
/// by its mark, which needs none of the run's state); replaces what was registered.
pub fn on_second_signal(last: impl FnOnce() + Send + 'static) {
    *LAST_RESORT.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(last));
}

/// Forgets what [`on_second_signal`] registered (the run has closed in order).
pub fn clear_second_signal() {
    LAST_RESORT.lock().unwrap_or_else(|e| e.into_inner()).take();
}

/// Runs `work` on a thread of its own and waits for it for at most `deadline`; returns whether
/// it finished.
pub fn run_for_at_most(work: impl FnOnce() + Send + 'static, deadline: Duration) -> bool {
    let (done, finished) = std::sync::mpsc::channel();
    let spawned = thread::Builder::new()
        .name("last-resort".into())
        .spawn(move || {
            work();
            let _ = done.send(());
        });
    spawned.is_ok() && finished.recv_timeout(deadline).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_state() {
        let token = Cancel::new();
        let other = token.clone();
        assert!(!other.is_cancelled());
        assert!(!token.cancel());
        assert!(other.is_cancelled());
        assert!(token.cancel(), "a second cancel says it already was");
    }

    #[test]
    fn a_sleep_ends_when_cancelled() {
        let token = Cancel::new();
        let other = token.clone();
        let canceller = thread::spawn(move || {
            thread::sleep(Duration::from_millis(30));
            other.cancel();
        });
        let started = Instant::now();
        assert!(!token.sleep(Duration::from_secs(30)));
        assert!(started.elapsed() < Duration::from_secs(20));
        canceller.join().unwrap();
        assert!(Cancel::new().sleep(Duration::from_millis(1)));
    }

    #[test]
    fn a_last_resort_is_waited_for_at_most_its_deadline() {
        let (tx, rx) = std::sync::mpsc::channel();
        assert!(run_for_at_most(
            move || tx.send(7).unwrap(),
            Duration::from_secs(60)
        ));
        assert_eq!(rx.recv().unwrap(), 7);
        let (release, stuck) = std::sync::mpsc::channel::<()>();
        // Never finishes until released: the wait gives up at its deadline.
        assert!(!run_for_at_most(
            move || {
                let _ = stuck.recv();
            },
            Duration::from_millis(50)
        ));
        drop(release);
    }

    #[test]
    fn exit_codes_are_the_documented_ones() {
        assert_eq!(
            [Exit::Ok, Exit::Failed, Exit::Usage, Exit::Interrupted].map(|e| e as u8),
            [0, 1, 2, 130]
        );
    }
}
