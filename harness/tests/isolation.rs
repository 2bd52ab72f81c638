//! A run on the swarm backend, for real: while its service runs, the service's published port
//! answers on 127.0.0.1 but not from another host (a network namespace with an address of its
//! own, joined to this host by a veth pair); then the harness is killed (`kill -9`, no chance to
//! close anything) and `harness clean` leaves the machine as it found it: no container,
//! service, network, image or firewall rule of the run, and no swarm the run made.

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use harness::backend::daemon::{Daemon, LABEL_RUN, SwarmState, label_filter};
use harness::backend::firewall;

mod common;
use common::{harness, labelled, spawn, wait_for_samples};

/// A second host: a network namespace at `10.213.<n>.2`, this host at `10.213.<n>.1` on the
/// other end of a veth pair. Removed when dropped.
struct OtherHost {
    name: String,
    veth: String,
    here: String,
}

fn ip(args: &[&str]) {
    let status = Command::new("ip")
        .args(args)
        .status()
        .expect("ip (iproute2)");
    assert!(status.success(), "ip {}", args.join(" "));
}

impl OtherHost {
    fn new() -> Self {
        let tag = std::process::id() % 10_000;
        let name = format!("fp-iso-{tag}");
        let (veth, peer) = (format!("fpi{tag}h"), format!("fpi{tag}n"));
        let net = 1 + tag % 250;
        let here = format!("10.213.{net}.1");
        let there = format!("10.213.{net}.2");
        let host = Self {
            name: name.clone(),
            veth: veth.clone(),
            here: here.clone(),
        };
        ip(&["netns", "add", &name]);
        ip(&[
            "link", "add", &veth, "type", "veth", "peer", "name", &peer, "netns", &name,
        ]);
        ip(&["addr", "add", &format!("{here}/30"), "dev", &veth]);
        ip(&["link", "set", &veth, "up"]);
        let inside = |args: &[&str]| {
            let mut all = vec!["netns", "exec", &name, "ip"];
            all.extend(args);
            ip(&all);
        };
        inside(&["addr", "add", &format!("{there}/30"), "dev", &peer]);
        inside(&["link", "set", &peer, "up"]);
        inside(&["link", "set", "lo", "up"]);
        host
    }

    /// Whether a TCP connection from the other host to this host's `port` opens within 3 s.
    fn connects(&self, port: u16) -> bool {
        Command::new("ip")
            .args(["netns", "exec", &self.name, "timeout", "3", "bash", "-c"])
            .arg(format!("exec 3<>/dev/tcp/{}/{port}", self.here))
            .status()
            .expect("ip netns exec")
            .success()
    }
}

impl Drop for OtherHost {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.veth])
            .status();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// The port the run's service is published on, read from its swarm service.
fn published_port(daemon: &Daemon, run_id: &str) -> u16 {
    let options = bollard::query_parameters::ListServicesOptionsBuilder::default()
        .filters(&label_filter(LABEL_RUN, Some(run_id)))
        .build();
    let services = daemon
        .block_on(daemon.docker.list_services(Some(options)))
        .unwrap();
    assert_eq!(services.len(), 1, "one service of the run: {services:?}");
    let port = services[0]
        .spec
        .as_ref()
        .and_then(|s| {
            s.endpoint_spec
                .as_ref()?
                .ports
                .as_ref()?
                .first()?
                .published_port
        })
        .expect("a published port");
    u16::try_from(port).unwrap()
}

/// Whether `port` on 127.0.0.1 answers `GET /health` with 200, within 30 s (the task may take
/// a moment after its first sample to be published).
fn answers_here(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        if let Ok(mut conn) = footprint_contract::client::Conn::open(addr, Duration::from_secs(5))
            && conn
                .request("GET", "/health")
                .is_ok_and(|r| r.status == 200)
        {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_killed_swarm_run_is_kept_from_other_hosts_and_clean_leaves_nothing() {
    let daemon = Daemon::connect().expect("a Docker daemon (CI starts one)");
    let before = daemon.swarm_state().unwrap();
    let gwbridge_before = daemon.network_exists("docker_gwbridge");
    let mut args = vec!["scenario", "idle", "--stacks", "floor", "--quiet"];
    args.extend(match before {
        SwarmState::Active { manager: true } => vec!["--backend", "swarm"],
        SwarmState::Active { manager: false } => panic!("the daemon is a swarm worker"),
        SwarmState::Inactive(_) => vec!["--backend", "swarm", "--init-swarm"],
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    args.extend(["--out", out.to_str().unwrap()]);
    // Whatever happens below, the harness is stopped and what it made removed.
    struct Guard(std::process::Child);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
            let _ = harness().arg("clean").output();
        }
    }
    let mut run = Guard(spawn(&args));
    let other = OtherHost::new();
    let folder = wait_for_samples(&mut run.0, &out, |s| s.phase == "idle");
    let run_id = folder.file_name().unwrap().to_str().unwrap().to_owned();

    let port = published_port(&daemon, &run_id);
    assert!(
        answers_here(port),
        "the service answers on 127.0.0.1:{port}"
    );
    // The other host reaches this one (a port of the test's own, on every interface)...
    let control = TcpListener::bind("0.0.0.0:0").unwrap();
    assert!(
        other.connects(control.local_addr().unwrap().port()),
        "the other host reaches this host"
    );
    // ...but not the run's published port.
    assert!(
        !other.connects(port),
        "the other host reached the run's published port {port}"
    );
    let rules = firewall::marked_rules();
    assert!(
        rules.iter().any(|r| r.run == run_id),
        "the run's rule in DOCKER-USER: {rules:?}"
    );

    // Killed outright: nothing closed.
    run.0.kill().unwrap();
    run.0.wait().unwrap();
    assert!(
        !labelled(&run_id).is_empty(),
        "the killed run left its objects"
    );

    let cleaned = harness().arg("clean").assert().success();
    let cleaned = String::from_utf8_lossy(&cleaned.get_output().stdout).into_owned();
    assert_eq!(labelled(&run_id), Vec::<String>::new(), "{cleaned}");
    assert!(
        !firewall::marked_rules().iter().any(|r| r.run == run_id),
        "{cleaned}"
    );
    assert_eq!(daemon.swarm_state().unwrap(), before, "{cleaned}");
    if matches!(before, SwarmState::Inactive(_)) {
        assert!(
            cleaned.lines().any(|l| l.starts_with("swarm")
                && l.contains(&run_id)
                && l.contains("removed (the daemon left the swarm)")),
            "clean left the swarm the run made: {cleaned}"
        );
    }
    assert_eq!(
        daemon.network_exists("docker_gwbridge"),
        gwbridge_before,
        "{cleaned}"
    );
}
