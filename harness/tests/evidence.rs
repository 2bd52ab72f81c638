//! The evidence the docs quote: every run id in the project's Markdown is a reference run
//! committed under results/reference/ and published under reports/; every block of figures in
//! the docs is what `harness publish` writes from its run; and the committed site is what
//! publishing the reference runs gives today, its links all resolving inside it.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use common::{root, site};
use harness::publish::{self, docs};

const REPUBLISH: &str = "publish them again: cargo run -p harness -- publish results/reference/*";

fn reference() -> PathBuf {
    root().join("results").join("reference")
}

fn site_root() -> PathBuf {
    root().join("reports")
}

/// The run ids quoted in `text`: a UTC time (`20261207T101010Z`), then the run's name.
fn run_ids(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut ids = BTreeSet::new();
    let is_digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    for (i, _) in text.match_indices('T') {
        let start = i.saturating_sub(8);
        let shaped = i >= 8
            && (start..i).all(is_digit)
            && (i + 1..i + 7).all(is_digit)
            && bytes.get(i + 7) == Some(&b'Z')
            && bytes.get(i + 8) == Some(&b'-')
            && !(start > 0 && bytes[start - 1].is_ascii_alphanumeric());
        if !shaped {
            continue;
        }
        let end = text[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.+@".contains(c)))
            .map_or(text.len(), |n| start + n);
        ids.insert(text[start..end].trim_end_matches('.').to_owned());
    }
    ids
}

#[test]
fn run_ids_are_found_in_prose_and_code() {
    let text = "run `20261207T101010Z-ramp-3f9a2c`. Also 20261201T200135Z-calibrate-hyper, and (x20261201T200135Z-no) 2026T1";
    let ids: Vec<String> = run_ids(text).into_iter().collect();
    assert_eq!(
        ids,
        [
            "20261201T200135Z-calibrate-hyper",
            "20261207T101010Z-ramp-3f9a2c"
        ]
    );
}

#[test]
fn every_run_the_docs_quote_is_committed_and_published() {
    let mut missing = Vec::new();
    let mut quoted = 0;
    for doc in docs::documents(&root()) {
        let text = fs::read_to_string(&doc).unwrap();
        for id in run_ids(&text) {
            quoted += 1;
            let name = doc
                .strip_prefix(root())
                .unwrap_or(&doc)
                .display()
                .to_string();
            if !reference().join(&id).is_dir() {
                missing.push(format!(
                    "{name} quotes {id}: no folder results/reference/{id}"
                ));
            }
            if !site_root().join(&id).join(publish::PAGE).is_file() {
                missing.push(format!("{name} quotes {id}: not published in reports/"));
            }
        }
    }
    assert!(quoted > 0, "the docs quote the reference runs");
    assert!(
        missing.is_empty(),
        "re-run and publish each, or remove it with its claim:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_block_of_figures_in_the_docs_is_what_its_run_gives() {
    let mut blocks = 0;
    for doc in docs::documents(&root()) {
        let text = fs::read_to_string(&doc).unwrap();
        let name = doc
            .strip_prefix(root())
            .unwrap_or(&doc)
            .display()
            .to_string();
        blocks += docs::blocks(&text, &name).unwrap().len();
        let link = if doc.parent() == Some(root().as_path()) {
            "reports"
        } else {
            "../reports"
        };
        let written = docs::refresh(&text, &name, &site_root(), link).unwrap();
        assert!(
            written == text,
            "{name}: a block differs from what its run gives; {REPUBLISH}"
        );
    }
    assert!(blocks >= 3, "the README's and findings' figures are blocks");
}

#[test]
fn the_committed_site_is_what_publishing_the_reference_runs_gives() {
    let runs: Vec<PathBuf> = fs::read_dir(reference())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    assert!(runs.len() >= 11, "the reference set: {runs:?}");
    let published: BTreeSet<String> = fs::read_dir(site_root())
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let referenced: BTreeSet<String> = runs
        .iter()
        .map(|r| r.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        published, referenced,
        "the site publishes the reference runs, no more"
    );

    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("site");
    let prices = harness::cost::load_prices(&root().join(harness::cost::PRICES_FILE));
    publish::publish(&runs, &fresh, prices.as_deref()).unwrap();
    let (committed, made) = (site::files(&site_root()), site::files(&fresh));
    let names = |files: &[PathBuf], base: &Path| -> Vec<PathBuf> {
        files
            .iter()
            .map(|f| f.strip_prefix(base).unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(&committed, &site_root()),
        names(&made, &fresh),
        "the same files; {REPUBLISH}"
    );
    for (a, b) in committed.iter().zip(&made) {
        assert!(
            fs::read(a).unwrap() == fs::read(b).unwrap(),
            "{} differs from what publishing gives today; {REPUBLISH}",
            a.display()
        );
    }
    let forbidden = vec![root().canonicalize().unwrap().display().to_string()];
    let problems = site::problems(&site_root(), &forbidden);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_committed_reference_is_under_40_mib() {
    let bytes: u64 = [reference(), site_root()]
        .iter()
        .flat_map(|d| site::files(d))
        .map(|f| f.metadata().unwrap().len())
        .sum();
    assert!(
        bytes < 40 * 1024 * 1024,
        "results/reference and reports hold {:.1} MiB",
        bytes as f64 / (1024.0 * 1024.0)
    );
}
