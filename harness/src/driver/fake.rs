//! A load driver for tests of the run loop: canned figures, no network.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::SocketAddr;

use chrono::Utc;

use super::{LoadDriver, LoadError};
use crate::cancel::Cancel;
use crate::model::{KindResult, StepLoad};
use crate::scenario::Step;

/// What the fake does on a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    /// Answer at once with `requests` seeded requests.
    Serve,
    /// Fail the step.
    Fail,
    /// Cancel the run's token during the step (as a Ctrl-C would), then answer.
    Interrupt,
}

/// What the fake does on each step, by the service's address and the step.
pub type Rule = Box<dyn Fn(SocketAddr, &Step) -> Act>;

/// A driver whose every step answers at once; what it does per step is set by a rule.
pub struct FakeDriver {
    rule: Rule,
    /// The steps it was asked to run, in order: (address, step name).
    pub calls: RefCell<Vec<(SocketAddr, String)>>,
}

impl FakeDriver {
    /// A driver that acts by `rule`.
    pub fn new(rule: impl Fn(SocketAddr, &Step) -> Act + 'static) -> Self {
        Self {
            rule: Box::new(rule),
            calls: RefCell::new(Vec::new()),
        }
    }
}

impl LoadDriver for FakeDriver {
    fn describe(&self) -> String {
        "fake".to_owned()
    }

    fn run_step(
        &self,
        addr: SocketAddr,
        step: &Step,
        cancel: &Cancel,
    ) -> Result<StepLoad, LoadError> {
        self.calls.borrow_mut().push((addr, step.name.clone()));
        match (self.rule)(addr, step) {
            Act::Fail => return Err(LoadError::Goose(format!("{}: refused", step.name))),
            Act::Interrupt => {
                cancel.cancel();
            }
            Act::Serve => {}
        }
        let end = Utc::now();
        let requests = 1000;
        Ok(StepLoad {
            kinds: vec![KindResult {
                kind: "seeded".into(),
                requests,
                statuses: BTreeMap::from([(200, requests)]),
                errors: 0,
                p50_us: 100,
                p90_us: 150,
                p99_us: 200,
                p999_us: 300,
                max_us: 400,
                mean_us: 110,
                intended: None,
                ..KindResult::default()
            }],
            window_start: end - chrono::Duration::seconds(1),
            window_end: end,
            coordinated_omission: "fake".into(),
            generator_late_us: None,
            answered: None,
            ..StepLoad::default()
        })
    }

    fn cpu_seconds(&self) -> Option<f64> {
        None
    }
}
