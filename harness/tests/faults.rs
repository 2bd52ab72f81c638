//! Faults the harness survives, provoked for real: no Docker daemon where one is asked for, a
//! daemon that stops answering mid-run, a container killed for memory under its limit, a
//! service killed in the middle of a step.

use std::fs;
use std::time::{Duration, Instant};

mod common;
use common::{harness, labelled, only_run, spawn, summary, wait_for_samples};

/// `DOCKER_HOST` pointing nowhere: `--backend docker` is refused before anything is written,
/// naming the address and how to choose another; `auto` falls back to processes and says why.
#[test]
fn no_daemon_is_a_clear_error_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = format!("unix://{}", dir.path().join("no-docker.sock").display());
    let out = dir.path().join("results");
    let assert = harness()
        .env("DOCKER_HOST", &nowhere)
        .args([
            "scenario",
            "idle",
            "--quick",
            "--backend",
            "docker",
            "--out",
        ])
        .arg(&out)
        .assert()
        .failure();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains(&nowhere) && stderr.contains("DOCKER_HOST"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written before the refusal");

    let assert = harness()
        .env("DOCKER_HOST", &nowhere)
        .args(["scenario", "idle", "--quick", "--stacks", "floor", "--out"])
        .arg(&out)
        .arg("--reports")
        .arg(dir.path().join("reports"))
        .assert()
        .success();
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("backend: local (auto)") && stderr.contains("no Docker daemon"),
        "{stdout}{stderr}"
    );
    assert_eq!(summary(&only_run(&out))["backend"], "local");
}

/// A JVM in an 8 MiB container is killed by the kernel: the stack fails with the OOM kill
/// read from the container's state, and nothing is left behind. (At 16 MiB a JVM can page its
/// own code in and out of the limit for minutes before it is killed, or become ready: no
/// longer a test of the OOM kill.)
#[test]
fn an_oom_kill_is_recorded_from_the_container_state() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("tiny.toml");
    fs::write(
        &scenario,
        "description = \"A container far too small for a JVM.\"\nidle_seconds = 1\n\
         [container]\nmemory_mb = 8\n",
    )
    .unwrap();
    let out = dir.path().join("results");
    harness()
        .args(["scenario"])
        .arg(&scenario)
        .args([
            "--stacks",
            "jvm-spring",
            "--backend",
            "docker",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .arg("--reports")
        .arg(dir.path().join("reports"))
        .assert()
        .code(1);
    let run = only_run(&out);
    let summary = summary(&run);
    let stack = &summary["stacks"][0];
    assert_eq!(stack["status"], "failed", "{stack}");
    let reason = stack["reason"].as_str().unwrap();
    assert!(reason.contains("OOM"), "{reason}");
    assert!(reason.contains("exit status: 137"), "{reason}");
    let run_id = run.file_name().unwrap().to_str().unwrap();
    assert_eq!(labelled(run_id), Vec::<String>::new(), "left behind");
}

/// The service is killed (SIGKILL) during the steady step: the run records the stack as
/// failed with how it ended, goes on with the next stack, and the report shows both.
#[test]
fn a_service_killed_during_a_step_fails_its_stack_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let reports = dir.path().join("reports");
    // One repeat of a 10 s step: the kill comes at its start (the test acts on the step's
    // first sample), and hyper's step shows the run goes on (the shipped steady scenario's
    // warm-up and minute-long step would prove nothing more).
    let scenario = common::steady_file(dir.path(), 10);
    let mut run = spawn(&[
        "scenario",
        scenario.to_str().unwrap(),
        "--stacks",
        "floor,hyper",
        "--backend",
        "local",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
        "--reports",
        reports.to_str().unwrap(),
    ]);
    let folder = wait_for_samples(&mut run, &out, |s| {
        s.stack == "floor" && s.repeat == 1 && s.phase == "steady"
    });
    // The floor service is the harness's child.
    let children =
        fs::read_to_string(format!("/proc/{0}/task/{0}/children", run.id())).unwrap_or_default();
    let floor: Vec<i32> = children
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .filter(|p| {
            fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.contains("floor"))
        })
        .collect();
    assert_eq!(floor.len(), 1, "one floor service: {children}");
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(floor[0]).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    let status = run.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "a failed stack makes the run exit 1"
    );
    let summary = summary(&folder);
    let floor = &summary["stacks"][0];
    assert_eq!(floor["status"], "failed", "{floor}");
    let failure = floor["runs"][0]["failure"].as_str().unwrap();
    assert!(failure.contains("signal: 9"), "{failure}");
    // What was measured before the kill is kept with the repeat (a failed repeat does not
    // enter the stack's medians).
    assert!(
        floor["runs"][0]["idle_kb"].as_u64().is_some(),
        "what was measured is kept"
    );
    let hyper = &summary["stacks"][1];
    assert_eq!(hyper["status"], "ok", "the run went on: {hyper}");
    let run_id = folder.file_name().unwrap().to_str().unwrap();
    let report = fs::read_to_string(reports.join(format!("{run_id}.html"))).unwrap();
    assert!(report.contains("signal: 9"), "the report shows the failure");
}

/// Ctrl-C during a step on the docker backend: the load stops, the container and the image
/// are removed, the partial results are written, and the harness exits 130 within 5 s.
#[test]
fn ctrl_c_on_the_docker_backend_removes_everything() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    // The step is cut short by the signal: it is only the window the signal comes in.
    let scenario = common::steady_file(dir.path(), 60);
    let mut run = spawn(&[
        "scenario",
        scenario.to_str().unwrap(),
        "--stacks",
        "floor",
        "--backend",
        "docker",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
        "--reports",
        dir.path().join("reports").to_str().unwrap(),
    ]);
    let folder = wait_for_samples(&mut run, &out, |s| s.phase == "steady");
    let run_id = folder.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(!labelled(&run_id).is_empty(), "a container runs");
    let pid = rustix::process::Pid::from_raw(i32::try_from(run.id()).unwrap()).unwrap();
    let interrupted = Instant::now();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let status = loop {
        if let Some(status) = run.try_wait().unwrap() {
            break status;
        }
        if interrupted.elapsed() > Duration::from_secs(5) {
            let _ = run.kill();
            panic!("the harness did not exit within 5 s of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    assert_eq!(labelled(&run_id), Vec::<String>::new(), "left behind");
    let summary = summary(&folder);
    assert_eq!(summary["interrupted"], true);
    assert!(
        summary["cleanup"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().starts_with("removed image")),
        "{}",
        summary["cleanup"]
    );
}

/// A results folder that cannot be made (its parent is a file) is refused before any stack is
/// built or started, naming the path.
#[test]
fn an_unwritable_results_folder_is_refused_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    fs::write(&file, "not a folder").unwrap();
    let out = file.join("results");
    let assert = harness()
        .args([
            "scenario",
            "ramp",
            "--quick",
            "--stacks",
            "floor",
            "--backend",
            "local",
            "--out",
        ])
        .arg(&out)
        .assert()
        .failure();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains(&out.display().to_string()), "{stderr}");
    assert!(
        !stderr.contains("building floor"),
        "nothing was built: {stderr}"
    );
}

/// A service that never becomes ready within the scenario's boot timeout (a JVM given a
/// hundredth of a CPU, 8 s instead of a JVM's own 90 s): the stack fails with the timeout,
/// its container is removed, and the run goes on with the next stack.
#[test]
fn a_service_that_never_becomes_ready_times_out_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("starved.toml");
    fs::write(
        &scenario,
        "description = \"A JVM starved of CPU.\"\nidle_seconds = 1\n\
         [boot]\ntimeout_seconds = 8\n[container]\nmillicpus = 10\n",
    )
    .unwrap();
    let out = dir.path().join("results");
    harness()
        .args(["scenario"])
        .arg(&scenario)
        .args([
            "--stacks",
            "jvm-spring,floor",
            "--backend",
            "docker",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .arg("--reports")
        .arg(dir.path().join("reports"))
        .assert()
        .code(1);
    let run = only_run(&out);
    let summary = summary(&run);
    let spring = &summary["stacks"][0];
    assert_eq!(spring["status"], "failed", "{spring}");
    let reason = spring["reason"].as_str().unwrap();
    assert!(reason.contains("no 200 from /health within 8s"), "{reason}");
    assert_eq!(summary["stacks"][1]["status"], "ok", "the run went on");
    let run_id = run.file_name().unwrap().to_str().unwrap();
    assert_eq!(labelled(run_id), Vec::<String>::new(), "left behind");
}

/// A Docker API socket in front of the daemon's that the test can cut: the daemon, as the
/// harness sees it, stops answering, while the daemon itself (and the containers) go on.
struct Proxy {
    path: std::path::PathBuf,
    open: std::sync::Arc<std::sync::Mutex<Vec<std::os::unix::net::UnixStream>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    fn start(path: &std::path::Path) -> Proxy {
        use std::os::unix::net::{UnixListener, UnixStream};
        use std::sync::atomic::Ordering;
        use std::sync::{Arc, Mutex};

        let upstream = std::env::var("DOCKER_HOST")
            .ok()
            .map(|host| {
                host.strip_prefix("unix://")
                    .unwrap_or_else(|| panic!("this test proxies a unix socket, not {host}"))
                    .to_owned()
            })
            .unwrap_or_else(|| "/var/run/docker.sock".to_owned());
        let listener = UnixListener::bind(path).unwrap();
        listener.set_nonblocking(true).unwrap();
        let open = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let accept = {
            let (open, stop) = (Arc::clone(&open), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let Ok((client, _)) = listener.accept() else {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    };
                    client.set_nonblocking(false).unwrap();
                    let Ok(server) = UnixStream::connect(&upstream) else {
                        continue;
                    };
                    let mut streams = open.lock().unwrap();
                    streams.push(client.try_clone().unwrap());
                    streams.push(server.try_clone().unwrap());
                    pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                    pipe(server, client);
                }
            })
        };
        Proxy {
            path: path.to_owned(),
            open,
            stop,
            accept: Some(accept),
        }
    }

    /// The daemon goes away: no new connection is accepted and every open one is cut.
    fn cut(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            accept.join().unwrap();
        }
        let _ = fs::remove_file(&self.path);
        for stream in self.open.lock().unwrap().iter() {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

fn pipe(mut from: std::os::unix::net::UnixStream, mut to: std::os::unix::net::UnixStream) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

/// The Docker daemon stops answering in the middle of a run (its API socket is cut while the
/// service idles in its container): the run keeps every figure it measured, says what it
/// could not remove and why, exits 1 pointing at `harness clean`, and `harness clean` removes
/// the container and the image once the daemon answers again.
#[test]
fn a_daemon_that_stops_answering_mid_run_loses_nothing_and_clean_finishes_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("docker.sock");
    let mut proxy = Proxy::start(&socket);
    let out = dir.path().join("results");
    // The shipped idle scenario's 30 s of idle, cut to 10: the socket is cut on the first
    // idle sample, well inside it.
    let idle = dir.path().join("idle-10s.toml");
    fs::write(
        &idle,
        "description = \"10 s of idle.\"\nrepeat = 1\nidle_seconds = 10\n\
         [placement]\nservice_cpus = [1]\nharness_cpus = [0]\n",
    )
    .unwrap();
    let mut run = std::process::Command::new(assert_cmd::cargo::cargo_bin("harness"))
        .current_dir(common::root())
        .env(harness::stacks::PROFILE_VAR, "stack-test")
        .env(harness::lock::DIR_VAR, common::lock_dir())
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .arg("scenario")
        .arg(&idle)
        .args(["--stacks", "floor"])
        .args(["--quiet", "--backend", "docker", "--out"])
        .arg(&out)
        .arg("--reports")
        .arg(dir.path().join("reports"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Whatever happens below, nothing of this run stays: the harness is stopped and
    // `harness clean` (through the real socket) removes what it left.
    struct Guard(Option<std::process::Child>);
    impl Drop for Guard {
        fn drop(&mut self) {
            if let Some(child) = &mut self.0 {
                let _ = child.kill();
                let _ = child.wait();
            }
            let _ = harness().arg("clean").output();
        }
    }
    let folder = wait_for_samples(&mut run, &out, |s| s.phase == "idle");
    let run_id = folder.file_name().unwrap().to_str().unwrap().to_owned();
    proxy.cut();
    let mut guard = Guard(Some(run));
    let output = guard.0.take().unwrap().wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("harness clean"), "{stderr}");

    let summary = summary(&folder);
    let floor = &summary["stacks"][0];
    assert_eq!(floor["status"], "ok", "{}", floor["reason"]);
    assert!(
        floor["idle_kb"].as_u64().unwrap() > 0,
        "the idle figures are kept"
    );
    let ended = floor["runs"][0]["ended"].as_str().unwrap();
    assert!(ended.contains("not removed"), "{ended}");
    let left: Vec<&str> = summary["left_behind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        left.iter()
            .any(|l| l.contains("containers could not be listed"))
            && left.iter().any(|l| l.starts_with("image footprint/floor")),
        "{left:?}"
    );
    let page =
        fs::read_to_string(dir.path().join("reports").join(format!("{run_id}.html"))).unwrap();
    assert!(page.contains("Left behind at the end of the run"));

    let left = labelled(&run_id);
    assert!(
        left.iter().any(|l| l.starts_with("container "))
            && left.iter().any(|l| l.starts_with("image ")),
        "the container and the image are still on the daemon: {left:?}"
    );
    harness().arg("clean").assert().success();
    assert_eq!(labelled(&run_id), Vec::<String>::new(), "left behind");
}
