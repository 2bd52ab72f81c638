//! Load workers as swarm services against the real daemon: a single-node swarm made for the
//! run, the harness's own image as a replicated service on the host network, each step shared
//! between the workers and their histograms merged; then a worker killed in the middle of a
//! step. The swarm is left as it was found and nothing of either run stays behind.

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

use bollard::query_parameters::{KillContainerOptionsBuilder, ListContainersOptionsBuilder};
use harness::backend::daemon::{Daemon, LABEL_RUN, SwarmState};
use harness::results::{HistogramRow, read_run};

mod common;
use common::{labelled, lock_dir, root, run_scenario, summary, wait_for_samples};

fn daemon() -> Daemon {
    Daemon::connect().expect("a Docker daemon (CI starts one)")
}

/// `--init-swarm` where the daemon is in no swarm (CI), nothing where it is a manager.
fn swarm_args() -> Vec<&'static str> {
    match daemon().swarm_state().unwrap() {
        SwarmState::Active { manager: true } => vec!["--backend", "swarm"],
        SwarmState::Active { manager: false } => panic!("the daemon is a swarm worker"),
        SwarmState::Inactive(_) => vec!["--backend", "swarm", "--init-swarm"],
    }
}

#[test]
fn load_workers_on_swarm() {
    let before = daemon().swarm_state().unwrap();
    two_workers_merge_exactly();
    assert_eq!(
        daemon().swarm_state().unwrap(),
        before,
        "the swarm is as it was"
    );
    a_worker_killed_mid_step_makes_the_step_partial();
    assert_eq!(
        daemon().swarm_state().unwrap(),
        before,
        "the swarm is as it was"
    );
}

/// The command: two workers, the merged count the sum of theirs, the merged
/// histograms holding every request, both workers named.
fn two_workers_merge_exactly() {
    let mut args = vec![
        "steady",
        "--quick",
        "--quiet",
        "--stacks",
        "hyper",
        "--load-workers",
        "2",
    ];
    args.extend(swarm_args());
    let ran = run_scenario(&args);
    let s = &ran.summary;
    assert_eq!(s["complete"], true, "{}", ran.stderr);
    let workers = s["load_workers"]["workers"].as_array().unwrap();
    let names: Vec<&str> = workers
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names[0].ends_with(".1") && names[1].ends_with(".2"),
        "{names:?}"
    );
    let stack = &s["stacks"][0];
    assert_eq!(stack["status"], "ok", "{stack}");
    let histograms: Vec<HistogramRow> = read_run(&ran.run).unwrap();
    for step in stack["runs"][0]["steps"].as_array().unwrap() {
        let name = step["name"].as_str().unwrap();
        let theirs: Vec<&serde_json::Value> = step["workers"].as_array().unwrap().iter().collect();
        let named: Vec<&str> = theirs.iter().map(|w| w["name"].as_str().unwrap()).collect();
        assert_eq!(named, names, "{name}");
        let sum: u64 = theirs.iter().map(|w| w["requests"].as_u64().unwrap()).sum();
        let requests = step["requests"].as_u64().unwrap();
        assert!(requests > 0, "{name}");
        assert_eq!(requests, sum, "{name}: merged against the workers' sum");
        assert!(theirs.iter().all(|w| w["lost"].is_null()), "{name}");
        // Every request sent is in the merged raw histograms (slots never sent are counted
        // as requests but have no latency).
        let raw: u64 = histograms
            .iter()
            .filter(|h| h.step == name && h.series == "raw")
            .map(|h| h.decode().unwrap().len())
            .sum();
        let not_sent: u64 = step["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["not_sent"].as_u64().unwrap())
            .sum();
        assert_eq!(raw + not_sent, requests, "{name}");
    }
    assert!(
        ran.stdout.contains("load workers") || ran.report().contains("Load workers"),
        "the workers are shown"
    );
    assert_eq!(labelled(ran.id()), Vec::<String>::new(), "left behind");
}

/// One worker's container killed while the step runs: the step is recorded partial, naming
/// that worker and how its task ended; the stack fails; nothing is left.
fn a_worker_killed_mid_step_makes_the_step_partial() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("long.toml");
    fs::write(
        &scenario,
        "description = \"One step long enough to lose a worker in.\"\nidle_seconds = 1\n\
         load = \"constant-rate\"\n[[step]]\nname = \"long\"\nusers = 4\nrate = 400\n\
         seconds = 10\n",
    )
    .unwrap();
    let out = dir.path().join("results");
    let mut args = vec![
        "scenario".to_owned(),
        scenario.display().to_string(),
        "--stacks".into(),
        "hyper".into(),
        "--load-workers".into(),
        "2".into(),
        "--quiet".into(),
        "--out".into(),
        out.display().to_string(),
        "--reports".into(),
        dir.path().join("reports").display().to_string(),
    ];
    args.extend(swarm_args().into_iter().map(String::from));
    let mut run = std::process::Command::new(assert_cmd::cargo::cargo_bin("harness"))
        .current_dir(root())
        .env(harness::stacks::PROFILE_VAR, "stack-test")
        .env(harness::lock::DIR_VAR, lock_dir())
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let folder = wait_for_samples(&mut run, &out, |s| s.phase == "long");
    let run_id = folder.file_name().unwrap().to_str().unwrap().to_owned();
    let name = kill_one_worker(&run_id);
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = run.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the run did not end");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        status.code(),
        Some(1),
        "a failed stack makes the run exit 1"
    );
    let s = summary(&folder);
    let stack = &s["stacks"][0];
    assert_eq!(stack["status"], "failed", "{stack}");
    let failure = stack["runs"][0]["failure"].as_str().unwrap();
    assert!(
        failure.contains("partial") && failure.contains(&format!("{name}: lost")),
        "{failure}"
    );
    assert!(
        failure.contains("exit status: 137"),
        "its task's end: {failure}"
    );
    let steps = stack["runs"][0]["steps"].as_array().unwrap();
    let long = steps.iter().find(|s| s["name"] == "long").unwrap();
    assert!(long["partial"].as_str().unwrap().contains(&name), "{long}");
    let lost: Vec<&serde_json::Value> = long["workers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| !w["lost"].is_null())
        .collect();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0]["name"], name.as_str());
    let report =
        fs::read_to_string(dir.path().join("reports").join(format!("{run_id}.html"))).unwrap();
    assert!(
        report.contains("Partial:") && report.contains(&name),
        "the report says so"
    );
    assert_eq!(labelled(&run_id), Vec::<String>::new(), "left behind");
}

/// Kills one of the run's two load workers' containers (`SIGKILL`); returns the worker's name.
fn kill_one_worker(run_id: &str) -> String {
    let d = daemon();
    let filters = std::collections::HashMap::from([(
        "label".to_owned(),
        vec![
            format!("{LABEL_RUN}={run_id}"),
            "footprint.stack=harness-worker".to_owned(),
        ],
    )]);
    let workers = d
        .block_on(
            d.docker.list_containers(Some(
                ListContainersOptionsBuilder::default()
                    .filters(&filters)
                    .build(),
            )),
        )
        .unwrap();
    assert_eq!(workers.len(), 2, "two workers run");
    let victim = &workers[1];
    // Its task's name is `<service>.<slot>.<task id>`: the worker's name is the first two.
    let task = victim.labels.as_ref().unwrap()["com.docker.swarm.task.name"].clone();
    let name = task.rsplit_once('.').unwrap().0.to_owned();
    d.block_on(
        d.docker.kill_container(
            victim.id.as_deref().unwrap(),
            Some(
                KillContainerOptionsBuilder::default()
                    .signal("KILL")
                    .build(),
            ),
        ),
    )
    .unwrap();
    name
}
