//! `harness calibrate` as a user runs it: the real binary drives a real stack with Goose and
//! then with wrk (CI installs wrk; without it this test fails, it never skips).

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use harness::results::{CalibrateRow, read_rows};
use serde_json::Value;

fn harness() -> Command {
    let mut cmd = Command::cargo_bin("harness").unwrap();
    cmd.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    cmd
}

#[test]
fn calibrate_runs_goose_and_wrk_and_writes_both() {
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
    assert!(
        c["wrk_version"].as_str().unwrap().starts_with("wrk "),
        "{c}"
    );
    for tool in ["goose", "wrk"] {
        assert_eq!(
            c[format!("{tool}_rounds")].as_array().unwrap().len(),
            2,
            "{c}"
        );
        let t = &c[tool];
        assert_eq!(t["tool"], tool);
        assert!(t["requests"].as_u64().unwrap() > 0, "{tool}: {t}");
        assert!(t["rps"].as_f64().unwrap() > 0.0, "{tool}: {t}");
        assert!(t["p50_us"].as_u64().unwrap() > 0, "{tool}: {t}");
        assert!(t["p99_us"].as_u64() >= t["p50_us"].as_u64(), "{tool}: {t}");
        assert_eq!(t["errors"], 0, "{tool}: {t}");
        assert!(t["seconds"].as_f64().unwrap() > 1.0, "{tool}: {t}");
    }
    for ratio in ["p50", "p99", "rps"] {
        assert!(c["ratios"][ratio].as_f64().unwrap() > 0.0, "{ratio}: {c}");
    }
    assert_eq!(c["load_average"].as_array().unwrap().len(), 3, "{c}");
    assert!(c["steal_pct"].as_f64().is_some(), "{c}");
    let rows: Vec<CalibrateRow> = read_rows(&run.join("calibrate.csv")).unwrap();
    fn row(r: &CalibrateRow) -> (&str, &str, &str, u64) {
        (&r.tool, &r.round, &r.stack, r.connections)
    }
    // Two rounds of each tool, then each tool over both.
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert_eq!(row(&rows[0]), ("goose", "1", "floor", 4), "{rows:?}");
    assert_eq!(row(&rows[3]), ("wrk", "2", "floor", 4), "{rows:?}");
    assert_eq!(row(&rows[4]), ("goose", "all", "floor", 4), "{rows:?}");
    assert_eq!(row(&rows[5]), ("wrk", "all", "floor", 4), "{rows:?}");
    assert!(
        stdout.contains("Goose / wrk over all rounds: p50 "),
        "{stdout}"
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
