//! The run loop with a fake backend, a fake driver and a fake builder: no process, no Docker,
//! no network, a few seconds in all.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::backend::fake::{FakeBackend, FakeHealth};
use crate::driver::fake::{Act, FakeDriver};
use crate::model::{CapacityLimit, Status, Summary};
use crate::placement::Resolved;
use crate::plan::PlanArgs;
use crate::prepare::Prepared;
use crate::prepare::{Built, NotBuilt};
use crate::scenario::Scenario;
use crate::scrape::fake::FakeScraper;
use crate::stacks::{Launch, Stack};

/// Builds nothing: every stack is `/bin/true`, except those it is told are missing.
struct FakeBuilder {
    missing: Vec<&'static str>,
}

impl Builder for FakeBuilder {
    fn build(
        &self,
        stack: &Stack,
        _backend: &dyn Backend,
        _workers: Option<usize>,
    ) -> Result<Built, NotBuilt> {
        if self.missing.contains(&stack.name) {
            return Err(NotBuilt::Skipped("a toolchain is missing".into()));
        }
        Ok(Built {
            prepared: Prepared {
                launch: Launch {
                    program: PathBuf::from("/bin/true"),
                    args: Vec::new(),
                    env: Vec::new(),
                    artifacts: Vec::new(),
                },
                image: None,
            },
            binary_bytes: None,
            runtime_bytes: None,
            command: "true".into(),
            image: None,
        })
    }
}

const SCENARIO: &str = r#"
description = "Two short steps, for the run loop's tests."
repeat = 2
sample_interval_ms = 10
idle_seconds = 0

[[step]]
name = "one"
users = 1
seconds = 1

[[step]]
name = "two"
users = 1
seconds = 1
"#;

fn scenario(repeat: u32) -> Scenario {
    let mut s = crate::scenario::parse(SCENARIO, Path::new("test.toml")).unwrap();
    s.repeat = repeat;
    s.idle = Duration::from_millis(40);
    s.warmup = None;
    s
}

struct Case {
    backend: FakeBackend,
    never_ready: Vec<String>,
    driver: FakeDriver,
    builder: FakeBuilder,
    cancel: Cancel,
    scraper: FakeScraper,
}

impl Case {
    fn new(driver: FakeDriver) -> Self {
        Self {
            backend: FakeBackend::new(&[]),
            never_ready: Vec::new(),
            driver,
            builder: FakeBuilder {
                missing: Vec::new(),
            },
            cancel: Cancel::new(),
            scraper: FakeScraper {
                scrapes: 3,
                ..FakeScraper::default()
            },
        }
    }

    fn run(&self, out: &Path, stacks: &[&str], repeat: u32) -> Result<Outcome, RunError> {
        self.run_scenario(out, stacks, scenario(repeat))
    }

    fn run_scenario(
        &self,
        out: &Path,
        stacks: &[&str],
        scenario: Scenario,
    ) -> Result<Outcome, RunError> {
        let args = PlanArgs {
            stacks: Some(stacks.iter().map(|s| (*s).to_owned()).collect()),
            root: out.to_owned(),
            out: Some(out.to_owned()),
            quiet: true,
            ..PlanArgs::default()
        };
        let mut scenario = scenario;
        scenario.boot_timeout = Some(Duration::from_millis(200));
        let plan = crate::plan::build(&args, scenario).unwrap();
        let placement = Resolved::default();
        let health = FakeHealth {
            never: self.never_ready.clone(),
            directory: std::sync::Arc::clone(&self.backend.directory),
        };
        let reporter = Reporter::new(true);
        let walk = Walk {
            plan: &plan,
            run_id: "test-run".into(),
            env: Environment::capture(out, "", placement.clone()),
            placement,
        };
        let world = World {
            backend: &self.backend,
            driver: &self.driver,
            health: &health,
            builder: &self.builder,
            reporter: &reporter,
            cancel: &self.cancel,
            scraper: &self.scraper,
        };
        execute(walk, &world)
    }

    fn stack_of(&self, addr: std::net::SocketAddr) -> String {
        FakeBackend::stack_at(&self.backend.directory, addr)
    }
}

fn serve_all() -> FakeDriver {
    FakeDriver::new(|_, _| Act::Serve)
}

fn stack<'a>(summary: &'a Summary, name: &str) -> &'a crate::model::StackSummary {
    summary.stacks.iter().find(|s| s.stack == name).unwrap()
}

#[test]
fn order_rotates_per_repeat_and_every_service_is_stopped() {
    let out = tempfile::tempdir().unwrap();
    let case = Case::new(serve_all());
    let outcome = case
        .run(out.path(), &["floor", "hyper", "axum"], 3)
        .unwrap();
    assert_eq!(
        *case.backend.started.borrow(),
        [
            "floor", "hyper", "axum", "hyper", "axum", "floor", "axum", "floor", "hyper"
        ]
    );
    assert_eq!(*case.backend.stopped.lock().unwrap(), 9);
    assert_eq!(*case.backend.closed.borrow(), 1);
    let summary = &outcome.summary;
    assert!(summary.complete && !summary.interrupted);
    for name in ["floor", "hyper", "axum"] {
        let s = stack(summary, name);
        assert_eq!((s.status, s.runs.len()), (Status::Ok, 3), "{name}");
        assert!(s.runs.iter().all(|r| r.steps.len() == 2));
        assert_eq!(
            s.idle_kb,
            Some(10_240),
            "idle memory from the fake's readings"
        );
    }
    // Two steps per stack and repeat, each sent to the stack that was started for it.
    let calls = case.driver.calls.borrow();
    assert_eq!(calls.len(), 18);
    assert_eq!(case.stack_of(calls[0].0), "floor");
    assert_eq!(case.stack_of(calls[2].0), "hyper");
    // Everything is in the folder, read back as the report reads it.
    let written = crate::results::load_summary(&outcome.dir).unwrap();
    assert!(written.complete);
    let runs = |s: &Summary| -> Vec<(String, usize)> {
        s.stacks
            .iter()
            .map(|x| (x.stack.clone(), x.runs.len()))
            .collect()
    };
    assert_eq!(runs(&written), runs(summary));
    assert!(outcome.dir.join("latency.csv").exists());
}

#[test]
fn a_metrics_rung_is_scraped_and_its_scrapes_recorded() {
    let out = tempfile::tempdir().unwrap();
    let case = Case::new(serve_all());
    let outcome = case.run(out.path(), &["axum", "axum@metrics"], 1).unwrap();
    let started = case.scraper.started.lock().unwrap().clone();
    assert_eq!(started.len(), 1, "only the rung is scraped: {started:?}");
    assert_eq!(started[0].1, "axum@metrics");
    let rung = stack(&outcome.summary, "axum@metrics");
    let scrapes = rung.runs[0].scrapes.as_ref().expect("the rung's scrapes");
    assert_eq!((scrapes.scrapes, scrapes.up), (3, 3));
    assert!(stack(&outcome.summary, "axum").runs[0].scrapes.is_none());
    let rows: Vec<crate::results::ScrapeRow> = crate::results::read_run(&outcome.dir).unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.stack == "axum@metrics" && r.up == 1));
}

#[test]
fn a_failing_stack_is_recorded_while_the_rest_go_on() {
    let out = tempfile::tempdir().unwrap();
    let mut case = Case::new(serve_all());
    case.backend = FakeBackend::new(&["hyper"]);
    case.builder.missing = vec!["axum"];
    let outcome = case
        .run(out.path(), &["floor", "hyper", "axum"], 2)
        .unwrap();
    let summary = &outcome.summary;
    assert_eq!(stack(summary, "floor").status, Status::Ok);
    assert_eq!(stack(summary, "floor").runs.len(), 2);
    let hyper = stack(summary, "hyper");
    assert_eq!(hyper.status, Status::Failed);
    assert!(
        hyper.runs[0]
            .failure
            .as_deref()
            .unwrap()
            .contains("refused by the test")
    );
    let axum = stack(summary, "axum");
    assert_eq!(axum.status, Status::Skipped);
    assert_eq!(axum.reason.as_deref(), Some("a toolchain is missing"));
    assert!(!case.backend.started.borrow().contains(&"axum".to_owned()));
}

#[test]
fn a_step_that_fails_fails_its_stack_only() {
    let out = tempfile::tempdir().unwrap();
    let directory = FakeBackend::new(&[]).directory;
    let seen = std::sync::Arc::clone(&directory);
    let driver = FakeDriver::new(move |addr, step| {
        if FakeBackend::stack_at(&seen, addr) == "axum" && step.name == "two" {
            Act::Fail
        } else {
            Act::Serve
        }
    });
    let mut case = Case::new(driver);
    case.backend.directory = directory;
    let outcome = case.run(out.path(), &["axum", "floor"], 1).unwrap();
    let axum = stack(&outcome.summary, "axum");
    assert_eq!(axum.status, Status::Failed);
    assert_eq!(
        axum.runs[0].steps.len(),
        1,
        "the first step's figures are kept"
    );
    assert!(axum.runs[0].failure.as_deref().unwrap().contains("two"));
    assert_eq!(stack(&outcome.summary, "floor").status, Status::Ok);
}

#[test]
fn a_service_that_never_becomes_ready_times_out_and_is_stopped() {
    let out = tempfile::tempdir().unwrap();
    let mut case = Case::new(serve_all());
    case.never_ready = vec!["hyper".into()];
    let outcome = case.run(out.path(), &["hyper", "floor"], 1).unwrap();
    let hyper = stack(&outcome.summary, "hyper");
    assert_eq!(hyper.status, Status::Failed);
    let failure = hyper.runs[0].failure.as_deref().unwrap();
    assert!(failure.contains("no 200 from /health"), "{failure}");
    assert_eq!(
        *case.backend.stopped.lock().unwrap(),
        2,
        "both services stopped"
    );
    assert_eq!(stack(&outcome.summary, "floor").status, Status::Ok);
}

#[test]
fn an_interruption_inside_a_step_keeps_what_was_measured_and_runs_nothing_more() {
    let out = tempfile::tempdir().unwrap();
    let driver = FakeDriver::new(|_, step| {
        if step.name == "one" {
            Act::Interrupt
        } else {
            Act::Serve
        }
    });
    let case = Case::new(driver);
    let outcome = case.run(out.path(), &["floor", "hyper"], 2).unwrap();
    let summary = &outcome.summary;
    assert!(summary.interrupted && !summary.complete);
    assert_eq!(*case.backend.started.borrow(), ["floor"]);
    assert_eq!(*case.backend.stopped.lock().unwrap(), 1);
    let floor = stack(summary, "floor");
    assert_eq!(floor.status, Status::Interrupted);
    assert_eq!(floor.runs[0].interrupted.as_deref(), Some("one"));
    assert_eq!(floor.runs[0].steps.len(), 1);
    assert_eq!(stack(summary, "hyper").status, Status::Pending);
    assert_eq!(*case.backend.closed.borrow(), 1);
    assert!(
        crate::results::load_summary(&outcome.dir)
            .unwrap()
            .interrupted
    );
}

#[test]
fn an_interruption_between_stacks_starts_nothing_more() {
    let out = tempfile::tempdir().unwrap();
    let directory = FakeBackend::new(&[]).directory;
    let seen = std::sync::Arc::clone(&directory);
    // The last step of the first stack cancels the run as it ends.
    let driver = FakeDriver::new(move |addr, step| {
        if FakeBackend::stack_at(&seen, addr) == "floor" && step.name == "two" {
            Act::Interrupt
        } else {
            Act::Serve
        }
    });
    let mut case = Case::new(driver);
    case.backend.directory = directory;
    let outcome = case.run(out.path(), &["floor", "hyper"], 1).unwrap();
    assert_eq!(*case.backend.started.borrow(), ["floor"]);
    assert!(outcome.summary.interrupted);
    assert_eq!(stack(&outcome.summary, "floor").runs[0].steps.len(), 2);
    assert_eq!(stack(&outcome.summary, "hyper").status, Status::Pending);
}

#[test]
fn an_unwritable_results_folder_is_refused_before_anything_starts() {
    let out = tempfile::tempdir().unwrap();
    // A file where the results folder's parent should be.
    let blocked = out.path().join("blocked");
    std::fs::write(&blocked, b"not a folder").unwrap();
    let case = Case::new(serve_all());
    let err = case.run(&blocked, &["floor"], 1).unwrap_err();
    assert!(matches!(err, RunError::Results(_)), "{err}");
    assert!(err.to_string().contains("blocked"), "{err}");
    assert!(case.backend.started.borrow().is_empty());
    assert!(case.driver.calls.borrow().is_empty());
    assert_eq!(
        *case.backend.closed.borrow(),
        1,
        "the backend is still closed"
    );
}

/// A capacity search of probes held 1 s from 100 up to 400 rps.
fn capacity_scenario() -> Scenario {
    let mut s = crate::scenario::parse(
        "description = \"A short search.\"\nsample_interval_ms = 10\nidle_seconds = 0\n\
         [capacity]\nstart_rps = 100\nmax_rps = 400\nprobe_seconds = 1\nusers = 2\n",
        Path::new("test.toml"),
    )
    .unwrap();
    s.idle = Duration::from_millis(40);
    s.warmup = None;
    s
}

#[test]
fn a_capacity_search_runs_probes_instead_of_steps_and_records_each() {
    let out = tempfile::tempdir().unwrap();
    let case = Case::new(serve_all());
    let outcome = case
        .run_scenario(out.path(), &["floor"], capacity_scenario())
        .unwrap();
    let floor = stack(&outcome.summary, "floor");
    assert_eq!(floor.status, Status::Ok, "{:?}", floor.reason);
    let run = &floor.runs[0];
    assert!(run.steps.is_empty(), "probes are not steps");
    let search = run.capacity.as_ref().unwrap();
    // The fake answers every probe within the objective, unless the test process kept the
    // generator's CPUs busy: then the search stops at that probe.
    let rates: Vec<u32> = search.probes.iter().map(|p| p.rate).collect();
    assert!(
        [100, 200, 400].starts_with(&rates) && !rates.is_empty(),
        "{rates:?}"
    );
    assert!(
        matches!(
            search.limit,
            CapacityLimit::MaxRate | CapacityLimit::Generator
        ),
        "{search:?}"
    );
    let calls: Vec<String> = case
        .driver
        .calls
        .borrow()
        .iter()
        .map(|c| c.1.clone())
        .collect();
    let names: Vec<String> = (0..rates.len()).map(crate::capacity::probe_name).collect();
    assert_eq!(calls, names);
    // One row per probe, and the search over the repeats in the summary as written.
    let rows: Vec<crate::results::CapacityRow> = crate::results::read_run(&outcome.dir).unwrap();
    assert_eq!(rows.len(), rates.len());
    assert_eq!(
        (rows[0].stack.as_str(), rows[0].probe, rows[0].rate),
        ("floor", 1, 100)
    );
    let written = crate::results::load_summary(&outcome.dir).unwrap();
    let summary = stack(&written, "floor").capacity.as_ref().unwrap();
    assert_eq!(summary.limit, search.limit);
    assert!(summary.at_least, "neither limit is the service's");
    assert_eq!(summary.rps_per_core.map(|e| e.n), Some(1));
}

#[test]
fn an_interrupted_capacity_search_keeps_the_run_partial() {
    let out = tempfile::tempdir().unwrap();
    let case = Case::new(FakeDriver::new(|_, _| Act::Interrupt));
    let outcome = case
        .run_scenario(out.path(), &["floor", "hyper"], capacity_scenario())
        .unwrap();
    assert!(outcome.summary.interrupted);
    let floor = stack(&outcome.summary, "floor");
    assert_eq!(floor.status, Status::Interrupted);
    assert_eq!(floor.runs[0].interrupted.as_deref(), Some("probe-1"));
    let search = floor.runs[0].capacity.as_ref().unwrap();
    assert_eq!(search.limit, CapacityLimit::Interrupted);
    assert!(search.probes.is_empty(), "a probe cut short is not judged");
    assert_eq!(stack(&outcome.summary, "hyper").status, Status::Pending);
    assert_eq!(*case.backend.stopped.lock().unwrap(), 1);
}

#[test]
fn where_services_cannot_reach_the_harness_a_tracing_rungs_receiver_is_a_service_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let mut case = Case::new(serve_all());
    case.backend.isolated = true;
    let outcome = case.run(dir.path(), &["axum", "axum@tracing"], 1).unwrap();
    // The receiver is started before the rung, and only for the rung.
    assert_eq!(
        *case.backend.started.borrow(),
        ["axum", crate::stacks::RECEIVER.name, "axum@tracing"]
    );
    // The fake receiver answers no HTTP: its counts cannot be read, and the rung says so.
    let rung = &outcome.summary.stacks[1];
    let failure = rung.runs[0].failure.as_deref().unwrap_or_default();
    assert!(failure.contains("spans could not be counted"), "{failure}");

    // A receiver that cannot be built fails every tracing rung, with why; the rest run.
    let dir = tempfile::tempdir().unwrap();
    let mut case = Case::new(serve_all());
    case.backend.isolated = true;
    case.builder.missing = vec![crate::stacks::RECEIVER.name];
    let outcome = case.run(dir.path(), &["axum", "axum@tracing"], 1).unwrap();
    let (base, rung) = (&outcome.summary.stacks[0], &outcome.summary.stacks[1]);
    assert_eq!((base.status, rung.status), (Status::Ok, Status::Failed));
    let reason = rung.reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains("OTLP receiver") && reason.contains("not built"),
        "{reason}"
    );
}
