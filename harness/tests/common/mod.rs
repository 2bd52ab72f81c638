//! What the harness's own tests share: the binary, a run's results, and the checks every
//! backend's quick ramp must pass.

#![allow(dead_code)]

pub mod site;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use harness::results::{MemoryRow, read_run};
use serde_json::Value;

/// The harness binary, run from the project's root, building the Rust stacks with the
/// `stack-test` profile (release without its LTO: these runs check what the harness does, and
/// a fat-LTO build of each stack would take most of the suite's time).
pub fn harness() -> Command {
    let mut cmd = Command::cargo_bin("harness").unwrap();
    cmd.current_dir(root())
        .env(harness::stacks::PROFILE_VAR, "stack-test")
        .env(harness::lock::DIR_VAR, lock_dir());
    cmd
}

thread_local! {
    static LOCKS: PathBuf = {
        let base = root().join("target").join("test-locks");
        fs::create_dir_all(&base).unwrap();
        tempfile::tempdir_in(&base).unwrap().keep()
    };
}

/// The folder of the runs' locks of the calling test: one per test (each test runs on a thread
/// of its own), shared by every command it starts, so its `harness clean` sees its own runs'
/// locks. The tests of one binary run at once: with the host's folder, each run would refuse
/// the others (one run per host).
pub fn lock_dir() -> PathBuf {
    LOCKS.with(Clone::clone)
}

/// The project's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A scenario run that succeeded, with its folders (removed when this is dropped).
pub struct Ran {
    /// Holds the results and reports folders.
    pub dir: tempfile::TempDir,
    /// The run's results folder.
    pub run: PathBuf,
    /// Where its report went.
    pub reports: PathBuf,
    /// Its `summary.json`.
    pub summary: Value,
    /// What it printed.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
}

impl Ran {
    /// The run's id (its folder's name).
    pub fn id(&self) -> &str {
        self.run.file_name().unwrap().to_str().unwrap()
    }

    /// Its HTML report.
    pub fn report(&self) -> String {
        fs::read_to_string(self.reports.join(format!("{}.html", self.id()))).unwrap()
    }
}

/// `harness scenario <args>` with results and reports in a fresh temporary folder; fails the
/// test with what it printed unless it succeeds.
pub fn run_scenario(args: &[&str]) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let (out, reports) = (dir.path().join("results"), dir.path().join("reports"));
    let output = harness()
        .arg("scenario")
        .args(args)
        .arg("--out")
        .arg(&out)
        .arg("--reports")
        .arg(&reports)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "harness scenario {}: {}\n{stdout}\n{stderr}",
        args.join(" "),
        output.status,
    );
    let run = only_run(&out);
    Ran {
        summary: summary(&run),
        dir,
        run,
        reports,
        stdout,
        stderr,
    }
}

/// The harness started in the background with `args` (its output discarded), building the
/// Rust stacks with the `stack-test` profile as [`harness`] does (a fat-LTO release build of
/// a stack would take minutes and check nothing more).
pub fn spawn(args: &[&str]) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("harness"))
        .current_dir(root())
        .env(harness::stacks::PROFILE_VAR, "stack-test")
        .env(harness::lock::DIR_VAR, lock_dir())
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// A scenario file in `dir` for a test that acts in the middle of a step (a signal, a kill):
/// the shipped `steady` scenario's load (32 users sharing 2000 requests per second at a
/// constant rate, ids of every kind) in one step named `steady` held `seconds`, after 1 s of
/// idle and no warm-up, one repeat. The step is the window the test acts in: the test waits for
/// its first sample, so only a stall longer than the step could miss it.
pub fn steady_file(dir: &Path, seconds: u32) -> PathBuf {
    let file = dir.join(format!("steady-{seconds}s.toml"));
    fs::write(
        &file,
        format!(
            "description = \"steady's load in one step of {seconds} s, after 1 s of idle.\"\n\
             repeat = 1\nidle_seconds = 1\nload = \"constant-rate\"\n\
             [placement]\nservice_cpus = [1]\nharness_cpus = [0]\n\
             [ids]\nseeded = 0.90\nunknown = 0.08\nmalformed = 0.02\n\
             [[step]]\nname = \"steady\"\nusers = 32\nrate = 2000\nseconds = {seconds}\n"
        ),
    )
    .unwrap();
    file
}

/// Waits until the run writing into `out` has a sample in its `memory.csv` for which `wanted`
/// holds (e.g. `|s| s.phase == "steady"`); returns its results folder. Fails when the
/// harness ends first or nothing comes within 5 minutes.
pub fn wait_for_samples(
    run: &mut std::process::Child,
    out: &Path,
    wanted: impl Fn(&MemoryRow) -> bool,
) -> PathBuf {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        let folder = fs::read_dir(out)
            .ok()
            .and_then(|mut d| d.next())
            .map(|e| e.unwrap().path());
        if let Some(folder) = folder
            && read_run::<MemoryRow>(&folder).is_ok_and(|rows| rows.iter().any(&wanted))
        {
            return folder;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no such samples within 5 minutes"
        );
        assert!(run.try_wait().unwrap().is_none(), "the harness ended early");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The one results folder in `out`.
pub fn only_run(out: &Path) -> PathBuf {
    // A run's report and the index may sit beside its folder.
    let runs: Vec<_> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(runs.len(), 1, "one results folder");
    runs[0].clone()
}

/// A results folder's `summary.json`.
pub fn summary(run: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(run.join("summary.json")).unwrap()).unwrap()
}

/// Every stack a run measures by default, split in two by runtime: those that are one static
/// binary, then those on a JVM. A container backend's test runs the quick ramp once per half,
/// the two side by side; together they are every stack.
pub fn stacks_by_runtime() -> [Vec<&'static str>; 2] {
    let (jvm, native): (Vec<_>, Vec<_>) = harness::stacks::stacks()
        .into_iter()
        .partition(|s| s.is_jvm());
    let names = |stacks: Vec<&'static harness::stacks::Stack>| -> Vec<&'static str> {
        stacks.into_iter().map(|s| s.name).collect()
    };
    let halves = [names(native), names(jvm)];
    assert!(
        halves.iter().all(|h| !h.is_empty()),
        "both halves have stacks: {halves:?}"
    );
    halves
}

/// The checks a quick ramp of every stack passes on any backend: every stack ran, memory in
/// 100 KiB..1 GiB with the peak above idle, a size, a boot time, requests in every step, no
/// error for seeded ids, 404s for unknown and 400s for malformed ids. Returns the stacks.
pub fn check_every_stack<'a>(summary: &'a Value, stdout: &str) -> &'a Vec<Value> {
    let every: Vec<&str> = harness::stacks::stacks().iter().map(|s| s.name).collect();
    check_stacks(summary, stdout, &every)
}

/// [`check_every_stack`]'s checks for a run of the stacks `names` (in any order): each ran,
/// none else, and each passes them. Returns the stacks.
pub fn check_stacks<'a>(summary: &'a Value, stdout: &str, names: &[&str]) -> &'a Vec<Value> {
    let stacks = summary["stacks"].as_array().unwrap();
    let mut ran: Vec<&str> = stacks
        .iter()
        .map(|s| s["stack"].as_str().unwrap())
        .collect();
    let mut asked = names.to_vec();
    ran.sort_unstable();
    asked.sort_unstable();
    assert_eq!(ran, asked, "the stacks of the run");
    for stack in stacks {
        let name = stack["stack"].as_str().unwrap();
        assert_eq!(stack["status"], "ok", "{name}: {}", stack["reason"]);
        assert!(stdout.contains(name), "{name} not in the table:\n{stdout}");
        let kb = |key: &str| {
            stack[key]
                .as_u64()
                .unwrap_or_else(|| panic!("{name}: {key}"))
        };
        // Rust and Go services idle at a few MiB, a JVM at tens to hundreds: anything outside
        // 100 KiB..1 GiB is a bug.
        for key in ["idle_kb", "load_kb", "peak_kb"] {
            assert!(
                (100..1 << 20).contains(&kb(key)),
                "{name}: {key} = {}",
                kb(key)
            );
        }
        assert!(kb("peak_kb") >= kb("idle_kb"), "{name}: peak below idle");
        // A static binary, or a jar (jvm-plain is a 20 KB jar on the JDK alone).
        assert!(
            stack["binary_bytes"].as_u64().unwrap() > 10_000,
            "{name}: size"
        );
        let boot = stack["boot_ms"]["median"].as_f64().unwrap();
        assert!(boot > 0.0 && boot < 120_000.0, "{name}: boot {boot} ms");
        let run = &stack["runs"][0];
        let steps: Vec<&Value> = run["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["warmup"] == false)
            .collect();
        assert!(steps.len() >= 2, "{name}: measured steps");
        for step in steps {
            assert!(
                step["requests"].as_u64().unwrap() > 0,
                "{name}: no requests in {}",
                step["name"]
            );
            for kind in step["kinds"].as_array().unwrap() {
                let statuses = &kind["statuses"];
                match kind["kind"].as_str().unwrap() {
                    "seeded" => {
                        assert_eq!(kind["errors"], 0, "{name}: seeded ids failed: {statuses}");
                        assert!(kind["p50_us"].as_u64().unwrap() > 0);
                        assert!(kind["p99_us"].as_u64() >= kind["p50_us"].as_u64());
                    }
                    "unknown" => {
                        assert!(statuses["404"].as_u64().unwrap() > 0, "{name}: {statuses}")
                    }
                    "malformed" => {
                        assert!(statuses["400"].as_u64().unwrap() > 0, "{name}: {statuses}")
                    }
                    other => panic!("unexpected kind {other}"),
                }
            }
        }
    }
    stacks
}

/// Containers, swarm services, networks and images on the local Docker daemon that carry `run_id`'s
/// label, as `kind id` lines.
pub fn labelled(run_id: &str) -> Vec<String> {
    use bollard::query_parameters::{
        ListContainersOptionsBuilder, ListImagesOptionsBuilder, ListServicesOptionsBuilder,
    };
    use harness::backend::daemon::{Daemon, LABEL_RUN, label_filter};

    let daemon = Daemon::connect().expect("a Docker daemon (CI starts one)");
    let filter = label_filter(LABEL_RUN, Some(run_id));
    let mut found = Vec::new();
    let containers = daemon
        .block_on(
            daemon.docker.list_containers(Some(
                ListContainersOptionsBuilder::default()
                    .all(true)
                    .filters(&filter)
                    .build(),
            )),
        )
        .unwrap();
    found.extend(
        containers
            .into_iter()
            .map(|c| format!("container {:?}", c.id)),
    );
    let images = daemon
        .block_on(daemon.docker.list_images(Some(
            ListImagesOptionsBuilder::default().filters(&filter).build(),
        )))
        .unwrap();
    found.extend(images.into_iter().map(|i| format!("image {}", i.id)));
    let networks = daemon
        .block_on(
            daemon.docker.list_networks(Some(
                bollard::query_parameters::ListNetworksOptionsBuilder::default()
                    .filters(&filter)
                    .build(),
            )),
        )
        .unwrap();
    found.extend(
        networks
            .into_iter()
            .map(|n| format!("network {:?}", n.name)),
    );
    // Outside a swarm the daemon refuses to list services: there are none.
    if let Ok(services) = daemon.block_on(
        daemon.docker.list_services(Some(
            ListServicesOptionsBuilder::default()
                .filters(&filter)
                .build(),
        )),
    ) {
        found.extend(services.into_iter().map(|s| format!("service {:?}", s.id)));
    }
    found
}

/// Running processes whose environment carries `run_id`'s marker (`FOOTPRINT_RUN`), as the
/// `local` backend starts its services, with their stack (`FOOTPRINT_STACK`), by pid. Read
/// here from `/proc` on its own, not through the harness's code.
pub fn marked(run_id: &str) -> Vec<(u32, String)> {
    let run = format!("FOOTPRINT_RUN={run_id}");
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        // Unreadable, or gone meanwhile; a zombie's environment reads empty.
        let Ok(environ) = fs::read(entry.path().join("environ")) else {
            continue;
        };
        let vars: Vec<String> = environ
            .split(|&b| b == 0)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        if vars.contains(&run) {
            let stack = vars
                .iter()
                .find_map(|v| v.strip_prefix("FOOTPRINT_STACK="))
                .unwrap_or_default();
            found.push((pid, stack.to_owned()));
        }
    }
    found.sort();
    found
}

/// A quick landscape run of `hyper+quotes` on a container backend (`args` choose it): with
/// `with_base` its base `hyper` is measured beside it unasked (else the shipped scenario with
/// `bases = false`), the variant must reach quotes by `name_prefix` (a container's or
/// service's name), every probe must see a quote, and nothing the run labelled may be left.
pub fn landscape_by_name(args: &[&str], name_prefix: &str, with_base: bool) {
    let scratch = tempfile::tempdir().unwrap();
    let alone = scratch.path().join("landscape.toml");
    let shipped = fs::read_to_string(root().join("scenarios/landscape.toml")).unwrap();
    fs::write(
        &alone,
        shipped.replace("[downstream]\n", "[downstream]\nbases = false\n"),
    )
    .unwrap();
    let scenario = if with_base {
        "landscape"
    } else {
        alone.to_str().unwrap()
    };
    let mut all = vec![scenario, "--quick", "--quiet", "--stacks", "hyper+quotes"];
    all.extend(args);
    let ran = run_scenario(&all);
    let summary = &ran.summary;
    assert_eq!(summary["complete"], true, "{}", ran.stdout);
    let names: Vec<&str> = summary["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stack"].as_str().unwrap())
        .collect();
    let stack = if with_base {
        assert_eq!(
            names,
            ["hyper", "hyper+quotes"],
            "the base beside its variant"
        );
        assert!(ran.stderr.contains("measuring hyper too"), "{}", ran.stderr);
        assert!(
            summary["stacks"][0]["runs"][0]["landscape"].is_null(),
            "the base calls nothing: {}",
            summary["stacks"][0]
        );
        &summary["stacks"][1]
    } else {
        assert_eq!(names, ["hyper+quotes"], "bases = false: the variant alone");
        &summary["stacks"][0]
    };
    assert_eq!(stack["status"], "ok", "{stack}");
    let landscape = &stack["runs"][0]["landscape"];
    let url = landscape["url"].as_str().unwrap();
    assert!(url.starts_with(name_prefix), "{url}");
    let seen = landscape["seen"].as_array().unwrap();
    assert!(seen[0].as_u64().unwrap() > 0, "{landscape}");
    assert!(
        seen[1..].iter().all(|n| n == 0),
        "every probe got a quote: {landscape}"
    );
    assert!(summary["downstream"]["image_bytes"].as_u64().unwrap() > 100_000);
    assert!(labelled(ran.id()).is_empty(), "{:?}", labelled(ran.id()));
}
