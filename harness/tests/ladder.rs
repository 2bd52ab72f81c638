//! The feature ladder's metrics rung through the harness on the local backend: a real
//! Prometheus server (Debian's `prometheus`) is started beside the rung, scrapes it every
//! second, its scrapes reach `scrapes.csv`, `summary.json` and the report, and nothing of it is
//! left: no process, no folder.

mod common;
use common::{root, run_scenario};

use harness::results::{ScrapeRow, read_run};

#[test]
fn a_metrics_rung_is_scraped_by_a_real_prometheus_and_nothing_is_left() {
    // The rung alone (its base is not named, so `rungs = true` adds nothing).
    let ran = run_scenario(&[
        "ladder",
        "--quick",
        "--quiet",
        "--backend",
        "local",
        "--stacks",
        "hyper@metrics",
    ]);
    let stacks = ran.summary["stacks"].as_array().unwrap();
    assert_eq!(stacks.len(), 1, "{}", ran.stderr);
    let rung = &stacks[0];
    assert_eq!(rung["status"], "ok", "{}", rung["reason"]);
    let scrapes = &rung["runs"][0]["scrapes"];
    assert!(scrapes["failure"].is_null(), "{scrapes}");
    assert!(
        scrapes["server"]
            .as_str()
            .unwrap()
            .starts_with("prometheus"),
        "{scrapes}"
    );
    // The quick ladder keeps the rung up for a few seconds: a scrape a second (the first at
    // an offset Prometheus picks within the interval), so at least two.
    let n = scrapes["scrapes"].as_u64().unwrap();
    assert!(n >= 2, "{scrapes}");
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
