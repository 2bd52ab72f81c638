//! `harness calibrate` as a user runs it: the real binary drives a real stack with its drivers
//! and the independent tools, wrk unthrottled and oha at a rate (CI installs both; without
//! them these tests fail, they never skip).

use std::fs;

use harness::results::{CalibrateRow, read_rows};
use serde_json::Value;

mod common;

fn harness() -> assert_cmd::Command {
    common::harness()
}

#[test]
fn calibrate_runs_goose_wrk_and_the_constant_rate_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let assert = harness()
        .args([
            "calibrate",
            "--stack",
            "floor",
            "--users",
            "4",
            "--seconds",
            "2",
            "--warmup",
            "1",
            "--rounds",
            "2",
            "--quiet",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let runs: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 1, "one results folder");
    let run = &runs[0];
    let c: Value =
        serde_json::from_str(&fs::read_to_string(run.join("calibrate.json")).unwrap()).unwrap();
    assert_eq!(c["stack"], "floor");
    assert_eq!(
        (c["users"].as_u64(), c["seconds"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(c["schema_version"], 2, "{c}");
    assert_eq!(
        (c["rate"].clone(), c["rounds"].as_u64()),
        (Value::Null, Some(2))
    );
    assert!(
        c["wrk_version"].as_str().unwrap().starts_with("wrk "),
        "{c}"
    );
    let tools: Vec<&str> = c["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tool"].as_str().unwrap())
        .collect();
    assert_eq!(tools, ["goose", "wrk", "constant-rate"], "{c}");
    for (i, tool) in tools.iter().enumerate() {
        let runs = &c["tools"][i];
        assert_eq!(runs["rounds"].as_array().unwrap().len(), 2, "{c}");
        let t = &runs["all"];
        assert_eq!(t["tool"], *tool);
        assert!(t["requests"].as_u64().unwrap() > 0, "{tool}: {t}");
        assert!(t["rps"].as_f64().unwrap() > 0.0, "{tool}: {t}");
        assert!(t["p50_us"].as_u64().unwrap() > 0, "{tool}: {t}");
        assert!(t["p99_us"].as_u64() >= t["p50_us"].as_u64(), "{tool}: {t}");
        assert!(t["seconds"].as_f64().unwrap() > 1.0, "{tool}: {t}");
        if *tool != "constant-rate" {
            // The ceiling is asked for more than it can send: its unsent slots are errors.
            assert_eq!(t["errors"], 0, "{tool}: {t}");
        }
    }
    // The ceiling was asked for twice what wrk served in each round.
    for round in 0..2 {
        let wrk = c["tools"][1]["rounds"][round]["rps"].as_f64().unwrap();
        let target = c["tools"][2]["rounds"][round]["target_rps"]
            .as_f64()
            .unwrap();
        assert!((target - (2.0 * wrk).ceil()).abs() < 1.0, "{c}");
    }
    for (ratio, figures) in [
        ("goose_to_wrk", &["rps", "p50", "p99"][..]),
        ("constant_rate_to_wrk", &["rps"][..]),
    ] {
        for figure in figures {
            let r = c["ratios"][ratio][figure].as_f64();
            assert!(
                r.is_some_and(|r| r.is_finite() && r > 0.0),
                "{ratio}.{figure}: {c}"
            );
        }
    }
    assert!(c["ratios"].get("goose_to_oha").is_none(), "{c}");
    assert_eq!(c["load_average"].as_array().unwrap().len(), 3, "{c}");
    assert!(c["steal_pct"].as_f64().is_some(), "{c}");
    unthrottled_rows_are_each_round_then_all(run);
    assert!(stdout.contains("  goose_to_wrk "), "{stdout}");
    assert!(
        stdout.contains("ceiling on these load CPUs: goose "),
        "{stdout}"
    );
}

/// `--rate`: the Goose and constant-rate drivers against oha at one rate, the shortest run the
/// command line allows (one round of one second each, no warm-up).
#[test]
fn calibrate_at_a_rate_compares_both_drivers_with_oha() {
    let dir = tempfile::tempdir().unwrap();
    let assert = harness()
        .args([
            "calibrate",
            "--stack",
            "floor",
            "--rate",
            "200",
            "--users",
            "4",
            "--seconds",
            "1",
            "--warmup",
            "0",
            "--rounds",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(dir.path())
        .assert();
    let output = assert.get_output().clone();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "calibrate --rate failed (oha must be on PATH: cargo install --locked oha)\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let runs: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 1, "one results folder");
    let c: Value =
        serde_json::from_str(&fs::read_to_string(runs[0].join("calibrate.json")).unwrap()).unwrap();
    assert_eq!(c["schema_version"], 2, "{c}");
    assert_eq!(
        (
            c["rate"].as_u64(),
            c["users"].as_u64(),
            c["seconds"].as_u64(),
            c["rounds"].as_u64()
        ),
        (Some(200), Some(4), Some(1), Some(1)),
        "{c}"
    );
    let version = c["oha_version"].as_str().unwrap_or_default();
    assert!(version.starts_with("oha ") && version.len() > 4, "{c}");
    let tools: Vec<&str> = c["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tool"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        [
            "goose",
            "constant-rate",
            "constant-rate-corrected",
            "oha",
            "oha-corrected"
        ],
        "{c}"
    );
    for t in c["tools"].as_array().unwrap() {
        let all = &t["all"];
        assert_eq!(all["target_rps"].as_f64(), Some(200.0), "{t}");
        assert!(all["rps"].as_f64().unwrap() > 0.0, "{t}");
        assert!(all["p50_us"].as_u64().unwrap() > 0, "{t}");
    }
    for (ratio, figures) in [
        ("goose_to_oha", &["rps", "p50", "p99"][..]),
        ("constant_rate_to_oha", &["rps", "p50", "p99"][..]),
        (
            "constant_rate_corrected_to_oha_corrected",
            &["p50", "p99"][..],
        ),
    ] {
        for figure in figures {
            let r = c["ratios"][ratio][figure].as_f64();
            assert!(
                r.is_some_and(|r| r.is_finite() && r > 0.0),
                "{ratio}.{figure}: {c}"
            );
        }
    }
    assert!(c["ratios"].get("goose_to_wrk").is_none(), "{c}");
    assert!(stdout.contains("floor at 200 requests/s"), "{stdout}");
    assert!(
        stdout.contains("  constant_rate_corrected_to_oha_corrected "),
        "{stdout}"
    );
}

/// `--backend docker`: the same drivers and oha against the stack's container (its image built
/// for the calibration), the backend named in both files and on the terminal, and the
/// container and image gone at the end.
#[test]
fn calibrate_on_a_container_backend_names_it_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let assert = harness()
        .args([
            "calibrate",
            "--stack",
            "floor",
            "--backend",
            "docker",
            "--rate",
            "200",
            "--users",
            "4",
            "--seconds",
            "1",
            "--warmup",
            "0",
            "--rounds",
            "1",
            "--out",
        ])
        .arg(dir.path())
        .assert();
    let output = assert.get_output().clone();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let runs: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 1, "one results folder");
    let c: Value =
        serde_json::from_str(&fs::read_to_string(runs[0].join("calibrate.json")).unwrap()).unwrap();
    assert_eq!(c["backend"], "docker", "{c}");
    for t in c["tools"].as_array().unwrap() {
        assert!(t["all"]["rps"].as_f64().unwrap() > 0.0, "{t}");
        let (errors, requests) = (
            t["all"]["errors"].as_u64().unwrap(),
            t["all"]["requests"].as_u64().unwrap(),
        );
        if t["tool"] == "constant-rate" {
            // A slot the schedule could not send before the step's end is counted as an
            // error: on a busy machine one or two of a short step's may be.
            assert!(errors * 50 <= requests, "{t}");
        } else {
            assert_eq!(errors, 0, "{t}");
        }
    }
    let rows: Vec<CalibrateRow> = read_rows(&runs[0].join("calibrate.csv")).unwrap();
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r.backend == "docker"),
        "{rows:?}"
    );
    assert!(
        stdout.contains("service a container on CPUs [1]"),
        "{stdout}"
    );
    assert!(stderr.contains("backend: docker, as asked"), "{stderr}");
    let run_id = runs[0].file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(
        common::labelled(&run_id),
        Vec::<String>::new(),
        "left behind"
    );
}

#[test]
fn calibrate_refuses_an_unknown_stack_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    harness()
        .args(["calibrate", "--stack", "cobol", "--out"])
        .arg(dir.path())
        .assert()
        .code(2);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// The CSV of an unthrottled calibration of floor with 4 connections and 2 rounds: two rounds
/// of each tool, then each tool over both.
fn unthrottled_rows_are_each_round_then_all(run: &std::path::Path) {
    let rows: Vec<CalibrateRow> = read_rows(&run.join("calibrate.csv")).unwrap();
    fn row(r: &CalibrateRow) -> (&str, &str, &str, u64) {
        (&r.tool, &r.round, &r.stack, r.connections)
    }
    // Two rounds of each tool, then each tool over both.
    assert_eq!(rows.len(), 9, "{rows:?}");
    assert_eq!(row(&rows[0]), ("goose", "1", "floor", 4), "{rows:?}");
    assert_eq!(row(&rows[3]), ("wrk", "2", "floor", 4), "{rows:?}");
    assert_eq!(
        row(&rows[5]),
        ("constant-rate", "2", "floor", 4),
        "{rows:?}"
    );
    assert_eq!(row(&rows[6]), ("goose", "all", "floor", 4), "{rows:?}");
    assert_eq!(row(&rows[7]), ("wrk", "all", "floor", 4), "{rows:?}");
    assert_eq!(
        row(&rows[8]),
        ("constant-rate", "all", "floor", 4),
        "{rows:?}"
    );
}
