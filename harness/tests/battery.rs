//! The bad-input battery run through the harness (`scenario robustness`): every case meets its
//! group's rule, every stack stays up, memory is read before, during and after, and the
//! figures reach `battery.csv`, `summary.json`, the terminal and the report's robustness table.
//!
//! Three stacks with three different HTTP servers (the std-only floor, Go's net/http, the
//! JDK's server) prove the harness's path; every stack's own contract suite already runs the
//! battery's cases against it, so running all eight here would repeat them for minutes.

use std::collections::BTreeSet;

mod common;
use common::run_scenario;

use footprint_contract::bad_input::Group;
use harness::results::{BatteryRow, MemoryRow, read_run};

/// The stacks the battery runs against here.
const STACKS: &str = "floor,go,jvm-plain";

#[test]
fn robustness_scenario_runs_the_battery_against_each_stack() {
    let ran = run_scenario(&[
        "robustness",
        "--quick",
        "--quiet",
        "--backend",
        "local",
        "--stacks",
        STACKS,
    ]);
    let (run, summary, stdout) = (&ran.run, &ran.summary, &ran.stdout);
    assert!(
        stdout.contains("robustness: the bad-input battery"),
        "{stdout}"
    );

    let stacks = summary["stacks"].as_array().unwrap();
    assert_eq!(stacks.len(), STACKS.split(',').count());
    let groups: BTreeSet<&str> = Group::ALL.iter().map(|g| g.name()).collect();
    for stack in stacks {
        let name = stack["stack"].as_str().unwrap();
        assert_eq!(stack["status"], "ok", "{name}: {}", stack["reason"]);
        let battery = &stack["runs"][0]["battery"];
        let cases = battery["cases"].as_array().unwrap();
        let seen: BTreeSet<&str> = cases.iter().map(|c| c["group"].as_str().unwrap()).collect();
        assert_eq!(seen, groups, "{name}: every group ran");
        for case in cases {
            assert_eq!(
                case["passed"], true,
                "{name}: {} {} got {}",
                case["group"], case["case"], case["outcome"]
            );
            assert!(
                case["down_after"].is_null(),
                "{name}: down after {}: {}",
                case["case"],
                case["down_after"]
            );
        }
        let kb = |key: &str| {
            battery[key]
                .as_u64()
                .unwrap_or_else(|| panic!("{name}: {key}"))
        };
        // Before is the idle median, during the highest sample of the battery phase: a
        // burst of hundreds of connections and a 2 MiB header cannot leave it below idle.
        assert_eq!(Some(kb("before_kb")), stack["runs"][0]["idle_kb"].as_u64());
        assert!(kb("during_kb") > kb("before_kb"), "{name}: {battery}");
        assert!(
            (100..1 << 20).contains(&kb("after_kb")),
            "{name}: {battery}"
        );
        assert!(stdout.contains(name), "{name} not in the table:\n{stdout}");
    }

    // One CSV row per case, every stack.
    let rows = read_run::<BatteryRow>(run).unwrap().len();
    let cases: usize = stacks
        .iter()
        .map(|s| s["runs"][0]["battery"]["cases"].as_array().unwrap().len())
        .sum();
    assert_eq!(rows, cases);
    // Memory samples of the battery and the settling are labelled so.
    let memory: Vec<MemoryRow> = read_run(run).unwrap();
    assert!(memory.iter().any(|s| s.phase == "battery"));
    assert!(memory.iter().any(|s| s.phase == "settle"));

    let page = ran.report();
    assert!(page.contains("<h2 id=\"robustness\">Robustness</h2>"));
    assert!(page.contains("Every case against every stack"));
    assert!(page.contains("battery.csv"));
}
