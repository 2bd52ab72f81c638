//! The `swarm` backend against the real daemon: a single-node swarm made for the run
//! (`--init-swarm`) and left afterwards, every stack a swarm service, boot measured from the
//! service's creation and from its container's start, nothing left behind; then images pushed
//! to a real registry (Debian's `docker-registry`) and pulled from it by the services.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harness::backend::daemon::{Daemon, SwarmState};

mod common;
use common::{check_every_stack, harness, labelled, only_run, run_scenario, summary};

/// The daemon's swarm state must be what it was before the test.
fn swarm_state() -> SwarmState {
    Daemon::connect()
        .expect("a Docker daemon (CI starts one)")
        .swarm_state()
        .unwrap()
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
    quick_ramp_as_swarm_services();
    assert_eq!(swarm_state(), before, "the swarm is as it was");
    // The blog's service discovery: the variant calls quotes by its swarm service's name (the
    // base beside it is the docker test's business).
    common::landscape_by_name(
        &swarm_args(),
        "http://footprint-quotes-hyper-quotes-",
        false,
    );
    assert_eq!(swarm_state(), before, "the swarm is as it was");
    images_through_a_registry();
    assert_eq!(swarm_state(), before, "the swarm is as it was");
}

fn quick_ramp_as_swarm_services() {
    let mut args = vec!["ramp", "--quick", "--quiet"];
    args.extend(swarm_args());
    let ran = run_scenario(&args);
    let (summary, stdout) = (&ran.summary, &ran.stdout);
    assert_eq!(summary["backend"], "swarm");
    assert_eq!(summary["complete"], true);
    for stack in check_every_stack(summary, stdout) {
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
    harness()
        .args([
            "scenario", "idle", "--quick", "--quiet", "--stacks", "floor",
        ])
        .args(swarm_args())
        .args(["--registry", &address, "--out"])
        .arg(dir.path().join("results"))
        .arg("--reports")
        .arg(dir.path().join("reports"))
        .assert()
        .success();
    let run = only_run(&dir.path().join("results"));
    let summary = summary(&run);
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
