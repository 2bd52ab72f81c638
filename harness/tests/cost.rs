//! `harness cost` as a user runs it: the real binary on a results folder.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use harness::model::{Family, HarnessCost, Role, SCHEMA_VERSION, StackSummary, Status, Summary};

fn harness() -> Command {
    let mut cmd = Command::cargo_bin("harness").unwrap();
    cmd.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    cmd
}

/// A stack measured at `peak_mib` peak memory and `cpu_ms_per_1000` ms CPU per 1000 requests.
fn measured(name: &str, peak_mib: u64, cpu_ms_per_1000: f64) -> StackSummary {
    let mut s = StackSummary::new(name, Status::Ok, None);
    s.idle_kb = Some(peak_mib * 1024 / 2);
    s.load_kb = Some(peak_mib * 1024 * 3 / 4);
    s.peak_kb = Some(peak_mib * 1024);
    s.cpu_ms_per_1000 = Some(cpu_ms_per_1000);
    s
}

/// A results folder with axum and spring-like (the baseline) measured and go skipped.
fn results_dir() -> tempfile::TempDir {
    let mut spring = measured("spring-like", 200, 200.0);
    spring.family = Family::Jvm;
    spring.role = Some(Role::Baseline);
    let summary = Summary {
        schema_version: SCHEMA_VERSION,
        run_id: "20260720-100000".to_owned(),
        scenario: "steady".to_owned(),
        backend: "local".to_owned(),
        memory_counter: "RSS".to_owned(),
        started: "2026-07-20T10:00:00Z".parse().unwrap(),
        finished: Some("2026-07-20T10:05:00Z".parse().unwrap()),
        complete: true,
        interrupted: false,
        stacks: vec![
            measured("axum", 20, 50.0),
            spring,
            StackSummary::new(
                "go",
                Status::Skipped,
                Some("go is missing; apt-get install golang-go".to_owned()),
            ),
        ],
        harness: HarnessCost::default(),
        cleanup: Vec::new(),
        left_behind: Vec::new(),
        backend_traits: None,
        downstream: None,
        load_workers: None,
    };
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("summary.json"),
        serde_json::to_vec_pretty(&summary).unwrap(),
    )
    .unwrap();
    dir
}

#[test]
fn the_table_has_every_stack_and_its_cheapest_line() {
    let dir = results_dir();
    let assert = harness()
        .arg("cost")
        .arg(dir.path())
        .args(["--services", "10", "--rps", "100"])
        .assert()
        .success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    let line = |stack: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{stack} ")))
            .unwrap_or_else(|| panic!("no line for {stack}:\n{out}"))
    };
    // axum: 20 MiB × 1.25 = 25 MiB and 100 × 0.05 / 1000 × 1.25 = 0.00625 cores per replica.
    // t3a.nano: floor((512 - 256) / 25) = 10 by memory, floor(2 × 5 % / 0.00625) = 16 by CPU;
    // 10 per instance, 1 instance, 0.0047 × 730 = 3.431 USD a month, the cheapest x86_64 type.
    let axum = line("axum");
    assert!(axum.contains("1 × t3a.nano"), "{axum}");
    assert!(axum.contains("3.43"), "{axum}");
    assert!(axum.contains("10 × 0.25 vCPU/0.5 GB"), "{axum}");
    let jvm = line("spring-like");
    assert!(jvm.contains("1.00×"), "{jvm}");
    let go = line("go");
    assert!(go.contains("skipped") && go.contains("no figures"), "{go}");
    assert!(
        out.contains("no figures for go (skipped): go is missing"),
        "{out}"
    );
    assert!(out.contains("x86_64 types only"), "{out}");
    assert!(
        !out.contains("t4g."),
        "aarch64 rows without --aarch64:\n{out}"
    );

    let assert = harness()
        .arg("cost")
        .arg(dir.path())
        .args(["--instances", "t3.micro,t4g.micro", "--aarch64"])
        .assert()
        .success();
    let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    assert!(out.contains("t4g.micro"), "{out}");
    assert!(!out.contains("t3a.nano"), "{out}");
    assert!(
        out.contains("apply only to stacks built for aarch64"),
        "{out}"
    );
}

#[test]
fn bad_arguments_exit_2_and_a_missing_summary_exits_1() {
    let dir = results_dir();
    let assert = harness()
        .arg("cost")
        .arg(dir.path())
        .args(["--instances", "t3.micro,t3.mega"])
        .assert()
        .code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains("t3.mega") && stderr.contains("t3a.nano"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");

    harness()
        .arg("cost")
        .arg(dir.path())
        .args(["--instances", "t4g.micro"])
        .assert()
        .code(2);
    harness()
        .arg("cost")
        .arg(dir.path())
        .args(["--rps", "-5"])
        .assert()
        .code(2);
    harness()
        .arg("cost")
        .arg(dir.path())
        .args(["--services", "0"])
        .assert()
        .code(2);

    let empty = tempfile::tempdir().unwrap();
    let assert = harness().arg("cost").arg(empty.path()).assert().code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.starts_with("error: ") && stderr.contains("summary.json"),
        "{stderr}"
    );
}
