//! A harness killed outright (SIGKILL) leaves its container and image running on the daemon;
//! its results folder stays readable, and `harness clean` finds the leftovers by label and
//! removes them.

use std::fs;

mod common;
use common::{harness, labelled, spawn, summary, wait_for_samples};

#[test]
fn clean_removes_what_a_killed_run_left() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let mut run = spawn(&[
        "scenario",
        "idle",
        "--stacks",
        "floor",
        "--quiet",
        "--backend",
        "docker",
        "--out",
        out.to_str().unwrap(),
    ]);
    // Wait until the service idles in its container: samples of the idle phase appear.
    let folder = wait_for_samples(&mut run, &out, &[",idle,"]);
    run.kill().unwrap();
    run.wait().unwrap();
    let run_id = folder.file_name().unwrap().to_str().unwrap().to_owned();

    let left = labelled(&run_id);
    assert!(
        left.iter().any(|l| l.starts_with("container "))
            && left.iter().any(|l| l.starts_with("image ")),
        "a killed run leaves its container and image: {left:?}"
    );
    // The results written so far are whole files.
    let partial = summary(&folder);
    assert_eq!(partial["complete"], false);
    assert_eq!(partial["backend"], "docker");

    // `harness report` renders what the killed run wrote, marked incomplete.
    let reports = dir.path().join("reports");
    harness()
        .arg("report")
        .arg(&folder)
        .arg("--out")
        .arg(&reports)
        .assert()
        .success();
    let page = fs::read_to_string(reports.join(format!("{run_id}.html"))).unwrap();
    assert!(page.contains("Incomplete run."), "the report says so");

    let listed = harness()
        .args(["clean", "--dry-run"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let listed = String::from_utf8(listed).unwrap();
    assert!(
        listed
            .lines()
            .any(|l| l.contains(&run_id) && l.contains("would be removed")),
        "{listed}"
    );
    assert_eq!(
        labelled(&run_id).len(),
        left.len(),
        "a dry run removes nothing"
    );

    let cleaned = harness()
        .arg("clean")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let cleaned = String::from_utf8(cleaned).unwrap();
    assert!(
        cleaned
            .lines()
            .filter(|l| l.contains(&run_id) && l.ends_with("removed"))
            .count()
            >= 2,
        "{cleaned}"
    );
    assert_eq!(labelled(&run_id), Vec::<String>::new(), "left behind");
}
