//! Results folders written before the recorder had row types (`tests/fixtures/results-v1*`,
//! schema version 1, trimmed samples) still load: every file through its row type, written
//! back byte for byte, and `report`, `compare` and `cost` work from them.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use harness::results::{
    self, BatteryRow, BootRow, CpuRow, LatencyRow, MemoryRow, Row, read_run, write_rows,
};

/// The run folders of the committed fixtures, each with the stacks it ran.
fn fixtures() -> Vec<(PathBuf, &'static [&'static str])> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    [
        ("results-v1", &["floor", "hyper"][..]),
        ("results-v1-battery", &["floor"][..]),
    ]
    .into_iter()
    .map(|(name, stacks)| {
        let runs: Vec<PathBuf> = fs::read_dir(root.join(name))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(runs.len(), 1, "{name}: one run folder");
        (runs[0].clone(), stacks)
    })
    .collect()
}

/// Reads `R`'s file of `run`, writes the rows afresh and checks the bytes are the same.
fn same_bytes_back<R: Row>(run: &Path) -> Vec<R> {
    same_bytes_back_with::<R>(run, "", "")
}

/// [`same_bytes_back`] for a file that has gained columns since `run` was written: each line
/// of the old file, with `header` appended to its header and `values` to every row, is what
/// the row type writes back (the new columns read as their defaults).
fn same_bytes_back_with<R: Row>(run: &Path, header: &str, values: &str) -> Vec<R> {
    let rows: Vec<R> = read_run(run).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let again = dir.path().join(R::FILE);
    write_rows(&again, &rows).unwrap();
    let old = fs::read_to_string(run.join(R::FILE)).unwrap();
    let expected: String = old
        .lines()
        .enumerate()
        .map(|(i, line)| format!("{line}{}\n", if i == 0 { header } else { values }))
        .collect();
    assert_eq!(
        fs::read_to_string(&again).unwrap(),
        expected,
        "{}: {} written back differs",
        run.display(),
        R::FILE
    );
    rows
}

#[test]
fn every_file_reads_back_through_its_row_type_and_writes_the_same_bytes() {
    for (run, stacks) in fixtures() {
        let summary = results::load_summary(&run).unwrap();
        assert_eq!(summary.schema_version, 1);
        let ran: Vec<&str> = summary.stacks.iter().map(|s| s.stack.as_str()).collect();
        assert_eq!(ran, stacks);
        // Version 1 recorded no family or role: they are read from the stacks' declarations.
        for stack in &summary.stacks {
            let declared = harness::stacks::lookup(&stack.stack).unwrap();
            assert_eq!(
                (stack.family, stack.role),
                (declared.family, declared.role),
                "{}",
                stack.stack
            );
        }

        let memory = same_bytes_back::<MemoryRow>(&run);
        let cpu = same_bytes_back::<CpuRow>(&run);
        // latency.csv has gained four columns at its end since version 1.
        let latency = same_bytes_back_with::<LatencyRow>(
            &run,
            ",not_sent,reconnects,connect_mean_us,connect_max_us",
            ",0,0,0,0",
        );
        let boots = same_bytes_back::<BootRow>(&run);
        for stack in stacks {
            assert!(memory.iter().any(|r| r.stack == *stack && r.rss_kb > 0));
            assert!(cpu.iter().any(|r| r.stack == *stack));
            assert!(boots.iter().any(|r| r.stack == *stack && r.boot_ms.0 > 0.0));
        }
        // The latency rows are the summary's steps, kind by kind (none in a battery-only run).
        let kinds: usize = summary
            .stacks
            .iter()
            .flat_map(|s| &s.runs)
            .flat_map(|r| &r.steps)
            .map(|step| step.kinds.len())
            .sum();
        assert_eq!(latency.len(), kinds);
        for stack in &summary.stacks {
            for step in &stack.runs[0].steps {
                for kind in &step.kinds {
                    let row = latency
                        .iter()
                        .find(|r| {
                            r.stack == stack.stack && r.step == step.name && r.kind == kind.kind
                        })
                        .unwrap_or_else(|| {
                            panic!("{}: no row for {} {}", stack.stack, step.name, kind.kind)
                        });
                    assert_eq!(row.requests, kind.requests);
                    assert_eq!(row.p99_us, kind.p99_us);
                    assert_eq!(row.status_counts(), kind.statuses);
                }
            }
        }
        if run.join(BatteryRow::FILE).exists() {
            let battery = same_bytes_back::<BatteryRow>(&run);
            let cases: usize = summary
                .stacks
                .iter()
                .flat_map(|s| &s.runs)
                .filter_map(|r| r.battery.as_ref())
                .map(|b| b.cases.len())
                .sum();
            assert_eq!(battery.len(), cases);
        }
    }
}

#[test]
fn a_report_is_made_from_a_v1_folder() {
    let prices = harness::cost::load_prices(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/ec2-prices.csv"),
    )
    .unwrap();
    for (run, stacks) in fixtures() {
        let reports = tempfile::tempdir().unwrap();
        let page = harness::report::write(&run, reports.path(), Ok(&prices)).unwrap();
        let html = fs::read_to_string(&page).unwrap();
        let series = harness::report::read_memory(&run.join("memory.csv"));
        for stack in stacks {
            assert!(html.contains(stack), "{stack} not in the report");
            assert!(
                series.get(*stack).is_some_and(|s| s.len() > 5),
                "{stack}: memory series {series:?}"
            );
        }
        assert!(html.contains("<svg"), "the report draws its figures");
    }
}

#[test]
fn a_v1_folder_compares_with_itself() {
    for (run, stacks) in fixtures() {
        let reports = tempfile::tempdir().unwrap();
        let (page, comparison) =
            harness::report::write_compare(&run, &run, reports.path()).unwrap();
        let table = harness::render::Renderer::render(&harness::render::TerminalTable, &comparison);
        let html = fs::read_to_string(&page).unwrap();
        for stack in stacks {
            assert!(table.contains(stack), "{stack} not in:\n{table}");
            assert!(html.contains(stack), "{stack} not in the page");
        }
    }
}

#[test]
fn the_cost_of_a_v1_folder() {
    for (run, stacks) in fixtures() {
        let assert = Command::cargo_bin("harness")
            .unwrap()
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
            .arg("cost")
            .arg(&run)
            .assert()
            .success();
        let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        for stack in stacks {
            assert!(
                out.lines().any(|l| l.starts_with(&format!("{stack} "))),
                "no line for {stack}:\n{out}"
            );
        }
    }
}

/// A folder whose `summary.json` has a schema this harness does not know is refused by
/// `cost`, `report` and `compare`, naming the file and the version.
#[test]
fn a_newer_schema_is_refused_everywhere() {
    let (run, _) = fixtures().remove(0);
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("results").join("newer");
    fs::create_dir_all(&copy).unwrap();
    for entry in fs::read_dir(&run).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    let text = fs::read_to_string(copy.join("summary.json")).unwrap();
    let newer = text.replacen("\"schema_version\": 1,", "\"schema_version\": 99,", 1);
    assert_ne!(newer, text);
    fs::write(copy.join("summary.json"), newer).unwrap();

    let assert = Command::cargo_bin("harness")
        .unwrap()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .arg("cost")
        .arg(&copy)
        .assert()
        .code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("summary.json") && stderr.contains("schema version 99"),
        "{stderr}"
    );
    let reports = dir.path().join("reports");
    let no_prices = harness::cost::PriceError::Read {
        path: "prices.csv".into(),
        source: std::io::Error::other("no prices"),
    };
    let e = harness::report::write(&copy, &reports, Err(&no_prices)).unwrap_err();
    assert!(e.to_string().contains("schema version 99"), "{e}");
    let e = harness::report::write_compare(&run, &copy, &reports).unwrap_err();
    assert!(e.to_string().contains("schema version 99"), "{e}");
}
