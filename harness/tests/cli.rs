//! The harness as a user runs it: the real binary, real stacks, a real results folder.

use std::fs;
use std::path::Path;

use serde_json::Value;

mod common;
use common::harness;
use harness::results::{LatencyRow, MemoryRow, read_run};

#[test]
fn list_names_every_scenario_and_stack() {
    let out = harness()
        .arg("list")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    for name in [
        "ramp", "steady", "spike", "idle", "boot", "soak", "seed", "backends",
    ] {
        assert!(
            out.contains(&format!("  {name} ")),
            "scenario {name} missing:\n{out}"
        );
    }
    for stack in [
        "floor",
        "hyper",
        "axum",
        "actix",
        "go",
        "jvm-plain",
        "jvm-spring",
        "jvm-spring-tuned",
    ] {
        assert!(
            out.contains(&format!("  {stack} ")),
            "stack {stack} missing:\n{out}"
        );
    }
    assert!(out.contains("ready (cargo"), "{out}");
}

#[test]
fn bad_scenario_files_are_refused_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    fs::write(
        &file,
        "description = \"x\"\n[[step]]\nusers = 0\nseconds = 1\n",
    )
    .unwrap();
    let out = dir.path().join("results");
    let assert = harness()
        .args([
            "scenario",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("broken.toml"), "{stderr}");
    assert!(stderr.contains("users"), "{stderr}");
    assert!(
        !out.exists(),
        "nothing may be written for a refused scenario"
    );
}

#[test]
fn unknown_stacks_and_scenarios_are_usage_errors() {
    let assert = harness()
        .args(["scenario", "ramp", "--stacks", "floor,cobol"])
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("cobol") && stderr.contains("axum"),
        "{stderr}"
    );
    harness()
        .args(["scenario", "no-such-scenario"])
        .assert()
        .code(2);
    harness().args(["scenario"]).assert().code(2);
    harness()
        .args(["scenario", "ramp", "--repeat", "0"])
        .assert()
        .code(2);
}

/// `harness setup --dry-run` plans without installing: the packages and the exact commands, or
/// that nothing is missing; and `harness list` points at it for every stack it could help.
#[test]
fn setup_dry_run_lists_and_installs_nothing() {
    let assert = harness().args(["setup", "--dry-run"]).assert().success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    if out.contains("will install: ") {
        assert!(out.contains("apt-get update\n"), "{out}");
        assert!(
            out.contains("apt-get install -y --no-install-recommends "),
            "{out}"
        );
        assert!(!out.contains("\n$ "), "a dry run must run nothing:\n{out}");
    } else {
        assert!(
            out.contains("nothing to install") || out.contains("no Debian package to install"),
            "{out}"
        );
    }
    let list = harness().arg("list").assert().success();
    let list = String::from_utf8(list.get_output().stdout.clone()).unwrap();
    for line in list.lines().filter(|l| l.contains("sudo apt-get install")) {
        assert!(
            line.contains("run `cargo run -p harness -- setup` (or: sudo apt-get install "),
            "{line}"
        );
    }
    harness().args(["setup", "--bogus"]).assert().code(2);
}

/// `harness scenario ramp --quick` for real against every stack (CI installs the Go and JVM
/// toolchains, so all of them must run).
#[test]
fn quick_ramp_measures_every_stack() {
    let ran = common::run_scenario(&["ramp", "--quick", "--quiet", "--backend", "local"]);
    let (run, stdout) = (&ran.run, &ran.stdout);
    for file in [
        "scenario.toml",
        "env.json",
        "memory.csv",
        "cpu.csv",
        "latency.csv",
        "boot.csv",
        "summary.json",
    ] {
        assert!(run.join(file).is_file(), "{file} missing");
    }
    assert!(stdout.contains("results:"), "{stdout}");

    let summary = &ran.summary;
    assert_eq!(summary["schema_version"], harness::model::SCHEMA_VERSION);
    assert_eq!(summary["scenario"], "ramp");
    assert_eq!(summary["backend"], "local");
    assert_eq!(summary["memory_counter"], "RSS");
    assert_eq!(summary["complete"], true);
    let env: Value =
        serde_json::from_str(&fs::read_to_string(run.join("env.json")).unwrap()).unwrap();
    assert!(env["cpu_model"].as_str().is_some_and(|s| !s.is_empty()));
    // The machine's CPUs, read before the harness pins itself to its own.
    let cpus = std::thread::available_parallelism().unwrap().get();
    assert_eq!(env["cpus_online"], cpus, "{env}");
    assert_eq!(env["cpus_available"].as_array().unwrap().len(), cpus);
    assert!(env["project_commit"].as_str().is_some());
    // The open-file limit the harness and its services ran with: the soft one raised.
    let open_files = &env["open_files"];
    assert!(open_files.is_object(), "{env}");
    assert_eq!(open_files["soft"], open_files["hard"], "{env}");

    let stacks = common::check_every_stack(summary, stdout);
    let run_id = ran.id();
    // Six figures, and the spectrum's one plot per measured step of the ramp (four).
    assert_eq!(
        ran.report().matches("<svg").count(),
        6 + 4,
        "every figure drawn"
    );
    assert!(stdout.contains("report: "), "{stdout}");
    let index = fs::read_to_string(ran.reports.join("index.html")).unwrap();
    assert!(index.contains(run_id), "the index lists the run");
    check_in_browser(&ran.reports.join(format!("{run_id}.html")));
    let latency: Vec<LatencyRow> = read_run(run).unwrap();
    assert!(latency.len() >= stacks.len() * 3, "{latency:?}");
    let memory: Vec<MemoryRow> = read_run(run).unwrap();
    assert!(memory.len() >= stacks.len() * 10, "samples every 100 ms");
}

/// A stop signal (SIGTERM here; Ctrl-C's SIGINT has the same handler) in the middle of a step:
/// the load stops, the service is stopped and reaped, what was measured is kept, and the
/// harness exits 130 within 5 s. Meanwhile a second run on the host is refused at once.
#[test]
fn a_stop_signal_stops_everything_and_keeps_the_results() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    // The signal comes in the step: how long it would last does not matter.
    let scenario = common::steady_file(dir.path(), 60);
    let out = dir.path().join("results");
    let mut harness = std::process::Command::new(assert_cmd::cargo::cargo_bin("harness"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env(harness::stacks::PROFILE_VAR, "stack-test")
        .env(harness::lock::DIR_VAR, common::lock_dir())
        .arg("scenario")
        .arg(&scenario)
        .args([
            "--stacks",
            "floor",
            "--quiet",
            "--backend",
            "local",
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the step's load runs: samples tagged with the step appear in memory.csv.
    let deadline = Instant::now() + Duration::from_secs(300);
    let run = loop {
        let run = fs::read_dir(&out)
            .ok()
            .and_then(|mut d| d.next())
            .map(|e| e.unwrap().path());
        if let Some(run) = run
            && read_run::<MemoryRow>(&run).is_ok_and(|m| m.iter().any(|s| s.phase == "steady"))
        {
            break run;
        }
        assert!(Instant::now() < deadline, "the steady step never started");
        assert!(
            harness.try_wait().unwrap().is_none(),
            "the harness ended early"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let children = fs::read_to_string(format!("/proc/{0}/task/{0}/children", harness.id()))
        .unwrap_or_default();
    let services: Vec<u32> = children
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .filter(|p| {
            fs::read_to_string(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| c.contains("footprint-floor"))
        })
        .collect();
    assert_eq!(services.len(), 1, "one running service, found {children:?}");

    second_run_is_refused(&run, harness.id());

    // SIGTERM (a service manager, `kill`) winds the run down as Ctrl-C does.
    let pid = rustix::process::Pid::from_raw(harness.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = harness.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(5),
            "still running 5 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    assert!(
        !Path::new(&format!("/proc/{}", services[0])).exists(),
        "the service outlived the harness"
    );

    let summary: Value =
        serde_json::from_str(&fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["interrupted"], true);
    assert_eq!(summary["complete"], false);
    let floor = &summary["stacks"][0];
    assert_eq!(floor["status"], "interrupted", "{floor}");
    assert!(floor["idle_kb"].as_u64().unwrap() > 0, "idle memory kept");
    let steps = floor["runs"][0]["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s["name"] == "steady" && s["requests"].as_u64().unwrap() > 0)
    );
}

/// Opens a report in headless Chromium (installed by `.ci/run`): no console errors, every
/// figure in the rendered page, and a screenshot that is not blank.
fn check_in_browser(report: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", report.display());
    let chromium = |extra: &[&str]| {
        std::process::Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .arg(format!("--user-data-dir={}", dir.path().display()))
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium must be installed (Debian package `chromium`; .ci/run installs it)")
    };
    let dom = chromium(&["--dump-dom"]);
    assert!(dom.status.success(), "chromium --dump-dom failed");
    let dom = String::from_utf8_lossy(&dom.stdout);
    // Six figures, and the spectrum's one plot per measured step of the ramp (four).
    assert_eq!(
        dom.matches("<svg").count(),
        6 + 4,
        "every figure is in the rendered page"
    );
    let png = dir.path().join("report.png");
    let shot = chromium(&[
        "--window-size=1200,2400",
        &format!("--screenshot={}", png.display()),
    ]);
    let log = String::from_utf8_lossy(&shot.stderr);
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") && (l.contains("ERROR") || l.contains("Uncaught")))
        .collect();
    assert!(
        console_errors.is_empty(),
        "console errors: {console_errors:?}"
    );
    let decoder = png::Decoder::new(fs::File::open(&png).expect("a screenshot"));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = info.color_type.samples();
    let colours: std::collections::HashSet<&[u8]> =
        pixels[..info.buffer_size()].chunks(channels).collect();
    let ink = pixels[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| p.iter().take(3).any(|&c| c < 200))
        .count();
    assert!(
        colours.len() > 20,
        "a blank screenshot: {} colours",
        colours.len()
    );
    assert!(
        ink * 100 > info.buffer_size() / channels,
        "under 1 % of the page is drawn"
    );
}

/// The results folder fills up mid-run (a tmpfs of 32 KiB: the run's files are made, then its
/// summary does not fit): the run ends non-zero naming the file that could not be written,
/// and nothing is reported ok.
#[test]
fn a_full_results_disk_fails_the_run_naming_the_file() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small");
    fs::create_dir(&small).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=32k", "tmpfs"])
        .arg(&small)
        .status()
        .expect("mount (util-linux)");
    assert!(mounted.success(), "mount a tmpfs (the tests run as root)");
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(small.clone());
    let output = harness()
        .args([
            "scenario", "steady", "--stacks", "floor", "--quick", "--quiet",
        ])
        .args(["--backend", "local", "--out"])
        .arg(small.join("results"))
        .arg("--reports")
        .arg(dir.path().join("reports"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let said = format!("{stdout}\n{stderr}");
    assert!(
        said.contains("cannot write") && said.contains("No space left on device"),
        "{said}"
    );
    assert!(
        [".csv", "summary.json", "env.json"]
            .iter()
            .any(|file| said.contains(&format!("{file}: No space left"))),
        "the file is named: {said}"
    );
    assert!(
        !stdout
            .lines()
            .any(|l| l.starts_with("floor") && l.contains(" ok ")),
        "{stdout}"
    );
}

/// Two stop signals in a row (a service manager's `SIGTERM`, then an impatient Ctrl-C): the
/// second does not leave the run's service behind, as an immediate exit did; the harness
/// removes what the run made by its mark, then exits 130.
#[test]
fn a_second_stop_signal_still_leaves_nothing_behind() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    // The signals come in the step: how long it would last does not matter.
    let scenario = common::steady_file(dir.path(), 60);
    let mut harness = std::process::Command::new(assert_cmd::cargo::cargo_bin("harness"))
        .current_dir(common::root())
        .env(harness::stacks::PROFILE_VAR, "stack-test")
        .env(harness::lock::DIR_VAR, common::lock_dir())
        .arg("scenario")
        .arg(&scenario)
        .args(["--stacks", "floor", "--quiet"])
        .args(["--backend", "local", "--out"])
        .arg(&out)
        .arg("--reports")
        .arg(dir.path().join("reports"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let run = common::wait_for_samples(&mut harness, &out, |s| s.phase == "steady");
    let run_id = run.file_name().unwrap().to_str().unwrap().to_owned();
    assert_eq!(common::marked(&run_id).len(), 1, "its service runs");

    let pid = rustix::process::Pid::from_raw(harness.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = harness.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(60),
            "still running a minute after two signals"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        common::marked(&run_id),
        Vec::new(),
        "the service outlived the harness"
    );
}

/// A second run on the same host as the run writing `first` (harness `pid`) is refused at
/// once, naming the first; it starts nothing and writes nothing.
fn second_run_is_refused(first: &Path, pid: u32) {
    let second = tempfile::tempdir().unwrap();
    let refused = common::harness()
        .args([
            "scenario",
            "idle",
            "--stacks",
            "floor",
            "--backend",
            "local",
        ])
        .arg("--out")
        .arg(second.path())
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let refused = String::from_utf8(refused).unwrap();
    let first_id = first.file_name().unwrap().to_str().unwrap();
    assert!(
        refused.contains("another run is in progress")
            && refused.contains(first_id)
            && refused.contains(&format!("pid {}", pid)),
        "{refused}"
    );
    assert_eq!(fs::read_dir(second.path()).unwrap().count(), 0);
}
