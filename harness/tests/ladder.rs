//! The feature ladder through the harness on the local backend, in one short soak: a real
//! Prometheus server (Debian's `prometheus`) is started beside the metrics rung, scrapes it
//! every second, its scrapes reach `scrapes.csv`, `summary.json` and the report, nothing of it
//! is left (no process, no folder), and memory stays flat through the soak, for the base and
//! the rung alike (an unscraped histogram that kept every sample would climb by megabytes a
//! minute).

mod common;
use common::{root, run_scenario};

use harness::results::{ScrapeRow, read_run};

/// A short soak: 2 s idle, a 2 s warm-up, then 12 s at a steady 500 requests per second.
const SHORT_SOAK: &str = r#"
description = "A short soak: memory drift per rung."
repeat = 1
idle_seconds = 2

[ids]
seeded = 0.90
unknown = 0.08
malformed = 0.02

[warmup]
seconds = 2
users = 8
rate = 500

[[step]]
name = "soak"
users = 8
rate = 500
seconds = 12
"#;

/// The steepest drift through the soak that counts as flat, KiB per minute: 2 MiB a minute,
/// above what 12 s of a steady service's samples wander (a few hundred KiB a minute) and a
/// fiftieth of the leak a histogram keeping every sample shows at this rate.
const FLAT_KB_PER_MIN: f64 = 2048.0;

#[test]
fn a_metrics_rung_is_scraped_by_a_real_prometheus_stays_flat_and_nothing_is_left() {
    let scenario = tempfile::tempdir().unwrap();
    let file = scenario.path().join("short-soak.toml");
    std::fs::write(&file, SHORT_SOAK).unwrap();
    // The base and its rung, named: the file has no `rungs = true`, so nothing is added.
    let ran = run_scenario(&[
        file.to_str().unwrap(),
        "--quiet",
        "--backend",
        "local",
        "--stacks",
        "hyper,hyper@metrics",
    ]);
    let stacks = ran.summary["stacks"].as_array().unwrap();
    assert_eq!(stacks.len(), 2, "{}", ran.stderr);
    for stack in stacks {
        assert_eq!(stack["status"], "ok", "{}", stack["reason"]);
        let drift = stack["drift_kb_per_min"]
            .as_f64()
            .unwrap_or_else(|| panic!("a drift for {}", stack["stack"]));
        assert!(
            drift.abs() <= FLAT_KB_PER_MIN,
            "{}: memory drifts {drift:.0} KiB/min through a steady soak",
            stack["stack"]
        );
    }
    let rung = &stacks[1];
    assert_eq!(rung["stack"], "hyper@metrics");
    let scrapes = &rung["runs"][0]["scrapes"];
    assert!(scrapes["failure"].is_null(), "{scrapes}");
    assert!(
        scrapes["server"]
            .as_str()
            .unwrap()
            .starts_with("prometheus"),
        "{scrapes}"
    );
    // The rung is up for about 16 s: a scrape a second (the first at an offset Prometheus
    // picks within the interval), so at least ten.
    let n = scrapes["scrapes"].as_u64().unwrap();
    assert!(n >= 10, "{scrapes}");
    assert_eq!(
        scrapes["up"].as_u64(),
        Some(n),
        "every scrape succeeded: {scrapes}"
    );
    // Two metric families with their buckets, by route and status.
    assert!(scrapes["samples"].as_u64().unwrap() >= 20, "{scrapes}");

    let rows: Vec<ScrapeRow> = read_run(&ran.run).unwrap();
    assert_eq!(rows.len() as u64, n);
    assert!(rows.iter().all(|r| r.stack == "hyper@metrics" && r.up == 1));
    assert!(rows.windows(2).all(|w| w[0].t_ms < w[1].t_ms));

    let page = ran.report();
    assert!(page.contains("Prometheus's scrapes of the metrics rungs"));
    assert!(
        page.contains("memory drift KiB/min"),
        "the ladder table's drift"
    );

    // Nothing left: no Prometheus of this run, no folder of it.
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read(e.path().join("environ")).ok())
        .filter(|environ| {
            let text = String::from_utf8_lossy(environ);
            text.contains(&format!("FOOTPRINT_RUN={}", ran.id()))
        })
        .map(|environ| String::from_utf8_lossy(&environ).chars().take(80).collect())
        .collect();
    assert!(left.is_empty(), "processes of the run left: {left:?}");
    let scratch = root().join("target").join("footprint-prometheus");
    let folders: Vec<_> = std::fs::read_dir(&scratch)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(
        folders
            .iter()
            .all(|f| !f.to_string_lossy().contains("hyper-metrics-")),
        "{folders:?}"
    );
}
