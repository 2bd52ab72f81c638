//! A capacity search through the real binary, against one real stack on the local backend: a
//! scenario file of three 1 s probes at most, so it ends in seconds. Its figures mean nothing
//! (an objective this loose holds anywhere); what is checked is that the search reaches
//! `summary.json`, `capacity.csv`, the terminal and the report.

mod common;
use common::run_scenario;

use harness::results::{CapacityRow, read_run};

const SCENARIO: &str = r#"
description = "A short capacity search for the harness's tests."
idle_seconds = 1
sample_interval_ms = 50

[warmup]
seconds = 0

[capacity]
slo_p99_ms = 200
start_rps = 200
max_rps = 800
probe_seconds = 1
resolution = 0.25
users = 4
"#;

#[test]
fn a_short_search_against_floor_reaches_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("short-capacity.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    let ran = run_scenario(&[
        file.to_str().unwrap(),
        "--stacks",
        "floor",
        "--backend",
        "local",
        "--quiet",
    ]);
    let stack = &ran.summary["stacks"][0];
    assert_eq!(stack["status"], "ok", "{}", stack["reason"]);
    let summary = &stack["capacity"];
    let limit = summary["limit"].as_str().unwrap();
    // 200, 400 and 800 rps hold such an objective unless the generator falls behind first.
    assert!(["max-rate", "generator"].contains(&limit), "{summary}");
    assert_eq!(summary["at_least"], true, "{summary}");
    if limit == "max-rate" {
        assert_eq!(summary["rps_per_core"]["median"], 800.0, "{summary}");
    }
    let search = &stack["runs"][0]["capacity"];
    let probes = search["probes"].as_array().unwrap();
    assert!(!probes.is_empty() && probes.len() <= 3, "{search}");
    assert_eq!(search["service_cpus"], 1, "the service on CPU 1 alone");
    assert!(
        probes[0]["intended_p99_us"].as_u64().unwrap() > 0,
        "{search}"
    );
    let rows: Vec<CapacityRow> = read_run(&ran.run).unwrap();
    assert_eq!(rows.len(), probes.len());
    let rates: Vec<u32> = rows.iter().map(|r| r.rate).collect();
    assert!([200, 400, 800].starts_with(&rates), "{rates:?}");
    assert!(rows.iter().all(|r| !r.verdict.is_empty() && r.requests > 0));
    assert!(
        ran.stdout.contains("capacity: the highest rate"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.report().contains("id=\"capacity\""),
        "the report's section"
    );
}
