//! A landscape run on the local backend, for real: hyper+quotes beside the quotes service the
//! harness deploys, which it then stops and starts again, and makes slow. The breaker must be
//! seen to open when quotes dies and to close when it is back; every fault is recorded; the
//! downstream is sampled apart; every answer is an account (no error, no broken probe); and
//! nothing is left running.

use std::fs;

use harness::results::{BreakerRow, DownstreamRow, read_rows};

mod common;
use common::{marked, run_scenario};

/// Steps as short as still show the breaker close: "back" outlasts its 5 s open period.
const SCENARIO: &str = r#"description = "The breaker opens when quotes dies and closes when it is back."
stacks = ["hyper+quotes"]
idle_seconds = 1
load = "constant-rate"

[ids]
seeded = 1.0

[downstream]
service = "quotes"
slow_ms = 400
bases = false

[warmup]
seconds = 1
users = 4
rate = 200

[[step]]
name = "healthy"
users = 4
rate = 200
seconds = 2
ramp_seconds = 0

[[step]]
name = "down"
users = 4
rate = 200
seconds = 2
ramp_seconds = 0
downstream = "down"

[[step]]
name = "back"
users = 4
rate = 200
seconds = 7
ramp_seconds = 0
downstream = "healthy"

[[step]]
name = "slow"
users = 4
rate = 200
seconds = 2
ramp_seconds = 0
downstream = "slow"
"#;

#[test]
fn breaker_opens_when_quotes_dies_and_closes_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("breaker.toml");
    fs::write(&file, SCENARIO).unwrap();
    let ran = run_scenario(&[file.to_str().unwrap(), "--backend", "local", "--quiet"]);
    let summary = &ran.summary;
    assert_eq!(summary["complete"], true, "{}", ran.stdout);
    assert_eq!(summary["downstream"]["service"], "quotes");
    let stack = &summary["stacks"][0];
    assert_eq!(stack["stack"], "hyper+quotes");
    assert_eq!(stack["status"], "ok", "{stack}");
    let run = &stack["runs"][0];
    let landscape = &run["landscape"];
    assert!(
        landscape["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:"),
        "{landscape}"
    );

    // Every fault given, in order, and none failed.
    let faults: Vec<(&str, &str)> = landscape["faults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["step"].as_str().unwrap(), f["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(faults.len(), 3, "{faults:?}");
    assert!(faults[0].1.starts_with("stopped"), "{faults:?}");
    assert!(faults[1].1.starts_with("started again"), "{faults:?}");
    assert!(faults[2].1.contains("delay_ms=400"), "{faults:?}");
    let at = |i: usize| landscape["faults"][i]["at_s"].as_f64().unwrap();

    // The breaker as the probe saw it: quotes answered before the stop, the circuit opened
    // after it, closed after the restart and opened again once quotes was slow.
    let changes: Vec<(f64, &str)> = landscape["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["at_s"].as_f64().unwrap(), c["to"].as_str().unwrap()))
        .collect();
    let first = |after: f64, to: &str| changes.iter().find(|(t, s)| *t >= after && *s == to);
    let opened = first(at(0), "open").expect("open after quotes was stopped");
    assert!(opened.0 < at(1), "opened before the restart: {changes:?}");
    let closed = first(at(1), "closed").expect("closed after quotes came back");
    assert!(
        closed.0 < at(2),
        "closed before quotes turned slow: {changes:?}"
    );
    assert!(
        first(at(2), "open").is_some(),
        "open once slow: {changes:?}"
    );
    let seen = landscape["seen"].as_array().unwrap();
    assert!(seen[0].as_u64().unwrap() > 0, "probes with a quote");
    assert_eq!(seen[3], 0, "every probe got an account: {landscape}");

    // The variant answered every request with an account, whatever quotes did.
    for step in run["steps"].as_array().unwrap() {
        assert_eq!(step["errors"], 0, "{}", step["name"]);
    }
    // The downstream's figures apart: for the steps it ran, none while it was down.
    let steps = run["steps"].as_array().unwrap();
    let downstream = |name: &str| {
        steps.iter().find(|s| s["name"] == name).unwrap()["downstream"]["rss_kb"].as_u64()
    };
    assert!(downstream("healthy").is_some_and(|kb| kb > 0));
    assert!(downstream("down").is_none());

    // breaker.csv holds every probe and the faults; downstream.csv the downstream's samples.
    let rows: Vec<BreakerRow> = read_rows(&ran.run.join("breaker.csv")).unwrap();
    let probes = rows.iter().filter(|r| r.event == "probe").count() as u64;
    assert_eq!(probes, landscape["probes"].as_u64().unwrap());
    assert_eq!(rows.iter().filter(|r| r.event == "fault").count(), 3);
    let samples: Vec<DownstreamRow> = read_rows(&ran.run.join("downstream.csv")).unwrap();
    assert!(
        samples.iter().any(|s| s.phase == "back"),
        "sampled again after the restart"
    );
    assert!(samples.iter().all(|s| s.service == "quotes"));

    // The report shows the section and its figure.
    let report = ran.report();
    assert!(report.contains("id=\"resilience\""));
    assert!(report.contains("closed / failing / open / broken"));
    assert!(!report.contains("This figure could not be drawn"));
    assert!(marked(ran.id()).is_empty(), "nothing left running");
}

#[test]
fn a_variant_needs_a_scenario_with_its_downstream() {
    let output = common::harness()
        .args(["scenario", "ramp", "--quick", "--stacks", "axum+quotes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("axum+quotes calls the quotes service"),
        "{stderr}"
    );
    assert!(stderr.contains("[downstream]"), "{stderr}");
}
