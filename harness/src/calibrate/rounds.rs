//! The rounds of a calibration: which drivers run in which order at which step, each one
//! measured, and what its figures are. The drivers come in behind [`LoadDriver`], so the
//! rounds are tested with fakes.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::ratios::combine;
use super::{CalibrateError, ToolFigures, ToolRuns, tool};
use crate::cancel::Cancel;
use crate::driver::LoadDriver;
use crate::model::StepLoad;
use crate::sample::{ProcSource, Source};
use crate::scenario::Step;

/// How many times wrk's throughput of the round the constant-rate driver is asked for, to
/// find its ceiling: well above what it can serve, so what it serves is its limit.
pub const CEILING_FACTOR: f64 = 2.0;

/// One driver's run in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// The Goose driver, at the calibration's rate (or unthrottled).
    Goose,
    /// wrk, unthrottled.
    Wrk,
    /// The constant-rate driver at [`CEILING_FACTOR`] times wrk's throughput of the round.
    ConstantRateCeiling,
    /// The constant-rate driver at the calibration's rate: its raw and corrected figures.
    ConstantRate,
    /// oha at the calibration's rate, latency from each request's send.
    Oha,
    /// oha at the calibration's rate with `--latency-correction`.
    OhaCorrected,
}

impl Run {
    /// The rows this run gives: the tool's name and whether its percentiles are corrected
    /// (counted from when each request was due).
    pub fn rows(self) -> &'static [(&'static str, bool)] {
        match self {
            Run::Goose => &[(tool::GOOSE, false)],
            Run::Wrk => &[(tool::WRK, false)],
            Run::ConstantRateCeiling => &[(tool::CONSTANT_RATE, false)],
            Run::ConstantRate => &[
                (tool::CONSTANT_RATE, false),
                (tool::CONSTANT_RATE_CORRECTED, true),
            ],
            Run::Oha => &[(tool::OHA, false)],
            Run::OhaCorrected => &[(tool::OHA_CORRECTED, true)],
        }
    }
}

/// The runs of round `round` (from 0), in order. The order alternates between rounds, so a
/// service still warming up (a JVM's JIT) favours no tool: at a rate the list is reversed in
/// odd rounds; unthrottled, Goose goes first in even rounds and last in odd ones, and the
/// constant-rate ceiling always follows wrk, whose throughput it is asked twice of.
pub fn order(rate: Option<u32>, round: u32) -> Vec<Run> {
    let even = round.is_multiple_of(2);
    match rate {
        None if even => vec![Run::Goose, Run::Wrk, Run::ConstantRateCeiling],
        None => vec![Run::Wrk, Run::ConstantRateCeiling, Run::Goose],
        Some(_) => {
            let mut runs = vec![Run::Goose, Run::ConstantRate, Run::Oha, Run::OhaCorrected];
            if !even {
                runs.reverse();
            }
            runs
        }
    }
}

/// The rows of a calibration, in the order they are shown and written.
pub fn rows(rate: Option<u32>) -> Vec<(&'static str, bool)> {
    let runs: &[Run] = match rate {
        None => &[Run::Goose, Run::Wrk, Run::ConstantRateCeiling],
        Some(_) => &[Run::Goose, Run::ConstantRate, Run::Oha, Run::OhaCorrected],
    };
    runs.iter().flat_map(|r| r.rows().iter().copied()).collect()
}

/// What a calibration's rounds are: the operating point and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Requests per second over all connections; `None`: unthrottled.
    pub rate: Option<u32>,
    /// Connections of each driver.
    pub users: usize,
    /// Seconds each run lasts.
    pub seconds: u64,
    /// Rounds.
    pub rounds: u32,
}

/// The drivers of a calibration; the external tools are there only in the mode that runs them.
pub struct Drivers<'a> {
    /// The Goose driver.
    pub goose: &'a dyn LoadDriver,
    /// The constant-rate driver.
    pub constant_rate: &'a dyn LoadDriver,
    /// wrk (unthrottled).
    pub wrk: Option<&'a dyn LoadDriver>,
    /// oha, raw (at a rate).
    pub oha: Option<&'a dyn LoadDriver>,
    /// oha with `--latency-correction` (at a rate).
    pub oha_corrected: Option<&'a dyn LoadDriver>,
}

impl<'a> Drivers<'a> {
    fn get(&self, run: Run) -> Result<&'a dyn LoadDriver, CalibrateError> {
        match run {
            Run::Goose => Some(self.goose),
            Run::ConstantRate | Run::ConstantRateCeiling => Some(self.constant_rate),
            Run::Wrk => self.wrk,
            Run::Oha => self.oha,
            Run::OhaCorrected => self.oha_corrected,
        }
        .ok_or_else(|| CalibrateError::Run(format!("no driver for {run:?}")))
    }
}

/// The step of `run` in a round: the plan's connections and seconds, and its rate; the
/// constant-rate ceiling's from wrk's throughput in the same round (`wrk_rps`).
pub fn step(plan: &Plan, run: Run, wrk_rps: Option<f64>) -> Result<Step, CalibrateError> {
    let rate = match run {
        Run::Wrk => None,
        Run::ConstantRateCeiling => {
            let wrk = wrk_rps.ok_or_else(|| {
                CalibrateError::Run("the constant-rate ceiling needs wrk's rate first".into())
            })?;
            Some(
                (wrk * CEILING_FACTOR)
                    .ceil()
                    .clamp(1.0, f64::from(u32::MAX)) as u32,
            )
        }
        Run::Goose | Run::ConstantRate | Run::Oha | Run::OhaCorrected => plan.rate,
    };
    Ok(Step {
        name: run.rows()[0].0.to_owned(),
        users: plan.users,
        rate,
        ramp: Duration::ZERO,
        hold: Duration::from_secs(plan.seconds.max(1)),
        pause: (Duration::ZERO, Duration::ZERO),
    })
}

/// Runs every round against `addr` and returns each row's figures per round and over all
/// of them, in the order of [`rows`]. `say` is told what runs before it does.
pub fn run(
    plan: &Plan,
    drivers: &Drivers,
    addr: SocketAddr,
    cancel: &Cancel,
    say: &dyn Fn(&str),
) -> Result<Vec<ToolRuns>, CalibrateError> {
    let mut out: Vec<ToolRuns> = rows(plan.rate)
        .into_iter()
        .map(|(name, corrected)| ToolRuns {
            tool: name.to_owned(),
            driver: String::new(),
            corrected,
            rounds: Vec::new(),
            all: combine(name, &[]),
        })
        .collect();
    for round in 0..plan.rounds.max(1) {
        let mut wrk_rps = None;
        for run in order(plan.rate, round) {
            if cancel.is_cancelled() {
                return Err(CalibrateError::Run("interrupted".into()));
            }
            let driver = drivers.get(run)?;
            let step = step(plan, run, wrk_rps)?;
            say(&format!(
                "round {}: {} ({}), {} connections, {}, {} s",
                round + 1,
                step.name,
                driver.describe(),
                step.users,
                match (run, step.rate) {
                    (Run::ConstantRateCeiling, Some(r)) => format!(
                        "{r} requests/s ({CEILING_FACTOR}x wrk's throughput of the round, its ceiling)"
                    ),
                    (_, Some(r)) => format!("{r} requests/s"),
                    (_, None) => "unthrottled".to_owned(),
                },
                plan.seconds
            ));
            let measured = measure(driver, addr, &step, cancel)?;
            for &(name, corrected) in run.rows() {
                let f = figures(name, &measured, corrected, step.rate)
                    .map_err(|why| CalibrateError::Run(format!("{name}: {why}")))?;
                if run == Run::Wrk {
                    wrk_rps = Some(f.rps);
                }
                let row = out
                    .iter_mut()
                    .find(|r| r.tool == name)
                    .ok_or_else(|| CalibrateError::Run(format!("no row for {name}")))?;
                row.driver = driver.describe();
                row.rounds.push(f);
            }
        }
    }
    for row in &mut out {
        row.all = combine(&row.tool, &row.rounds);
    }
    Ok(out)
}

/// One run's load and the CPU it cost.
#[derive(Debug, Clone)]
pub struct Measured {
    /// What the driver measured.
    pub load: StepLoad,
    /// CPU the harness process used meanwhile, cores.
    pub harness_cores: Option<f64>,
    /// CPU the driver used, cores (the harness process for the in-process drivers, the child
    /// for an external tool).
    pub tool_cores: Option<f64>,
}

/// Runs `step` with `driver`, with the CPU it used.
fn measure(
    driver: &dyn LoadDriver,
    addr: SocketAddr,
    step: &Step,
    cancel: &Cancel,
) -> Result<Measured, CalibrateError> {
    let harness = || {
        ProcSource::current()
            .read()
            .ok()
            .map(|r| r.cpu_us as f64 / 1e6)
    };
    let (tool_before, harness_before) = (driver.cpu_seconds(), harness());
    let wall = Instant::now();
    let load = driver
        .run_step(addr, step, cancel)
        .map_err(|e| CalibrateError::Run(format!("{}: {e}", step.name)))?;
    let elapsed = wall.elapsed().as_secs_f64().max(1e-9);
    let cores =
        |before: Option<f64>, after: Option<f64>| before.zip(after).map(|(a, b)| (b - a) / elapsed);
    Ok(Measured {
        load,
        harness_cores: cores(harness_before, harness()),
        tool_cores: cores(tool_before, driver.cpu_seconds()),
    })
}

/// The figures of one row from a run: requests served (answered as the contract says),
/// their rate over the measured window, and the percentiles from each request's send or,
/// `corrected`, from when it was due (the driver's `intended` figures; an error when it gave
/// none). Failures include, for the constant-rate driver, the slots it could not send.
pub fn figures(
    tool: &str,
    m: &Measured,
    corrected: bool,
    rate: Option<u32>,
) -> Result<ToolFigures, String> {
    let kind = m
        .load
        .kinds
        .iter()
        .find(|k| k.kind == "seeded")
        .ok_or("no request was measured")?;
    let (p50_us, p99_us) = if corrected {
        let p = kind
            .intended
            .ok_or("the driver gave no corrected percentiles")?;
        (p.p50_us, p.p99_us)
    } else {
        (kind.p50_us, kind.p99_us)
    };
    let requests = kind.requests.saturating_sub(kind.errors);
    let seconds = m.load.seconds();
    Ok(ToolFigures {
        tool: tool.to_owned(),
        requests,
        seconds,
        rps: ToolFigures::per_second(requests, seconds),
        target_rps: rate.map(f64::from),
        p50_us,
        p99_us,
        errors: kind.errors,
        harness_cores: m.harness_cores,
        tool_cores: m.tool_cores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::LoadError;
    use crate::model::{KindResult, Percentiles};
    use chrono::Utc;
    use std::cell::RefCell;

    /// Serves `rate` requests per second at a rate, `unthrottled` without one, for one second;
    /// raw p50 100 µs, corrected 150 µs when `corrected`.
    struct Fake {
        name: &'static str,
        unthrottled: u64,
        corrected: bool,
        calls: &'static RefCell<Vec<(&'static str, Option<u32>)>>,
    }

    impl LoadDriver for Fake {
        fn describe(&self) -> String {
            format!("fake {}", self.name)
        }

        fn run_step(&self, _: SocketAddr, step: &Step, _: &Cancel) -> Result<StepLoad, LoadError> {
            self.calls.borrow_mut().push((self.name, step.rate));
            let requests = step.rate.map_or(self.unthrottled, u64::from);
            let end = Utc::now();
            Ok(StepLoad {
                kinds: vec![KindResult {
                    kind: "seeded".into(),
                    requests: requests + 10,
                    errors: 10,
                    p50_us: 100,
                    p99_us: 1000,
                    intended: self.corrected.then_some(Percentiles {
                        p50_us: 150,
                        p99_us: 3000,
                        ..Percentiles::default()
                    }),
                    ..KindResult::default()
                }],
                window_start: end - chrono::Duration::seconds(1),
                window_end: end,
                coordinated_omission: String::new(),
                generator_late_us: None,
                answered: None,
                ..StepLoad::default()
            })
        }

        fn cpu_seconds(&self) -> Option<f64> {
            None
        }
    }

    fn calls() -> &'static RefCell<Vec<(&'static str, Option<u32>)>> {
        Box::leak(Box::new(RefCell::new(Vec::new())))
    }

    fn fake(
        name: &'static str,
        unthrottled: u64,
        corrected: bool,
        calls: &'static RefCell<Vec<(&'static str, Option<u32>)>>,
    ) -> Fake {
        Fake {
            name,
            unthrottled,
            corrected,
            calls,
        }
    }

    fn plan(rate: Option<u32>, rounds: u32) -> Plan {
        Plan {
            rate,
            users: 4,
            seconds: 1,
            rounds,
        }
    }

    #[test]
    fn the_order_alternates_and_the_ceiling_follows_wrk() {
        use Run::*;
        assert_eq!(order(None, 0), [Goose, Wrk, ConstantRateCeiling]);
        assert_eq!(order(None, 1), [Wrk, ConstantRateCeiling, Goose]);
        assert_eq!(order(None, 2), order(None, 0));
        assert_eq!(order(Some(10), 0), [Goose, ConstantRate, Oha, OhaCorrected]);
        assert_eq!(order(Some(10), 1), [OhaCorrected, Oha, ConstantRate, Goose]);
        let names: Vec<_> = rows(Some(10)).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "goose",
                "constant-rate",
                "constant-rate-corrected",
                "oha",
                "oha-corrected"
            ]
        );
    }

    #[test]
    fn the_ceiling_is_asked_twice_what_wrk_served() {
        let s = step(&plan(None, 1), Run::ConstantRateCeiling, Some(1000.4)).unwrap();
        assert_eq!(
            (s.rate, s.users, s.name.as_str()),
            (Some(2001), 4, "constant-rate")
        );
        assert!(step(&plan(None, 1), Run::ConstantRateCeiling, None).is_err());
        assert_eq!(
            step(&plan(Some(300), 1), Run::Oha, None).unwrap().rate,
            Some(300)
        );
        assert_eq!(
            step(&plan(Some(300), 1), Run::Wrk, None).unwrap().rate,
            None
        );
    }

    #[test]
    fn unthrottled_rounds_run_goose_wrk_and_the_ceiling() {
        let calls = calls();
        let (goose, wrk, open) = (
            fake("goose", 500, false, calls),
            fake("wrk", 1000, false, calls),
            fake("constant-rate", 0, true, calls),
        );
        let drivers = Drivers {
            goose: &goose,
            constant_rate: &open,
            wrk: Some(&wrk),
            oha: None,
            oha_corrected: None,
        };
        let said = RefCell::new(Vec::new());
        let addr = "127.0.0.1:1".parse().unwrap();
        let out = run(&plan(None, 2), &drivers, addr, &Cancel::new(), &|l| {
            said.borrow_mut().push(l.to_owned())
        })
        .unwrap();
        assert_eq!(
            *calls.borrow(),
            [
                ("goose", None),
                ("wrk", None),
                ("constant-rate", Some(2000)),
                ("wrk", None),
                ("constant-rate", Some(2000)),
                ("goose", None),
            ]
        );
        let names: Vec<_> = out.iter().map(|r| r.tool.as_str()).collect();
        assert_eq!(names, ["goose", "wrk", "constant-rate"]);
        let ceiling = &out[2];
        assert_eq!(ceiling.rounds.len(), 2);
        assert!((ceiling.all.rps - 2000.0).abs() < 1.0, "{ceiling:?}");
        assert_eq!(ceiling.all.target_rps, Some(2000.0));
        assert_eq!((ceiling.all.requests, ceiling.all.errors), (4000, 20));
        assert!((out[1].all.rps - 1000.0).abs() < 1.0);
        assert_eq!(out[1].driver, "fake wrk");
        assert!(
            said.borrow()[2].contains("2000 requests/s (2x wrk's"),
            "{said:?}"
        );
    }

    #[test]
    fn rate_rounds_give_raw_and_corrected_rows() {
        let calls = calls();
        let (goose, open, oha, oha_c) = (
            fake("goose", 0, false, calls),
            fake("constant-rate", 0, true, calls),
            fake("oha", 0, false, calls),
            fake("oha-corrected", 0, true, calls),
        );
        let drivers = Drivers {
            goose: &goose,
            constant_rate: &open,
            wrk: None,
            oha: Some(&oha),
            oha_corrected: Some(&oha_c),
        };
        let addr = "127.0.0.1:1".parse().unwrap();
        let out = run(&plan(Some(300), 1), &drivers, addr, &Cancel::new(), &|_| {}).unwrap();
        assert!(calls.borrow().iter().all(|&(_, rate)| rate == Some(300)));
        let row = |name: &str| &out.iter().find(|r| r.tool == name).unwrap().all;
        assert_eq!(row("constant-rate").p50_us, 100);
        assert_eq!(row("constant-rate-corrected").p50_us, 150);
        assert_eq!(row("oha").p99_us, 1000);
        assert_eq!(row("oha-corrected").p99_us, 3000);
        assert!(out.iter().all(|r| r.all.target_rps == Some(300.0)));
        assert!(out[2].corrected && !out[1].corrected);
    }

    #[test]
    fn a_corrected_row_without_corrected_figures_fails_and_a_cancel_stops() {
        let calls = calls();
        let (goose, open) = (
            fake("goose", 0, false, calls),
            fake("constant-rate", 0, false, calls),
        );
        let drivers = Drivers {
            goose: &goose,
            constant_rate: &open,
            wrk: None,
            oha: None,
            oha_corrected: None,
        };
        let addr = "127.0.0.1:1".parse().unwrap();
        let err = run(&plan(Some(300), 1), &drivers, addr, &Cancel::new(), &|_| {})
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("constant-rate-corrected: the driver gave no corrected"),
            "{err}"
        );
        let cancel = Cancel::new();
        cancel.cancel();
        let err = run(&plan(Some(300), 1), &drivers, addr, &cancel, &|_| {}).unwrap_err();
        assert_eq!(err.to_string(), "interrupted");
    }
}
