//! Stopping early: one cancellation token carried through a run, the one Ctrl-C handler that
//! sets it, and the process's exit codes.
//!
//! Every loop that can last (a phase's sleep, a load step, a boot poll, the battery) checks the
//! token it was given; nothing reads a global. The first Ctrl-C cancels the token, so the run
//! winds down (load stopped, services stopped, results written); a second one exits at once.

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

/// The token Ctrl-C cancels: the handler is the process's, the token the current run's.
static CURRENT: Mutex<Option<Cancel>> = Mutex::new(None);

/// Makes Ctrl-C cancel `token`: the first press cancels it (and stops a running Goose attack),
/// the second exits with [`Exit::Interrupted`]. The process's handler is installed on the
/// first call; later calls (tests run several runs in one process) only point it at their
/// token. Returns whether the handler is in place.
pub fn install_interrupt(token: &Cancel) -> bool {
    *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        ctrlc::set_handler(|| {
            let token = CURRENT.lock().unwrap_or_else(|e| e.into_inner()).clone();
            match token {
                Some(token) if !token.cancel() => goose::trigger_killswitch("interrupted"),
                // A second press: the user insists.
                _ => std::process::exit(Exit::Interrupted as i32),
            }
        })
        .is_ok()
    })
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
    fn exit_codes_are_the_documented_ones() {
        assert_eq!(
            [Exit::Ok, Exit::Failed, Exit::Usage, Exit::Interrupted].map(|e| e as u8),
            [0, 1, 2, 130]
        );
    }
}
