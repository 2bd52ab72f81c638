//! The `swarm` backend against the real daemon: a single-node swarm made for a run
//! (`--init-swarm`) and left at its end, images pushed to a real registry (Debian's
//! `docker-registry`) and pulled from it by the services; then, in one swarm, every stack a
//! swarm service, boot measured from the service's creation and from its container's start,
//! and a landscape variant calling quotes by its service's name; nothing left behind.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harness::backend::daemon::{Daemon, SwarmState};

mod common;
use common::{check_stacks, harness, labelled, only_run, run_scenario, stacks_by_runtime, summary};

/// The daemon's swarm state must be what it was before the test.
fn swarm_state() -> SwarmState {
    daemon().swarm_state().unwrap()
}

fn daemon() -> Daemon {
    Daemon::connect().expect("a Docker daemon (CI starts one)")
}

/// `--init-swarm` where the daemon is in no swarm (CI), nothing where it is a manager.
fn swarm_args() -> Vec<&'static str> {
    match swarm_state() {
        SwarmState::Active { manager: true } => vec!["--backend", "swarm"],
        SwarmState::Active { manager: false } => panic!("the daemon is a swarm worker"),
        SwarmState::Inactive(_) => vec!["--backend", "swarm", "--init-swarm"],
    }
}

#[test]
fn swarm_backend_and_registry() {
    let before = swarm_state();
    // A swarm made for the run and left at its end (in CI, where the daemon is in none).
    images_through_a_registry();
    assert_eq!(swarm_state(), before, "the swarm is as it was");
    {
        // The other runs go side by side, in one swarm: a run's own would be left at its end
        // under the others' services.
        let _swarm = SharedSwarm::join();
        let [native, jvm] = stacks_by_runtime();
        std::thread::scope(|scope| {
            let runs = [
                scope.spawn(|| quick_ramp_as_swarm_services(&native)),
                scope.spawn(|| quick_ramp_as_swarm_services(&jvm)),
                // The blog's service discovery: the variant calls quotes by its swarm
                // service's name (the base beside it is the docker test's business).
                scope.spawn(|| {
                    common::landscape_by_name(
                        &["--backend", "swarm"],
                        "http://footprint-quotes-hyper-quotes-",
                        false,
                    )
                }),
            ];
            // Every run ends before the swarm is left; the first failure is the test's.
            let ended: Vec<_> = runs.into_iter().map(|run| run.join()).collect();
            for result in ended {
                if let Err(panic) = result {
                    std::panic::resume_unwind(panic);
                }
            }
        });
    }
    assert_eq!(swarm_state(), before, "the swarm is as it was");
}

/// The single-node swarm the side-by-side runs share: made here (listening on 127.0.0.1 only,
/// as `--init-swarm` makes it) when the daemon is in none, and left when dropped, with the
/// `docker_gwbridge` network the daemon made for it.
struct SharedSwarm {
    /// Whether this test made it (and leaves it).
    made: bool,
    /// `docker_gwbridge` was there before.
    gwbridge_before: bool,
}

impl SharedSwarm {
    fn join() -> Self {
        let daemon = daemon();
        let gwbridge_before = daemon.network_exists("docker_gwbridge");
        let made = match daemon.swarm_state().unwrap() {
            SwarmState::Active { manager: true } => false,
            SwarmState::Active { manager: false } => panic!("the daemon is a swarm worker"),
            SwarmState::Inactive(_) => {
                // Labelled as a run's would be: should this test die before leaving it,
                // `harness clean` leaves it.
                daemon
                    .init_swarm(&format!("test-swarm-{}", std::process::id()))
                    .unwrap();
                true
            }
        };
        Self {
            made,
            gwbridge_before,
        }
    }
}

impl Drop for SharedSwarm {
    fn drop(&mut self) {
        if !self.made {
            return;
        }
        let daemon = daemon();
        let left = daemon.leave_swarm();
        if !self.gwbridge_before {
            // Its last endpoints may take a moment to go after the swarm's containers.
            let deadline = Instant::now() + Duration::from_secs(30);
            while daemon.network_exists("docker_gwbridge")
                && daemon
                    .block_on(daemon.docker.remove_network("docker_gwbridge"))
                    .is_err()
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        if !std::thread::panicking() {
            left.expect("leave the swarm the test made");
            assert!(
                self.gwbridge_before || !daemon.network_exists("docker_gwbridge"),
                "docker_gwbridge removed"
            );
        }
    }
}

/// A quick ramp of the stacks `names` as swarm services in the swarm there is.
fn quick_ramp_as_swarm_services(names: &[&str]) {
    let list = names.join(",");
    let ran = run_scenario(&[
        "ramp",
        "--quick",
        "--quiet",
        "--backend",
        "swarm",
        "--stacks",
        &list,
    ]);
    let (summary, stdout) = (&ran.summary, &ran.stdout);
    assert_eq!(summary["backend"], "swarm");
    assert_eq!(summary["complete"], true);
    for stack in check_stacks(summary, stdout, names) {
        let name = stack["stack"].as_str().unwrap();
        assert!(
            stack["image"]["bytes"].as_u64().unwrap() > 1_000_000,
            "{name}"
        );
        // From the service's creation (orchestration included) and from the container's
        // start: the first includes the second.
        for boot in stack["runs"][0]["boots"].as_array().unwrap() {
            let created = boot["boot_ms"].as_f64().unwrap();
            let started = boot["from_container_start_ms"].as_f64().unwrap();
            assert!(
                started > 0.0 && started <= created + 50.0,
                "{name}: {started} ms from container start, {created} ms from creation"
            );
        }
    }
    let run_id = ran.id();
    assert_eq!(labelled(run_id), Vec::<String>::new(), "left behind");
}

/// Debian's registry on a free loopback port, its storage in a temporary folder.
struct Registry {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = footprint_contract::service::free_port().unwrap();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let config = dir.path().join("config.yml");
        fs::write(
            &config,
            format!(
                "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
                dir.path().join("storage").display()
            ),
        )
        .unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry (Debian package docker-registry; .ci/run installs it)");
        let registry = Self {
            child,
            addr,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while registry.get("/v2/").is_none() {
            assert!(Instant::now() < deadline, "the registry did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        registry
    }

    fn get(&self, path: &str) -> Option<String> {
        let mut conn =
            footprint_contract::client::Conn::open(self.addr, Duration::from_secs(2)).ok()?;
        let response = conn.request("GET", path).ok()?;
        (response.status == 200).then(|| String::from_utf8_lossy(&response.body).into_owned())
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn images_through_a_registry() {
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    let address = registry.addr.to_string();
    let args = swarm_args();
    let made = args.contains(&"--init-swarm");
    let gwbridge_before = daemon().network_exists("docker_gwbridge");
    harness()
        .args([
            "scenario", "idle", "--quick", "--quiet", "--stacks", "floor",
        ])
        .args(args)
        .args(["--registry", &address, "--out"])
        .arg(dir.path().join("results"))
        .arg("--reports")
        .arg(dir.path().join("reports"))
        .assert()
        .success();
    let run = only_run(&dir.path().join("results"));
    let summary = summary(&run);
    if made {
        // The swarm made for the run is left at its end, with the bridge the daemon made for
        // its overlay network.
        assert!(
            summary["cleanup"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l == "left the single-node swarm made for this run"),
            "{}",
            summary["cleanup"]
        );
        assert_eq!(
            daemon().network_exists("docker_gwbridge"),
            gwbridge_before,
            "docker_gwbridge as it was: {}",
            summary["cleanup"]
        );
    }
    let floor = &summary["stacks"][0];
    assert_eq!(floor["status"], "ok", "{}", floor["reason"]);
    let tag = floor["image"]["tag"].as_str().unwrap();
    assert!(
        tag.starts_with(&format!("{address}/footprint/floor:")),
        "{tag}"
    );
    let catalog = registry.get("/v2/_catalog").unwrap();
    assert!(catalog.contains("footprint/floor"), "{catalog}");
    let version = env!("CARGO_PKG_VERSION");
    let tags = registry.get("/v2/footprint/floor/tags/list").unwrap();
    assert!(tags.contains(version), "{tags}");
    let run_id = run.file_name().unwrap().to_str().unwrap();
    assert_eq!(labelled(run_id), Vec::<String>::new(), "left behind");
}
