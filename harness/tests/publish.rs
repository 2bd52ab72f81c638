//! `harness publish`: the static site of runs, from results folders of every schema version
//! this harness reads, and a calibration.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::{harness, root, site};

/// The runs kept as fixtures: two of schema version 1 and a calibration.
fn fixtures() -> Vec<PathBuf> {
    let base = root().join("harness/tests/fixtures");
    let mut runs = Vec::new();
    for set in ["results-v1", "results-v1-battery", "calibrate-v2"] {
        for e in fs::read_dir(base.join(set)).unwrap().flatten() {
            runs.push(e.path());
        }
    }
    runs.sort();
    runs
}

/// Copies of the fixtures in `dir`, so a test may change them.
fn copies(dir: &Path) -> Vec<PathBuf> {
    fixtures()
        .iter()
        .map(|run| {
            let to = dir.join(run.file_name().unwrap());
            fs::create_dir_all(&to).unwrap();
            for f in fs::read_dir(run).unwrap().flatten() {
                fs::copy(f.path(), to.join(f.file_name())).unwrap();
            }
            to
        })
        .collect()
}

fn publish(runs: &[PathBuf], site: &Path) -> assert_cmd::assert::Assert {
    harness()
        .arg("publish")
        .args(runs)
        .arg("--to")
        .arg(site)
        .assert()
}

/// Every file of the site with its bytes.
fn snapshot(site: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    site::files(site)
        .into_iter()
        .map(|f| {
            (
                f.strip_prefix(site).unwrap().to_owned(),
                fs::read(&f).unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_published_site_has_a_page_per_run_its_raw_files_and_figures_and_every_link_resolves() {
    let dir = tempfile::tempdir().unwrap();
    let runs = copies(&dir.path().join("results"));
    let site = dir.path().join("site");
    let out = publish(&runs, &site).success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert_eq!(stdout.matches("published ").count(), runs.len(), "{stdout}");

    for run in &runs {
        let id = run.file_name().unwrap();
        let copy = site.join(id);
        assert!(copy.join("index.html").is_file(), "{id:?} has its page");
        for raw in fs::read_dir(run).unwrap().flatten() {
            assert_eq!(
                fs::read(copy.join(raw.file_name())).unwrap(),
                fs::read(raw.path()).unwrap(),
                "the raw file {:?} is beside the page, unchanged",
                raw.file_name()
            );
            let name = raw.file_name().to_string_lossy().into_owned();
            let page = fs::read_to_string(copy.join("index.html")).unwrap();
            assert!(
                page.contains(&format!("href=\"{name}\"")),
                "{id:?} links {name}"
            );
        }
    }
    // Each scenario run's figures, each as its own file, linked from its figure.
    let ramp = site.join("20261201T152538Z-ramp");
    let svgs: Vec<PathBuf> = site::files(&ramp.join("figures"));
    assert!(svgs.len() >= 5, "the ramp's figures as SVG: {svgs:?}");
    let page = site::decode(&fs::read_to_string(ramp.join("index.html")).unwrap());
    for svg in &svgs {
        let name = svg.file_name().unwrap().to_string_lossy();
        assert!(
            page.contains(&format!("href=\"figures/{name}\"")),
            "{name} linked"
        );
    }
    let index = site::decode(&fs::read_to_string(site.join("index.html")).unwrap());
    for run in &runs {
        let id = run.file_name().unwrap().to_string_lossy();
        assert!(
            index.contains(&format!("href=\"{id}/index.html\"")),
            "{id} in the index"
        );
    }
    assert!(
        index.contains("calibrate at 500 rps"),
        "the calibration is listed as one"
    );

    let forbidden = vec![
        dir.path().display().to_string(),
        root().canonicalize().unwrap().display().to_string(),
    ];
    let problems = site::problems(&site, &forbidden);
    assert!(problems.is_empty(), "{problems:#?}");
    check_in_browser(&site.join("index.html"), runs.len());
}

#[test]
fn publishing_again_replaces_that_run_alone_and_the_same_run_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let runs = copies(&dir.path().join("results"));
    let site = dir.path().join("site");
    publish(&runs, &site).success();
    let first = snapshot(&site);
    publish(&runs[..1], &site).success();
    assert_eq!(snapshot(&site), first, "idempotent, and the others kept");

    // A file gone from the run is gone from its published folder; the others stay as they were.
    let changed = runs
        .iter()
        .find(|r| r.join("scenario.toml").exists())
        .unwrap();
    let id = changed.file_name().unwrap().to_owned();
    fs::remove_file(changed.join("scenario.toml")).unwrap();
    publish(std::slice::from_ref(changed), &site).success();
    let second = snapshot(&site);
    assert!(!site.join(&id).join("scenario.toml").exists());
    for (path, bytes) in &first {
        if !path.starts_with(&id) {
            assert_eq!(second.get(path), Some(bytes), "{path:?} kept as it was");
        }
    }
    let staging: Vec<_> = fs::read_dir(&site)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(staging.is_empty(), "no staging folder left: {staging:?}");
}

#[test]
fn what_cannot_be_read_is_named_by_its_file_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let runs = copies(&dir.path().join("results"));
    let site = dir.path().join("site");

    // Not a run at all: refused, naming the folder and what a run holds.
    let empty = dir.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let out = publish(std::slice::from_ref(&empty), &site).failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&empty.display().to_string()) && stderr.contains("summary.json"),
        "{stderr}"
    );

    // A summary that is not JSON: refused, naming the file.
    let broken = &runs[0];
    fs::write(broken.join("summary.json"), "{ not json").unwrap();
    let out = publish(std::slice::from_ref(broken), &site).failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains(&broken.join("summary.json").display().to_string()),
        "{stderr}"
    );

    // A run whose env.json is unreadable is published, and its page and the terminal say so.
    let partial = &runs[1];
    fs::write(partial.join("env.json"), "[").unwrap();
    let out = publish(std::slice::from_ref(partial), &site).success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let id = partial.file_name().unwrap().to_string_lossy().into_owned();
    assert!(stderr.contains(&format!("{id}/env.json")), "{stderr}");
    let page = site::decode(&fs::read_to_string(site.join(&id).join("index.html")).unwrap());
    assert!(
        page.contains(&format!("{id}/env.json")),
        "the page names the file"
    );
    assert!(
        !page.contains(&dir.path().display().to_string()),
        "by its place in the site"
    );

    // A folder in the site that cannot be read is named on the index and in the terminal.
    fs::write(site.join(&id).join("summary.json"), "{").unwrap();
    let out = publish(&runs[2..3], &site).success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains(&format!("{id}/summary.json")), "{stderr}");
    let index = site::decode(&fs::read_to_string(site.join("index.html")).unwrap());
    assert!(
        index.contains(&format!("{id}/summary.json")),
        "the index names it"
    );
}

/// Opens `index` from the file system in Chromium: the runs' rows are there and nothing was
/// logged as an error.
fn check_in_browser(index: &Path, runs: usize) {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", index.display()))
        .output()
        .expect("chromium must be installed (Debian package `chromium`; .ci/run installs it)");
    assert!(out.status.success(), "chromium --dump-dom failed");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        dom.matches("/index.html\">").count(),
        runs,
        "a row and a link per run"
    );
    let log = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") && (l.contains("ERROR") || l.contains("Uncaught")))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:?}");
}
