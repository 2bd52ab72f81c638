//! A harness killed outright (SIGKILL) leaves its container and image running on the daemon;
//! its results folder stays readable, and `harness clean` finds the leftovers by label and
//! removes them.

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;
use common::{harness, labelled, root, summary};

#[test]
fn clean_removes_what_a_killed_run_left() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let mut run = std::process::Command::new(assert_cmd::cargo::cargo_bin("harness"))
        .current_dir(root())
        .args([
            "scenario",
            "idle",
            "--stacks",
            "floor",
            "--quiet",
            "--backend",
            "docker",
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the service idles in its container: samples of the idle phase appear.
    let deadline = Instant::now() + Duration::from_secs(300);
    let folder = loop {
        let folder = fs::read_dir(&out)
            .ok()
            .and_then(|mut d| d.next())
            .map(|e| e.unwrap().path());
        if let Some(folder) = folder
            && fs::read_to_string(folder.join("memory.csv")).is_ok_and(|m| m.contains(",idle,"))
        {
            break folder;
        }
        assert!(Instant::now() < deadline, "the idle phase never started");
        assert!(run.try_wait().unwrap().is_none(), "the harness ended early");
        std::thread::sleep(Duration::from_millis(100));
    };
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
