//! A user's own stack, declared in a stack file the test writes, measured and checked with no
//! change to the harness: floor's executable under another name, behind a script that takes its
//! port and address only from variables of its own (`APP_PORT`, `APP_BIND`), so the run and the
//! contract suite reach it only if they honour the declaration.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

mod common;
use common::{harness, run_scenario};

/// Writes `mine.toml` and what it declares into `dir`; returns the stack file.
fn declare_mine(dir: &Path) -> std::path::PathBuf {
    let floor = harness::stacks::contract_target("floor").program;
    fs::copy(&floor, dir.join("mine-service")).unwrap();
    let script = dir.join("mine.sh");
    fs::write(
        &script,
        "#!/bin/sh\n\
         # Listens where APP_PORT and APP_BIND say, never where PORT and BIND do.\n\
         unset PORT BIND\n\
         PORT=\"$APP_PORT\" BIND=\"$APP_BIND\" exec \"$(dirname \"$0\")/mine-service\"\n",
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let file = dir.join("mine.toml");
    fs::write(
        &file,
        r#"
[[stack]]
name = "mine"
family = "Rust"
runtime = "native"
about = "floor's executable under another name, reading its port from APP_PORT"
workers = "nothing (a thread per connection)"
build.binary = "mine.sh"
port_variable = "APP_PORT"
bind_variable = "APP_BIND"
health = "/health"
"#,
    )
    .unwrap();
    file
}

#[test]
fn a_stack_declared_in_a_file_is_measured_beside_ours_and_checked_against_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let file = declare_mine(dir.path());
    let file = file.to_str().unwrap();

    // Measured beside floor, in one quick ramp on plain processes.
    let ran = run_scenario(&[
        "ramp",
        "--quick",
        "--backend",
        "local",
        "--stacks",
        "mine,floor",
        "--stacks-file",
        file,
        "--quiet",
    ]);
    let stacks = ran.summary["stacks"].as_array().unwrap();
    let mine = stacks.iter().find(|s| s["stack"] == "mine").unwrap();
    assert_eq!(mine["status"], "ok", "{mine}");
    assert_eq!(mine["family"], "Rust", "{mine}");
    assert!(mine.get("role").is_none(), "{mine}");
    for figure in ["idle_kb", "load_kb", "p50_us", "p99_us", "achieved_rps"] {
        assert!(
            mine[figure].as_f64().is_some_and(|v| v > 0.0),
            "{figure}: {mine}"
        );
    }
    assert!(
        mine["command"]
            .as_str()
            .is_some_and(|c| c.ends_with("mine.sh")),
        "{mine}"
    );
    let floor = stacks.iter().find(|s| s["stack"] == "floor").unwrap();
    assert_eq!(floor["role"], "floor", "{floor}");
    assert!(ran.report().contains("mine"), "the report shows it");

    // The contract suite against it: everything but what names the stack holds (the ready
    // line and the Server header still say `floor`), and the command says which rules broke.
    let output = harness()
        .args(["contract", "--stacks", "mine", "--stacks-file", file])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let line = |rule: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(rule))
            .unwrap_or_else(|| panic!("no verdict for {rule}: {stdout}"))
            .to_owned()
    };
    for rule in [
        "seeded_ids",
        "unknown_ids",
        "health",
        "sigterm_finishes_in_flight",
    ] {
        assert!(line(rule).trim_start().starts_with("ok"), "{}", line(rule));
    }
    let ready = line("ready_line");
    assert!(
        ready.contains("BROKEN") && ready.contains("floor"),
        "{ready}"
    );
    assert!(
        stdout.contains("mine: ") && stdout.contains("rules hold; broken: ready_line"),
        "{stdout}"
    );

    // An error in the file names the file, the stack, the key and what to write.
    fs::write(
        dir.path().join("bad.toml"),
        "[[stack]]\nname = \"mine\"\nfamily = \"Rust\"\nruntime = \"wasm\"\nbuild.binary = \"x\"\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.toml");
    let output = harness()
        .args(["contract", "--stacks", "mine", "--stacks-file"])
        .arg(&bad)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.toml: stack \"mine\": runtime: \"wasm\": expected one of"),
        "{stderr}"
    );
}
