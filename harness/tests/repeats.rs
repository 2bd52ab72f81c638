//! Repeats and the constant-rate load through the real binary: figures over repeats with their
//! spread (and no interval three or fewer repeats cannot give), raw and corrected percentiles,
//! and what the harness cost, recorded in `env.json`.

use std::fs;

use harness::results::{LatencyRow, read_run};
use serde_json::Value;

mod common;
use common::harness;

#[test]
fn quick_steady_twice_gives_spreads_and_corrected_latency() {
    let dir = tempfile::tempdir().unwrap();
    let reports = tempfile::tempdir().unwrap();
    let assert = harness()
        .args([
            "scenario", "steady", "--quick", "--repeat", "2", "--stacks", "floor", "--quiet",
            "--out",
        ])
        .arg(dir.path())
        .arg("--reports")
        .arg(reports.path())
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let run = fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let summary: Value =
        serde_json::from_str(&fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["schema_version"], harness::model::SCHEMA_VERSION);
    let stack = &summary["stacks"][0];
    assert_eq!(stack["runs"].as_array().unwrap().len(), 2);
    for run in stack["runs"].as_array().unwrap() {
        assert!(run["load_average"].as_array().unwrap().len() == 3, "{run}");
        assert!(run["steal_pct"].as_f64().is_some(), "{run}");
    }
    let e = &stack["estimates"];
    let idle = &e["idle_kb"];
    assert_eq!(idle["n"], 2);
    assert!(
        idle["ci95"].is_null(),
        "two repeats give no 95 % interval: {idle}"
    );
    assert_eq!(idle["range_coverage"], 0.5);
    assert!(idle["min"].as_f64() <= idle["median"].as_f64());
    assert!(idle["median"].as_f64() <= idle["max"].as_f64());
    let step = &e["steps"][0];
    assert_eq!(step["name"], "steady");
    for key in [
        "p50_us",
        "p99_us",
        "intended_p50_us",
        "intended_p99_us",
        "achieved_rps",
    ] {
        assert_eq!(step[key]["n"], 2, "{key}: {step}");
    }
    // Counted from when each request was due, latency can only be as long or longer.
    assert!(step["intended_p99_us"]["median"].as_f64() >= step["p99_us"]["median"].as_f64());
    let measured = &stack["runs"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["warmup"] == false)
        .unwrap()
        .clone();
    assert!(
        measured["coordinated_omission"]
            .as_str()
            .unwrap()
            .starts_with("constant-rate"),
        "{measured}"
    );
    assert!(
        stdout.contains("over 2 repeats: median (min-max)"),
        "{stdout}"
    );
    // The headline shows the corrected percentiles, the raw ones below.
    assert!(
        stdout.contains("p50 and p99 above are corrected for coordinated omission"),
        "{stdout}"
    );
    assert!(
        stdout.contains("raw, from each send, p50 / p99 µs: floor "),
        "{stdout}"
    );
    let latency: Vec<LatencyRow> = read_run(&run).unwrap();
    assert!(
        latency.iter().any(|r| r.intended_max_us.is_some()),
        "{latency:?}"
    );
    let env: Value =
        serde_json::from_str(&fs::read_to_string(run.join("env.json")).unwrap()).unwrap();
    let cost = &env["harness_cost"];
    assert!(cost["samples"].as_u64().unwrap() > 0, "{env}");
    assert!(cost["sampler_core_pct"].as_f64().is_some(), "{env}");
    assert!(cost["idle_core_pct"].as_f64().is_some(), "{env}");
    let run_id = run.file_name().unwrap().to_str().unwrap();
    let report = fs::read_to_string(reports.path().join(format!("{run_id}.html"))).unwrap();
    assert!(
        report.contains("from the intended send time"),
        "the report labels both"
    );
    assert!(report.contains("over 2 repeats"));
}
