//! The circuit breaker in front of the downstream quotes service (contract L4), without a
//! clock of its own: every call is given `now`, so the rules are tested without waiting.
//!
//! Closed, it lets every call through and counts failures in a sliding window; `failures`
//! of them within `window` open it. Open, it lets nothing through for `open_for`. Then it is
//! half-open: one call (the probe) goes through while the others are still turned away; the
//! probe's success closes the breaker, its failure opens it again. A probe that never reports
//! (its caller went away) is replaced by another after `open_for`.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The breaker's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Failures within `window` that open the breaker (`BREAKER_FAILURES`, default 5).
    pub failures: u32,
    /// The window failures are counted in (`BREAKER_WINDOW_MS`, default 10 s).
    pub window: Duration,
    /// How long the breaker stays open before a probe (`BREAKER_OPEN_MS`, default 5 s).
    pub open_for: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failures: 5,
            window: Duration::from_secs(10),
            open_for: Duration::from_secs(5),
        }
    }
}

/// The breaker's state, as the service reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are turned away.
    Open,
    /// One probe is through; the rest are turned away until it reports.
    HalfOpen,
}

impl BreakerState {
    /// The state in words: `closed`, `open`, `half-open`.
    pub fn word(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half-open",
        }
    }
}

/// What the breaker says to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a call the breaker let through must report with `Breaker::record`"]
pub enum Admission {
    /// Closed: call, then report.
    Call,
    /// Half-open: this call is the probe; report it.
    Probe,
    /// Open (or a probe is out): do not call.
    Rejected,
}

#[derive(Debug)]
enum State {
    Closed { failures: VecDeque<Instant> },
    Open { until: Instant },
    HalfOpen { since: Instant },
}

/// A circuit breaker, shared by every request of a service.
#[derive(Debug)]
pub struct Breaker {
    config: BreakerConfig,
    state: Mutex<State>,
}

/// A change of state, for the service to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: BreakerState,
    /// The state after.
    pub to: BreakerState,
}

impl Breaker {
    /// A closed breaker with `config`'s rules.
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            state: Mutex::new(State::Closed {
                failures: VecDeque::new(),
            }),
        }
    }

    /// Whether a call may go through at `now`, and the transition that caused, if any.
    pub fn admit(&self, now: Instant) -> (Admission, Option<Transition>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match *state {
            State::Closed { .. } => (Admission::Call, None),
            State::Open { until } if now < until => (Admission::Rejected, None),
            State::Open { .. } => {
                *state = State::HalfOpen { since: now };
                (
                    Admission::Probe,
                    Some(Transition {
                        from: BreakerState::Open,
                        to: BreakerState::HalfOpen,
                    }),
                )
            }
            State::HalfOpen { since } if now.duration_since(since) < self.config.open_for => {
                (Admission::Rejected, None)
            }
            State::HalfOpen { .. } => {
                // The probe never reported: send another.
                *state = State::HalfOpen { since: now };
                (Admission::Probe, None)
            }
        }
    }

    /// Reports how a call the breaker let through ended; returns the transition, if any.
    pub fn record(&self, admission: Admission, ok: bool, now: Instant) -> Option<Transition> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let from = state_of(&state);
        match (&mut *state, admission) {
            (_, Admission::Rejected) => return None,
            (State::HalfOpen { .. }, Admission::Probe) => {
                *state = if ok {
                    State::Closed {
                        failures: VecDeque::new(),
                    }
                } else {
                    State::Open {
                        until: now + self.config.open_for,
                    }
                };
            }
            (State::Closed { failures }, Admission::Call) if !ok => {
                while failures
                    .front()
                    .is_some_and(|&t| now.duration_since(t) >= self.config.window)
                {
                    failures.pop_front();
                }
                failures.push_back(now);
                if failures.len() >= self.config.failures as usize {
                    *state = State::Open {
                        until: now + self.config.open_for,
                    };
                }
            }
            // A success while closed, or a call that reports after the state moved on.
            _ => return None,
        }
        let to = state_of(&state);
        (from != to).then_some(Transition { from, to })
    }

    /// The state now (an open breaker whose time is up still reads open until the next call).
    pub fn state(&self) -> BreakerState {
        state_of(&self.state.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

fn state_of(state: &State) -> BreakerState {
    match state {
        State::Closed { .. } => BreakerState::Closed,
        State::Open { .. } => BreakerState::Open,
        State::HalfOpen { .. } => BreakerState::HalfOpen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> (Breaker, Instant) {
        (Breaker::new(BreakerConfig::default()), Instant::now())
    }

    fn fail(b: &Breaker, at: Instant) -> Option<Transition> {
        let (admission, _) = b.admit(at);
        b.record(admission, false, at)
    }

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn five_failures_within_the_window_open_it() {
        let (b, t0) = breaker();
        for i in 0..4 {
            assert_eq!(fail(&b, t0 + secs(f64::from(i))), None);
        }
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(
            fail(&b, t0 + secs(4.0)),
            Some(Transition {
                from: BreakerState::Closed,
                to: BreakerState::Open
            })
        );
        assert_eq!(b.admit(t0 + secs(8.9)).0, Admission::Rejected);
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        let (b, t0) = breaker();
        for i in 0..4 {
            fail(&b, t0 + secs(f64::from(i)));
        }
        // The first failure (at 0 s) is 10 s old at 10 s: four in the window, still closed.
        assert_eq!(fail(&b, t0 + secs(10.0)), None);
        assert_eq!(b.state(), BreakerState::Closed);
        assert!(fail(&b, t0 + secs(10.5)).is_some());
    }

    #[test]
    fn successes_while_closed_change_nothing() {
        let (b, t0) = breaker();
        for i in 0..20 {
            let (a, _) = b.admit(t0 + secs(f64::from(i)));
            assert_eq!(a, Admission::Call);
            assert_eq!(b.record(a, true, t0), None);
        }
    }

    #[test]
    fn after_the_open_period_one_probe_goes_through_and_its_success_closes_it() {
        let (b, t0) = breaker();
        for _ in 0..5 {
            fail(&b, t0);
        }
        let (probe, change) = b.admit(t0 + secs(5.0));
        assert_eq!(probe, Admission::Probe);
        assert_eq!(change.map(|c| c.to), Some(BreakerState::HalfOpen));
        assert_eq!(
            b.admit(t0 + secs(5.1)).0,
            Admission::Rejected,
            "one probe at a time"
        );
        assert_eq!(
            b.record(probe, true, t0 + secs(5.2)),
            Some(Transition {
                from: BreakerState::HalfOpen,
                to: BreakerState::Closed
            })
        );
        assert_eq!(b.admit(t0 + secs(5.3)).0, Admission::Call);
    }

    #[test]
    fn a_failed_probe_opens_it_for_another_period() {
        let (b, t0) = breaker();
        for _ in 0..5 {
            fail(&b, t0);
        }
        let (probe, _) = b.admit(t0 + secs(5.0));
        assert_eq!(
            b.record(probe, false, t0 + secs(5.5)).map(|t| t.to),
            Some(BreakerState::Open)
        );
        assert_eq!(b.admit(t0 + secs(10.4)).0, Admission::Rejected);
        assert_eq!(b.admit(t0 + secs(10.5)).0, Admission::Probe);
    }

    #[test]
    fn a_probe_that_never_reports_is_replaced_after_the_open_period() {
        let (b, t0) = breaker();
        for _ in 0..5 {
            fail(&b, t0);
        }
        let (_lost, _) = b.admit(t0 + secs(5.0));
        assert_eq!(b.admit(t0 + secs(9.9)).0, Admission::Rejected);
        assert_eq!(b.admit(t0 + secs(10.0)).0, Admission::Probe);
    }

    #[test]
    fn late_reports_from_calls_admitted_while_closed_do_not_reopen_it() {
        let (b, t0) = breaker();
        let slow: Vec<Admission> = (0..3).map(|_| b.admit(t0).0).collect();
        for _ in 0..5 {
            fail(&b, t0);
        }
        let (probe, _) = b.admit(t0 + secs(5.0));
        // Calls let through before it opened report now: the probe alone decides.
        for a in slow {
            assert_eq!(b.record(a, false, t0 + secs(5.1)), None);
        }
        assert_eq!(b.state(), BreakerState::HalfOpen);
        b.record(probe, true, t0 + secs(5.2));
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
