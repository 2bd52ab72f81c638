//! The compare page: two runs side by side, from a [`Comparison`].

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::ReportError;
use crate::compare::{Comparison, RunRef, format_value};
use crate::render::{Html, Renderer};
use crate::results;

/// The context of `compare.html`.
#[derive(Debug, Serialize)]
pub struct ComparePage {
    /// Run A.
    pub a: RunRef,
    /// Run B.
    pub b: RunRef,
    /// One row per stack and metric.
    pub rows: Vec<CompareRow>,
    /// What may make the two runs not comparable, and what the verdicts rest on.
    pub warnings: Vec<String>,
}

/// One metric of one stack, as the page shows it.
#[derive(Debug, Serialize)]
pub struct CompareRow {
    /// The stack.
    pub stack: String,
    /// The metric, with its unit.
    pub metric: &'static str,
    /// Run A's value.
    pub a: String,
    /// Run B's value.
    pub b: String,
    /// B / A.
    pub ratio: String,
    /// The larger spread of the two runs, percent.
    pub noise: String,
    /// What the difference means.
    pub verdict: &'static str,
    /// Its CSS class (`verdict-<class>`).
    pub verdict_class: String,
}

/// The page's context for `comparison`.
pub fn page(comparison: &Comparison) -> ComparePage {
    let rows = comparison
        .rows
        .iter()
        .map(|r| CompareRow {
            stack: r.stack.clone(),
            metric: r.metric,
            a: format_value(r.a),
            b: format_value(r.b),
            ratio: r.ratio.map_or("-".to_owned(), |x| format!("{x:.2}")),
            noise: r
                .noise
                .map_or("-".to_owned(), |n| format!("{:.0} %", n * 100.0)),
            verdict: r.verdict.word(),
            verdict_class: format!("{:?}", r.verdict).to_lowercase(),
        })
        .collect();
    ComparePage {
        a: comparison.a.clone(),
        b: comparison.b.clone(),
        rows,
        warnings: comparison.warnings.clone(),
    }
}

/// `compare.html` for `comparison`.
pub fn render(comparison: &Comparison) -> Result<String, ReportError> {
    super::render("compare.html", &page(comparison))
}

impl Renderer<Comparison> for Html {
    type Output = Result<String, ReportError>;
    fn render(&self, comparison: &Comparison) -> Self::Output {
        render(comparison)
    }
}

/// Writes `<reports_dir>/compare-<a>-vs-<b>.html` for two results folders; returns its path
/// and the comparison, for the terminal.
pub fn write_compare(
    a: &Path,
    b: &Path,
    reports_dir: &Path,
) -> Result<(PathBuf, Comparison), ReportError> {
    let sa = results::load_summary(a).map_err(ReportError::Results)?;
    let sb = results::load_summary(b).map_err(ReportError::Results)?;
    let comparison = Comparison::of(&sa, &sb);
    let name = format!("compare-{}-vs-{}.html", sa.run_id, sb.run_id);
    write_page(comparison, reports_dir, &name)
}

/// Writes `<reports_dir>/compare-<run>-rungs.html`: each rung of one results folder against
/// its base; returns its path and the comparison, for the terminal.
pub fn write_compare_rungs(
    run: &Path,
    reports_dir: &Path,
) -> Result<(PathBuf, Comparison), ReportError> {
    let summary = results::load_summary(run).map_err(ReportError::Results)?;
    let comparison = Comparison::rungs_of(&summary);
    let name = format!("compare-{}-rungs.html", summary.run_id);
    write_page(comparison, reports_dir, &name)
}

fn write_page(
    comparison: Comparison,
    reports_dir: &Path,
    name: &str,
) -> Result<(PathBuf, Comparison), ReportError> {
    let html = Html.render(&comparison)?;
    fs::create_dir_all(reports_dir).map_err(|source| ReportError::Write {
        path: reports_dir.to_owned(),
        source,
    })?;
    let path = reports_dir.join(name);
    fs::write(&path, html).map_err(|source| ReportError::Write {
        path: path.clone(),
        source,
    })?;
    Ok((path, comparison))
}
