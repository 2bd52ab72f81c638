//! A harness killed outright (SIGKILL) leaves its container and image running on the daemon,
//! or on the `local` backend its service process; its results folder stays readable, and
//! `harness clean` finds the leftovers by label or by the marker in the process's environment
//! and removes them.

use std::fs;
use std::path::PathBuf;
use std::process::Child;
use std::sync::{Mutex, MutexGuard};

mod common;
use common::{harness, labelled, marked, spawn, summary, wait_for_samples};

/// One test at a time: each one's `harness clean` would remove what the other's killed run
/// left before that test has looked at it.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A harness run writing into `out`; however the test ends, the harness is killed and then
/// every process carrying the marker of a run in `out`, so that no service outlives the test.
struct Run {
    harness: Child,
    out: PathBuf,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.harness.kill();
        let _ = self.harness.wait();
        for folder in fs::read_dir(&self.out).into_iter().flatten().flatten() {
            for (pid, _) in marked(&folder.file_name().to_string_lossy()) {
                if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                }
            }
        }
    }
}

/// A process's start time (`/proc/<pid>/stat` field 22), `None` once it is gone or a zombie.
fn running_since(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    (!matches!(fields[0], "Z" | "X")).then(|| fields[19].parse().unwrap())
}

/// The columns of `harness clean`'s line about process `pid`.
fn row(output: &str, pid: u32) -> Vec<String> {
    let line = output
        .lines()
        .find(|l| {
            l.starts_with("process ") && l.split_whitespace().nth(1) == Some(&pid.to_string())
        })
        .unwrap_or_else(|| panic!("no line for process {pid}:\n{output}"));
    line.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn clean_stops_the_service_process_a_killed_local_run_left() {
    let _one = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let mut run = Run {
        harness: spawn(&[
            "scenario",
            "idle",
            "--stacks",
            "floor",
            "--quiet",
            "--backend",
            "local",
            "--out",
            out.to_str().unwrap(),
        ]),
        out: out.clone(),
    };
    let folder = wait_for_samples(&mut run.harness, &out, |s| s.phase == "idle");
    run.harness.kill().unwrap();
    run.harness.wait().unwrap();
    let run_id = folder.file_name().unwrap().to_str().unwrap().to_owned();
    assert_eq!(summary(&folder)["backend"], "local");

    // Its own process group kept the service out of the harness's end: it still runs.
    let left = marked(&run_id);
    assert_eq!(
        left.len(),
        1,
        "the killed run leaves its one service: {left:?}"
    );
    let (pid, stack) = left[0].clone();
    assert_eq!(stack, "floor");
    let started = running_since(pid).expect("the service still runs");

    // Processes are cleaned without a daemon; the rest is said not to be checked.
    let nowhere = format!("unix://{}", dir.path().join("no-docker.sock").display());
    let clean = |dry_run: bool| {
        let mut command = harness();
        command.arg("clean").env("DOCKER_HOST", &nowhere);
        if dry_run {
            command.arg("--dry-run");
        }
        let output = command.assert().success().get_output().stdout.clone();
        let text = String::from_utf8(output).unwrap();
        assert!(
            text.lines().any(|l| l.starts_with(
                "containers, services and images not checked: no Docker daemon answers at unix://"
            ) && l.contains("no-docker.sock")),
            "{text}"
        );
        text
    };
    let expected = |outcome: &str| {
        format!("process {pid} floor {run_id} {outcome}")
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };

    let listed = clean(true);
    assert_eq!(row(&listed, pid), expected("would be removed"));
    assert_eq!(running_since(pid), Some(started), "a dry run stops nothing");
    assert_eq!(marked(&run_id), left);

    let cleaned = clean(false);
    assert_eq!(row(&cleaned, pid), expected("removed"));
    assert_ne!(running_since(pid), Some(started), "the service is gone");
    assert_eq!(marked(&run_id), Vec::new(), "left behind");
}

#[test]
fn clean_removes_what_a_killed_run_left() {
    let _one = one_at_a_time();
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
    let folder = wait_for_samples(&mut run, &out, |s| s.phase == "idle");
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
