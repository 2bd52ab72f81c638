//! `reports/index.html`: every run of a results folder in one sortable table, newest first,
//! with the figures the headline rests on and a link to its report.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::calibration;
use super::roles;
use super::scorecard;
use super::tables::Cell;
use super::{ReportError, render};
use crate::backend::traits_of;
use crate::calibrate::Calibration;
use crate::model::Summary;
use crate::results;

/// One run in the index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexRow {
    /// The run's id.
    pub id: String,
    /// When it started, UTC, as shown.
    pub started: String,
    /// When it started, seconds since 1970, to sort on.
    pub started_sort: i64,
    /// Scenario.
    pub scenario: String,
    /// Backend.
    pub backend: String,
    /// Whether it ran to its end.
    pub complete: bool,
    /// Its stacks, in its order.
    pub stacks: String,
    /// How many stacks it measured.
    pub measured: usize,
    /// `held`, `not held` or `untested`.
    pub outcome: &'static str,
    /// The lowest memory under load of a Rust or Go stack, MiB, with the stack's name.
    pub lowest: Cell,
    /// The highest memory under load of a Rust or Go stack, MiB.
    pub highest: Cell,
    /// The baseline at idle, MiB.
    pub baseline: Cell,
    /// The baseline's name, when the run measured one.
    pub baseline_stack: Option<String>,
    /// The headline's figures in a few words.
    pub brief: String,
    /// The report's file name, when it exists.
    pub report: Option<String>,
    /// The project's commit the run was made at (env.json), or `-`.
    pub commit: String,
}

/// The index's row for `summary`; `report` is the report's file name when it was written.
pub fn row(summary: &Summary, report: Option<String>) -> IndexRow {
    let card = scorecard::scorecard(summary, traits_of(summary).containers);
    let compared: Vec<(&str, f64)> = scorecard::compared(summary)
        .into_iter()
        .map(|(s, mib, _)| (s.stack.as_str(), mib))
        .collect();
    let cell = |pick: Option<&(&str, f64)>| {
        pick.map_or_else(Cell::missing, |(name, v)| Cell {
            text: format!("{v:.1}"),
            spread: Some((*name).to_owned()),
            sort: Some(*v),
            title: None,
        })
    };
    let lowest = compared.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    let highest = compared.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    let base = roles::baseline(summary);
    let baseline = base
        .and_then(|s| s.idle_kb)
        .map_or_else(Cell::missing, |kb| Cell::value(kb as f64 / 1024.0, 1));
    IndexRow {
        id: summary.run_id.clone(),
        started: summary.started.format("%Y-%m-%d %H:%M UTC").to_string(),
        started_sort: summary.started.timestamp(),
        scenario: summary.scenario.clone(),
        backend: summary.backend.clone(),
        complete: summary.complete,
        stacks: summary
            .stacks
            .iter()
            .map(|s| s.stack.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        measured: summary
            .stacks
            .iter()
            .filter(|s| s.idle_kb.is_some())
            .count(),
        outcome: card.outcome,
        lowest: cell(lowest),
        highest: cell(highest),
        baseline,
        baseline_stack: base.map(|b| b.stack.clone()),
        brief: card.brief,
        report,
        commit: "-".to_owned(),
    }
}

/// The index's row for the calibration `c` in the folder named `id`.
pub fn calibration_row(id: &str, c: &Calibration, report: Option<String>) -> IndexRow {
    let brief = c
        .ratios
        .named()
        .into_iter()
        .map(|(name, figures)| {
            let figures: Vec<String> = figures
                .iter()
                .filter_map(|(what, r)| r.map(|r| format!("{what} {r:.2}")))
                .collect();
            format!("{name}: {}", figures.join(" "))
        })
        .collect::<Vec<_>>()
        .join("; ");
    IndexRow {
        id: id.to_owned(),
        started: c.started.format("%Y-%m-%d %H:%M UTC").to_string(),
        started_sort: c.started.timestamp(),
        scenario: format!(
            "calibrate {}",
            c.rate
                .map_or("unthrottled".into(), |r| format!("at {r} rps"))
        ),
        backend: c.backend.clone(),
        complete: true,
        stacks: c.stack.clone(),
        measured: 1,
        outcome: "calibration",
        lowest: Cell::missing(),
        highest: Cell::missing(),
        baseline: Cell::missing(),
        baseline_stack: None,
        brief,
        report,
        commit: "-".to_owned(),
    }
}

/// The project's commit in `dir/env.json`, shortened, or `-`.
fn commit_of(dir: &Path) -> String {
    #[derive(serde::Deserialize)]
    struct Env {
        project_commit: String,
    }
    fs::read_to_string(dir.join("env.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<Env>(&t).ok())
        .map_or("-".to_owned(), |e| {
            let (hash, dirty) = match e.project_commit.strip_suffix("-dirty") {
                Some(hash) => (hash, "-dirty"),
                None => (e.project_commit.as_str(), ""),
            };
            format!("{}{dirty}", &hash[..hash.len().min(12)])
        })
}

/// The runs found in the folders under `root`, newest first, each linked to `link(id)` when
/// its page exists, and what could not be read there (file and why). A folder that holds
/// neither a summary nor a calibration is not a run and is passed over.
pub fn gather(root: &Path, link: impl Fn(&str) -> Option<String>) -> (Vec<IndexRow>, Vec<String>) {
    let mut folders: Vec<PathBuf> = fs::read_dir(root)
        .map(|entries| entries.flatten().map(|e| e.path()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.is_dir())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    folders.sort();
    let (mut rows, mut unread) = (Vec::new(), Vec::new());
    for dir in folders {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let row = if dir.join("summary.json").is_file() {
            match results::load_summary(&dir) {
                Ok(s) => {
                    let link = link(&s.run_id);
                    Some(row(&s, link))
                }
                Err(e) => {
                    unread.push(e.to_string());
                    None
                }
            }
        } else if dir.join(calibration::FILE).is_file() {
            match calibration::load(&dir) {
                Ok(c) => Some(calibration_row(&name, &c, link(&name))),
                Err(e) => {
                    unread.push(e);
                    None
                }
            }
        } else {
            None
        };
        if let Some(mut row) = row {
            row.commit = commit_of(&dir);
            rows.push(row);
        }
    }
    rows.sort_by(|a, b| {
        b.started_sort
            .cmp(&a.started_sort)
            .then_with(|| b.id.cmp(&a.id))
    });
    (rows, unread)
}

/// Every run under `results_root` whose summary loads, newest first.
pub fn rows(results_root: &Path, reports_dir: &Path) -> Vec<IndexRow> {
    gather(results_root, |id| local_link(reports_dir, id)).0
}

fn local_link(reports_dir: &Path, id: &str) -> Option<String> {
    let file = format!("{id}.html");
    reports_dir.join(&file).exists().then_some(file)
}

/// The runs as the index shows them, and the one baseline they all measured (its name heads
/// the column) if they agree; if they do not, each figure's title names its stack.
fn name_baselines(runs: &[IndexRow]) -> (Vec<IndexRow>, Option<String>) {
    let mut names: Vec<&str> = runs
        .iter()
        .filter_map(|r| r.baseline_stack.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut runs = runs.to_vec();
    if let [one] = names[..] {
        return (runs, Some(one.to_owned()));
    }
    for run in &mut runs {
        if let Some(name) = &run.baseline_stack {
            run.baseline.title = Some(format!("{name} at idle"));
        }
    }
    (runs, None)
}

/// Writes `reports_dir/index.html`: every run found under `results_root`, and what could not
/// be read there.
pub fn write_index(results_root: &Path, reports_dir: &Path) -> Result<PathBuf, ReportError> {
    let (runs, unread) = gather(results_root, |id| local_link(reports_dir, id));
    write_page(reports_dir, &runs, &unread, false)
}

/// Writes the index of the published site `site`: every run published under it (its page at
/// `<id>/index.html`), and what could not be read there; returns the page and that list.
pub fn write_site_index(site: &Path) -> Result<(PathBuf, Vec<String>), ReportError> {
    let (runs, unread) = gather(site, |id| {
        site.join(id)
            .join("index.html")
            .is_file()
            .then(|| format!("{id}/index.html"))
    });
    // Paths on this machine stay off the page: a file is named from the site's root.
    let prefix = format!("{}/", site.display());
    let shown: Vec<String> = unread.iter().map(|u| u.replace(&prefix, "")).collect();
    let path = write_page(site, &runs, &shown, true)?;
    Ok((path, unread))
}

fn write_page(
    dir: &Path,
    runs: &[IndexRow],
    unread: &[String],
    published: bool,
) -> Result<PathBuf, ReportError> {
    let (runs, baseline) = name_baselines(runs);
    let html = render(
        "index.html",
        &minijinja::context! {
            runs => runs, unread => unread, published => published, baseline => baseline
        },
    )?;
    let path = dir.join("index.html");
    fs::create_dir_all(dir).map_err(|source| ReportError::Write {
        path: dir.to_owned(),
        source,
    })?;
    fs::write(&path, html).map_err(|source| ReportError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{baseline, floor, stack, summary};
    use chrono::{TimeZone, Utc};

    #[test]
    fn the_index_lists_runs_newest_first_with_their_headline_figures() {
        let dir = tempfile::tempdir().unwrap();
        let (results, reports) = (dir.path().join("results"), dir.path().join("reports"));
        for (id, start, stacks) in [
            (
                "b-older",
                1_767_225_600,
                vec![
                    floor(stack("thin", 1300, 1536, 2.0)),
                    baseline(stack("spring-like", 192 * 1024, 260 * 1024, 1600.0)),
                ],
            ),
            (
                "a-newer",
                1_767_312_000,
                vec![stack("axum", 1700, 2048, 3.0)],
            ),
        ] {
            let mut s = summary("ramp", stacks);
            s.run_id = id.into();
            s.started = Utc.timestamp_opt(start, 0).unwrap();
            let run = results.join(id);
            fs::create_dir_all(&run).unwrap();
            fs::write(run.join("summary.json"), serde_json::to_vec(&s).unwrap()).unwrap();
        }
        fs::create_dir_all(&reports).unwrap();
        fs::write(reports.join("b-older.html"), "").unwrap();
        let rows = rows(&results, &reports);
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a-newer", "b-older"], "newest first, not by name");
        assert_eq!(rows[0].outcome, "untested");
        assert_eq!(rows[0].report, None, "no report written, no link");
        assert_eq!(rows[1].outcome, "held");
        assert_eq!(rows[1].lowest.text, "1.5");
        assert_eq!(rows[1].lowest.spread.as_deref(), Some("thin"));
        assert_eq!(rows[1].baseline.text, "192.0");
        assert_eq!(rows[1].report.as_deref(), Some("b-older.html"));

        let page = fs::read_to_string(write_index(&results, &reports).unwrap()).unwrap();
        assert!(page.contains("<table class=\"sortable"), "sortable");
        assert!(page.contains("href=\"b-older.html\""));
        assert!(page.find("a-newer").unwrap() < page.find("b-older").unwrap());
        assert!(page.contains("<th>spring-like idle MiB</th>"), "{page}");
        assert!(page.contains("far less memory than spring-like at idle"));
    }

    #[test]
    fn runs_with_different_baselines_name_each_one_in_its_figure() {
        let run = |id: &str, name: &str| {
            let mut s = summary("ramp", vec![baseline(stack(name, 1024, 2048, 1.0))]);
            s.run_id = id.into();
            row(&s, None)
        };
        let one = [run("a", "spring-like"), run("b", "spring-like")];
        let (rows, name) = name_baselines(&one);
        assert_eq!(name.as_deref(), Some("spring-like"));
        assert_eq!(rows[0].baseline.title, None);
        let two = [run("a", "spring-like"), run("b", "quarkus-like")];
        let (rows, name) = name_baselines(&two);
        assert_eq!(name, None, "the column is the baseline's, unnamed");
        assert_eq!(
            rows[1].baseline.title.as_deref(),
            Some("quarkus-like at idle")
        );
    }
}
