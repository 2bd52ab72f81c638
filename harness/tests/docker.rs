//! The `docker` backend against the real daemon: every stack's minimal image built through the
//! API, a quick ramp with each service a container, figures recorded and sane, and nothing
//! left behind.

use std::fs;

mod common;
use common::{check_stacks, harness, labelled, run_scenario, stacks_by_runtime};
use harness::results::{BootRow, read_run};

/// The quick ramp of every stack in containers is two runs, side by side (the test binary runs
/// its tests two at a time): the static stacks' and the JVM stacks'.
#[test]
fn quick_ramp_of_the_static_stacks_in_containers() {
    let [native, _] = stacks_by_runtime();
    quick_ramp_in_containers(&native);
}

#[test]
fn quick_ramp_of_the_jvm_stacks_in_containers() {
    let [_, jvm] = stacks_by_runtime();
    quick_ramp_in_containers(&jvm);
}

fn quick_ramp_in_containers(names: &[&str]) {
    let list = names.join(",");
    let ran = run_scenario(&[
        "ramp",
        "--quick",
        "--quiet",
        "--backend",
        "docker",
        "--stacks",
        &list,
    ]);
    let (run, summary, stdout) = (&ran.run, &ran.summary, &ran.stdout);
    assert_eq!(summary["backend"], "docker");
    assert_eq!(summary["memory_counter"], "container memory");
    assert_eq!(summary["complete"], true);
    let env: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(run.join("env.json")).unwrap()).unwrap();
    assert!(
        env["docker"].as_str().is_some_and(|d| d.contains("API")),
        "{env}"
    );
    assert_eq!(env["container"]["memory_mb"], 512);

    for stack in check_stacks(summary, stdout, names) {
        let name = stack["stack"].as_str().unwrap();
        let image = &stack["image"];
        let tag = image["tag"].as_str().unwrap();
        assert!(tag.starts_with(&format!("footprint/{name}:")), "{tag}");
        let bytes = image["bytes"].as_u64().unwrap();
        let binary = stack["binary_bytes"].as_u64().unwrap();
        if name.starts_with("jvm") {
            // A jlink runtime of a dozen modules with its CDS archive, glibc and the jars.
            assert!(
                (20_000_000..300_000_000).contains(&bytes),
                "{name}: image {bytes} B"
            );
            let modules: Vec<&str> = image["modules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap())
                .collect();
            assert!(modules.contains(&"java.base"), "{modules:?}");
            assert!(!modules.contains(&"java.desktop") || name != "jvm-plain");
        } else {
            // FROM scratch with one static binary: the image is the binary.
            assert!(
                bytes >= binary && bytes < binary + 64 * 1024,
                "{name}: image {bytes} B for a {binary} B binary"
            );
            assert!(image["modules"].as_array().unwrap().is_empty());
        }
        assert!(image["build_ms"].as_f64().unwrap() > 0.0);
        // Boot from the start call, and from the container's start by the daemon's clock,
        // which comes after the call.
        let boot = stack["boot_ms"]["median"].as_f64().unwrap();
        let from_start = stack["container_boot_ms"]["median"].as_f64().unwrap();
        assert!(
            from_start > 0.0 && from_start <= boot + 50.0,
            "{name}: {from_start} ms from container start, {boot} ms from the start call"
        );
        let ended = stack["runs"][0]["ended"].as_str().unwrap();
        assert!(ended.starts_with("exit status: "), "{name}: {ended}");
    }
    let run_id = ran.id();
    let cleanup: Vec<&str> = summary["cleanup"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(
        cleanup
            .iter()
            .filter(|l| l.starts_with("removed image "))
            .count(),
        names.len(),
        "{cleanup:?}"
    );
    assert_eq!(labelled(run_id), Vec::<String>::new(), "left behind");
    let boots: Vec<BootRow> = read_run(run).unwrap();
    assert!(!boots.is_empty());
    assert!(
        boots.iter().all(|b| b.from_container_start_ms.is_some()),
        "{boots:?}"
    );
}

#[test]
fn landscape_by_container_name() {
    common::landscape_by_name(
        &["--backend", "docker"],
        "http://footprint-quotes-hyper-quotes-",
        true,
    );
}

/// A tracing rung in a container exports to the OTLP receiver the harness runs in a container
/// of its own (the harness's binary in a `FROM scratch` image) on the run's network: every
/// span it kept arrives, and the receiver goes with everything else the run made.
#[test]
fn a_tracing_rung_in_a_container_exports_to_a_receiver_in_a_container() {
    let ran = run_scenario(&[
        "ladder",
        "--quick",
        "--quiet",
        "--backend",
        "docker",
        "--stacks",
        "hyper@tracing-10",
    ]);
    let stacks = ran.summary["stacks"].as_array().unwrap();
    assert_eq!(stacks.len(), 1, "the rung alone: {}", ran.stderr);
    let rung = &stacks[0];
    assert_eq!(rung["status"], "ok", "{}", rung["reason"]);
    let run = &rung["runs"][0];
    assert!(run["failure"].is_null(), "{}", run["failure"]);
    let spans = &run["spans"];
    assert!(spans["account_requests"].as_u64().unwrap() > 100, "{spans}");
    assert!(spans["account_spans"].as_u64().unwrap() > 0, "{spans}");
    assert_eq!(spans["refused"], 0, "{spans}");
    assert_eq!(
        spans["agrees"], true,
        "one in ten within its bounds: {spans}"
    );
    let cleanup: Vec<&str> = ran.summary["cleanup"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        cleanup
            .iter()
            .any(|l| l.starts_with("removed image footprint/otlp-receiver:")),
        "{cleanup:?}"
    );
    assert_eq!(labelled(ran.id()), Vec::<String>::new(), "left behind");
}

#[test]
fn swarm_needs_swarm_mode_or_init_swarm() {
    let daemon = harness::backend::daemon::Daemon::connect().unwrap();
    assert_eq!(
        daemon.swarm_state().unwrap(),
        harness::backend::daemon::SwarmState::Inactive("inactive".into()),
        "this test needs a daemon outside swarm mode, as CI's is (`docker swarm leave --force`)"
    );
    let dir = tempfile::tempdir().unwrap();
    let assert = harness()
        .args(["scenario", "idle", "--quick", "--backend", "swarm", "--out"])
        .arg(dir.path())
        .assert()
        .failure();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("not in swarm mode") && stderr.contains("--init-swarm"),
        "{stderr}"
    );
    assert!(
        fs::read_dir(dir.path()).map_or(true, |mut d| d.next().is_none()),
        "nothing is written before the refusal"
    );
    harness()
        .args(["scenario", "idle", "--init-swarm", "--backend", "docker"])
        .assert()
        .code(2);
}

/// A container as the docker backend makes it: limits, a non-root user, a read-only root file
/// system, no capabilities, no new privileges, its port on 127.0.0.1 only; its memory read
/// from the cgroup agrees with the daemon's own stats; stopped, it exits 0 and is removed
/// with its image.
#[test]
fn containers_are_hardened_limited_and_measured_as_docker_stats() {
    use std::sync::Arc;
    use std::time::Duration;

    use bollard::query_parameters::InspectContainerOptions;
    use harness::backend::container::{inspect::containers_of_run, source::read_container};
    use harness::backend::daemon::Daemon;
    use harness::backend::docker::DockerBackend;
    use harness::backend::image::Images;
    use harness::backend::{Backend, Limits, ServiceSpec};
    use harness::stacks;

    let daemon = Arc::new(Daemon::connect().unwrap());
    let run_id = format!("test-hardening-{}", std::process::id());
    let images = Images::new(
        Arc::clone(&daemon),
        &run_id,
        None,
        false,
        common::root().join("target").join("footprint-images"),
    );
    let limits = Limits {
        memory_bytes: Some(64 << 20),
        nano_cpus: Some(500_000_000),
        pids: 64,
        publish_ip: "127.0.0.1".into(),
    };
    let backend = DockerBackend::new(Arc::clone(&daemon), &run_id, limits, images);
    let stack = stacks::find("floor").unwrap();
    let launch = stacks::prepare(stack, &common::root(), true).unwrap();
    let built = backend.image(stack, &launch).unwrap().unwrap();
    let spec = ServiceSpec {
        stack: "floor".into(),
        program: launch.program.clone(),
        args: Vec::new(),
        env: Vec::new(),
        cpus: Vec::new(),
        image: Some(built.tag.clone()),
        memory_mib: None,
        landscape: Default::default(),
    };
    let mut instance = backend.start(&spec).unwrap();
    harness::boot::wait_healthy(
        instance.as_mut(),
        Duration::from_secs(30),
        &harness::boot::HttpHealth,
        &harness::cancel::Cancel::new(),
    )
    .unwrap();
    assert_eq!(instance.addr().ip().to_string(), "127.0.0.1");

    let ids = containers_of_run(&daemon, &run_id).unwrap();
    assert_eq!(ids.len(), 1);
    let inspect = daemon
        .block_on(
            daemon
                .docker
                .inspect_container(&ids[0], None::<InspectContainerOptions>),
        )
        .unwrap();
    assert_eq!(inspect.config.unwrap().user.as_deref(), Some("65532:65532"));
    let host = inspect.host_config.unwrap();
    assert_eq!(host.readonly_rootfs, Some(true));
    assert_eq!(host.cap_drop, Some(vec!["ALL".to_owned()]));
    assert!(
        host.security_opt
            .unwrap_or_default()
            .iter()
            .any(|o| o.starts_with("no-new-privileges"))
    );
    assert_eq!(host.pids_limit, Some(64));
    assert_eq!(host.memory, Some(64 << 20));
    assert_eq!(host.nano_cpus, Some(500_000_000));
    let bindings = host.port_bindings.unwrap();
    let hosts: Vec<String> = bindings
        .values()
        .flatten()
        .flatten()
        .map(|b| b.host_ip.clone().unwrap_or_default())
        .collect();
    assert_eq!(hosts, ["127.0.0.1"], "published on loopback only");

    // The cgroup reading and the daemon's stats count memory the same way (the idle service
    // does not move; the stats call is about a second old).
    let from_cgroup = instance.source().read().unwrap();
    let from_api = read_container(&daemon, &ids[0]).unwrap();
    let api_kb = from_api.memory_bytes / 1024;
    let gap = from_cgroup.rss_kb.abs_diff(api_kb);
    assert!(
        gap <= (api_kb / 10).max(512),
        "cgroup {} KiB, docker stats {api_kb} KiB",
        from_cgroup.rss_kb
    );
    assert!(from_cgroup.threads >= 1 && from_cgroup.cpu_us > 0);

    let ended = instance.stop();
    assert_eq!(ended, "exit status: 0");
    drop(instance);
    let closed = backend.close();
    assert!(
        closed
            .done
            .iter()
            .any(|l| l == &format!("removed image {}", built.tag)),
        "{closed:?}"
    );
    assert!(closed.left.is_empty(), "{closed:?}");
    assert_eq!(common::labelled(&run_id), Vec::<String>::new());
}
