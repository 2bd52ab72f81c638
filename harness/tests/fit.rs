//! A fit search through the real binary against one real stack, on the docker backend (the
//! engine's own limit from 6 MiB up, the harness's own cgroup under it) and on the local
//! backend (a cgroup for every probe): a scenario of 1 s steps over a few limits, so each run
//! ends in seconds. The figures mean little at this length; what is checked is that limits are
//! set where they should be, the search reaches `summary.json`, `fit.csv`, the terminal and the
//! report, and that nothing is left behind (containers, the harness's cgroups).

mod common;
use common::run_scenario;

use harness::backend::cgroup;
use harness::results::{FitRow, read_run};

/// 16, 8, 4 (under Docker's minimum: the harness's cgroup), 2 MiB; a resolution of 8 MiB ends
/// the bisection at once.
const SCENARIO: &str = r#"
description = "A short fit search for the harness's tests."
idle_seconds = 0
sample_interval_ms = 50
load = "constant-rate"

[warmup]
seconds = 0

[fit]
max_mib = 16
min_mib = 2
resolution_mib = 8
probe_timeout_seconds = 30

[[step]]
users = 4
rate = 200
seconds = 1
"#;

fn fit_run(backend: &str) -> (common::Ran, Vec<FitRow>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("short-fit.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    let ran = run_scenario(&[
        file.to_str().unwrap(),
        "--stacks",
        "floor",
        "--backend",
        backend,
        "--quiet",
    ]);
    let rows: Vec<FitRow> = read_run(&ran.run).unwrap();
    (ran, rows)
}

fn check(ran: &common::Ran, rows: &[FitRow]) {
    let stack = &ran.summary["stacks"][0];
    assert_eq!(stack["status"], "ok", "{}", stack["reason"]);
    let search = &stack["runs"][0]["fit"];
    let probes = search["probes"].as_array().unwrap();
    assert_eq!(rows.len(), probes.len(), "a row per probe");
    // The first probe is the largest limit, and the reference.
    assert_eq!(rows[0].limit_mib, 16);
    assert_eq!(rows[0].verdict, "holds", "{:?}", rows[0]);
    assert!(rows[0].requests > 0 && rows[0].p99_us.is_some());
    let fit = stack["fit"]["fit_mib"].as_u64().unwrap();
    assert!((2..=16).contains(&fit), "{}", stack["fit"]);
    assert!(
        rows.iter()
            .all(|r| r.limit_mib >= 2 && !r.verdict.is_empty())
    );
    assert!(
        ran.stdout.contains("fit: the smallest memory limit"),
        "{}",
        ran.stdout
    );
    assert!(ran.report().contains("fit.csv"), "the report links fit.csv");
    // Every cgroup the harness made is gone.
    let root = std::path::Path::new(cgroup::ROOT);
    let run_id = ran.run.file_name().unwrap().to_string_lossy().into_owned();
    let left: Vec<String> = cgroup::leftovers(root)
        .into_iter()
        .filter(|name| name.contains(&run_id))
        .collect();
    assert!(left.is_empty(), "cgroups left: {left:?}");
}

#[test]
fn a_short_search_in_containers_sets_the_limit_below_the_engines_minimum_itself() {
    let (ran, rows) = fit_run("docker");
    check(&ran, &rows);
    let by = |mib: u32| {
        rows.iter()
            .find(|r| r.limit_mib == mib)
            .map(|r| r.limit_by.clone())
    };
    assert_eq!(by(16).as_deref(), Some("engine"), "{rows:?}");
    // 4 MiB is under Docker's 6 MiB: the harness's cgroup held it (if the search got there).
    if let Some(by4) = by(4) {
        assert_eq!(by4, "cgroup", "{rows:?}");
    }
    let run_id = ran.run.file_name().unwrap().to_string_lossy().into_owned();
    let daemon = harness::backend::daemon::Daemon::connect().unwrap();
    let left = harness::backend::container::inspect::containers_of_run(&daemon, &run_id).unwrap();
    assert!(left.is_empty(), "containers left: {left:?}");
}

#[test]
fn a_short_search_of_processes_limits_each_in_a_cgroup() {
    let (ran, rows) = fit_run("local");
    check(&ran, &rows);
    assert!(
        rows.iter()
            .filter(|r| r.verdict != "refused")
            .all(|r| r.limit_by == "cgroup"),
        "{rows:?}"
    );
    // The cgroup counted: its high-water mark under the limit it held.
    let first = &rows[0];
    let charged = first.charged_max_kb.unwrap();
    assert!(charged > 0 && charged <= 16 << 10, "{first:?}");
}
